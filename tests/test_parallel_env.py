"""The PettingZoo view of every registered env (scales with the registry)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test
from toy import ToySimulator

from archgym.agents import make_agent
from archgym.envs import DesignEnv
from archgym.objectives import Target
from archgym.parallel import DesignParallelEnv, parallel_env
from archgym.registry import ENVS
from archgym.runner import run

ENV_IDS = sorted(e.id for e in ENVS.values())
#: short episodes keep the per-env tests cheap on slow simulators (PettingZoo's test runs 2 episodes)
FAST = {"max_steps": 4}


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_parallel_api_with_groups(env_id):
    names = list(gym.make(env_id).unwrapped.space.names)
    half = len(names) // 2
    penv = parallel_env(env_id, groups={"first": names[:half], "rest": names[half:]}, **FAST)
    assert penv.possible_agents == ["first", "rest"]
    assert isinstance(penv.action_space("rest"), gym.spaces.MultiDiscrete)
    parallel_api_test(penv, num_cycles=10)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_parallel_seed(env_id):
    parallel_seed_test(lambda: parallel_env(env_id, **FAST), num_cycles=4)


def test_joint_action_is_one_evaluation_of_the_single_agent_env():
    base = DesignEnv(ToySimulator(), Target({"perf": 1.0}), max_steps=3)
    penv = DesignParallelEnv(base, groups=[["a", "c"], ["b"], ["d"]])
    obs, _ = penv.reset(seed=0)
    assert set(obs) == {"group0", "group1", "group2"}
    acts = {"group0": np.array([2, 3]), "group1": 3, "group2": 4}
    o, r, term, trunc, info = penv.step(acts)
    assert base.evaluations == 1
    assert info["group1"]["design"] == {"a": "z", "b": 8, "c": 3, "d": 1.0}
    assert len(set(r.values())) == 1 and r["group0"] == pytest.approx(1.0), "the reward is shared"
    penv.step(acts)
    _, _, _, trunc, _ = penv.step(acts)
    assert all(trunc.values()) and penv.agents == [], "agents are truncated together after max_steps"


@pytest.mark.parametrize("groups,match", [
    ([["a", "b"], ["b", "c", "d"]], "both"),
    ([["a", "b"], ["c"]], "no group"),
    ({"x": ["a", "b", "c", "nope"], "y": ["d"]}, "unknown knob"),
])
def test_bad_groups_are_clear_errors(groups, match):
    with pytest.raises(ValueError, match=match):
        DesignParallelEnv(DesignEnv(ToySimulator(), Target({"perf": 1.0})), groups=groups)


def test_missing_action_is_a_clear_error():
    penv = DesignParallelEnv(DesignEnv(ToySimulator(), Target({"perf": 1.0})))
    penv.reset(seed=0)
    with pytest.raises(ValueError, match="every live agent must act"):
        penv.step({"a": 0})


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_every_agent_runs_on_every_env_through_one_loop(env_id):
    from archgym.agents import AGENTS

    for name in AGENTS:
        res = run(env_id, make_agent(name, seed=0), 2, seed=0)
        assert len(res.trajectory) == 2 and (res.trajectory["agent"] == name).all(), name
