"""Objectives turn a simulator's metrics into a reward.  **Higher is always better.**

ArchGym's DRAM reward ``P_t/|P - P_t|`` is infinite at the target, and some of its envs minimised
while others maximised, patched with ad-hoc ``1/r``.  Here every objective is a named object with a
single sign convention and, where it is a distance, a bounded one:

* :class:`Target` — meet targets: ``reward = 1 / (1 + d)`` in (0, 1], 1 exactly at the target, where
  ``d`` is a named norm (``l1``, ``l2``, ``linf``) of the relative deviations ``(m - t) / t``.
  With ``mode="at_most"`` the deviations are one-sided (budgets: being under costs nothing).
* :class:`Minimize`, :class:`Maximize` — one metric, ``reward = ∓ value / scale``.
* :class:`WeightedSum` — several metrics with explicit goals and weights.
* :class:`WeightedMean` — the weighted mean of metrics that live on a known range (accuracies in
  %), normalised to [0, 1]: a bounded inner objective for :class:`Constrained` (NASAIC's "maximise
  accuracy subject to specs").
* :class:`Constrained` — any objective plus budgets that a design must meet.
* :class:`MultiObjective` — a vector of metrics for Pareto search (with :func:`pareto_mask` and
  :func:`hypervolume`), plus a scalarisation so the same object can drive a single-reward env.

Infeasible designs (``feasible=False``) get ``infeasible_reward``: -1 for the bounded forms (below
every feasible reward), ``-inf`` for the unbounded ones unless you set a finite value.  Agents treat
non-finite rewards as "worse than anything seen" (see ``archgym.agent``).
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from archgym.errors import InvalidParameterError, UnknownNameError, UnknownParameterError
from archgym.lookup import Registry
from archgym.simulator import FEASIBLE

Norm = Literal["l1", "l2", "linf"]
_NORMS: dict[str, Any] = {
    "l1": lambda d: np.abs(d).sum(axis=1),
    "l2": lambda d: np.sqrt((d * d).sum(axis=1)),
    "linf": lambda d: np.abs(d).max(axis=1),
}


def _column(results: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    try:
        return np.asarray(results[name], dtype=float).reshape(-1)
    except KeyError:
        metrics = [k for k in results if k not in (FEASIBLE, "reason")]
        raise UnknownNameError("metric", name, metrics, prefix="objective needs metric") from None


def _feasible(results: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    f = results.get(FEASIBLE)
    return np.ones(n, bool) if f is None else np.asarray(f, dtype=bool).reshape(-1)


def _real(value: Any, field: str, *, low: float = -math.inf, low_open: bool = False, nonzero: bool = False,
          allow_neg_inf: bool = False) -> float:
    """``value`` as a float, or an error naming ``field``: refuses strings, booleans (``True`` is
    not 1.0), NaN, infinities (``-inf`` only where ``allow_neg_inf``), zero where ``nonzero``, and
    values below ``low`` (or at it, where ``low_open``)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidParameterError(f"{field} must be a number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if math.isnan(v) or v == math.inf or (v == -math.inf and not allow_neg_inf):
        raise InvalidParameterError(f"{field} must be finite, got {value!r}")
    if (v <= low if low_open else v < low) or (nonzero and v == 0):
        what = f"{'>' if low_open else '>='} {low:g}" if low > -math.inf else "non-zero"
        if nonzero and low > -math.inf:
            what += " and non-zero"
        raise InvalidParameterError(f"{field} must be {what}, got {value!r}")
    return v


def _mapping(value: Any, field: str, *, allow_empty: bool = False) -> dict[str, Any]:
    """``value`` as a dict keyed by metric names (strings), or an error naming ``field``."""
    if not isinstance(value, Mapping):
        raise InvalidParameterError(f"{field} must be a mapping of metric name to value, got {value!r}")
    if not value and not allow_empty:
        raise InvalidParameterError(f"{field} must name at least one metric")
    for k in value:
        if not isinstance(k, str) or not k:
            raise InvalidParameterError(f"{field}: metric names must be non-empty strings, got {k!r}")
    return dict(value)


def _subset(keys: Mapping[str, Any], field: str, of: Mapping[str, Any], of_field: str) -> None:
    extra = [k for k in keys if k not in of]
    if extra:
        raise InvalidParameterError(f"{field} names metric(s) {extra} that are not in {of_field} {list(of)}")


def _metric_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(f"{field} must be a metric name (a non-empty string), got {value!r}")
    return value


class Objective(ABC):
    """Base class.  ``__call__(results) -> reward array``; subclasses implement :meth:`score`."""

    #: the smallest and largest reward a feasible design can get
    bounds: tuple[float, float] = (-math.inf, math.inf)
    infeasible_reward: float = -math.inf

    @property
    @abstractmethod
    def metrics(self) -> tuple[str, ...]:
        """Metric names this objective reads."""

    @abstractmethod
    def score(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        """Reward of every design as if feasible."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-able configuration; :func:`objective_from_dict` inverts it."""

    @property
    def name(self) -> str:
        return self.to_dict()["kind"]

    def __call__(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        s = np.asarray(self.score(results), dtype=float).reshape(-1)
        feas = _feasible(results, s.size)
        s = np.where(feas, s, self.infeasible_reward)
        return np.where(np.isnan(s), self.infeasible_reward, s)

    def check(self, metric_names: tuple[str, ...]) -> None:
        """Raise a clear error if this objective reads a metric the simulator does not have."""
        missing = [m for m in self.metrics if m not in metric_names]
        if missing:
            raise InvalidParameterError(f"objective {self.name!r} needs metric(s) {missing}; available: {list(metric_names)}")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "kind")
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Objective) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self))


