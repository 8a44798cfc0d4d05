"""The Simulator contract: a pure, deterministic, batch-first model of one kind of hardware.

Why a base class and not only a Protocol: :meth:`Simulator.evaluate` is a template method that
validates and normalises the designs once (so every model gets clean numpy columns and every bad
design gets the same clear error), then checks the model's output (one float array per declared
metric, a ``feasible`` flag; a design with a NaN or infinite metric is made infeasible).  Models only implement :meth:`Simulator._evaluate`.

Rules for models (see ARCHITECTURE.md): no file writes, globals, prints, ``sys.exit``; workload and
technology parameters are constructor arguments held in frozen dataclasses; a design that cannot be
built is reported with ``feasible=False`` and a ``reason``, never an exception.
"""

from __future__ import annotations

import hashlib
import json
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from archgym.errors import InvalidParameterError, SimulatorError, UnknownNameError
from archgym.spaces import DesignSpace

FEASIBLE = "feasible"
REASON = "reason"


@dataclass(frozen=True)
class Metric:
    """One output of a simulator.

    Attributes:
        name: column name, with the unit in it where that helps (``energy_pJ``).
        unit: physical unit (``pJ``, ``ns``, ``mW``, ``cycles``, ``1`` for ratios).
        goal: ``"min"`` or ``"max"`` when lower/higher is better, ``"none"`` for descriptive metrics.
        scale: a typical magnitude, used to normalise observations (obs = log1p(value/scale)).
        doc: one line on what it measures.
    """

    name: str
    unit: str
    goal: Literal["min", "max", "none"] = "none"
    scale: float = 1.0
    doc: str = ""

    def __post_init__(self) -> None:
        if self.goal not in ("min", "max", "none"):
            raise InvalidParameterError(f"Metric {self.name!r}: goal must be 'min', 'max' or 'none', got {self.goal!r}")
        if not self.scale > 0:
            raise InvalidParameterError(f"Metric {self.name!r}: scale must be positive")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "goal": self.goal, "scale": self.scale, "doc": self.doc}


class Simulator(ABC):
    """Base class of every model and adapter.

    Subclasses set ``name`` and ``version`` (class attributes), and provide ``space``, ``metrics``
    and ``workload`` (usually set in ``__init__``), and implement :meth:`_evaluate`.
    """

    name: ClassVar[str] = "simulator"
    version: ClassVar[str] = "0"

    space: DesignSpace
    metrics: tuple[Metric, ...]
    workload: str = ""

    @abstractmethod
    def _evaluate(self, designs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Evaluate validated design columns; return one array per metric (and optionally
        ``feasible`` and ``reason``)."""

    def evaluate(self, designs: Any) -> dict[str, np.ndarray]:
        """Evaluate a batch of designs (list of dicts, DataFrame, columns, or index array).

        Returns one float array per metric, plus ``feasible`` (bool) and ``reason`` (str, empty
        for feasible designs).  One design is a batch of one.
        """
        return self._run(self.space.to_columns(designs))

    def evaluate_indices(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """Evaluate an ``(n, d)`` index array that is already known to be valid.

        The run loop's path: designs are checked once, where they enter (an agent's proposal, an
        env action), and never again on the way to the model.
        """
        return self._run(self.space.columns_of(indices))

    def _run(self, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(next(iter(cols.values())))
        out = dict(self._evaluate(cols)) if n else {m.name: np.zeros(0) for m in self.metrics}
        return self._check_output(out, n)

    def _check_output(self, out: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        result: dict[str, np.ndarray] = {}
        for m in self.metrics:
            if m.name not in out:
                raise SimulatorError(f"{self.name}: model returned no values for metric {m.name!r}")
            arr = np.asarray(out[m.name], dtype=float).reshape(-1)
            if arr.shape != (n,):
                raise SimulatorError(f"{self.name}: metric {m.name!r} has {arr.size} values for {n} designs")
            result[m.name] = arr
        feasible = np.asarray(out.get(FEASIBLE, np.ones(n, bool)), dtype=bool).reshape(-1)
        if feasible.shape != (n,):
            raise SimulatorError(f"{self.name}: 'feasible' has {feasible.size} values for {n} designs")
        result[FEASIBLE] = feasible
        reason = out.get(REASON)
        result[REASON] = np.full(n, "", dtype=object) if reason is None else np.asarray(reason, dtype=object)
        self._refuse_non_finite(result, feasible)
        for key, value in out.items():  # extra per-design diagnostics (e.g. a proxy's uncertainty) pass through
            if key not in result:
                arr = np.asarray(value).reshape(-1)
                if arr.shape == (n,):
                    result[key] = arr
        return result

    def _refuse_non_finite(self, result: dict[str, np.ndarray], feasible: np.ndarray) -> None:
        """A design with a NaN or infinite metric is never feasible, whatever the model said.

        Why here: a non-finite metric scored as feasible makes every objective's reward NaN or
        meaningless (the audit found memspecs giving NaN power marked feasible); the base class
        is the one place every model, proxy and external-tool adapter passes through.
        """
        if len(feasible) == 1:  # the stepping path: Python floats are ~10x cheaper than ufunc calls here
            if not feasible[0] or all(math.isfinite(result[m.name][0]) for m in self.metrics):
                return
        bad = np.zeros(len(feasible), dtype=bool)
        for m in self.metrics:
            bad |= ~np.isfinite(result[m.name])
        bad &= feasible
        if not bad.any():
            return
        result[FEASIBLE] = feasible & ~bad
        reason = np.array(result[REASON], dtype=object)
        for i in np.flatnonzero(bad):
            name = next(m.name for m in self.metrics if not np.isfinite(result[m.name][i]))
            reason[i] = f"metric {name} is {result[name][i]} (not finite)"
        result[REASON] = reason

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics)

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise UnknownNameError(f"metric of {self.name}", name, self.metric_names)

    def default_objective(self) -> dict[str, Any] | None:
        """The objective (``objective_from_dict`` form) an env uses when none is given, or ``None``
        to use the env entry's.  Override where the right default depends on the workload (the
        SoC's budgets); a proxy returns the one of the simulator it stands in for."""
        return None

    def config(self) -> dict[str, Any]:
        """Workload and technology parameters that, with ``version``, determine the results.

        Used to hash the configuration into dataset metadata; override to add what matters.
        """
        return {"workload": self.workload}

    def config_hash(self) -> str:
        blob = json.dumps({"name": self.name, "version": self.version, "config": self.config()},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        """Everything a dataset or a saved proxy needs to know about this simulator."""
        return {
            "simulator": self.name,
            "version": self.version,
            "workload": self.workload,
            "space": self.space.to_dict(),
            "metrics": [m.to_dict() for m in self.metrics],
            "config_hash": self.config_hash(),
        }

