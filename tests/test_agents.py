"""Conformance of every registered agent (scales with the registry).

``FACTORIES`` holds one cheap configuration per agent (small populations, short rollouts), in
the style of optuna's sampler test-suite; a new agent must be added here, which
:func:`test_every_registered_agent_has_a_factory` enforces.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys

import numpy as np
import pytest
from toy import ToySimulator

from archgym.agents import AGENTS, agent_class, make_agent
from archgym.envs import DesignEnv
from archgym.objectives import Minimize, MultiObjective, Target
from archgym.runner import run
from archgym.simulator import Metric, Simulator
from archgym.spaces import Categorical, DesignSpace, Integer, Pow2

FAST: dict[str, dict] = {
    "random": {},
    "random_walk": {"patience": 4},
    "ga": {"population": 4, "elitism": 1},
    "aco": {"ants": 4},
    "bo": {"n_startup_trials": 4},
    "gp": {"n_startup_trials": 8},
    "nsga2": {"population_size": 4},
    "ppo": {"n_steps": 8, "batch_size": 8, "n_epochs": 2, "net_arch": [16]},
    "marl": {"batch_size": 4},
}
FACTORIES = {name: (lambda seed, _n=name: make_agent(_n, seed=seed, **FAST[_n])) for name in FAST}
NAMES = sorted(AGENTS)
BUDGET = 16


def toy_env(objective=None, simulator=None) -> DesignEnv:
    return DesignEnv(simulator or ToySimulator(), objective or Target({"perf": 1.0}), max_steps=6, env_id="test/Toy")


class MostlyInfeasible(ToySimulator):
    """The toy with c >= 4 infeasible (60% of designs), so every agent meets infeasible designs."""

    def _evaluate(self, d):
        out = super()._evaluate(d)
        bad = d["c"] >= 4
        return {**out, "feasible": ~bad, "reason": np.where(bad, "c >= 4 cannot be built", "")}


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


def designs(result) -> list[tuple]:
    cols = [c for c in result.trajectory.columns if c.startswith("design.")]
    return [tuple(r) for r in result.trajectory[cols].itertuples(index=False)]


def test_every_registered_agent_has_a_factory():
    assert set(FACTORIES) == set(AGENTS), "add a cheap configuration of the new agent to FAST"


@pytest.mark.parametrize("name", NAMES)
def test_agent_is_configuration_only(name):
    cls = agent_class(name)
    assert cls.name == name, f"{cls.__name__}.name must equal its registry name {name!r}"
    doc = cls.__doc__ or ""
    for hp, default in cls.hyperparameters().items():
        assert hp in doc, f"{name}: hyperparameter {hp!r} is not documented in the class docstring"
        assert getattr(cls(seed=0), hp) == default, f"{name}: {hp} must be stored unchanged"
    with pytest.raises(TypeError, match="no hyperparameter"):
        make_agent(name, seed=0, not_a_knob=1)


@pytest.mark.parametrize("name", NAMES)
def test_valid_designs_and_exact_budget(name):
    env = toy_env()
    res = run(env, FACTORIES[name](0), BUDGET, seed=0)
    assert len(res.trajectory) == BUDGET
    assert env.evaluations == BUDGET, "budget = simulator evaluations, identical for every agent"
    assert res.trajectory["step"].tolist() == list(range(BUDGET))
    space = env.space
    for d in res.trajectory[[f"design.{n}" for n in space.names]].to_dict("records"):
        space.validate({k[len("design."):]: v for k, v in d.items()})
    assert math.isfinite(res.best_reward)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_trajectory(name):
    a = run(toy_env(), FACTORIES[name](3), BUDGET, seed=3)
    b = run(toy_env(), FACTORIES[name](3), BUDGET, seed=3)
    assert designs(a) == designs(b)
    assert a.trajectory["reward"].tolist() == b.trajectory["reward"].tolist()
    c = run(toy_env(), FACTORIES[name](4), BUDGET, seed=4)
    assert designs(c) != designs(a), "a different seed should give a different trajectory"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("objective", [Target({"perf": 1.0}), Minimize("cost")], ids=["target", "minimize"])
def test_infeasible_designs_are_handled(name, objective):
    res = run(toy_env(objective, MostlyInfeasible()), FACTORIES[name](1), BUDGET, seed=1)
    traj = res.trajectory
    assert (~traj["feasible"]).any(), "the test should expose the agent to infeasible designs"
    assert (traj.loc[~traj["feasible"], "reward"] == objective.infeasible_reward).all()
    assert math.isfinite(res.best_reward) and traj["feasible"].iloc[res.best_step]


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
            if name == "ppo":
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
