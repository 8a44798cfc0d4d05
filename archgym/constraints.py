"""Declared constraints on hyperparameters, checked before anything runs.

scikit-learn's ``_parameter_constraints`` is the model: each agent declares, once, what every
hyperparameter may be (``parameter_constraints = {"population": [Interval(int, 2, None)], …}``), and
one checker turns a violation into an :class:`~archgym.errors.InvalidParameterError` that names the
agent, the hyperparameter, the value and what is allowed.  Sweeps call it on every configuration
while checking the spec, so ``population: -5`` or ``unique: 'no'`` is refused up front instead of
failing (or silently misbehaving) in every run.  scikit-learn's own validator is private API, so
this is a small one of our own with the same shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.errors import InvalidParameterError


class Constraint:
    """One allowed form of a value."""

    def accepts(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float | np.floating)) and math.isfinite(float(value))


@dataclass(frozen=True)
class Interval(Constraint):
    """A number of ``kind`` (``int``: integers only; ``float``: any finite real) in an interval;
    ``None`` bounds are open-ended."""

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"  # "both", "left", "right" or "neither"

    def accepts(self, value: Any) -> bool:
        if not (_is_int(value) if self.kind is int else _is_real(value)):
            return False
        v = float(value)
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (v < self.low or (v == self.low and not left)):
            return False
        return not (self.high is not None and (v > self.high or (v == self.high and not right)))

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a finite number"
        lo = "(-inf" if self.low is None else ("[" if self.closed in ("both", "left") else "(") + f"{self.low:g}"
        hi = "inf)" if self.high is None else f"{self.high:g}" + ("]" if self.closed in ("both", "right") else ")")
        return f"{what} in {lo}, {hi}"


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


class Boolean(Constraint):
    """``True`` or ``False`` (not 'no', not 0)."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool | np.bool_)

    def describe(self) -> str:
        return "a boolean"


class NoneValue(Constraint):
    def accepts(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


@dataclass(frozen=True)
class Text(Constraint):
    """A non-empty string."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value)

    def describe(self) -> str:
        return "a non-empty string"


@dataclass(frozen=True)
class IntList(Constraint):
    """A non-empty list (or tuple) of integers ≥ ``low``, e.g. hidden-layer sizes."""

    low: int = 1

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list | tuple) and len(value) > 0 and \
            all(_is_int(v) and v >= self.low for v in value)

    def describe(self) -> str:
        return f"a non-empty list of integers >= {self.low}"


@dataclass(frozen=True)
class Satisfies(Constraint):
    """A value a predicate accepts (for shapes the simple forms do not cover)."""

    predicate: Callable[[Any], bool]
    description: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except Exception:  # a predicate that cannot even look at the value rejects it
            return False

    def describe(self) -> str:
        return self.description


def _as_constraint(c: Any) -> Constraint:
    if c is None:
        return NoneValue()
    if c is bool:
        return Boolean()
    if c is str:
        return Text()
    if isinstance(c, Constraint):
        return c
    raise TypeError(f"not a constraint: {c!r}")


def check_params(owner: str, params: Mapping[str, Any], constraints: Mapping[str, Iterable[Any]]) -> None:
    """Raise :class:`InvalidParameterError` for the first value no constraint of its name accepts.

    Args:
        owner: who the parameters belong to, for the message (``"agent 'ga'"``).
        params: name → value; names without declared constraints are not checked here.
        constraints: name → allowed forms (``None``, ``bool``, ``str`` or :class:`Constraint`).
    """
    for name, value in params.items():
        if name not in constraints:
            continue
        forms = [_as_constraint(c) for c in constraints[name]]
        if not any(f.accepts(value) for f in forms):
            allowed = " or ".join(f.describe() for f in forms)
            raise InvalidParameterError(f"{owner}: hyperparameter {name}={value!r} is invalid; it must be {allowed}")
