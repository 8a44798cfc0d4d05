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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat
from operator import eq, itemgetter
from typing import Any

import numpy as np

from archgym.errors import InvalidDesignError, InvalidParameterError, UnknownNameError
from archgym.parameters import (
    Categorical,
    Integer,
    Ordinal,
    Parameter,
    Pow2,
    Real,
    Value,
    _plain,
    parameter_from_dict,
)

__all__ = ["Categorical", "DesignSpace", "Integer", "InvalidDesignError", "Ordinal", "Parameter", "Pow2",
           "Real", "Value", "columns_to_records", "parameter_from_dict"]


@dataclass(frozen=True)
class DesignSpace:
    """An ordered tuple of typed parameters; the single definition of what a design is."""

    params: tuple[Parameter, ...]

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"duplicate parameter names in design space: {names}")
        if not names:
            raise InvalidParameterError("a design space needs at least one parameter")

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
        raise UnknownNameError("design parameter", name, self.names)

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
        if isinstance(designs, list | tuple) and designs and isinstance(designs[0], Mapping):
            fast = self._dict_columns(designs)
            if fast is not None:
                return fast
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

    def _dict_columns(self, designs: list | tuple) -> dict[str, np.ndarray] | None:
        """Columns of a list of design dicts, checked a column at a time (a batch of 100,000 dicts
        costs about what its index array does).  Returns ``None`` when any design needs the
        per-design path: a key set that differs, a value of an unexpected type, or a value outside
        the space — the per-design path then raises exactly the error it always has."""
        names = self._name_set
        if set(map(type, designs)) != {dict} or not all(map(eq, map(dict.keys, designs), repeat(names))):
            return None
        out: dict[str, np.ndarray] = {}
        for p in self.params:
            vals = list(map(itemgetter(p.name), designs))
            if not set(map(type, vals)) <= _PLAIN_TYPES[p.dtype]:
                return None
            arr = np.array(vals, dtype=str) if p.dtype == "str" else np.asarray(vals)
            if not p.check(arr).all():
                return None
            out[p.name] = arr.astype({"int": np.int64, "float": float, "bool": bool, "str": str}[p.dtype])
        return out

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
        return self.columns_of(idx)

    def columns_of(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Value columns of an (n, d) index array that is already known to be valid (the run
        loop's currency: indices are checked once, where they enter, and never again)."""
        return {p.name: p.value_at(idx[:, j]) for j, p in enumerate(self.params)}

    @cached_property
    def _value_lists(self) -> tuple[list[Value], ...]:
        return tuple(p.value_at(np.arange(p.n)).tolist() for p in self.params)

    def decode_row(self, idx: np.ndarray) -> dict[str, Value]:
        """One valid index vector as a design dict of Python scalars (what :meth:`decode` gives),
        without numpy round trips: the env's ``info`` costs a few microseconds."""
        return {p.name: vals[i] for p, vals, i in zip(self.params, self._value_lists, idx.tolist(), strict=True)}

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

    def to_optuna(self, ordered: bool = True) -> dict[str, Any]:
        """optuna distributions, one per parameter (imports optuna lazily).

        Integers and reals are numeric distributions (``log=True`` kept); categoricals are
        categorical.  Ordered value lists (:class:`Ordinal`, e.g. powers of two) are an
        ``IntDistribution`` over their index when ``ordered`` (default), so samplers keep their
        order; ``ordered=False`` gives the categorical of the values (an unordered search).  Map
        a trial's parameters back with :meth:`from_optuna` (and forth with :meth:`optuna_params`,
        e.g. for ``study.enqueue_trial``), passing the same ``ordered``.
        """
        return {p.name: p.to_optuna(ordered) for p in self.params}

    def from_optuna(self, params: Mapping[str, Any], ordered: bool = True) -> dict[str, Value]:
        """The design of an optuna trial's ``params`` sampled from :meth:`to_optuna` (``ordered`` as there)."""
        design: dict[str, Value] = {}
        for p in self.params:
            v = params[p.name]
            design[p.name] = p.value_at(np.array([v]))[0].item() if ordered and isinstance(p, Ordinal) else v
        return design

    def optuna_params(self, design: Mapping[str, Any], ordered: bool = True) -> dict[str, Any]:
        """The optuna parameters of ``design`` for :meth:`to_optuna`'s distributions (inverse of
        :meth:`from_optuna`)."""
        idx = self.encode(design)
        out: dict[str, Any] = {}
        for j, p in enumerate(self.params):
            out[p.name] = int(idx[j]) if ordered and isinstance(p, Ordinal) else design[p.name]
        return out

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

    def neighbor_indices(self, idx: np.ndarray) -> np.ndarray:
        """Index view of :meth:`neighbors` (same moves, same order), shape (m, d).

        Search agents use it directly: skipping the validation of every neighbour dict is what makes
        local moves cheap.
        """
        idx = self.check_indices(idx)[0]
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
        return np.stack(out) if out else np.zeros((0, len(idx)), np.int64)

    def neighbors(self, design: Mapping[str, Any]) -> list[dict[str, Value]]:
        """Designs one step away: adjacent values of ordered parameters, any other categorical choice."""
        nbs = self.neighbor_indices(self.encode(dict(design)))
        return self.decode(nbs) if len(nbs) else []  # type: ignore[return-value]

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


#: value types a column of each parameter dtype may hold on the vectorised dict path
_PLAIN_TYPES = {
    "str": {str, np.str_},
    "bool": {bool, np.bool_},
    "int": {int, float, np.int64, np.int32, np.float64},
    "float": {int, float, np.int64, np.int32, np.float64, np.float32},
}


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
