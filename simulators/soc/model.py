"""The heterogeneous SoC model behind ``archgym/SoC-v0``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from archgym.errors import InvalidParameterError, WorkloadError
from archgym.simulator import Metric, Simulator
from archgym.simulators.soc.space import build_space, slot_names
from archgym.simulators.soc.tables import build_tables
from archgym.simulators.soc.templates import DEFAULT_LIBRARY, Library
from archgym.simulators.soc.workload import BUILTIN_WORKLOADS, TaskGraph, check_kinds, load_workload

METRICS = (
    Metric("latency_ms", "ms", "min", scale=1.0, doc="makespan of the task graph"),
    Metric("energy_mJ", "mJ", "min", scale=0.1, doc="tasks + transfers + leakage over the makespan"),
    Metric("power_mW", "mW", "min", scale=10.0, doc="average power: energy / latency"),
    Metric("peak_power_mW", "mW", "min", scale=10.0, doc="max over 16 equal windows of energy / window"),
    Metric("area_mm2", "mm2", "min", scale=1.0, doc="sum of allocated blocks"),
    Metric("deadlines_missed", "tasks", "min", scale=1.0, doc="tasks finishing after their deadline"),
    Metric("bus_utilization", "%", "none", scale=100.0, doc="bus busy time / makespan"),
)


class SoCSimulator(Simulator):
    """Heterogeneous SoC assembled from templates, running a task-graph workload (FARSI-style).

    Description:
        An SoC built from block templates — general-purpose cores (ARM A53-class), one fixed-
        function IP per task kind with an unroll factor, systolic-array DNN sub-accelerators
        (costed by the systolic model), SRAM and DRAM, and one shared bus — runs a workload given
        as a DAG of tasks (work in reference-core instructions) and edges (bytes).  Tasks sharing
        a PE serialise; data crossing PEs moves over the shared bus at min(bus, memory)
        bandwidth, transfers serialising on the bus in scheduling order (same-PE edges stay in the
        PE's local buffer and are free); an edge's buffer lives in SRAM if it fits, else in DRAM.
        Energy = task energy (per-instruction/per-op, DVFS-scaled) + bytes moved × (bus + 2 ×
        memory access energy) + leakage of the allocated blocks over the makespan.  In the ``allocation`` formulation a HEFT-like list scheduler maps tasks
        (earliest finish time, in decreasing upward-rank order); in ``mapping`` the design names
        each task's PE.  Designs that cannot run (no memory, an edge too big for the memories, a
        task with no PE able to run it) are reported ``feasible=False`` with a reason; their
        area is still reported, their latency, energy and power metrics are +inf.

    Design space:
        ``allocation``: n_cores (0…4), core_freq_MHz, ip_<kind>_unroll (0 = none, 1…16) per task
        kind, sa<j>_size (0 = none, 8…64) and sa<j>_dataflow for DNN workloads, accel_freq_MHz,
        sram_kB (0 = none), sram_width_B, dram_width_B (0 = none), bus_width_B, bus_freq_MHz.
        ``mapping``: the same sizes without the 0 options, plus map_<task> ∈ {core0…core3, ip,
        sa0, sa1} for every task; a block is allocated iff a task is mapped to it.
        ``farsi`` (FARSI workloads): FARSI's own knobs over its block library — n_gpp, gpp<j>_bus,
        per task pe_<t> ∈ {gpp0…, ip}, ip_<t>_unroll/_freq_MHz/_bus and mem_<t>, per bus
        bus<k>_width_B/_freq_MHz (a chain), per memory mem<k>_type/_width_B/_freq_MHz/_bus — and
        FARSI's semantics (:mod:`archgym.simulators.soc.farsi_model`: phase-based rates with bus
        and memory sharing, one kernel per PE, CACTI memories, per-period power), matching FARSI
        on its reference runs.

    Metrics:
        latency_ms (makespan), energy_mJ, power_mW (average), peak_power_mW (max over 16 equal
        windows of the makespan), area_mm2, deadlines_missed, bus_utilization (%).  In ``farsi``:
        power_mW and peak_power_mW are both FARSI's power (max over 10 ms windows), and
        bus_utilization is the busiest bus's bytes ÷ (bandwidth × latency).

    Objective:
        Default: budgets (``Target`` with ``mode="at_most"``, l1 norm) on latency_ms, power_mW and
        area_mm2 — FARSI's formulation; reward 1 when all budgets are met.  The registry's default
        budgets are the audio decoder's; every workload carries its own in
        ``SoCSimulator.budgets``, and the env uses the chosen workload's budgets by default.

    Workloads:
        ``workload=`` audio_decoder (default; 16 tasks, 23 edges), edge_detection,
        camera_pipeline, multi_dnn (two DNNs; layers on systolic sub-accelerators), the path
        of a task-graph JSON file (see :mod:`archgym.simulators.soc.workload`), or a FARSI
        workload: its database folder, one of its CSV files or ``<folder>/<workload>`` (see
        :mod:`archgym.simulators.soc.farsi_db`).
        ``formulation=`` "allocation" (default), "mapping" or "farsi" (FARSI workloads only).
        ``backend="farsi:PROJECT_FARSI"`` runs the real FARSI on ``farsi`` designs.

    Version history:
        v0 (model 1): first release.  The ``farsi`` formulation and FARSI workloads were added
        without changing the other formulations' results.
    """

    name = "soc"
    version = "1"

    def __init__(self, workload: str | Path | TaskGraph | nx.DiGraph = "audio_decoder",
                 formulation: str = "allocation", library: Library | None = None,
                 max_cores: int = 4, n_sa: int = 2, max_buses: int = 2, max_memories: int = 2):
        """Args:
            workload: built-in name, path of a task-graph JSON, a :class:`TaskGraph`, a DiGraph,
                or a FARSI workload (its database folder, one of its CSV files, or
                ``<folder>/<workload>``; see :mod:`archgym.simulators.soc.farsi_db`).
            formulation: ``"allocation"`` (built-in list scheduler), ``"mapping"`` (explicit) or
                ``"farsi"`` (FARSI's knobs and semantics; FARSI workloads only).
            library: block templates (default :data:`DEFAULT_LIBRARY`; for a FARSI workload, its
                IPs from FARSI's tables, see :func:`~archgym.simulators.soc.farsi_db.library_of`).
            max_cores: largest number of general-purpose cores.
            n_sa: number of systolic sub-accelerator slots (DNN workloads only).
            max_buses, max_memories: buses and memories of the ``farsi`` formulation.
        """
        from archgym.simulators.soc import farsi_db

        if not isinstance(workload, str | Path | TaskGraph | nx.DiGraph):
            raise InvalidParameterError(f"workload must be a built-in name, a path, a TaskGraph or a networkx "
                                        f"DiGraph, got {type(workload).__name__} {workload!r}")
        if not isinstance(formulation, str) or formulation not in ("allocation", "mapping", "farsi"):
            from archgym.errors import UnknownNameError

            raise UnknownNameError("formulation", formulation, ("allocation", "mapping", "farsi"))
        if library is not None and not isinstance(library, Library):
            raise InvalidParameterError(f"library must be a Library, got {type(library).__name__}")
        for label, value, low, high in (("max_cores", max_cores, 1, 16), ("n_sa", n_sa, 0, 8),
                                        ("max_buses", max_buses, 1, 8), ("max_memories", max_memories, 1, 8)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidParameterError(f"{label} must be an integer in [{low}, {high}], got {value!r}")
        builtin = isinstance(workload, str) and workload in BUILTIN_WORKLOADS
        found = farsi_db.resolve(workload) if isinstance(workload, str | Path) and not builtin else None
        self.farsi = farsi_db.load(workload) if found else None  # type: ignore[arg-type]
        self.graph = farsi_db.to_taskgraph(self.farsi) if self.farsi else load_workload(workload)
        self.library = library or (farsi_db.library_of(self.farsi) if self.farsi else DEFAULT_LIBRARY)
        try:
            check_kinds(self.graph, self.library.ips)
        except WorkloadError as exc:
            raise WorkloadError(f"{workload}: {exc}" if isinstance(workload, str | Path) else str(exc)) from None
        self.formulation = formulation
        self.max_cores = int(max_cores)
        self.n_sa = int(n_sa) if self.graph.has_dnn else 0
        self.max_buses, self.max_memories = int(max_buses), int(max_memories)
        if formulation == "farsi":
            self._farsi_setup()
        else:
            self.space = build_space(self.graph, formulation, self.max_cores, self.n_sa)
        self.metrics = METRICS
        is_path = isinstance(workload, str | Path) and (Path(str(workload)).suffix == ".json" or bool(found))
        self.workload = str(workload) if is_path else self.graph.name
        self.budgets = dict(self.graph.budgets)
        self.slots = slot_names(self.graph, self.max_cores, self.n_sa)
        self.tables = build_tables(self.graph, self.library, self.formulation, self.max_cores, self.n_sa,
                                   tuple(m.name for m in self.metrics))

    def _farsi_setup(self) -> None:
        from archgym.simulators.soc import farsi, farsi_model

        if self.farsi is None:
            raise InvalidParameterError("formulation='farsi' needs a FARSI workload (a FARSI database folder, "
                                        "one of its CSV files or <folder>/<workload>), got a task graph")
        self._farsi_tables = farsi.FarsiTables(self.farsi, farsi_model.kernels_of(self.farsi), self.max_cores,
                                               self.max_buses, self.max_memories)
        self.space = farsi.build_farsi_space(self.farsi, self.max_cores, self.max_buses, self.max_memories)

    def default_objective(self) -> dict[str, Any]:
        """This workload's own budgets (the env uses them when no objective is given)."""
        return {"kind": "target", "targets": dict(self.budgets), "norm": "l1", "mode": "at_most"}

    def config(self) -> dict[str, Any]:
        cfg = {"workload": self.workload, "graph": self.graph.to_json(), "formulation": self.formulation,
               "library": self.library.to_dict(), "max_cores": self.max_cores, "n_sa": self.n_sa}
        if self.formulation == "farsi":
            cfg.update(max_buses=self.max_buses, max_memories=self.max_memories)
        return cfg

    # ---- construction-time tables ------------------------------------------------------
    # ---- evaluation ----------------------------------------------------------------------
    def _evaluate(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.formulation == "farsi":
            from archgym.simulators.soc import farsi

            return farsi.evaluate_batch(self._farsi_tables, d, tuple(m.name for m in self.metrics))
        from archgym.simulators.soc.evaluate import evaluate_batch

        return evaluate_batch(self.tables, d)
