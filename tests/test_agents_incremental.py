"""The incremental NSGA-II bookkeeping answers exactly as optuna's scans; bo's bounded history.

The seeded end-to-end replays are in test_agents_replay.py; these tests drive the samplers through
situations an archgym run does not produce (several trials in flight, told out of order, failed
trials, a stored study resumed by a fresh sampler) and check the bounded-history TPE option.
"""

from __future__ import annotations

import math

import optuna
import pytest
from toy import ToySimulator

import archgym.agents.bo
from archgym.agents.nsga2_sampler import IncrementalNSGAIISampler
from archgym.agents.tpe_sampler import BoundedHistoryTPESampler
from archgym.envs import DesignEnv
from archgym.errors import InvalidParameterError
from archgym.objectives import Target
from archgym.registry import make_agent
from archgym.runner import run

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _objectives(trial: optuna.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", -3.0, 3.0)
    n = trial.suggest_int("n", 0, 9)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return (x - 1.0) ** 2 + n + (c == "b"), (x + 1.0) ** 2 + (9 - n) * 0.5


def _drive(study: optuna.Study, rounds: int) -> list[dict]:
    """Three trials in flight per round, told newest first; every seventh one fails."""
    params = []
    for r in range(rounds):
        trials = [study.ask() for _ in range(3)]
        for i, t in enumerate(reversed(trials)):
            if (3 * r + i) % 7 == 6:
                study.tell(t, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(t, _objectives(t))
        params += [t.params for t in trials]
    return params


@pytest.mark.parametrize("population_size", [4, 10])
def test_incremental_nsga2_equals_optuna_with_trials_in_flight(population_size):
    runs = []
    for cls in (optuna.samplers.NSGAIISampler, IncrementalNSGAIISampler):
        study = optuna.create_study(directions=["minimize", "minimize"],
                                    sampler=cls(seed=3, population_size=population_size))
        runs.append(_drive(study, 60))
    assert runs[0] == runs[1]


def test_incremental_nsga2_resumes_a_stored_study_like_optuna(tmp_path):
    """A fresh sampler on a stored study rebuilds its index from the stored trials."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    first = optuna.create_study(directions=["minimize", "minimize"], storage=url, study_name="s",
                                sampler=optuna.samplers.NSGAIISampler(seed=0, population_size=5))
    _drive(first, 12)
    runs = []
    for i, cls in enumerate((optuna.samplers.NSGAIISampler, IncrementalNSGAIISampler)):
        optuna.copy_study(from_study_name="s", from_storage=url, to_storage=url, to_study_name=f"c{i}")
        study = optuna.load_study(study_name=f"c{i}", storage=url, sampler=cls(seed=1, population_size=5))
        runs.append(_drive(study, 10))
    assert runs[0] == runs[1]


def _bo_run(budget: int, **kwargs):
    env = DesignEnv(ToySimulator(), Target({"perf": 1.0}), env_id="test/Toy")
    res = run(env, make_agent("bo", seed=2, n_startup_trials=4, **kwargs), budget, seed=2)
    return res.trajectory["reward"].tolist()


def test_bounded_tpe_is_tpe_while_the_history_fits_the_window():
    assert _bo_run(30, max_history=30) == _bo_run(30)


def test_bounded_tpe_forgets_older_trials_and_stays_seeded():
    short = _bo_run(40, max_history=6)
    assert short == _bo_run(40, max_history=6)
    assert short != _bo_run(40)
    assert all(math.isfinite(r) for r in short)


def test_bounded_tpe_fits_on_the_window_only():
    seen = []

    class Spy(BoundedHistoryTPESampler):
        def _build_parzen_estimator(self, study, search_space, trials, handle_below):
            seen.append(len(trials))
            return super()._build_parzen_estimator(study, search_space, trials, handle_below)

    study = optuna.create_study(sampler=Spy(max_history=8, seed=0, n_startup_trials=3, constant_liar=False))
    study.optimize(lambda t: sum(_objectives(t)), n_trials=25)
    # each fit splits the most recent finished trials into "below" and "above": 3..8 of them, never more
    assert {a + b for a, b in zip(seen[::2], seen[1::2], strict=True)} == {3, 4, 5, 6, 7, 8}


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_bounded_tpe_rejects_a_bad_window(bad):
    with pytest.raises(InvalidParameterError, match="max_history"):  # at construction, by its declared constraint
        make_agent("bo", seed=0, max_history=bad)
    agent = archgym.agents.bo.TPEAgent(seed=0, max_history=bad)  # built directly: refused at setup
    with pytest.raises(InvalidParameterError, match="max_history"):
        agent.setup(ToySimulator().space, 10, Target({"perf": 1.0}))
