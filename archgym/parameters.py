"""Typed design parameters: the building blocks of a :class:`~archgym.spaces.DesignSpace`.

Every kind has a finite *index view* of ``n`` values (what gymnasium's ``MultiDiscrete``, genetic
algorithms and random walks search), a membership check that names what is allowed, an optuna
distribution, and numeric features for proxy models.  ``Real`` parameters are real intervals for
simulators and optuna, with a grid for the index view.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from archgym.errors import InvalidParameterError

Value = str | int | float | bool


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars, so designs compare, hash and serialise predictably."""
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True)
class Parameter:
    """Base of all parameter kinds.  Every kind has a finite index view of ``n`` values."""

    name: str
    doc: str = field(default="", compare=False)

    kind: str = field(default="", init=False, repr=False)

    @property
    def n(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def value_at(self, index: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def index_of(self, values: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def allowed(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        """Whether one value belongs to the parameter."""
        raise NotImplementedError  # pragma: no cover

    def check(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask of values that belong to the parameter."""
        raise NotImplementedError  # pragma: no cover

    def to_optuna(self, ordered: bool = True) -> Any:  # pragma: no cover - abstract
        """The optuna distribution of this parameter (``ordered``: see :meth:`Ordinal.to_optuna`)."""
        raise NotImplementedError

    def feature_names(self) -> list[str]:
        return [self.name]

    def features(self, values: np.ndarray) -> np.ndarray:
        """Numeric features (n, k) for proxy models."""
        return np.asarray(values, dtype=float).reshape(-1, 1)

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover

    @property
    def dtype(self) -> str:
        """Column dtype in datasets: 'str', 'int', 'float' or 'bool'."""
        raise NotImplementedError  # pragma: no cover


@dataclass(frozen=True)
class Categorical(Parameter):
    """Unordered choices (strings, ints or bools).  Features are one-hot."""

    choices: tuple[Value, ...] = ()
    kind: str = field(default="categorical", init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.choices) < 1:
            raise InvalidParameterError(f"Categorical {self.name!r} needs at least one choice")
        if len(set(self.choices)) != len(self.choices):
            raise InvalidParameterError(f"Categorical {self.name!r} has duplicate choices: {self.choices}")
        object.__setattr__(self, "choices", tuple(_plain(c) for c in self.choices))

    @property
    def n(self) -> int:
        return len(self.choices)

    @cached_property
    def dtype(self) -> str:
        first = self.choices[0]
        if isinstance(first, bool):
            return "bool"
        if isinstance(first, int):
            return "int"
        if isinstance(first, float):
            return "float"
        return "str"

    @cached_property
    def _typed_choices(self) -> np.ndarray:
        arr = np.empty(len(self.choices), dtype=object)
        arr[:] = self.choices
        return arr.astype(str) if self.dtype == "str" else arr.astype(self.dtype)

    def value_at(self, index: np.ndarray) -> np.ndarray:
        return self._typed_choices[np.asarray(index, dtype=np.int64)]

    @cached_property
    def _lut(self) -> dict[Any, int]:
        return {c: i for i, c in enumerate(self.choices)}

    def contains(self, value: Any) -> bool:
        return _safe_in(value, self._lut, self.dtype)

    def check(self, values: np.ndarray) -> np.ndarray:
        arr = np.asarray(values)
        if self.dtype == "str" and arr.dtype.kind == "U":
            return np.isin(arr.ravel(), np.array(self.choices, dtype=str))
        return np.fromiter(map(self.contains, arr.ravel().tolist()), bool, count=arr.size)

    def index_of(self, values: np.ndarray) -> np.ndarray:
        arr = np.asarray(values)
        if self.dtype == "str" and arr.dtype.kind == "U":
            order = np.array(self.choices, dtype=str)
            sorter = np.argsort(order)
            return sorter[np.searchsorted(order, arr.ravel(), sorter=sorter)].astype(np.int64)
        lut = self._lut
        return np.array([lut[_coerce(v, self.dtype)] for v in arr.ravel().tolist()], np.int64)

    def allowed(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def to_optuna(self, ordered: bool = True) -> Any:
        import optuna

        return optuna.distributions.CategoricalDistribution(list(self.choices))

    def feature_names(self) -> list[str]:
        return [f"{self.name}={c}" for c in self.choices]

    def features(self, values: np.ndarray) -> np.ndarray:
        idx = self.index_of(values)
        return np.eye(self.n)[idx]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "choices": list(self.choices), "doc": self.doc}


def _coerce(v: Any, dtype: str) -> Any:
    v = _plain(v)
    if dtype == "str":
        return v if isinstance(v, str) else object()  # never matches a string choice
    if dtype == "bool":
        return v if isinstance(v, bool) else object()
    if isinstance(v, bool):
        return object()
    return v


def _safe_in(v: Any, lut: Mapping[Any, int], dtype: str) -> bool:
    try:
        return _coerce(v, dtype) in lut
    except TypeError:
        return False


@dataclass(frozen=True)
class Ordinal(Parameter):
    """An ordered set of numeric values (e.g. powers of two).  Neighbours are adjacent values.

    ``log=True`` means the values are geometric, so proxy features use log2 of the value.
    """

    values: tuple[int | float, ...] = ()
    log: bool = False
    kind: str = field(default="ordinal", init=False, repr=False)

    def __post_init__(self) -> None:
        vals = tuple(_plain(v) for v in self.values)
        if len(vals) < 1:
            raise InvalidParameterError(f"Ordinal {self.name!r} needs at least one value")
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in vals):
            raise InvalidParameterError(f"Ordinal {self.name!r} values must be numbers, got {vals}")
        if list(vals) != sorted(set(vals)):
            raise InvalidParameterError(f"Ordinal {self.name!r} values must be strictly increasing, got {vals}")
        if self.log and vals[0] <= 0:
            raise InvalidParameterError(f"Ordinal {self.name!r} with log=True needs positive values")
        object.__setattr__(self, "values", vals)

    @property
    def n(self) -> int:
        return len(self.values)

    @cached_property
    def dtype(self) -> str:
        return "int" if all(isinstance(v, int) for v in self.values) else "float"

    def _arr(self) -> np.ndarray:
        return self._values_array

    @cached_property
    def _values_array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=np.int64 if self.dtype == "int" else float)

    def value_at(self, index: np.ndarray) -> np.ndarray:
        return self._arr()[np.asarray(index, dtype=np.int64)]

    @cached_property
    def _set(self) -> frozenset[float]:
        return frozenset(float(v) for v in self.values)

    def contains(self, value: Any) -> bool:
        return _is_number(value) and float(value) in self._set

    def check(self, values: np.ndarray) -> np.ndarray:
        arr = np.asarray(values)
        if arr.dtype.kind in "iuf":
            return np.isin(arr.ravel().astype(float), self._arr().astype(float))
        return np.fromiter(map(self.contains, arr.ravel().tolist()), bool, count=arr.size)

    def index_of(self, values: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._arr().astype(float), np.asarray(values, dtype=float).ravel()).astype(np.int64)

    def allowed(self) -> str:
        return "one of " + ", ".join(str(v) for v in self.values)

    def to_optuna(self, ordered: bool = True) -> Any:
        """``ordered`` (default): ``IntDistribution(0, n - 1)`` over the value's *index*; else a
        ``CategoricalDistribution`` of the values.

        Why the index: TPE's Parzen estimators and the GP kernel exploit an order only on numeric
        distributions, and a categorical forgets it (a good 64 says nothing about 32 or 128).  The
        values themselves would be wrong as a numeric range: optuna would sample numbers between
        them (48 between 32 and 64) that are not in the space.  The index is exact, keeps the order,
        and for geometric lists (powers of two) is their log2, the scale on which they matter.
        :meth:`DesignSpace.from_optuna` maps a trial's index back to the value.
        """
        import optuna

        if ordered:
            return optuna.distributions.IntDistribution(0, self.n - 1)
        return optuna.distributions.CategoricalDistribution(list(self.values))

    def features(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float).reshape(-1, 1)
        return np.log2(v) if self.log else v

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "values": list(self.values), "log": self.log, "doc": self.doc}


def _is_number(v: Any) -> bool:
    v = _plain(v)
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def Pow2(name: str, low: int, high: int, doc: str = "") -> Ordinal:
    """Powers of two from ``low`` to ``high`` inclusive (both powers of two)."""
    if low <= 0 or high < low or low & (low - 1) or high & (high - 1):
        raise InvalidParameterError(f"Pow2 {name!r} bounds must be powers of two with low <= high, got {low}, {high}")
    values = tuple(1 << k for k in range(low.bit_length() - 1, high.bit_length()))
    return Ordinal(name=name, values=values, log=True, doc=doc)


@dataclass(frozen=True)
class Integer(Parameter):
    """Integers ``low..high`` inclusive, in steps of ``step``."""

    low: int = 0
    high: int = 0
    step: int = 1
    kind: str = field(default="integer", init=False, repr=False)

    def __post_init__(self) -> None:
        if self.high < self.low or self.step < 1 or (self.high - self.low) % self.step:
            raise InvalidParameterError(f"Integer {self.name!r}: need low <= high and (high-low) divisible by step")

    @property
    def n(self) -> int:
        return (self.high - self.low) // self.step + 1

    @property
    def dtype(self) -> str:
        return "int"

    def value_at(self, index: np.ndarray) -> np.ndarray:
        return self.low + self.step * np.asarray(index, dtype=np.int64)

    def contains(self, value: Any) -> bool:
        v = _plain(value)
        if isinstance(v, bool):
            return False
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return isinstance(v, int) and self.low <= v <= self.high and (v - self.low) % self.step == 0

    def check(self, values: np.ndarray) -> np.ndarray:
        arr = np.asarray(values)
        if arr.dtype.kind in "iu":
            v = arr.ravel().astype(np.int64)
            return (v >= self.low) & (v <= self.high) & ((v - self.low) % self.step == 0)
        return np.fromiter(map(self.contains, arr.ravel().tolist()), bool, count=arr.size)

    def index_of(self, values: np.ndarray) -> np.ndarray:
        return ((np.asarray(values, dtype=np.int64).ravel() - self.low) // self.step).astype(np.int64)

    def allowed(self) -> str:
        s = f"an integer in [{self.low}, {self.high}]"
        return s + (f" in steps of {self.step}" if self.step != 1 else "")

    def to_optuna(self, ordered: bool = True) -> Any:
        import optuna

        return optuna.distributions.IntDistribution(self.low, self.high, step=self.step)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "low": self.low, "high": self.high, "step": self.step,
                "doc": self.doc}


@dataclass(frozen=True)
class Real(Parameter):
    """A real interval ``[low, high]``.

    Simulators and optuna see real values; the index view (gymnasium ``MultiDiscrete``, random
    walks) uses a grid of ``num`` points, linear or geometric (``log=True``).  ``encode`` snaps a
    real value to its nearest grid point, so ``decode(encode(x))`` equals ``x`` only on the grid.
    """

    low: float = 0.0
    high: float = 1.0
    num: int = 16
    log: bool = False
    kind: str = field(default="real", init=False, repr=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high <= self.low:
            raise InvalidParameterError(f"Real {self.name!r}: need finite low < high, got {self.low}, {self.high}")
        if self.num < 2:
            raise InvalidParameterError(f"Real {self.name!r}: num must be >= 2")
        if self.log and self.low <= 0:
            raise InvalidParameterError(f"Real {self.name!r}: log=True needs low > 0")

    @property
    def n(self) -> int:
        return self.num

    @property
    def dtype(self) -> str:
        return "float"

    def grid(self) -> np.ndarray:
        if self.log:
            return np.geomspace(self.low, self.high, self.num)
        return np.linspace(self.low, self.high, self.num)

    def value_at(self, index: np.ndarray) -> np.ndarray:
        return self.grid()[np.asarray(index, dtype=np.int64)]

    def contains(self, value: Any) -> bool:
        return _is_number(value) and self.low <= float(value) <= self.high

    def check(self, values: np.ndarray) -> np.ndarray:
        arr = np.asarray(values)
        if arr.dtype.kind in "iuf":
            v = arr.ravel().astype(float)
            return np.isfinite(v) & (v >= self.low) & (v <= self.high)
        return np.fromiter(map(self.contains, arr.ravel().tolist()), bool, count=arr.size)

    def index_of(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float).ravel()
        g = self.grid()
        if self.log:
            v, g = np.log(v), np.log(g)
        return np.abs(v[:, None] - g[None, :]).argmin(axis=1).astype(np.int64)

    def allowed(self) -> str:
        return f"a real number in [{self.low}, {self.high}]"

    def to_optuna(self, ordered: bool = True) -> Any:
        import optuna

        return optuna.distributions.FloatDistribution(self.low, self.high, log=self.log)

    def features(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=float).reshape(-1, 1)
        return np.log(v) if self.log else v

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "low": self.low, "high": self.high, "num": self.num,
                "log": self.log, "doc": self.doc}


_KINDS: dict[str, type[Parameter]] = {"categorical": Categorical, "ordinal": Ordinal, "integer": Integer, "real": Real}


def parameter_from_dict(d: Mapping[str, Any]) -> Parameter:
    """Inverse of ``Parameter.to_dict`` (used by dataset metadata and saved proxies)."""
    d = dict(d)
    kind = d.pop("kind")
    if kind == "categorical":
        d["choices"] = tuple(d["choices"])
    if kind == "ordinal":
        d["values"] = tuple(d["values"])
    try:
        return _KINDS[kind](**d)
    except KeyError:
        raise InvalidParameterError(f"unknown parameter kind {kind!r}; allowed: {sorted(_KINDS)}") from None
