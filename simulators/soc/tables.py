"""Construction-time tables of an SoC simulator: everything per task that does not depend on the design.

They are a frozen value handed to :func:`archgym.simulators.soc.evaluate.evaluate_batch`, so the
evaluator reads a declared record instead of a simulator's private attributes, and the simulator and
its evaluator do not import each other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np

from archgym.simulators.soc.space import SA_SIZES
from archgym.simulators.soc.templates import DNN_KIND, Library
from archgym.simulators.soc.workload import TaskGraph
from archgym.simulators.systolic import DATAFLOWS, Layer, Network, SystolicSimulator
from archgym.simulators.systolic.model import check_counts

_REF_BUS_BPS = 16 * 400e6  # bytes/s of a mid-range bus, for the static HEFT priorities only


@dataclass(frozen=True)
class SoCTables:
    """Per-task constants of one workload on one block library (arrays are indexed by task)."""

    graph: TaskGraph
    library: Library
    formulation: str
    max_cores: int
    n_sa: int
    metrics: tuple[str, ...]
    work: np.ndarray  # operations of every task
    maxu: np.ndarray  # largest useful unroll of every task
    bytes: np.ndarray  # bytes of every edge
    deadline: np.ndarray  # ms, inf where none
    preds: tuple[tuple[tuple[int, int], ...], ...]  # (predecessor task, edge) of every task
    order: tuple[int, ...]  # static HEFT priority order (upward rank on reference-core times)
    kinds: tuple[str, ...]  # IP kinds of the workload
    task_kind: np.ndarray  # IP index of every task, -1 for DNN tasks
    kind_onehot: np.ndarray  # (T, K): task t runs on kind k's IP
    ip_arrays: dict[str, np.ndarray]  # per-kind IP template fields
    sa_cycles: np.ndarray  # (configs, T) cycles of every DNN task on every (size, dataflow) systolic config
    sa_pJ: np.ndarray  # (configs, T) energies of the same


def build_tables(graph: TaskGraph, library: Library, formulation: str, max_cores: int, n_sa: int,
                 metrics: tuple[str, ...]) -> SoCTables:
    """Compute the tables once per simulator (the schedule priorities, IP arrays, systolic costs)."""
    g, lib = graph, library
    T = len(g.tasks)
    work = np.array([t.work for t in g.tasks])
    kind = [t.kind for t in g.tasks]
    preds: list[list[tuple[int, int]]] = [[] for _ in range(T)]
    for e, (s, d, _) in enumerate(g.edges):
        preds[d].append((s, e))
    # static HEFT priorities: upward rank on reference-core times; ties keep topological order
    core_t = work / (lib.core.ipc * lib.core.nominal_MHz * 1e6)
    pos = {t.name: i for i, t in enumerate(g.tasks)}
    topo = list(nx.lexicographical_topological_sort(g.to_networkx(), key=pos.__getitem__))
    rank = np.zeros(T)
    succ: list[list[tuple[int, float]]] = [[] for _ in range(T)]
    for s, d, b in g.edges:
        succ[s].append((d, b))
    for name in reversed(topo):
        i = pos[name]
        rank[i] = core_t[i] + max((b / _REF_BUS_BPS + rank[d] for d, b in succ[i]), default=0.0)
    topo_pos = {pos[n]: k for k, n in enumerate(topo)}
    kinds = g.kinds
    task_kind = np.array([kinds.index(k) if k != DNN_KIND else -1 for k in kind], np.int64)
    ips = [lib.ips[k] for k in kinds]
    sa_cycles, sa_pJ = _systolic_tables(g, lib, np.array([k == DNN_KIND for k in kind]))
    return SoCTables(
        graph=g, library=lib, formulation=formulation, max_cores=max_cores, n_sa=n_sa, metrics=metrics,
        work=work, maxu=np.array([t.max_unroll for t in g.tasks], dtype=float),
        bytes=np.array([b for _, _, b in g.edges]),
        deadline=np.array([t.deadline_ms if t.deadline_ms is not None else np.inf for t in g.tasks]),
        preds=tuple(tuple(p) for p in preds), order=tuple(sorted(range(T), key=lambda i: (-rank[i], topo_pos[i]))),
        kinds=tuple(kinds), task_kind=task_kind,
        kind_onehot=task_kind[:, None] == np.arange(len(kinds))[None, :],
        ip_arrays={f: np.array([getattr(t, f) for t in ips], dtype=float) for f in
                   ("ops_per_cycle", "pJ_per_op", "lane_area_mm2", "base_area_mm2", "lane_leak_mW")},
        sa_cycles=sa_cycles, sa_pJ=sa_pJ)


def _systolic_tables(g: TaskGraph, lib: Library, dnn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cycles and energy (pJ) of every DNN task on every (size, dataflow) systolic config."""
    configs = list(itertools.product(SA_SIZES, DATAFLOWS))
    T = len(g.tasks)
    cycles = np.full((len(configs), T), np.inf)
    pJ = np.zeros((len(configs), T))
    idx = np.flatnonzero(dnn)
    if idx.size == 0:
        return cycles, pJ
    sa = lib.systolic
    layers = tuple(Layer(g.tasks[i].name, *g.tasks[i].layer) for i in idx)  # type: ignore[misc]
    sim = SystolicSimulator(network=Network(g.name, layers), tech=sa.tech)
    designs = [{"rows": r, "cols": r, "dataflow": df, "ifmap_sram_kB": sa.sram_kB, "filter_sram_kB": sa.sram_kB,
                "ofmap_sram_kB": sa.sram_kB, "dram_bw": sa.dram_bw} for r, df in configs]
    per = sim.layer_metrics(designs)
    cycles[:, idx] = (per["compute_cycles"] + per["stall_cycles"]).astype(float)
    check_counts(per)
    # float sums: exact for real layers, and no int64 wrap-round for huge ones
    sram = sum(per[k].astype(float) for k in ("sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes",
                                              "dram_filter_reads"))
    t = sa.tech
    pJ[:, idx] = (per["macs"].astype(float) * t.mac_pJ + sram * float(t.sram_pJ(sa.sram_kB))
                  + per["dram_filter_reads"] * t.dram_pJ_per_byte)
    return cycles, pJ
