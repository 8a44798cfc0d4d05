"""The multi-agent variants: parameter sharing and a centralised critic, and the DRAM sub-systems."""

from __future__ import annotations

import math

import numpy as np
import pytest
from toy import ToySimulator

from archgym.envs import DesignEnv
from archgym.errors import InvalidParameterError
from archgym.objectives import Target
from archgym.registry import make_agent
from archgym.runner import run
from archgym.simulators.dram.model import SPACE, SUBSYSTEMS


def toy_env() -> DesignEnv:
    return DesignEnv(ToySimulator(), Target({"perf": 1.0}), max_steps=6, env_id="test/Toy")


def test_dram_subsystems_partition_the_knobs():
    knobs = [k for g in SUBSYSTEMS.values() for k in g]
    assert sorted(knobs) == sorted(SPACE.names) and len(knobs) == len(set(knobs))
    sizes = {g: math.prod(SPACE[k].n for k in ks) for g, ks in SUBSYSTEMS.items()}
    assert sizes == {"front_end": 48, "scheduler": 72, "refresh": 128, "page_policy": 4}


def test_shared_policy_is_one_network_with_identity_input():
    agent = make_agent("marl_shared", seed=0, batch_size=4, net_arch=[8])
    env = toy_env()
    run(env, agent, 12, seed=0)
    assert list(agent._nets) == ["policy"]
    n_agents, n_obs = len(env.space.names), env.observation_space.shape[0]
    assert agent._nets["policy"][0].in_features == n_obs + n_agents
    probs = agent.policy_probs()
    assert [len(p) for p in probs.values()] == list(env.space.nvec)
    assert all(abs(p.sum() - 1) < 1e-5 for p in probs.values())
    assert agent.updates == 3


def test_mappo_has_decentralised_actors_and_a_joint_critic():
    groups = {"x": ["a", "b"], "y": ["c", "d"]}
    agent = make_agent("mappo", seed=0, groups=groups, batch_size=4, net_arch=[8])
    env = toy_env()
    run(env, agent, 8, seed=0)
    nvec = dict(zip(env.space.names, env.space.nvec, strict=True))
    sizes = [math.prod(nvec[k] for k in g) for g in groups.values()]
    assert sorted(agent._nets) == ["actor:x", "actor:y", "critic"]
    assert agent._nets["actor:x"][0].in_features == env.observation_space.shape[0]  # local view only
    assert agent._nets["critic"][0].in_features == env.observation_space.shape[0] + sum(sizes)
    assert [len(p) for p in agent.policy_probs().values()] == sizes


@pytest.mark.parametrize("name", ["marl_shared", "mappo"])
def test_too_large_or_bad_groups_are_refused(name):
    env = toy_env()
    with pytest.raises(InvalidParameterError, match="unknown knob 'zz'"):
        run(env, make_agent(name, seed=0, groups=[["a", "zz"], ["b", "c", "d"]]), 4, seed=0)
    with pytest.raises(InvalidParameterError, match="net_arch"):
        make_agent(name, seed=0, net_arch=[0])


def test_groups_change_the_search_and_stay_deterministic():
    def designs(groups):
        res = run(toy_env(), make_agent("mappo", seed=1, groups=groups, batch_size=4), 12, seed=1)
        return res.trajectory[[c for c in res.trajectory.columns if c.startswith("design.")]].to_numpy().tolist()

    g = [["a", "b"], ["c", "d"]]
    assert designs(g) == designs(g)
    assert designs(g) != designs(None)
    assert np.asarray(designs(None)).shape == (12, 4)


def test_marl_study_specs_load_and_their_groups_fit_each_env():
    """Every spec of experiments/marl expands, and every sub-system grouping names the knobs of the
    env it runs on (SoC's accelerator knobs differ by workload)."""
    import importlib.util
    from pathlib import Path

    import gymnasium as gym

    from archgym.parallel import resolve_groups
    from archgym.sweep import load_spec

    here = Path(__file__).resolve().parent.parent / "experiments" / "marl"
    # loaded by path, not through sys.path: experiments/lottery has modules of the same names
    spec = importlib.util.spec_from_file_location("marl_make_specs", here / "make_specs.py")
    make_specs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_specs)
    PARTS = make_specs.PARTS

    spaces: dict = {}
    for part in {p for parts in PARTS.values() for p in parts}:
        sw = load_spec(here / f"{part}.yaml")
        assert len({r.seed for r in sw.runs}) >= 10
        for r in sw.runs:
            if "groups" in r.hparams:
                key = (r.env_id, tuple(sorted((k, str(v)) for k, v in r.env_kwargs.items() if k != "objective")))
                if key not in spaces:
                    spaces[key] = gym.make(r.env_id, **r.env_kwargs).unwrapped.space.names
                resolve_groups(spaces[key], r.hparams["groups"])
