"""Shared machinery of the optuna-backed agents (``bo``, ``gp``, ``nsga2``).

Optuna's ask/tell interface lets the gym drive the loop: :meth:`OptunaAgent.ask` calls
``study.ask(distributions)`` and :meth:`OptunaAgent.tell` calls ``study.tell(trial, value)``, so
budget counting and logging are the run loop's, exactly as for every other agent.  Samplers are
always constructed explicitly with the agent's seed (optuna 5 changed default samplers; a study
must never silently use another algorithm).

Distributions come from :meth:`DesignSpace.to_optuna`: ordered value lists (powers of two and
other :class:`~archgym.spaces.Ordinal` parameters) are searched as an integer index
(``ordinal_as_int=True``, ``to_optuna(ordered=True)``), which keeps the order that TPE's Parzen
estimators and the GP kernel exploit; ``ordinal_as_int=False`` searches them as categorical choices.

Infeasible designs are told with a finite penalty value (just below the worst seen) and, for
samplers that support it, a constraint violation, so the sampler learns to avoid them.
"""

from __future__ import annotations

import math
import pickle
import warnings
from typing import Any, ClassVar

import numpy as np

from archgym.agent import Agent
from archgym.agents.common import Fitness
from archgym.errors import StateError

VIOLATION_ATTR = "archgym_violation"


def violation(trial: Any) -> list[float]:
    """optuna ``constraints_func``: > 0 for infeasible designs (module-level so samplers pickle)."""
    return [float(trial.user_attrs.get(VIOLATION_ATTR, 0.0))]


def storage_url(storage: str | None) -> str | None:
    """A path means a SQLite file; anything with ``://`` is an optuna storage URL as given."""
    if storage is None or "://" in str(storage):
        return storage
    return f"sqlite:///{storage}"


class OptunaAgent(Agent):
    """Base of the optuna agents; subclasses implement :meth:`make_sampler`.

    Args:
        seed: seeds the sampler.
        storage: optuna storage URL or a file path (→ SQLite); with it the study is persistent and
            a run with the same ``study_name`` resumes from the stored trials.  ``None`` (default)
            keeps the study in memory.
        study_name: study name in the storage (default ``archgym-<agent>-s<seed>``).
        ordinal_as_int: search ordered value lists as integer indices (default True).
    """

    #: whether the sampler takes a constraints_func (GP does, but fitting a second GP per trial
    #: doubles its cost for little gain when the penalty value already ranks infeasible designs last)
    use_constraints: ClassVar[bool] = True

    parameter_constraints = {"storage": [str, None], "study_name": [str, None], "ordinal_as_int": [bool]}

    def __init__(self, seed: int | None = None, storage: str | None = None, study_name: str | None = None,
                 ordinal_as_int: bool = True):
        super().__init__(seed)
        self.storage = storage
        self.study_name = study_name
        self.ordinal_as_int = ordinal_as_int

    def make_sampler(self, constraints_func: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---- lifecycle ----------------------------------------------------------------------
    def setup(self, space, budget, objective=None) -> None:
        import optuna

        super().setup(space, budget, objective)
        optuna.logging.set_verbosity(optuna.logging.ERROR)  # per-trial chatter would drown the run
        self._fit = Fitness(objective, multi=self.multiobjective)
        self._worst_vec: np.ndarray | None = None
        self._dists = space.to_optuna(ordered=bool(self.ordinal_as_int))
        self._pending: list[Any] = []
        self._study = self._create_study(self._new_sampler())

    def _new_sampler(self) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ExperimentalWarning for multivariate TPE / constraints
            return self.make_sampler(violation if self.use_constraints else None)

    def _create_study(self, sampler: Any) -> Any:
        import optuna

        k = len(self.objective.metrics) if self._fit.multi else 1
        name = self.study_name or f"archgym-{self.name}-s{self.seed}"
        return optuna.create_study(storage=storage_url(self.storage), sampler=sampler, study_name=name,
                                   directions=["maximize"] * k, load_if_exists=True)

    def ask(self) -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial = self._study.ask(self._dists)
        self._pending.append(trial)
        design = self.space.from_optuna(trial.params, ordered=bool(self.ordinal_as_int))
        # snap real values to the grid the env evaluates, so the design told is the design asked
        return self.space.decode(self.space.encode(design))  # type: ignore[return-value]

    def tell(self, design, reward, metrics) -> None:
        trial = self._pending.pop(0)
        feasible = bool(metrics.get("feasible", True)) and math.isfinite(float(reward))
        if self.use_constraints:
            trial.set_user_attr(VIOLATION_ATTR, 0.0 if feasible else 1.0)
        value: float | list[float] = self._fit.scalar(reward)
        if self._fit.multi:
            value = self._finite_vector(self._fit.vector(metrics)).tolist()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._study.tell(trial, value)

    def _finite_vector(self, v: np.ndarray) -> np.ndarray:
        """Infeasible (NaN) objective vectors become "worse than the worst seen" in every objective."""
        if not np.isnan(v).any():
            self._worst_vec = v.copy() if self._worst_vec is None else np.minimum(self._worst_vec, v)
            return v
        base = np.zeros_like(v) if self._worst_vec is None else self._worst_vec
        return base - 1.0 - 0.1 * np.abs(base)

    # ---- persistence --------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Picklable state: configuration, the in-memory study (trials, sampler and its RNG state,
        the samplers' study-level caches) or, for a persistent study, the sampler alone."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("_study", "_pending")}
        if self._pending:
            raise StateError(f"{self.name}: save the state between tell() and the next ask(), "
                               f"not with {len(self._pending)} design(s) awaiting results")
        if self.storage is None:
            state["_study_pickle"] = pickle.dumps(self._study)
        else:  # the storage already holds the trials; keep the sampler's RNG state
            state["_sampler_pickle"] = pickle.dumps(self._study.sampler)
        return state

    def load_state_dict(self, state) -> None:
        state = dict(state)
        study, sampler = state.pop("_study_pickle", None), state.pop("_sampler_pickle", None)
        self.__dict__.update(state)
        self._pending = []
        self._study = pickle.loads(study) if study is not None else self._create_study(pickle.loads(sampler))

    def __getstate__(self) -> dict[str, Any]:
        return self.state_dict() if hasattr(self, "_study") else dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "_study_pickle" in state or "_sampler_pickle" in state:
            self.load_state_dict(state)
        else:
            self.__dict__.update(state)
