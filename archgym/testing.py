"""Conformance checks for simulators, envs and agents — archgym's own and third parties'.

scikit-learn ships ``check_estimator`` so that anyone's estimator can be held to the contract;
this module does the same for archgym.  Each check is a plain function that raises
``AssertionError`` naming what is wrong.  archgym's test suite runs every check on every
registered env and agent (so the checks scale with the registries), and a plugin author runs them
on theirs::

    from archgym.testing import check_env, check_agent
    check_env("archgym/MyAccel-v0")     # gymnasium + SB3 checkers, determinism, pickling, batch = one-by-one …
    check_agent("mysearch")             # configuration-only constructor, exact budget, seeded determinism …

:class:`ToySimulator` is the small synthetic problem (known optimum, an infeasible region) the
agent checks run on.
"""

from __future__ import annotations

import math
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from archgym.errors import InvalidDesignError, UnknownParameterError
from archgym.simulator import Metric, Simulator
from archgym.spaces import Categorical, DesignSpace, Integer, Pow2, Real


class ToySimulator(Simulator):
    """cost = [a=='y'] + |log2(b) - 3| + (c - 3)^2 / 4 + |log10(d)|; optimum 0 at a!='y', b=8, c=3, d=1.

    Designs with c == 9 are infeasible (``infeasible=True``).
    """

    name = "toy"
    version = "1"

    def __init__(self, infeasible: bool = True):
        self.space = DesignSpace((
            Categorical("a", choices=("x", "y", "z")),
            Pow2("b", 1, 64),
            Integer("c", low=0, high=9),
            Real("d", low=0.1, high=10.0, num=9, log=True),
        ))
        self.metrics = (Metric("cost", "1", "min", scale=1.0), Metric("perf", "1", "max"))
        self.workload = "toy"
        self.infeasible = infeasible

    def _evaluate(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cost = (d["a"] == "y") * 1.0 + np.abs(np.log2(d["b"]) - 3) + (d["c"] - 3) ** 2 / 4 + np.abs(np.log10(d["d"]))
        bad = (d["c"] == 9) if self.infeasible else np.zeros(len(cost), bool)
        return {"cost": cost, "perf": 1 / (1 + cost), "feasible": ~bad,
                "reason": np.where(bad, "c=9 cannot be built", "")}


class MostlyInfeasible(ToySimulator):
    """The toy with c >= 4 infeasible (60% of designs), so every agent meets infeasible designs."""

    def _evaluate(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = super()._evaluate(d)
        bad = d["c"] >= 4
        return {**out, "feasible": ~bad, "reason": np.where(bad, "c >= 4 cannot be built", "")}


# ---- simulators and envs -----------------------------------------------------------------------
def _make(env_id: str) -> Any:
    from archgym.registry import make

    return make(env_id)


def check_gymnasium_api(env_id: str) -> None:
    """Gymnasium's own env checker."""
    from gymnasium.utils.env_checker import check_env as gym_check

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*render.*")
        gym_check(_make(env_id).unwrapped, skip_render_check=True)


def check_sb3_api(env_id: str) -> None:
    """stable-baselines3's env checker (the RL agents train through it)."""
    from stable_baselines3.common.env_checker import check_env as sb3_check

    sb3_check(_make(env_id).unwrapped, warn=True)


def _rollout(env_id: str, seed: int, n: int = 12) -> list[tuple]:
    env = _make(env_id)
    env.reset(seed=seed)
    out = []
    for _ in range(n):
        a = env.action_space.sample()
        obs, r, term, trunc, info = env.step(a)
        out.append((a.tolist(), obs.tobytes(), r, info["metrics"], info["feasible"]))
        if term or trunc:
            env.reset()
    return out


def check_seeded_rollout(env_id: str) -> None:
    """The same seed gives the same rollout, bit for bit; another seed another."""
    assert _rollout(env_id, 3) == _rollout(env_id, 3), f"{env_id}: seeded rollouts differ"
    assert _rollout(env_id, 3) != _rollout(env_id, 4), f"{env_id}: seeds 3 and 4 give the same rollout"


def check_pickling(env_id: str) -> None:
    """An env survives pickling (process pools and Ray ship envs between processes)."""
    env = _make(env_id)
    env.reset(seed=0)
    a = env.action_space.sample()
    clone = pickle.loads(pickle.dumps(env))
    assert env.step(a)[1] == clone.step(a)[1], f"{env_id}: a pickled copy gives another reward"


def check_docstring_sections(env_id: str) -> None:
    """The env's docs (its simulator's docstring) have the sections users look for."""
    doc = _make(env_id).unwrapped.__doc__ or ""
    for section in ("Description", "Design space", "Metrics", "Objective", "Version history"):
        assert section in doc, f"{env_id} docstring lacks a {section!r} section"


def check_batch_equals_one_by_one(env_id: str) -> None:
    """A batch gives exactly the results of its designs evaluated one at a time."""
    sim = _make(env_id).unwrapped.simulator
    designs = sim.space.sample(np.random.default_rng(0), 8)
    batch = sim.evaluate(designs)
    for i, d in enumerate(designs):
        one = sim.evaluate([d])
        for k in sim.metric_names:
            np.testing.assert_array_equal(one[k], batch[k][i:i + 1], err_msg=f"{env_id}: {k} of design {i}")
        assert one["feasible"][0] == batch["feasible"][i], f"{env_id}: feasibility of design {i}"


def check_metrics_finite_named_and_united(env_id: str) -> None:
    """Every metric has a name and a unit; feasible designs have finite metrics."""
    sim = _make(env_id).unwrapped.simulator
    assert sim.version and sim.name and sim.workload, f"{env_id}: simulator needs name, version and workload"
    for m in sim.metrics:
        assert m.name and m.unit, f"{env_id}: metric {m} needs a name and a unit"
    res = sim.evaluate(sim.space.sample(np.random.default_rng(1), 32))
    feas = res["feasible"]
    for k in sim.metric_names:
        assert np.isfinite(res[k][feas]).all(), f"{env_id}: {k} not finite for feasible designs"


def check_objective_bounded(env_id: str) -> None:
    """The default objective gives finite rewards, or exactly its infeasible reward."""
    env = _make(env_id).unwrapped
    res = env.simulator.evaluate(env.space.sample(np.random.default_rng(2), 32))
    r = env.objective(res)
    assert np.all(np.isfinite(r) | (r == env.objective.infeasible_reward)), f"{env_id}: non-finite rewards"


def check_out_of_space_action(env_id: str) -> None:
    """An action outside the space is an :class:`InvalidDesignError` naming the problem."""
    env = _make(env_id)
    env.reset(seed=0)
    try:
        env.step(env.action_space.nvec.copy())  # one past the last index of every parameter
    except InvalidDesignError as exc:
        assert "out of range" in str(exc), f"{env_id}: unclear error {exc}"
    else:
        raise AssertionError(f"{env_id}: an out-of-space action was accepted")


def check_parallel_api(env_id: str) -> None:
    """PettingZoo's parallel API test on the env's multi-agent view (one agent per knob)."""
    from pettingzoo.test import parallel_api_test

    from archgym.parallel import parallel_env

    penv = parallel_env(env_id, max_steps=4)  # short episodes: PettingZoo's test runs two
    assert penv.possible_agents == list(penv.space.names), f"{env_id}: one agent per knob by default"
    parallel_api_test(penv, num_cycles=10)


ENV_CHECKS: dict[str, Callable[[str], None]] = {f.__name__: f for f in (
    check_gymnasium_api, check_sb3_api, check_seeded_rollout, check_pickling, check_docstring_sections,
    check_batch_equals_one_by_one, check_metrics_finite_named_and_united, check_objective_bounded,
    check_out_of_space_action, check_parallel_api)}


def check_env(env_id: str) -> None:
    """Run every env check on ``env_id``."""
    for check in ENV_CHECKS.values():
        check(env_id)


# ---- agents ------------------------------------------------------------------------------------
BUDGET = 16


def toy_env(objective: Any = None, simulator: Simulator | None = None) -> Any:
    """A :class:`~archgym.envs.DesignEnv` over :class:`ToySimulator` (or ``simulator``)."""
    from archgym.envs import DesignEnv
    from archgym.objectives import Target

    return DesignEnv(simulator or ToySimulator(), objective or Target({"perf": 1.0}), max_steps=6, env_id="test/Toy")


def make_test_agent(name: str, seed: int) -> Any:
    """The agent ``name`` in its cheap :attr:`~archgym.agent.Agent.test_config`."""
    from archgym.registry import agent_class, make_agent

    return make_agent(name, seed=seed, **agent_class(name).test_config)


def _designs(result: Any) -> list[tuple]:
    cols = [c for c in result.trajectory.columns if c.startswith("design.")]
    return [tuple(r) for r in result.trajectory[cols].itertuples(index=False)]


def check_configuration_only(name: str) -> None:
    """scikit-learn style: hyperparameters documented, stored unchanged; unknown ones refused."""
    from archgym.registry import agent_class, make_agent

    cls = agent_class(name)
    assert cls.name == name, f"{cls.__name__}.name must equal its registry name {name!r}"
    doc = cls.__doc__ or ""
    undeclared = set(cls.hyperparameters()) - set(cls.parameter_constraints)
    assert not undeclared, f"{name}: declare parameter_constraints for {sorted(undeclared)}"
    cls.check_params(cls.hyperparameters())  # the defaults themselves must be allowed
    for hp, default in cls.hyperparameters().items():
        assert hp in doc, f"{name}: hyperparameter {hp!r} is not documented in the class docstring"
        assert getattr(cls(seed=0), hp) == default, f"{name}: {hp} must be stored unchanged"
    try:
        make_agent(name, seed=0, not_a_knob=1)
    except UnknownParameterError as exc:
        assert "no hyperparameter" in str(exc), str(exc)
    else:
        raise AssertionError(f"{name}: an unknown hyperparameter was accepted")


def check_valid_designs_and_exact_budget(name: str) -> None:
    """Every proposed design is in the space; the budget is spent exactly, counted in evaluations."""
    from archgym.runner import run

    env = toy_env()
    res = run(env, make_test_agent(name, 0), BUDGET, seed=0)
    assert len(res.trajectory) == BUDGET and env.evaluations == BUDGET, f"{name}: budget not spent exactly"
    assert res.trajectory["step"].tolist() == list(range(BUDGET))
    for d in res.trajectory[[f"design.{n}" for n in env.space.names]].to_dict("records"):
        env.space.validate({k[len("design."):]: v for k, v in d.items()})
    assert math.isfinite(res.best_reward), f"{name}: no finite reward in {BUDGET} evaluations"


def check_seeded_trajectory(name: str) -> None:
    """Same seed ⇒ same trajectory, bit for bit; another seed ⇒ another trajectory."""
    from archgym.runner import run

    a = run(toy_env(), make_test_agent(name, 3), BUDGET, seed=3)
    b = run(toy_env(), make_test_agent(name, 3), BUDGET, seed=3)
    assert _designs(a) == _designs(b), f"{name}: same seed, different designs"
    assert a.trajectory["reward"].tolist() == b.trajectory["reward"].tolist(), f"{name}: same seed, other rewards"
    c = run(toy_env(), make_test_agent(name, 4), BUDGET, seed=4)
    assert _designs(c) != _designs(a), f"{name}: a different seed should give a different trajectory"


def check_infeasible_designs(name: str) -> None:
    """Infeasible designs get the objective's infeasible reward and never win (bounded and unbounded)."""
    from archgym.objectives import Minimize, Target
    from archgym.runner import run

    for objective in (Target({"perf": 1.0}), Minimize("cost")):
        res = run(toy_env(objective, MostlyInfeasible()), make_test_agent(name, 1), BUDGET, seed=1)
        traj = res.trajectory
        assert (~traj["feasible"]).any(), "the check should expose the agent to infeasible designs"
        assert (traj.loc[~traj["feasible"], "reward"] == objective.infeasible_reward).all()
        assert math.isfinite(res.best_reward) and traj["feasible"].iloc[res.best_step], \
            f"{name}: an infeasible design won under {objective!r}"


AGENT_CHECKS: dict[str, Callable[[str], None]] = {f.__name__: f for f in (
    check_configuration_only, check_valid_designs_and_exact_budget, check_seeded_trajectory,
    check_infeasible_designs)}


def check_agent(name: str) -> None:
    """Run every agent check on the registered agent ``name``."""
    for check in AGENT_CHECKS.values():
        check(name)
