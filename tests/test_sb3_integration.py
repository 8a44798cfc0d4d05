"""stable-baselines3 and archgym envs, the way SB3 users call them: ``make_vec_env`` (which asks
for ``render_mode="rgb_array"``), DQN through the sequential one-knob-per-step formulation, and
PPO runs that leave nothing behind in the temp directory."""

from __future__ import annotations

import tempfile

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

import archgym
from archgym.errors import InvalidDesignError, InvalidParameterError
from archgym.wrappers import SequentialDesign


def test_make_vec_env_with_its_default_rgb_array_render_mode():
    from stable_baselines3.common.env_util import make_vec_env

    venv = make_vec_env("archgym/DRAM-v0", n_envs=2, seed=0)
    assert venv.render_mode == "rgb_array"
    venv.reset()
    venv.step(np.array([venv.action_space.sample() for _ in range(2)]))
    frames = venv.get_images()
    assert len(frames) == 2
    for f in frames:
        assert f.shape == (384, 640, 3) and f.dtype == np.uint8
        assert f.min() < 100 and f.max() == 255  # something drawn on a white page
    venv.close()


def test_rgb_array_frames_show_the_design():
    env = gym.make("archgym/Systolic-v0", render_mode="rgb_array")
    env.reset(seed=0)
    blank = env.render()
    assert blank.shape == (384, 640, 3)
    env.step(np.zeros(7, np.int64))
    a = env.render()
    env.step(env.action_space.nvec - 1)
    b = env.render()
    assert a.shape == b.shape == blank.shape and not np.array_equal(a, b) and not np.array_equal(a, blank)
    gym_check_env(gym.make("archgym/Systolic-v0", render_mode="rgb_array").unwrapped, skip_render_check=False)
    with pytest.raises(InvalidParameterError, match="'rgb_array'"):
        archgym.make_env("archgym/DRAM-v0", render_mode="human")


def test_ppo_leaves_no_sb3_folder_in_the_temp_dir(tmp_path, monkeypatch):
    from stable_baselines3.common.logger import configure

    monkeypatch.delenv("SB3_LOGDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    configure(format_strings=[])  # SB3's default: this is what each PPO.learn() did
    assert len(list(tmp_path.glob("SB3-*"))) == 1, "the check sees SB3's folders"
    before = set(tmp_path.glob("SB3-*"))
    for seed in (0, 1):
        archgym.run("archgym/DRAM-v0", archgym.make_agent("ppo", seed=seed, n_steps=8, batch_size=8, n_epochs=1,
                                                          net_arch=[8]), budget=16, seed=seed)
    assert set(tmp_path.glob("SB3-*")) == before


@pytest.mark.parametrize("env_id", [e.id for e in archgym.ENVS.values()])
def test_sequential_design_passes_the_checkers(env_id):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = SequentialDesign(gym.make(env_id))
    gym_check_env(env)
    sb3_check_env(SequentialDesign(gym.make(env_id)), warn=True)
    nvec = gym.make(env_id).action_space.nvec
    assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.n == nvec.max()


def test_sequential_design_sets_one_knob_per_step_and_evaluates_once():
    base = gym.make("archgym/Systolic-v0", max_steps=2)
    env = SequentialDesign(base)
    space = base.unwrapped.space
    d, n = len(space), env.action_space.n
    obs, _ = env.reset(seed=1)
    assert env.observation_space.contains(obs)
    actions = [n - 1] * d
    for j, a in enumerate(actions):
        obs, r, term, trunc, info = env.step(a)
        assert info["knob"] == space.names[j] and info["evaluated"] == (j == d - 1)
    # the last value of every knob: exactly the design the MultiDiscrete env gets for nvec - 1
    want = gym.make("archgym/Systolic-v0")
    want.reset(seed=1)
    _, r_want, *_ , info_want = want.step(want.action_space.nvec - 1)
    assert r == r_want and info["design"] == info_want["design"]
    assert base.unwrapped.evaluations == 1 and not trunc
    for _ in range(d):
        *_, trunc, info = env.step(0)
    assert trunc and base.unwrapped.evaluations == 2  # max_steps designs = max_steps * d steps
    for j, k in enumerate(space.nvec):
        picked = [env.knob_index(a, j) for a in range(n)]
        assert sorted(set(picked)) == list(range(k)) and picked == sorted(picked)  # all values, in order
    with pytest.raises(InvalidDesignError, match=f"0..{n - 1}"):
        env.step(n)
    with pytest.raises(InvalidParameterError, match="MultiDiscrete"):
        SequentialDesign(gym.make("CartPole-v1"))


def test_dqn_trains_on_the_sequential_formulation():
    from stable_baselines3 import DQN

    env = SequentialDesign(gym.make("archgym/DRAM-v0"))
    model = DQN("MlpPolicy", env, learning_starts=50, buffer_size=1000, train_freq=4, target_update_interval=50,
                policy_kwargs={"net_arch": [32]}, seed=0, device="cpu", verbose=0)
    model.learn(total_timesteps=300)
    assert env.unwrapped.evaluations == 300 // 10
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert env.action_space.contains(int(action))
