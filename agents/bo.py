"""Bayesian optimisation with optuna's TPE sampler (``bo``).

ArchGym's BO was scikit-optimize's ``BayesSearchCV`` driving the simulator through a dummy
estimator's ``fit``.  Tree-structured Parzen estimators handle categorical, ordered and real
parameters natively, cost microseconds-to-milliseconds per proposal, and are the default
model-based baseline in optuna; the sampler is named explicitly (optuna 5 changed defaults).
"""

from __future__ import annotations

import operator

from archgym.agents.optuna_base import OptunaAgent
from archgym.constraints import Interval
from archgym.errors import InvalidParameterError


class TPEAgent(OptunaAgent):
    """TPE Bayesian optimisation (``optuna.samplers.TPESampler``).

    Args:
        seed: sampler seed.
        n_startup_trials: random designs before the model is used (default 10; range 1–100).
        n_ei_candidates: candidates scored by expected improvement per proposal (default 24;
            range 1–1000; more = greedier).
        multivariate: model parameter interactions jointly (default True; False = independent
            per-parameter TPE).
        max_history: fit the model on only this many most recent evaluations (default None = all
            of them, optuna's TPE).  TPE refits on the whole history at every proposal, so its cost
            per evaluation grows linearly with the run (~19 ms at the start, ~64 ms after 2,000
            evaluations on a 10-knob space); a window of a few hundred keeps it flat, at the price
            of forgetting good designs older than the window.
        storage: optuna storage URL or SQLite path; makes the study resumable (default None).
        study_name: study name in the storage (default ``archgym-bo-s<seed>``).
        ordinal_as_int: search ordered value lists as integer indices (default True).
    """

    name = "bo"
    test_config = {"n_startup_trials": 4}
    parameter_constraints = {**OptunaAgent.parameter_constraints, "n_startup_trials": [Interval(int, 0)],
                             "n_ei_candidates": [Interval(int, 1)], "multivariate": [bool],
                             "max_history": [Interval(int, 1), None]}

    def __init__(self, seed: int | None = None, n_startup_trials: int = 10, n_ei_candidates: int = 24,
                 multivariate: bool = True, storage: str | None = None, study_name: str | None = None,
                 ordinal_as_int: bool = True, max_history: int | None = None):
        super().__init__(seed, storage=storage, study_name=study_name, ordinal_as_int=ordinal_as_int)
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.multivariate = multivariate
        self.max_history = max_history

    def make_sampler(self, constraints_func):
        kwargs = {"seed": self.seed, "n_startup_trials": int(self.n_startup_trials),
                  "n_ei_candidates": int(self.n_ei_candidates), "multivariate": bool(self.multivariate),
                  "constant_liar": False, "constraints_func": constraints_func}
        if self.max_history is None:
            import optuna

            return optuna.samplers.TPESampler(**kwargs)
        try:
            window = operator.index(self.max_history)
        except TypeError:
            window = 0
        if isinstance(self.max_history, bool) or window < 1:
            raise InvalidParameterError(f"bo: max_history must be None or an integer >= 1, got {self.max_history!r}")
        from archgym.agents.tpe_sampler import BoundedHistoryTPESampler

        return BoundedHistoryTPESampler(max_history=window, **kwargs)
