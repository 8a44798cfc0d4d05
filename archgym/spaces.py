"""Typed design spaces: declared once, every other view derived.

ArchGym redefined each design space per agent (five versions of the DRAM space, with sizes from
442K to 28M points).  Here a simulator declares one :class:`DesignSpace`; the gymnasium action
space, optuna distributions, index encoding, proxy-model features, sampling and neighbourhoods are
all derived from it, so every agent searches exactly the same set of designs.

A *design* is a plain ``dict`` mapping parameter names to values.  A batch of designs can be a
list of dicts, a ``pandas.DataFrame``, a mapping of column arrays, or an integer index array of
shape ``(n, d)``; :meth:`DesignSpace.to_columns` normalises all of them to validated columns.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

Value = str | int | float | bool


class InvalidDesignError(ValueError):
    """A design is outside its space.  The message names the parameter, the value and what is allowed."""


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

    def to_optuna(self) -> Any:  # pragma: no cover - abstract
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
            raise ValueError(f"Categorical {self.name!r} needs at least one choice")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError(f"Categorical {self.name!r} has duplicate choices: {self.choices}")
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

    def value_at(self, index: np.ndarray) -> np.ndarray:
        arr = np.empty(len(self.choices), dtype=object)
        arr[:] = self.choices
        out = arr[np.asarray(index, dtype=np.int64)]
        return out.astype(str) if self.dtype == "str" else out.astype(self.dtype)

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

    def to_optuna(self) -> Any:
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
            raise ValueError(f"Ordinal {self.name!r} needs at least one value")
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in vals):
            raise ValueError(f"Ordinal {self.name!r} values must be numbers, got {vals}")
        if list(vals) != sorted(set(vals)):
            raise ValueError(f"Ordinal {self.name!r} values must be strictly increasing, got {vals}")
        if self.log and vals[0] <= 0:
            raise ValueError(f"Ordinal {self.name!r} with log=True needs positive values")
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

    def to_optuna(self) -> Any:
        import optuna

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
        raise ValueError(f"Pow2 {name!r} bounds must be powers of two with low <= high, got {low}, {high}")
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
            raise ValueError(f"Integer {self.name!r}: need low <= high and (high-low) divisible by step")

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

    def to_optuna(self) -> Any:
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
            raise ValueError(f"Real {self.name!r}: need finite low < high, got {self.low}, {self.high}")
        if self.num < 2:
            raise ValueError(f"Real {self.name!r}: num must be >= 2")
        if self.log and self.low <= 0:
            raise ValueError(f"Real {self.name!r}: log=True needs low > 0")

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

    def to_optuna(self) -> Any:
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
        raise ValueError(f"unknown parameter kind {kind!r}; allowed: {sorted(_KINDS)}") from None


@dataclass(frozen=True)
class DesignSpace:
    """An ordered tuple of typed parameters; the single definition of what a design is."""

    params: tuple[Parameter, ...]

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in design space: {names}")
        if not names:
            raise ValueError("a design space needs at least one parameter")

    # ---- basic facts -------------------------------------------------------------------
    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @cached_property
    def _name_set(self) -> frozenset[str]:
        return frozenset(self.names)

    @property
    def nvec(self) -> np.ndarray:
        """Cardinality of each parameter's index view."""
        return self._nvec.copy()

    @cached_property
    def _nvec(self) -> np.ndarray:
        return np.array([p.n for p in self.params], dtype=np.int64)

    @property
    def size(self) -> int:
        """Number of points in the index view (exact Python int; can exceed 2**63)."""
        return math.prod(p.n for p in self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __getitem__(self, name: str) -> Parameter:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"no parameter {name!r}; parameters are {list(self.names)}")

    def __contains__(self, name: object) -> bool:
        return name in self.names

    # ---- validation and normalisation --------------------------------------------------
    def validate(self, design: Mapping[str, Any]) -> dict[str, Value]:
        """Check one design; return it with Python scalars.  Raises :class:`InvalidDesignError`."""
        if not isinstance(design, Mapping):
            raise InvalidDesignError(f"a design must be a mapping of parameter names to values, got {type(design).__name__}")
        unknown = [k for k in design if k not in self._name_set]
        if unknown:
            raise InvalidDesignError(f"unknown parameter(s) {unknown}; the space has {list(self.names)}")
        missing = [n for n in self.names if n not in design]
        if missing:
            raise InvalidDesignError(f"design is missing parameter(s) {missing}")
        out: dict[str, Value] = {}
        for p in self.params:
            v = _plain(design[p.name])
            if not p.contains(v):
                raise InvalidDesignError(f"parameter {p.name!r} = {v!r} is not allowed: expected {p.allowed()}")
            if p.dtype == "int" and isinstance(v, float):
                v = int(v)
            out[p.name] = v
        return out

    def to_columns(self, designs: Any) -> dict[str, np.ndarray]:
        """Normalise a batch (dicts, DataFrame, column mapping, index array) to validated columns."""
        if isinstance(designs, np.ndarray) and designs.dtype.kind in "iu":
            return self.decode_columns(designs)
        if isinstance(designs, Mapping) and designs and not all(k in self._name_set for k in designs):
            raise InvalidDesignError(f"unknown parameter(s) {[k for k in designs if k not in self.names]}; "
                                     f"the space has {list(self.names)}")
        if isinstance(designs, Mapping) and designs and all(np.ndim(v) == 1 for v in designs.values()):
            cols = {k: np.asarray(v) for k, v in designs.items()}
        elif hasattr(designs, "to_dict") and hasattr(designs, "columns"):  # pandas DataFrame
            cols = {k: designs[k].to_numpy() for k in designs.columns if k in self.names}
            extra = [k for k in designs.columns if k not in self.names]
            if extra:
                raise InvalidDesignError(f"unknown parameter(s) {extra}; the space has {list(self.names)}")
        else:
            if isinstance(designs, Mapping):
                designs = [designs]
            rows = [self.validate(d) for d in designs]
            return {p.name: _column(p, [r[p.name] for r in rows]) for p in self.params}
        missing = [n for n in self.names if n not in cols]
        if missing:
            raise InvalidDesignError(f"designs are missing parameter(s) {missing}")
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise InvalidDesignError(f"design columns have different lengths: {sorted(lengths)}")
        for p in self.params:
            ok = p.check(cols[p.name])
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                raise InvalidDesignError(
                    f"parameter {p.name!r} = {_plain(cols[p.name][i])!r} (design {i}) is not allowed: "
                    f"expected {p.allowed()}")
        return {p.name: _column(p, cols[p.name]) for p in self.params}

    # ---- index view ---------------------------------------------------------------------
    def encode(self, designs: Any) -> np.ndarray:
        """Designs to an index array of shape (n, d) (one design → shape (d,))."""
        single = isinstance(designs, Mapping) and not all(np.ndim(v) == 1 for v in designs.values())
        cols = self.to_columns(designs)
        idx = np.stack([p.index_of(cols[p.name]) for p in self.params], axis=1)
        return idx[0] if single else idx

    def check_indices(self, indices: np.ndarray) -> np.ndarray:
        idx = np.asarray(indices)
        if idx.ndim == 1:
            idx = idx[None, :]
        if idx.ndim != 2 or idx.shape[1] != len(self.params):
            raise InvalidDesignError(f"index array must have shape (n, {len(self.params)}), got {np.shape(indices)}")
        if idx.dtype.kind not in "iu":
            if not np.all(np.equal(np.mod(idx, 1), 0)):
                raise InvalidDesignError("index array must hold integers")
            idx = idx.astype(np.int64)
        bad = (idx < 0) | (idx >= self._nvec[None, :])
        if bad.any():
            r, c = map(int, np.argwhere(bad)[0])
            p = self.params[c]
            raise InvalidDesignError(f"index {int(idx[r, c])} for parameter {p.name!r} is out of range 0..{p.n - 1}")
        return idx.astype(np.int64)

    def decode_columns(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        idx = self.check_indices(indices)
        return {p.name: p.value_at(idx[:, j]) for j, p in enumerate(self.params)}

    def decode(self, indices: np.ndarray) -> dict[str, Value] | list[dict[str, Value]]:
        """Index array to design dict(s): shape (d,) → one dict, (n, d) → list of dicts."""
        single = np.ndim(indices) == 1
        cols = self.decode_columns(indices)
        rows = columns_to_records(cols)
        return rows[0] if single else rows

    # ---- derived views ------------------------------------------------------------------
    def to_gym(self) -> Any:
        """The gymnasium ``MultiDiscrete`` action space over parameter indices."""
        import gymnasium

        return gymnasium.spaces.MultiDiscrete(self.nvec)

    def to_optuna(self) -> dict[str, Any]:
        """optuna distributions, one per parameter (imports optuna lazily)."""
        return {p.name: p.to_optuna() for p in self.params}

    def feature_names(self) -> list[str]:
        return [f for p in self.params for f in p.feature_names()]

    def features(self, designs: Any) -> np.ndarray:
        """Numeric (n, k) matrix for proxy models: one-hot categoricals, log2 of geometric values."""
        cols = self.to_columns(designs)
        return np.concatenate([p.features(cols[p.name]) for p in self.params], axis=1)

    def sample_indices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(0, self.nvec, size=(n, len(self.params)), dtype=np.int64)

    def sample(self, rng: np.random.Generator, n: int | None = None) -> dict[str, Value] | list[dict[str, Value]]:
        """Uniform samples over the index view: one dict if ``n`` is None, else a list of n."""
        idx = self.sample_indices(rng, 1 if n is None else n)
        rows = self.decode(idx)
        return rows[0] if n is None else rows  # type: ignore[index]

    def neighbors(self, design: Mapping[str, Any]) -> list[dict[str, Value]]:
        """Designs one step away: adjacent values of ordered parameters, any other categorical choice."""
        idx = self.encode(dict(design))
        out: list[np.ndarray] = []
        for j, p in enumerate(self.params):
            if isinstance(p, Categorical):
                steps = [k for k in range(p.n) if k != idx[j]]
            else:
                steps = [k for k in (idx[j] - 1, idx[j] + 1) if 0 <= k < p.n]
            for k in steps:
                nb = idx.copy()
                nb[j] = k
                out.append(nb)
        if not out:
            return []
        return self.decode(np.stack(out))  # type: ignore[return-value]

    def subspace(self, names: Sequence[str]) -> DesignSpace:
        return DesignSpace(tuple(self[n] for n in names))

    # ---- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"params": [p.to_dict() for p in self.params]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DesignSpace:
        return cls(tuple(parameter_from_dict(p) for p in d["params"]))

    def describe(self) -> str:
        """A short human-readable table of the space."""
        lines = [f"{'parameter':<24} {'kind':<12} {'n':>5}  values"]
        for p in self.params:
            lines.append(f"{p.name:<24} {p.kind:<12} {p.n:>5}  {p.allowed()}")
        lines.append(f"size: {self.size:,} designs")
        return "\n".join(lines)


def _column(p: Parameter, values: Iterable[Any]) -> np.ndarray:
    vals = [_plain(v) for v in values]
    if p.dtype == "str":
        return np.array(vals, dtype=str) if vals else np.array([], dtype=str)
    if p.dtype == "int":
        return np.array([int(v) for v in vals], dtype=np.int64)
    if p.dtype == "bool":
        return np.array(vals, dtype=bool)
    return np.array(vals, dtype=float)


def columns_to_records(cols: Mapping[str, np.ndarray]) -> list[dict[str, Value]]:
    """Columns to a list of design dicts with Python scalars."""
    names = list(cols)
    lists = [np.asarray(cols[n]).tolist() for n in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]
