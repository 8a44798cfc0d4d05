"""The run loop (archgym.runner): exact budgets, one row per evaluation, stable ids, determinism, datasets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from toy import ToySimulator

import archgym
from archgym import datasets
from archgym.agent import Agent
from archgym.envs import DesignEnv
from archgym.objectives import Minimize, MultiObjective, Target
from archgym.runner import run


def toy_env(objective=None, max_steps=16):
    return DesignEnv(ToySimulator(), objective or Target({"cost": 0.5}), max_steps=max_steps)


def test_budget_is_exact_and_rows_follow_schema(tmp_path):
    res = run(toy_env(max_steps=3), "random", budget=37, seed=2, log_dir=tmp_path)
    df = res.trajectory
    assert len(df) == 37 and df["step"].tolist() == list(range(37))
    assert list(df.columns[:len(datasets.ID_COLUMNS)]) == list(datasets.ID_COLUMNS)
    assert [c for c in df.columns if c.startswith("design.")] == [f"design.{n}" for n in "abcd"]
    assert {"metric.cost", "metric.perf", "reward", "feasible", "reason", "wall_time_s"} <= set(df.columns)
    assert json.loads(df["hparams"].iloc[0]) == {"unique": True}
    loaded = datasets.load(res.path)
    assert loaded.equals(df)
    meta = datasets.read_metadata(res.path)
    assert meta["simulator"] == "toy" and meta["budget"] == 37 and meta["schema_version"] == datasets.SCHEMA_VERSION
    assert archgym.DesignSpace.from_dict(meta["space"]) == ToySimulator().space


def test_best_is_the_max_reward_row():
    res = run(toy_env(), "random", budget=60, seed=0)
    df = res.trajectory
    assert res.best_reward == df["reward"].max()
    assert res.best_design == ToySimulator().space.decode(ToySimulator().space.encode(res.best_design))
    np.testing.assert_array_equal(res.best_so_far(), np.maximum.accumulate(df["reward"]))


def test_same_seed_same_trajectory_and_stable_run_id():
    cols = lambda r: r.trajectory.drop(columns=["wall_time_s"])  # noqa: E731
    a, b = run(toy_env(), "random", 40, seed=7), run(toy_env(), "random", 40, seed=7)
    assert a.run_id == b.run_id
    assert cols(a).equals(cols(b))
    c = run(toy_env(), "random", 40, seed=8)
    assert c.run_id != a.run_id and not cols(a).equals(cols(c))


def test_infeasible_rows_have_nan_metrics_and_reason():
    res = run(toy_env(Minimize("cost")), "random", budget=200, seed=1)
    bad = res.trajectory[~res.trajectory["feasible"]]
    assert len(bad) > 0
    assert bad["metric.cost"].isna().all() and (bad["reward"] == -np.inf).all()
    assert (bad["reason"] == "c=9 cannot be built").all()
    assert np.isfinite(res.best_reward)


def test_multiobjective_run_reports_pareto_and_hypervolume():
    mo = MultiObjective({"cost": "min", "perf": "max"}, ref_point={"cost": 50.0, "perf": 0.0})
    res = run(toy_env(mo), "random", budget=80, seed=0)
    assert res.pareto is not None and len(res.pareto) >= 1 and res.pareto["feasible"].all()
    assert res.hypervolume > 0


class Greedy(Agent):
    """An ask/tell agent that proposes one fixed design, to test the protocol."""

    name = "fixed"

    def __init__(self, seed=None, index: int = 0):
        super().__init__(seed)
        self.index = index

    def ask(self):
        return self.space.decode(np.full(len(self.space), self.index))

    def tell(self, design, reward, metrics):
        self.told = getattr(self, "told", 0) + 1


def test_custom_agent_instance_and_tell_count():
    agent = Greedy(index=1)
    res = run(toy_env(), agent, budget=5)
    assert agent.told == 5 and res.agent == "fixed"
    assert (res.trajectory["design.b"] == 2).all()


class Cheater(Greedy):
    def ask(self):
        return {**super().ask(), "b": 3}


def test_agent_proposing_outside_the_space_is_stopped():
    with pytest.raises(archgym.InvalidDesignError, match="'b' = 3"):
        run(toy_env(), Cheater(), budget=3)


def test_run_by_env_id_and_bad_arguments():
    res = run("archgym/Systolic-v0", "random", budget=4, seed=0, env_kwargs={"workload": "alexnet"})
    assert res.trajectory["workload"].iloc[0] == "alexnet"
    with pytest.raises(ValueError, match="budget"):
        run(toy_env(), "random", budget=0)
    with pytest.raises(KeyError, match="unknown agent"):
        run(toy_env(), "no-such-agent", budget=1)
    with pytest.raises(TypeError, match="no hyperparameter"):
        run(toy_env(), "random", budget=1, agent_kwargs={"population": 3})
    with pytest.raises(KeyError, match="unknown env"):
        run("archgym/Nope-v0", "random", budget=1)


def test_archgym_run_stays_the_function_after_the_module_is_imported():
    import archgym.runner  # noqa: F401

    assert callable(archgym.run) and archgym.run is archgym.runner.run
    res = archgym.run(toy_env(), "random", budget=3, seed=0)
    assert len(res.trajectory) == 3
