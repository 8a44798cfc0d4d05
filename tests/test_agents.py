"""Conformance of every registered agent (scales with the registry).

The generic checks live in :mod:`archgym.testing` (public, so third-party agents are held to the
same contract) and run here on every registered agent in its cheap ``test_config``; the checks
below are about archgym's own agents (state round trips, Pareto fronts, optuna storage, the CLI).
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from toy import MostlyInfeasible, ToySimulator

from archgym.agents import AGENTS, agent_class, make_agent
from archgym.envs import DesignEnv
from archgym.objectives import Minimize, MultiObjective, Target
from archgym.runner import run
from archgym.simulator import Metric, Simulator
from archgym.spaces import Categorical, DesignSpace, Integer, Pow2
from archgym.testing import AGENT_CHECKS, make_test_agent

FACTORIES = {name: (lambda seed, _n=name: make_test_agent(_n, seed)) for name in AGENTS}
NAMES = sorted(AGENTS)
BUDGET = 16


def toy_env(objective=None, simulator=None) -> DesignEnv:
    return DesignEnv(simulator or ToySimulator(), objective or Target({"perf": 1.0}), max_steps=6, env_id="test/Toy")


class Tradeoff(Simulator):
    """Two conflicting metrics (a bigger array is faster but larger): a real Pareto front."""

    name = "tradeoff"
    version = "1"

    def __init__(self):
        self.space = DesignSpace((Pow2("b", 1, 64), Integer("c", low=0, high=9), Categorical("a", choices=("x", "y"))))
        self.metrics = (Metric("latency", "ms", "min"), Metric("area", "mm2", "min"))
        self.workload = "tradeoff"

    def _evaluate(self, d):
        lat = 64.0 / d["b"] + np.abs(d["c"] - 3) + (d["a"] == "y")
        area = d["b"] + 0.5 * d["c"]
        bad = d["c"] == 9
        return {"latency": lat, "area": area, "feasible": ~bad, "reason": np.where(bad, "c=9", "")}


@pytest.mark.parametrize("check", sorted(AGENT_CHECKS))
@pytest.mark.parametrize("name", NAMES)
def test_agent_conformance(name: str, check: str) -> None:
    AGENT_CHECKS[check](name)


def designs(result) -> list[tuple]:
    cols = [c for c in result.trajectory.columns if c.startswith("design.")]
    return [tuple(r) for r in result.trajectory[cols].itertuples(index=False)]


def _drive(agent, env: DesignEnv, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        d = agent.ask()
        res = env.simulator.evaluate([d])
        r = float(env.objective(res)[0])
        agent.tell(d, r, {**{k: float(res[k][0]) for k in env.simulator.metric_names},
                          "feasible": bool(res["feasible"][0])})
        out.append(d)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_state_round_trip_resumes_the_search(name):
    env = toy_env(Minimize("cost"), MostlyInfeasible())
    agent = FACTORIES[name](5)
    if agent.drives_env:
        run(env, agent, BUDGET, seed=5)
        clone = pickle.loads(pickle.dumps(agent))
        restored = FACTORIES[name](5)
        restored.load_state_dict(pickle.loads(pickle.dumps(agent.state_dict())))
        for other in (clone, restored):
            if hasattr(agent, "policy_state_dict"):
                for k, v in agent.policy_state_dict().items():
                    assert np.array_equal(v.numpy(), other.policy_state_dict()[k].numpy()), k
            else:
                for k, v in agent.policy_probs().items():
                    assert np.array_equal(v, other.policy_probs()[k]), k
        return
    agent.setup(env.space, 40, env.objective)
    _drive(agent, env, 13)  # mid-generation / mid-colony for the population agents
    blob = pickle.dumps(agent.state_dict())
    clone = pickle.loads(pickle.dumps(agent))
    restored = FACTORIES[name](5)
    restored.setup(env.space, 40, env.objective)
    restored.load_state_dict(pickle.loads(blob))
    expected = _drive(agent, env, 8)
    assert _drive(clone, env, 8) == expected
    assert _drive(restored, env, 8) == expected


@pytest.mark.parametrize("name", [n for n in NAMES if agent_class(n).multiobjective])
def test_multiobjective_agents_return_a_pareto_front(name):
    assert {"random", "ga", "nsga2"} <= {n for n in NAMES if agent_class(n).multiobjective}
    obj = MultiObjective({"latency": "min", "area": "min"}, ref_point={"latency": 80.0, "area": 80.0})
    res = run(DesignEnv(Tradeoff(), obj, env_id="test/Tradeoff"), FACTORIES[name](0), 40, seed=0)
    assert res.pareto is not None and len(res.pareto) >= 2
    assert res.pareto["feasible"].all()
    assert res.hypervolume is not None and res.hypervolume > 0
    lat, area = res.pareto["metric.latency"].to_numpy(), res.pareto["metric.area"].to_numpy()
    for i in range(len(lat)):  # no front member dominates another
        assert not np.any((lat <= lat[i]) & (area <= area[i]) & ((lat < lat[i]) | (area < area[i])))


def test_optuna_storage_makes_a_study_resumable(tmp_path):
    path = tmp_path / "study.db"
    env = toy_env()
    run(env, make_agent("bo", seed=0, storage=str(path), study_name="s"), 6, seed=0)
    agent = make_agent("bo", seed=0, storage=str(path), study_name="s")
    run(toy_env(), agent, 4, seed=0)
    assert len(agent._study.trials) == 10, "the second run should continue the stored study"


def test_importing_agents_loads_no_heavy_library():
    code = ("import sys, archgym\nfrom archgym.agents import AGENTS, agent_class\n"
            "[agent_class(n) for n in AGENTS]\n"
            "heavy = [m for m in ('torch', 'optuna', 'sklearn', 'stable_baselines3') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name,sets", [
    ("ga", ["population=4", "mutation=0.2"]),
    ("nsga2", ["population_size=4", "mutation_prob=null"]),
    ("marl", ['groups=[["a","b"],["c","d"]]', "batch_size=4"]),
    ("ppo", ["net_arch=[8,8]", "n_steps=4", "batch_size=4", "n_epochs=1"]),
    ("sac", ["net_arch=[8]", "learning_starts=4", "batch_size=4", "ent_coef=auto"]),
    ("marl_shared", ['groups=[["a","b"],["c","d"]]', "batch_size=4", "net_arch=[8]"]),
    ("mappo", ['groups={"x":["a","b"],"y":["c","d"]}', "batch_size=4", "net_arch=[]"]),
])
def test_cli_runs_any_agent_with_hyperparameters(name, sets, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import archgym.cli as cli
    import archgym.runner as run_mod

    real = run_mod.run
    monkeypatch.setattr(run_mod, "run", lambda env, *a, **k: real(toy_env(), *a, **{**k, "env_kwargs": None}))
    args = ["run", "--agent", name, "--budget", "8", "--out", str(tmp_path), "--no-plot", "--no-progress"]
    for s in sets:
        args += ["--set", s]
    out = CliRunner().invoke(cli.app, args)
    assert out.exit_code == 0, out.output
    assert f"agent {name}" in out.output


def test_cli_lists_every_agent_and_its_hyperparameters():
    from typer.testing import CliRunner

    import archgym.cli as cli

    out = CliRunner().invoke(cli.app, ["agents"])
    assert out.exit_code == 0, out.output
    for name in AGENTS:
        assert name in out.output
        for hp in agent_class(name).hyperparameters():
            assert hp in out.output, (name, hp)
