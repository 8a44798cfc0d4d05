"""optuna's ``TPESampler`` fitted on a bounded window of the history (``bo``'s ``max_history``).

Why: TPE fits its two Parzen estimators on every finished trial at every proposal, so a proposal
costs time linear in the history and a study quadratic time (on a 10-knob space: ~19 ms per
evaluation over the first 250 evaluations, ~64 ms over evaluations 1,750-2,000; see
``experiments/bench/bench_fast_path.py``).  That is optuna's algorithm, not bookkeeping, so the
default keeps it; :class:`BoundedHistoryTPESampler` fits on the ``max_history`` most recent finished
trials instead (the good/bad split by ``gamma`` is taken within that window), which bounds the cost
per proposal at the price of forgetting good designs older than the window.

This module imports optuna; :mod:`archgym.agents.bo` imports it only when ``max_history`` is set.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.samplers import TPESampler


class _RecentTrials:
    """A study as TPE's model fit sees it: only its ``n`` most recent trials of the asked states."""

    def __init__(self, study: optuna.Study, n: int):
        self._recent_study = study
        self._recent_n = n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recent_study, name)

    def _get_trials(self, deepcopy: bool = True, states: Any = None, use_cache: bool = False) -> list[Any]:
        return self._recent_study._get_trials(deepcopy, states, use_cache)[-self._recent_n:]


class BoundedHistoryTPESampler(TPESampler):
    """``optuna.samplers.TPESampler`` whose Parzen estimators see only the ``max_history`` most
    recent finished trials (the start-up phase still counts every trial)."""

    def __init__(self, *, max_history: int, **kwargs: Any):
        super().__init__(**kwargs)
        self._max_history = int(max_history)

    def _sample(self, study: optuna.Study, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
        return super()._sample(_RecentTrials(study, self._max_history), trial, search_space)  # type: ignore[arg-type]