class Target(Objective):
    """Meet target values: ``reward = 1 / (1 + ||(m - t) / t||)``, in (0, 1].

    Args:
        targets: metric name → target value (non-zero).
        norm: ``"l1"``, ``"l2"`` or ``"linf"`` over the relative deviations.
        mode: ``"two_sided"`` penalises any deviation (ArchGym's target); ``"at_most"`` only
            penalises exceeding the target (budgets, FARSI-style).
        infeasible_reward: reward of infeasible designs (default -1, below every feasible design).
    """

    bounds = (0.0, 1.0)

    def __init__(self, targets: Mapping[str, float], norm: Norm = "l2",
                 mode: Literal["two_sided", "at_most"] = "two_sided", infeasible_reward: float = -1.0):
        targets = _mapping(targets, "targets")
        if not isinstance(norm, str) or norm not in _NORMS:
            raise InvalidParameterError(f"unknown norm {norm!r}; allowed: {sorted(_NORMS)}")
        if not isinstance(mode, str) or mode not in ("two_sided", "at_most"):
            raise InvalidParameterError(f"unknown mode {mode!r}; allowed: 'two_sided', 'at_most'")
        self.targets = {k: _real(v, f"targets[{k!r}]", nonzero=True) for k, v in targets.items()}
        self.norm = norm
        self.mode = mode
        self.infeasible_reward = _real(infeasible_reward, "infeasible_reward", allow_neg_inf=True)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.targets)

    def deviations(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        """Relative deviation per metric, shape (n, k); one-sided in ``at_most`` mode."""
        dev = np.stack([(_column(results, k) - t) / abs(t) for k, t in self.targets.items()], axis=1)
        return np.maximum(dev, 0.0) if self.mode == "at_most" else dev

    def distance(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        return _NORMS[self.norm](self.deviations(results))

    def score(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        return 1.0 / (1.0 + self.distance(results))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "target", "targets": dict(self.targets), "norm": self.norm, "mode": self.mode,
                "infeasible_reward": self.infeasible_reward}


def Budgets(budgets: Mapping[str, float], norm: Norm = "l1", infeasible_reward: float = -1.0) -> Target:
    """FARSI-style budgets: reward 1 when every metric is within its budget, less the further over."""
    budgets = _mapping(budgets, "budgets")
    for k, v in budgets.items():
        _real(v, f"budgets[{k!r}]", low=0.0, low_open=True)
    return Target(budgets, norm=norm, mode="at_most", infeasible_reward=infeasible_reward)


class Minimize(Objective):
    """Minimise one metric: ``reward = -value / scale``."""

    def __init__(self, metric: str, scale: float = 1.0, infeasible_reward: float = -math.inf):
        self.metric = _metric_name(metric, "metric")
        self.scale = _real(scale, "scale", low=0.0, low_open=True)
        self.infeasible_reward = _real(infeasible_reward, "infeasible_reward", allow_neg_inf=True)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.metric,)

    def score(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        return -_column(results, self.metric) / self.scale

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "minimize", "metric": self.metric, "scale": self.scale,
                "infeasible_reward": self.infeasible_reward}


class Maximize(Minimize):
    """Maximise one metric: ``reward = value / scale``."""

    def score(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        return _column(results, self.metric) / self.scale

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "kind": "maximize"}


class WeightedSum(Objective):
    """``reward = Σ_i w_i · s_i · value_i / scale_i`` with ``s_i = -1`` for ``min`` goals, ``+1`` for ``max``.

    Args:
        weights: metric → non-negative weight.
        goals: metric → ``"min"`` or ``"max"`` (default ``"min"`` for every metric).
        scales: metric → normalising scale (default 1).
    """

    def __init__(self, weights: Mapping[str, float], goals: Mapping[str, str] | None = None,
                 scales: Mapping[str, float] | None = None, infeasible_reward: float = -math.inf):
        weights = _mapping(weights, "weights")
        self.weights = {k: _real(w, f"weights[{k!r}]", low=0.0) for k, w in weights.items()}
        if not any(self.weights.values()):
            raise InvalidParameterError(f"WeightedSum weights must have at least one positive weight, got {weights}")
        goals = _mapping(goals or {}, "goals", allow_empty=True)
        _subset(goals, "goals", weights, "weights")
        bad = {k: g for k, g in goals.items() if not isinstance(g, str) or g not in ("min", "max")}
        if bad:
            raise InvalidParameterError(f"WeightedSum goals must be 'min' or 'max', got {bad}")
        scales = _mapping(scales or {}, "scales", allow_empty=True)
        _subset(scales, "scales", weights, "weights")
        self.goals = {k: goals.get(k, "min") for k in weights}
        self.scales = {k: _real(scales.get(k, 1.0), f"scales[{k!r}]", low=0.0, low_open=True) for k in weights}
        self.infeasible_reward = _real(infeasible_reward, "infeasible_reward", allow_neg_inf=True)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def score(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        total = 0.0
        for k, w in self.weights.items():
            sign = -1.0 if self.goals[k] == "min" else 1.0
            total = total + sign * w * _column(results, k) / self.scales[k]
        return np.asarray(total, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "weighted_sum", "weights": dict(self.weights), "goals": dict(self.goals),
                "scales": dict(self.scales), "infeasible_reward": self.infeasible_reward}


class WeightedMean(Objective):
    """``reward = Σ_i w_i · (clip(value_i, lower, upper) − lower) / (upper − lower) / Σ_i w_i``, in [0, 1].

    For metrics on a common known range, such as accuracies in % (``lower=0, upper=100``).  Being
    bounded, it makes :class:`Constrained` rank every design that meets its budgets above every
    design that misses one (violators then ranked by how far they miss), which is the
    "maximise accuracy subject to the specs" form of network–accelerator co-exploration.

    Args:
        weights: metric → positive weight (higher values are better).
        lower: bottom of the range the metrics live on; values below are clipped to it.
        upper: top of that range; values above are clipped to it.
        infeasible_reward: the reward of an infeasible design.
    """

    bounds = (0.0, 1.0)

    def __init__(self, weights: Mapping[str, float], lower: float = 0.0, upper: float = 100.0,
                 infeasible_reward: float = -1.0):
        weights = _mapping(weights, "weights")
        try:
            self.weights = {k: _real(w, f"weights[{k!r}]", low=0.0, low_open=True) for k, w in weights.items()}
        except InvalidParameterError as exc:
            raise InvalidParameterError(f"WeightedMean needs a positive finite weight for every metric: {exc}") from None
        self.lower, self.upper = _real(lower, "lower"), _real(upper, "upper")
        if not self.upper > self.lower:
            raise InvalidParameterError(f"WeightedMean needs lower < upper, got lower={lower}, upper={upper}")
        self.infeasible_reward = _real(infeasible_reward, "infeasible_reward", allow_neg_inf=True)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def score(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        total = 0.0
        for k, w in self.weights.items():
            total = total + w * (np.clip(_column(results, k), self.lower, self.upper) - self.lower)
        return np.asarray(total, dtype=float) / (sum(self.weights.values()) * (self.upper - self.lower))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "weighted_mean", "weights": dict(self.weights), "lower": self.lower, "upper": self.upper,
                "infeasible_reward": self.infeasible_reward}


class Constrained(Objective):
    """An objective subject to budgets (metric ≤ budget).

    Designs over budget rank below every design within budget: with a bounded inner objective they
    get ``lower_bound - squash(v)``, where ``v`` is the summed relative violation, so agents still see
    which violating design is closer; with an unbounded inner objective they get
    ``inner - penalty · v``.  ``squash`` is ``"tanh"`` (default; saturates: a violation of 5 and one
    of 50 look alike) or ``"ratio"``, ``v / (1 + v)``, which keeps ordering violations of 10× and
    100× apart (designs of a large space can miss a spec by orders of magnitude).
    """

    def __init__(self, objective: Objective, budgets: Mapping[str, float], penalty: float = 1e3,
                 squash: Literal["tanh", "ratio"] = "tanh"):
        if not isinstance(objective, Objective):
            raise InvalidParameterError(f"Constrained objective must be an Objective (or, in a dict, the inner "
                                        f"objective's dict), got {objective!r}")
        budgets = _mapping(budgets, "budgets")
        if not isinstance(squash, str) or squash not in ("tanh", "ratio"):
            raise InvalidParameterError(f"Constrained: unknown squash {squash!r}; allowed: 'tanh', 'ratio'")
        self.squash = squash
        self.objective = objective
        self.budgets = {k: _real(v, f"budgets[{k!r}]", low=0.0, low_open=True) for k, v in budgets.items()}
        self.penalty = _real(penalty, "penalty", low=0.0)
        self.bounds = objective.bounds
        lo = objective.bounds[0]
        self.infeasible_reward = (lo - 1.0) if math.isfinite(lo) else objective.infeasible_reward

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.objective.metrics + tuple(self.budgets)))

    def violation(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        v = [np.maximum(_column(results, k) / b - 1.0, 0.0) for k, b in self.budgets.items()]
        return np.sum(v, axis=0)

    def score(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        inner = self.objective.score(results)
        v = self.violation(results)
        lo = self.objective.bounds[0]
        squashed = np.tanh(v) if self.squash == "tanh" else v / (1.0 + v)
        over = (lo - squashed) if math.isfinite(lo) else inner - self.penalty * v
        return np.where(v > 0, over, inner)

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": "constrained", "objective": self.objective.to_dict(), "budgets": dict(self.budgets),
               "penalty": self.penalty}
        # the default is left out so that configs (and their hashes) written before ``squash`` existed stay valid
        return out if self.squash == "tanh" else {**out, "squash": self.squash}


class MultiObjective(Objective):
    """Several metrics at once, for Pareto search.

    :meth:`vector` gives the maximisation-oriented matrix (``-value`` for ``min`` goals) that
    Pareto and hypervolume helpers use.  As a scalar reward (for single-reward agents and envs) it
    is the weighted sum of values normalised by the reference point (by 1 where it is 0).

    Args:
        goals: metric → ``"min"`` or ``"max"``.
        ref_point: metric → reference value for the hypervolume (a value every design of interest
            beats: an upper bound for ``min`` goals, a lower bound for ``max`` goals).
        weights: scalarisation weights (default 1 each).
    """

    def __init__(self, goals: Mapping[str, str], ref_point: Mapping[str, float],
                 weights: Mapping[str, float] | None = None, infeasible_reward: float = -math.inf):
        goals = _mapping(goals, "goals")
        if len(goals) < 2:
            raise InvalidParameterError("MultiObjective needs at least two metrics")
        bad = {k: g for k, g in goals.items() if not isinstance(g, str) or g not in ("min", "max")}
        if bad:
            raise InvalidParameterError(f"MultiObjective goals must be 'min' or 'max', got {bad}")
        ref_point = _mapping(ref_point, "ref_point")
        missing = [k for k in goals if k not in ref_point]
        if missing:
            raise InvalidParameterError(f"MultiObjective ref_point lacks metric(s) {missing}")
        _subset(ref_point, "ref_point", goals, "goals")
        weights = _mapping(weights or {}, "weights", allow_empty=True)
        _subset(weights, "weights", goals, "goals")
        self.goals = dict(goals)
        self.ref_point = {k: _real(ref_point[k], f"ref_point[{k!r}]") for k in goals}
        self.weights = {k: _real(weights.get(k, 1.0), f"weights[{k!r}]", low=0.0) for k in goals}
        self.infeasible_reward = _real(infeasible_reward, "infeasible_reward", allow_neg_inf=True)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.goals)

    def signs(self) -> np.ndarray:
        return np.array([-1.0 if g == "min" else 1.0 for g in self.goals.values()])

    def vector(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        """(n, k) matrix, larger is better in every column; infeasible rows are NaN."""
        m = np.stack([_column(results, k) for k in self.goals], axis=1) * self.signs()
        feas = _feasible(results, m.shape[0])
        m[~feas] = np.nan
        return m

    def ref_vector(self) -> np.ndarray:
        return np.array(list(self.ref_point.values())) * self.signs()

    def score(self, results: Mapping[str, np.ndarray]) -> np.ndarray:
        vals = np.stack([_column(results, k) / (abs(self.ref_point[k]) or 1.0) for k in self.goals], axis=1)
        w = np.array(list(self.weights.values()))
        return (vals * self.signs() * w).sum(axis=1)

    def hypervolume(self, results: Mapping[str, np.ndarray]) -> float:
        v = self.vector(results)
        return hypervolume(v[~np.isnan(v).any(axis=1)], self.ref_vector())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "multi", "goals": dict(self.goals), "ref_point": dict(self.ref_point),
                "weights": dict(self.weights), "infeasible_reward": self.infeasible_reward}


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Boolean mask of non-dominated rows (maximisation in every column; NaN rows excluded).

    Duplicated points are all kept.
    """
    p = np.asarray(points, dtype=float)
    n = p.shape[0]
    ok = ~np.isnan(p).any(axis=1)
    mask = ok.copy()
    for i in np.flatnonzero(ok):
        if not mask[i]:
            continue
        dominated = ok & np.all(p >= p[i], axis=1) & np.any(p > p[i], axis=1)
        if dominated.any():
            mask[i] = False
    return mask if n else np.zeros(0, bool)


def hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """Exact hypervolume dominated by ``points`` above ``ref`` (maximisation).

    Points that do not strictly beat the reference in every coordinate contribute nothing.
    Uses the sweep for 2-D and recursive slicing (HSO) above; exact, fine for fronts of a few
    hundred points in up to 4-5 dimensions.
    """
    p = np.asarray(points, dtype=float).reshape(-1, len(ref))
    ref = np.asarray(ref, dtype=float)
    p = p[np.all(p > ref, axis=1)]
    if p.shape[0] == 0:
        return 0.0
    p = p[pareto_mask(p)]
    return float(_hso(p - ref))


def _hso(p: np.ndarray) -> float:
    """Hypervolume of points (all > 0) w.r.t. the origin, maximisation."""
    d = p.shape[1]
    if d == 1:
        return float(p[:, 0].max())
    if d == 2:
        q = p[np.argsort(-p[:, 0])]
        vol, best_y = 0.0, 0.0
        for x, y in q:
            if y > best_y:
                vol += x * (y - best_y)
                best_y = y
        return vol
    # slice along the last coordinate
    order = np.argsort(-p[:, -1])
    q = p[order]
    vol = 0.0
    for i in range(q.shape[0]):
        hi = q[i, -1]
        lo = q[i + 1, -1] if i + 1 < q.shape[0] else 0.0
        if hi > lo:
            sub = q[: i + 1, :-1]
            vol += (hi - lo) * _hso(sub[pareto_mask(sub)])
    return vol


def _constrained(objective: Mapping[str, Any], budgets: Mapping[str, float], penalty: float = 1e3,
                 squash: Literal["tanh", "ratio"] = "tanh") -> Constrained:
    """``{"kind": "constrained", "objective": {...}, "budgets": {...}}``: the inner objective from its dict."""
    if not isinstance(objective, Mapping):
        raise InvalidParameterError(f"objective kind 'constrained': field 'objective' must be the inner objective's "
                                    f"dict (with a 'kind'), got {objective!r}")
    return Constrained(objective_from_dict(objective), budgets, penalty, squash)


#: objective kind → factory taking the dict's other fields as keyword arguments
OBJECTIVES: Registry[Any] = Registry("objective kind")
for _kind, _factory in {"target": Target, "budgets": Budgets, "minimize": Minimize, "maximize": Maximize,
                        "weighted_sum": WeightedSum, "weighted_mean": WeightedMean, "constrained": _constrained, "multi": MultiObjective}.items():
    OBJECTIVES.register(_kind, _factory)


def register_objective(kind: str, factory: Any, *, replace: bool = False) -> None:
    """Add an objective kind: ``factory(**fields)`` builds it from its dict form (and its
    ``to_dict()`` must return ``{"kind": kind, **fields}``)."""
    OBJECTIVES.register(kind, factory, replace=replace)


def objective_from_dict(d: Mapping[str, Any]) -> Objective:
    """Build an objective from its ``to_dict`` form (used by configs, the CLI and sweeps).

    Raises:
        UnknownNameError: an unknown ``kind`` (with suggestions).
        InvalidParameterError: not a mapping, no ``kind``, or fields the kind does not take or
            lacks (naming them and the fields it takes).
    """
    if not isinstance(d, Mapping):
        raise InvalidParameterError(f"an objective must be a mapping with a 'kind' (one of {sorted(OBJECTIVES)}), "
                                    f"got {d!r}")
    d = dict(d)
    if "kind" not in d:
        raise InvalidParameterError(f"objective {d!r} has no 'kind'; kinds are {sorted(OBJECTIVES)}")
    kind = d.pop("kind")
    factory = OBJECTIVES.load(kind)
    params = inspect.signature(factory).parameters
    takes = [n for n in params if n != "self"]
    unknown = [k for k in d if k not in params]
    missing = [n for n, p in params.items() if p.default is inspect.Parameter.empty and n not in d and n != "self"]
    if unknown or missing:
        what = "; ".join(x for x in (f"unknown field(s) {unknown}" if unknown else "",
                                     f"missing field(s) {missing}" if missing else "") if x)
        raise UnknownParameterError(f"objective kind {kind!r}: {what}; it takes {takes}")
    return factory(**d)


def as_objective(obj: Objective | Mapping[str, Any] | None, default: Mapping[str, Any]) -> Objective:
    if obj is None:
        return objective_from_dict(default)
    if isinstance(obj, Objective):
        return obj
    return objective_from_dict(obj)
