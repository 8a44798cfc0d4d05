"""The task record shared by the co-exploration env: knobs, accuracy table, layers.

Why a table: NASAIC trained every candidate network from scratch; a benchmark cannot.  Each task
here ships (or derives from an installed package) the accuracy of *every* architecture in its
space, measured by real training, so a lookup is exact and costs nothing.  Architectures are
numbered by a mixed-radix code over the knob indices (first knob most significant, as
``numpy.ravel_multi_index``), which is also the row of ``accuracy_table``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from archgym.errors import InvalidDesignError, InvalidParameterError, UnknownNameError
from archgym.parameters import Categorical
from archgym.simulators.systolic.topology import Layer, Network

#: Task name -> "module:function" building it (imported lazily: the tables are not small).
TASKS: dict[str, str] = {
    "cifar10": "archgym.simulators.codesign.nb201:load_cifar10",
    "digits": "archgym.simulators.codesign.digits:load_digits_task",
}


@dataclass(frozen=True)
class Task:
    """A DNN family with an accuracy for every member and the layers each member runs.

    Attributes:
        name: Task id (``"cifar10"``, ``"digits"``).
        dataset: Human-readable dataset name.
        knobs: The architecture choices, one :class:`Categorical` each.
        accuracy_metrics: Column names of ``accuracy_table``; the first is the main accuracy, in %.
        accuracy_table: float64 ``(n_archs, len(accuracy_metrics))``; row ``arch_index(knobs)``.
        input_shape: ``(H, W, C)`` of one input image.
        build_layers: ``knob indices (tuple of int) -> layers``; use :meth:`layers` (cached).
        num_classes: Classifier outputs.
        source: Where the accuracies come from (package and version, or script and seed).
    """

    name: str
    dataset: str
    knobs: tuple[Categorical, ...]
    accuracy_metrics: tuple[str, ...]
    accuracy_table: np.ndarray = field(repr=False, compare=False)
    input_shape: tuple[int, int, int] = (0, 0, 0)
    build_layers: Callable[[tuple[int, ...]], tuple[Layer, ...]] = field(default=None, repr=False,  # type: ignore[assignment]
                                                                         compare=False)
    num_classes: int = 10
    source: str = ""
    _cache: dict[int, tuple[Layer, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table = np.asarray(self.accuracy_table, dtype=np.float64)
        if table.shape != (self.n_archs, len(self.accuracy_metrics)):
            raise InvalidParameterError(
                f"task {self.name!r}: accuracy_table has shape {table.shape}, expected "
                f"({self.n_archs}, {len(self.accuracy_metrics)}) for knobs {[k.name for k in self.knobs]}")
        table.setflags(write=False)
        object.__setattr__(self, "accuracy_table", table)
        if self.build_layers is None:
            raise InvalidParameterError(f"task {self.name!r}: build_layers is required")

    @property
    def radix(self) -> tuple[int, ...]:
        """Number of choices of each knob."""
        return tuple(k.n for k in self.knobs)

    @property
    def n_archs(self) -> int:
        return int(np.prod(self.radix, dtype=np.int64))

    def arch_index(self, knob_indices: np.ndarray) -> np.ndarray:
        """``(n, len(knobs))`` knob indices -> ``(n,)`` int64 architecture numbers (table rows).

        A 1-D input of length ``len(knobs)`` is one architecture.  Out-of-range indices raise
        :class:`InvalidDesignError` naming the knob, the value and the allowed range.
        """
        idx = np.asarray(knob_indices)
        if idx.ndim == 1 and idx.shape[0] == len(self.knobs):
            idx = idx[None, :]
        if idx.ndim != 2 or idx.shape[1] != len(self.knobs):
            raise InvalidDesignError(f"task {self.name!r}: knob indices must have shape (n, {len(self.knobs)}), "
                                     f"got {idx.shape}")
        if idx.dtype.kind not in "iu":
            raise InvalidDesignError(f"task {self.name!r}: knob indices must be integers, got dtype {idx.dtype}")
        idx = idx.astype(np.int64, copy=False)
        radix = np.asarray(self.radix, dtype=np.int64)
        bad = (idx < 0) | (idx >= radix)
        if bad.any():
            row, col = map(int, np.argwhere(bad)[0])
            raise InvalidDesignError(f"task {self.name!r}: knob {self.knobs[col].name!r} index {int(idx[row, col])} "
                                     f"out of range; allowed 0..{radix[col] - 1} ({self.knobs[col].allowed()})")
        weights = np.ones(len(radix), dtype=np.int64)
        for j in range(len(radix) - 2, -1, -1):
            weights[j] = weights[j + 1] * radix[j + 1]
        return idx @ weights

    def knob_indices(self, arch: np.ndarray | int) -> np.ndarray:
        """Inverse of :meth:`arch_index`: ``(n,)`` architecture numbers -> ``(n, len(knobs))``."""
        a = np.atleast_1d(np.asarray(arch, dtype=np.int64))
        if ((a < 0) | (a >= self.n_archs)).any():
            raise InvalidDesignError(f"task {self.name!r}: architecture number out of range; allowed 0..{self.n_archs - 1}")
        return np.stack(np.unravel_index(a, self.radix), axis=1).astype(np.int64)

    def accuracy(self, arch: np.ndarray | int, metric: str | None = None) -> np.ndarray:
        """Accuracy (%) of architectures ``arch`` for ``metric`` (default: the main one)."""
        metric = self.accuracy_metrics[0] if metric is None else metric
        if metric not in self.accuracy_metrics:
            raise UnknownNameError("accuracy metric", metric, self.accuracy_metrics)
        a = np.asarray(arch, dtype=np.int64)
        return self.accuracy_table[a, self.accuracy_metrics.index(metric)]

    def layers(self, arch: int) -> tuple[Layer, ...]:
        """The layers architecture ``arch`` runs on an accelerator, in execution order (cached)."""
        arch = int(arch)
        got = self._cache.get(arch)
        if got is None:
            knobs = tuple(int(v) for v in self.knob_indices(arch)[0])
            got = self._cache[arch] = tuple(self.build_layers(knobs))
        return got

    def network(self, arch: int) -> Network:
        """:meth:`layers` as a systolic :class:`Network` named after the task and architecture."""
        return Network(f"{self.name}-{int(arch)}", self.layers(arch))

    def macs(self, arch: int) -> int:
        return sum(layer.macs for layer in self.layers(arch))


_LOADED: dict[str, Task] = {}


def load_task(name: str) -> Task:
    """The task ``name`` (one of :data:`TASKS`), built once per process."""
    if not isinstance(name, str) or name not in TASKS:
        raise InvalidParameterError(f"unknown codesign task {name!r}; allowed: {', '.join(map(repr, TASKS))}")
    task = _LOADED.get(name)
    if task is None:
        module, func = TASKS[name].split(":")
        task = _LOADED[name] = getattr(importlib.import_module(module), func)()
    return task
