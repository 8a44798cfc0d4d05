"""Conformance over every registered env and its simulator (scales with the registry)."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest

import archgym
from archgym.registry import ENVS

ENV_IDS = sorted(e.id for e in ENVS.values())


@pytest.fixture(scope="module", params=ENV_IDS)
def env_id(request):
    return request.param


def test_gymnasium_check_env(env_id):
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*render.*")
        check_env(env.unwrapped, skip_render_check=True)


def test_sb3_check_env(env_id):
    from stable_baselines3.common.env_checker import check_env

    check_env(gym.make(env_id).unwrapped, warn=True)


def _rollout(env_id, seed, n=12):
    env = gym.make(env_id)
    env.reset(seed=seed)
    out = []
    for _ in range(n):
        a = env.action_space.sample()
        obs, r, term, trunc, info = env.step(a)
        out.append((a.tolist(), obs.tobytes(), r, info["metrics"], info["feasible"]))
        if term or trunc:
            env.reset()
    return out


def test_seeded_rollout_is_deterministic(env_id):
    assert _rollout(env_id, 3) == _rollout(env_id, 3)
    assert _rollout(env_id, 3) != _rollout(env_id, 4)


def test_env_pickles(env_id):
    env = gym.make(env_id)
    env.reset(seed=0)
    a = env.action_space.sample()
    clone = pickle.loads(pickle.dumps(env))
    r1 = env.step(a)[1]
    r2 = clone.step(a)[1]
    assert r1 == r2


def test_env_docstring_sections(env_id):
    doc = gym.make(env_id).unwrapped.__doc__ or ""
    for section in ("Description", "Design space", "Metrics", "Objective", "Version history"):
        assert section in doc, f"{env_id} docstring lacks a {section!r} section"


def test_simulator_batch_equals_one_by_one(env_id):
    sim = gym.make(env_id).unwrapped.simulator
    rng = np.random.default_rng(0)
    designs = sim.space.sample(rng, 8)
    batch = sim.evaluate(designs)
    for i, d in enumerate(designs):
        one = sim.evaluate([d])
        for k in sim.metric_names:
            np.testing.assert_array_equal(one[k], batch[k][i:i + 1], err_msg=f"{k} of design {i}")
        assert one["feasible"][0] == batch["feasible"][i]


def test_simulator_metrics_finite_named_and_united(env_id):
    sim = gym.make(env_id).unwrapped.simulator
    assert sim.version and sim.name and sim.workload
    for m in sim.metrics:
        assert m.name and m.unit, m
    res = sim.evaluate(sim.space.sample(np.random.default_rng(1), 32))
    feas = res["feasible"]
    for k in sim.metric_names:
        assert np.isfinite(res[k][feas]).all(), f"{k} not finite for feasible designs"


def test_objective_bounded_and_higher_is_better(env_id):
    env = gym.make(env_id).unwrapped
    res = env.simulator.evaluate(env.space.sample(np.random.default_rng(2), 32))
    r = env.objective(res)
    assert np.all(np.isfinite(r) | (r == env.objective.infeasible_reward))


def test_out_of_space_action_is_a_clear_error(env_id):
    env = gym.make(env_id)
    env.reset(seed=0)
    bad = env.action_space.nvec.copy()  # one past the last index of every parameter
    with pytest.raises(archgym.InvalidDesignError, match="out of range"):
        env.step(bad)
