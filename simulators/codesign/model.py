"""The network–accelerator co-exploration model behind ``archgym/CoDesign-v0`` (NASAIC, DAC'20)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from archgym._files import plain as _plain
from archgym.errors import InvalidParameterError, UnknownNameError
from archgym.simulator import Metric, Simulator
from archgym.simulators.codesign.hardware import (
    BWS,
    PES,
    SRAMS_KB,
    TEMPLATES,
    ChipBudgets,
    ConfigGrid,
    LayerCosts,
    NetworkCosts,
    evaluate_chip,
)
from archgym.simulators.codesign.workload import Workload, load_workload
from archgym.simulators.systolic import Technology
from archgym.spaces import Categorical, DesignSpace, Ordinal, Parameter

MAX_SUB_ACCELERATORS = 3


def _indices(p: Parameter, values: np.ndarray) -> np.ndarray:
    """Index of every (valid) value of ``p``, vectorised for every value type."""
    if isinstance(p, Categorical):
        order = p.value_at(np.arange(p.n))
        sorter = np.argsort(order, kind="stable")
        return sorter[np.searchsorted(order, np.asarray(values), sorter=sorter)].astype(np.int64)
    return p.index_of(values)


class CoDesignSimulator(Simulator):
    """Several task networks and the heterogeneous ASIC that runs them, searched together (NASAIC).

    Description:
        A chip of up to three sub-accelerators, each built from a dataflow template (weight-
        stationary NVDLA-like, output-stationary ShiDianNao-like, or input-stationary) with its own
        share of a global PE budget (array shape from the share), of a global DRAM-bandwidth budget
        and its SRAM, runs one inference of every task's network; each network is mapped to one
        sub-accelerator.  The networks come from each task's search space with a real accuracy
        oracle (CIFAR-10: NAS-Bench-201 cells with analog-nasbench's trained accuracies; digits:
        a small CNN space trained with a fixed seed).  Layers are costed by the systolic model
        (SCALE-Sim compute, closed-form DRAM stalls, its energy and area table) through per-layer-
        shape tables (:mod:`~archgym.simulators.codesign.hardware`).  Networks sharing a
        sub-accelerator run one after the other; sub-accelerators run in parallel; a task's
        latency is its sub-accelerator's time for one inference of every network mapped there.
        A design whose allocated sub-accelerators exceed the PE or bandwidth budget is infeasible
        (``reason`` says which budget, by how much); its metrics are still reported.

    Design space:
        Per task ``<label>``: the task's network knobs, prefixed ``<label>_``, and ``<label>_sa``
        (the sub-accelerator it runs on; absent with one task).  Per sub-accelerator ``sa<j>``
        (``j`` < min(3, tasks)): ``sa<j>_template`` ∈ {ws_nvdla, os_shidiannao, is},
        ``sa<j>_pes`` ∈ {64 … 4096}, ``sa<j>_bw`` ∈ {1 … 16} words/cycle per operand channel
        (3·bw GB/s), ``sa<j>_sram_kB`` ∈ {8 … 128} per scratchpad.  A sub-accelerator is built
        only if some network is mapped to it.

    Metrics:
        ``accuracy_<label>`` (%, the task's main accuracy) and ``<variant>_<label>`` for its other
        accuracy figures; ``weighted_accuracy`` (%); ``latency_ms_<label>``; ``latency_ms`` (the
        slowest task); ``energy_mJ`` (one inference of every network); ``area_mm2``;
        ``peak_power_mW``; ``pes`` and ``dram_GBps`` allocated; ``sub_accelerators`` built.

    Objective:
        NASAIC's form: maximise the weighted mean accuracy subject to the workload's specs on every
        task's latency, the energy and the area — ``Constrained(WeightedMean(accuracies),
        specs, squash="ratio")``: a design meeting every spec scores its weighted accuracy / 100 in
        [0, 1]; one missing a spec scores ``-v / (1 + v)`` in (-1, 0), ``v`` the summed relative
        excess over the specs, so it ranks below every spec-meeting design, the further it misses the
        lower (without saturating: random designs can miss by 100×); infeasible (over budget): -1.

    Workloads:
        ``workload=`` ``cifar10+digits`` (default; CIFAR-10 ≤ 1 ms, digits ≤ 0.2 ms, ≤ 0.8 mJ,
        ≤ 4 mm²) or ``cifar10x2`` (a tight- and a relaxed-deadline CIFAR-10 network: ≤ 1 ms and
        ≤ 4 ms, ≤ 1 mJ, ≤ 4 mm²); 10.8 % and 10.7 % of uniformly random designs meet all specs,
        82 % are within budget (experiments/codesign/spec_fractions.py); or the path of a JSON/YAML
        workload file (see :mod:`~archgym.simulators.codesign.workload`).  Budgets: 4,096 PEs and
        64 GB/s (the file may set others).
        ``tasks=`` maps task names to task objects, to use network spaces other than the built-in.
        ``fixed=`` holds knobs at given values and leaves them out of the space (NAS alone on fixed
        hardware, or hardware search for fixed networks: the baselines of co-exploration).

    Version history:
        v0 (model 1): first release.
    """

    name = "codesign"
    version = "1"

    def __init__(self, workload: str | Path | Workload = "cifar10+digits", tech: Technology | None = None,
                 tasks: Mapping[str, Any] | None = None, fixed: Mapping[str, Any] | None = None):
        """Args:
            workload: built-in name, path of a JSON/YAML workload file, or a :class:`Workload`.
            tech: energy/area/clock parameters of the systolic model.
            tasks: task name → task object (``knobs``, ``accuracy_metrics``, ``accuracy_table``,
                ``arch_index``, ``layers``); default: the built-in tasks (``task.load_task``).
            fixed: knob → value held fixed and left out of the design space, e.g. all hardware
                knobs (NAS alone) or all network knobs (hardware search for given networks), as
                the successive and hardware-only baselines of co-exploration need.

        Raises:
            InvalidParameterError: ``fixed`` names an unknown knob or a value it does not allow.
        """
        self.spec = load_workload(workload)
        self.workload = str(workload) if isinstance(workload, str | Path) else self.spec.name
        self.tech = tech or Technology()
        self.tasks = tuple(self._task(t.task, tasks) for t in self.spec.tasks)
        self.n_sa = min(MAX_SUB_ACCELERATORS, len(self.tasks))
        self.grid = ConfigGrid()
        self.budgets = ChipBudgets(self.spec.pe_budget, self.spec.dram_GBps)
        self.costs = LayerCosts(self.grid, self.tech)
        self.nets = tuple(NetworkCosts(task, len(task.accuracy_table), self.costs) for task in self.tasks)
        self.full_space, self._knobs = self._build_space()
        self.fixed = self._check_fixed(fixed or {})
        free = tuple(p for p in self.full_space.params if p.name not in self.fixed)
        if not free:
            raise InvalidParameterError("fixed= holds every knob; leave at least one to search")
        self.space = DesignSpace(free)
        self.metrics = self._build_metrics()

    def _check_fixed(self, fixed: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(fixed, Mapping):
            raise InvalidParameterError(f"fixed must map knob names to values, got {fixed!r}")
        out = {}
        for k, v in fixed.items():
            if k not in self.full_space:
                raise UnknownNameError("knob", k, self.full_space.names, prefix="fixed= names unknown knob")
            p = self.full_space[k]
            if not p.contains(v):
                raise InvalidParameterError(f"fixed: knob {k!r} = {v!r} is not allowed: expected {p.allowed()}")
            out[k] = _plain(v)
        return out

    @staticmethod
    def _task(name: str, given: Mapping[str, Any] | None) -> Any:
        if given is not None and name in given:
            return given[name]
        from archgym.simulators.codesign.task import load_task

        return load_task(name)

    # ---- space, metrics, groups -----------------------------------------------------------
    def _build_space(self) -> tuple[DesignSpace, tuple[tuple[str, ...], ...]]:
        params: list[Parameter] = []
        knobs = []
        sas = tuple(f"sa{j}" for j in range(self.n_sa))
        for spec, task in zip(self.spec.tasks, self.tasks, strict=True):
            names = []
            for k in task.knobs:
                p = dataclasses.replace(k, name=f"{spec.label}_{k.name}",
                                        doc=f"{spec.label} network: {k.doc}" if k.doc else f"{spec.label} network")
                params.append(p)
                names.append(p.name)
            knobs.append(tuple(names))
            if self.n_sa > 1:
                params.append(Categorical(f"{spec.label}_sa", choices=sas, doc=f"sub-accelerator running {spec.label}"))
        for s in sas:
            params += [
                Categorical(f"{s}_template", choices=tuple(TEMPLATES), doc="dataflow template: NVDLA-like weight "
                            "stationary, ShiDianNao-like output stationary, input stationary"),
                Ordinal(f"{s}_pes", values=PES, log=True, doc="PEs (array rows x cols from the share)"),
                Ordinal(f"{s}_bw", values=BWS, log=True, doc="DRAM words/cycle per operand channel (3 channels)"),
                Ordinal(f"{s}_sram_kB", values=SRAMS_KB, log=True, doc="kB of each of the 3 scratchpads"),
            ]
        return DesignSpace(tuple(params)), tuple(knobs)

    def _build_metrics(self) -> tuple[Metric, ...]:
        out = []
        for spec, task in zip(self.spec.tasks, self.tasks, strict=True):
            out.append(Metric(f"accuracy_{spec.label}", "%", "max", scale=100.0,
                              doc=f"{spec.label}: {task.accuracy_metrics[0]} ({task.dataset})"))
            for m in task.accuracy_metrics[1:]:
                out.append(Metric(f"{m}_{spec.label}", "%", "max", scale=100.0, doc=f"{spec.label}: {m}"))
        out.append(Metric("weighted_accuracy", "%", "max", scale=100.0, doc="weighted mean of the main accuracies"))
        for spec in self.spec.tasks:
            out.append(Metric(f"latency_ms_{spec.label}", "ms", "min", scale=spec.latency_ms,
                              doc=f"{spec.label}: its sub-accelerator's time for one inference of its networks"))
        out += [
            Metric("latency_ms", "ms", "min", scale=max(t.latency_ms for t in self.spec.tasks), doc="slowest task"),
            Metric("energy_mJ", "mJ", "min", scale=self.spec.energy_mJ, doc="one inference of every network"),
            Metric("area_mm2", "mm2", "min", scale=self.spec.area_mm2, doc="PE arrays + SRAMs built"),
            Metric("peak_power_mW", "mW", "min", scale=1000.0, doc="sum over sub-accelerators of the highest "
                   "network power on each"),
            Metric("pes", "PEs", "none", scale=float(self.budgets.pes), doc="PEs allocated"),
            Metric("dram_GBps", "GB/s", "none", scale=self.budgets.dram_GBps, doc="DRAM bandwidth allocated"),
            Metric("sub_accelerators", "1", "none", scale=float(self.n_sa), doc="sub-accelerators built"),
        ]
        return tuple(out)

    @property
    def network_knobs(self) -> dict[str, tuple[str, ...]]:
        """Task label → the knob names of its network (in the full space, fixed or not)."""
        return {spec.label: names for spec, names in zip(self.spec.tasks, self._knobs, strict=True)}

    @property
    def groups(self) -> dict[str, list[str]]:
        """One agent per task network (its knobs and mapping) and one per sub-accelerator, for
        ``archgym.parallel_env(id, groups=sim.groups)`` and the ``marl`` agent."""
        out: dict[str, list[str]] = {}
        for spec, names in zip(self.spec.tasks, self._knobs, strict=True):
            out[spec.label] = list(names) + ([f"{spec.label}_sa"] if self.n_sa > 1 else [])
        for j in range(self.n_sa):
            out[f"sa{j}"] = [f"sa{j}_{k}" for k in ("template", "pes", "bw", "sram_kB")]
        free = {g: [k for k in knobs if k in self.space] for g, knobs in out.items()}
        return {g: knobs for g, knobs in free.items() if knobs}

    def default_objective(self) -> dict[str, Any]:
        """NASAIC's form on this workload's specs (see the class docstring)."""
        weights = {f"accuracy_{t.label}": t.weight for t in self.spec.tasks}
        return {"kind": "constrained", "objective": {"kind": "weighted_mean", "weights": weights, "lower": 0.0,
                                                     "upper": 100.0},
                "budgets": self.spec.specs(), "squash": "ratio"}

    def config(self) -> dict[str, Any]:
        tables = {spec.label: {"task": task.name, "dataset": task.dataset, "archs": len(task.accuracy_table),
                               "accuracy_sha": hashlib.sha256(np.ascontiguousarray(task.accuracy_table,
                                                                                   dtype=float).tobytes()).hexdigest()[:16]}
                  for spec, task in zip(self.spec.tasks, self.tasks, strict=True)}
        return {"workload": self.spec.to_dict(), "tasks": tables, "tech": self.tech.to_dict(), "fixed": self.fixed}

    # ---- evaluation ------------------------------------------------------------------------
    def _evaluate(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(next(iter(d.values())))
        if self.fixed:
            d = dict(d)
            for k, v in self.fixed.items():
                p = self.full_space[k]
                d[k] = np.repeat(p.value_at(_indices(p, np.array([v]))), n)
        out: dict[str, np.ndarray] = {}
        archs, mapping = [], []
        weighted = np.zeros(n)
        for spec, task, names in zip(self.spec.tasks, self.tasks, self._knobs, strict=True):
            idx = np.stack([_indices(self.full_space[k], d[k]) for k in names], axis=1)
            arch = np.asarray(task.arch_index(idx), dtype=np.int64)
            acc = np.asarray(task.accuracy_table, dtype=float)[arch]
            out[f"accuracy_{spec.label}"] = acc[:, 0]
            for i, m in enumerate(task.accuracy_metrics[1:], start=1):
                out[f"{m}_{spec.label}"] = acc[:, i]
            weighted = weighted + spec.weight * acc[:, 0]
            archs.append(arch)
            mapping.append(_indices(self.full_space[f"{spec.label}_sa"], d[f"{spec.label}_sa"]) if self.n_sa > 1
                           else np.zeros(n, dtype=np.int64))
        out["weighted_accuracy"] = weighted / sum(t.weight for t in self.spec.tasks)
        sa = {key: np.stack([_indices(self.full_space[f"sa{j}_{name}"], d[f"sa{j}_{name}"]) for j in range(self.n_sa)])
              for key, name in (("template", "template"), ("pes", "pes"), ("bw", "bw"), ("sram", "sram_kB"))}
        hw = evaluate_chip(self.costs, self.nets, archs, mapping, sa, self.grid, self.budgets, self.tech)
        latency = hw.pop("task_latency_ms")
        slowest = np.zeros(n)
        for t, spec in enumerate(self.spec.tasks):
            out[f"latency_ms_{spec.label}"] = latency[t]
            slowest = np.maximum(slowest, latency[t])
        out["latency_ms"] = slowest
        pe_over, bw_over = hw.pop("pe_over"), hw.pop("bw_over")
        out.update(hw)
        out["feasible"] = ~(pe_over | bw_over)
        out["reason"] = self._reasons(out, pe_over, bw_over)
        return out

    def _reasons(self, out: dict[str, np.ndarray], pe_over: np.ndarray, bw_over: np.ndarray) -> np.ndarray:
        reason = np.full(pe_over.shape, "", dtype=object)
        for i in np.flatnonzero(pe_over | bw_over).tolist():
            parts = []
            if pe_over[i]:
                parts.append(f"PE budget exceeded: {int(out['pes'][i])} PEs allocated > {self.budgets.pes}")
            if bw_over[i]:
                parts.append(f"DRAM bandwidth budget exceeded: {out['dram_GBps'][i]:g} GB/s allocated > "
                             f"{self.budgets.dram_GBps:g} GB/s")
            reason[i] = "; ".join(parts)
        return reason

