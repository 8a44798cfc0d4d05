"""The heterogeneous ASIC of NASAIC-style co-exploration: up to three dataflow-template
sub-accelerators under a global PE budget and a global DRAM-bandwidth budget.

Why tables: every network of a task's search space is built from a handful of distinct layer
shapes (NAS-Bench-201's convs come in a few sizes per stage), and the systolic model costs layers
independently.  So a network's latency and energy on one sub-accelerator configuration is
``Σ_u count(network, u) · cost(u, configuration)`` over its distinct layers ``u``.  The per-layer
costs come from :class:`~archgym.simulators.systolic.SystolicSimulator` itself — its
``layer_metrics`` (SCALE-Sim compute, closed-form DRAM stalls) and its ``aggregate`` (energy,
leakage, area accounting) on one-layer "networks" — computed once per (distinct layer, every
configuration) the first time a layer shape is met; there is no second copy of its equations.
Energy and latency are linear in the per-layer counts (leakage is power × latency), so summing
one-layer results equals the model's whole-network result.  Sums run in a fixed layer order,
element-wise, so a design's numbers do not depend on which batch it is evaluated in.

A configuration is (template, PEs, per-channel DRAM bandwidth, SRAM per buffer):

* templates by dataflow — ``ws_nvdla`` (weight stationary, NVDLA-like), ``os_shidiannao``
  (output stationary, ShiDianNao-like), ``is`` (input stationary); Eyeriss's row stationary is not
  in the systolic model and is not offered;
* PEs 64 … 4096 (powers of two); the array is ``rows × cols`` with ``rows = 2^⌊log2(PEs)/2⌋``
  and ``cols = PEs / rows`` (square or 1:2, the shapes a PE share is usually laid out as);
* bandwidth 1 … 16 words/cycle on each of the three operand channels (IFMAP, filter, OFMAP) of the
  systolic model: at its 1 GHz clock and 1-byte words that is ``3 · bw`` GB/s of DRAM bandwidth;
* SRAM 8 … 128 kB for each of the three double-buffered scratchpads.

Area is the systolic model's (tech.py: 1239.5 µm² per PE, 0.006 mm²/kB of SRAM) summed over the
allocated sub-accelerators; no NoC or controller area is added (none is modelled elsewhere either).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from archgym.simulators.systolic import Layer, Network, SystolicSimulator, Technology

#: template name → systolic dataflow
TEMPLATES: dict[str, str] = {"ws_nvdla": "ws", "os_shidiannao": "os", "is": "is"}
PES = (64, 128, 256, 512, 1024, 2048, 4096)
BWS = (1, 2, 4, 8, 16)  # words/cycle per operand channel
SRAMS_KB = (8, 16, 32, 64, 128)  # per scratchpad (IFMAP, filter, OFMAP each)
CHANNELS = 3  # operand channels that each get ``bw`` words/cycle


def array_shape(pes: int) -> tuple[int, int]:
    """Rows and columns of a ``pes``-PE array: square, or twice as wide as tall."""
    rows = 1 << (int(pes).bit_length() - 1) // 2
    return rows, int(pes) // rows


@dataclass(frozen=True)
class ConfigGrid:
    """Every sub-accelerator configuration, numbered ``((template·|PES| + pe)·|BWS| + bw)·|SRAMS| + sram``."""

    templates: tuple[str, ...] = tuple(TEMPLATES)
    pes: tuple[int, ...] = PES
    bws: tuple[int, ...] = BWS
    srams_kB: tuple[int, ...] = SRAMS_KB

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return len(self.templates), len(self.pes), len(self.bws), len(self.srams_kB)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def index(self, template: np.ndarray, pe: np.ndarray, bw: np.ndarray, sram: np.ndarray) -> np.ndarray:
        """Configuration number from the four index arrays."""
        _, npe, nbw, nsr = self.shape
        return ((np.asarray(template) * npe + pe) * nbw + bw) * nsr + sram

    def designs(self) -> list[dict[str, object]]:
        """The systolic model's design of every configuration, in configuration order."""
        out = []
        for t, p, b, s in itertools.product(self.templates, self.pes, self.bws, self.srams_kB):
            rows, cols = array_shape(p)
            out.append({"rows": rows, "cols": cols, "dataflow": TEMPLATES[t], "ifmap_sram_kB": s,
                        "filter_sram_kB": s, "ofmap_sram_kB": s, "dram_bw": b})
        return out


class TaskLike(Protocol):
    """What the hardware model needs of a task: its networks' layers."""

    name: str

    def layers(self, arch: int) -> tuple[Layer, ...]: ...


def _shape_key(layer: Layer) -> tuple:
    """A layer's cost depends on its shape, not its name (sortable: no geometry sorts first)."""
    return (layer.P, layer.Wn, layer.K, layer.ifmap_words, layer.geometry or ())


class LayerCosts:
    """Latency (ms) and energy (mJ) of every distinct layer shape on every configuration.

    Grows when a network brings a layer shape not seen before; the new shapes are costed on all
    configurations in one call of the systolic model.
    """

    def __init__(self, grid: ConfigGrid, tech: Technology):
        self.grid = grid
        self.tech = tech
        self._designs = grid.designs()
        self.index: dict[tuple, int] = {}  # shape key -> shape number (in the order shapes were met)
        self.latency_ms = np.zeros((0, grid.size))  # (shapes, configs)
        self.energy_mJ = np.zeros((0, grid.size))
        area = SystolicSimulator(network=Network("area", (Layer("probe", 1, 1, 1, 1),)), tech=tech)
        cols = area.space.to_columns(self._designs)
        per = area.layer_metrics(self._designs)
        #: area (mm²) of every configuration: the systolic model's PE + SRAM area
        self.area_mm2 = area.aggregate(cols, per)["area_mm2"]

    def add(self, layers: Sequence[Layer]) -> np.ndarray:
        """Shape numbers of ``layers``, costing the new shapes first."""
        new: dict[tuple, Layer] = {}
        for layer in layers:
            key = _shape_key(layer)
            if key not in self.index and key not in new:
                new[key] = layer
        if new:
            self._cost(list(new.values()))
            for key in new:
                self.index[key] = len(self.index)
        return np.array([self.index[_shape_key(layer)] for layer in layers], dtype=np.int64)

    def _cost(self, layers: list[Layer]) -> None:
        n_cfg, n_new = self.grid.size, len(layers)
        sim = SystolicSimulator(network=Network("shapes", tuple(layers)), tech=self.tech)
        cols = sim.space.to_columns(self._designs)
        per = sim.layer_metrics(self._designs)  # (configs, new shapes)
        # one-layer networks: every (configuration, shape) pair is its own design with one layer
        flat_cols = {k: np.repeat(v, n_new) for k, v in cols.items()}
        flat_per = {k: np.asarray(v).reshape(n_cfg * n_new, 1) for k, v in per.items()}
        agg = sim.aggregate(flat_cols, flat_per)
        self.latency_ms = np.vstack([self.latency_ms, agg["latency_ms"].reshape(n_cfg, n_new).T])
        self.energy_mJ = np.vstack([self.energy_mJ, agg["energy_mJ"].reshape(n_cfg, n_new).T])


class NetworkCosts:
    """One task's networks as counts of distinct layer shapes, filled in as networks are met."""

    def __init__(self, task: TaskLike, n_archs: int, costs: LayerCosts):
        self.task = task
        self.costs = costs
        self.counts = np.zeros((n_archs, 0), dtype=np.int64)  # (archs, shapes known to this task)
        self.known = np.zeros(n_archs, dtype=bool)
        self.shapes: list[int] = []  # global shape number of each column of ``counts``
        self._column: dict[int, int] = {}
        self._order: list[tuple[int, int]] = []  # (column, shape) sorted by shape key: the summation order

    def ensure(self, archs: np.ndarray) -> None:
        """Count the layer shapes of every network in ``archs`` not counted yet."""
        todo = np.unique(archs[~self.known[archs]])
        for a in todo.tolist():
            shape_ids = self.costs.add(self.task.layers(int(a)))
            for s in shape_ids.tolist():
                if s not in self._column:
                    self._column[s] = len(self.shapes)
                    self.shapes.append(s)
                    self.counts = np.hstack([self.counts, np.zeros((self.counts.shape[0], 1), np.int64)])
            np.add.at(self.counts[a], [self._column[s] for s in shape_ids.tolist()], 1)
            self.known[a] = True
        if todo.size:
            keys = {v: k for k, v in self.costs.index.items()}
            self._order = sorted(enumerate(self.shapes), key=lambda cs: keys[cs[1]])

    def cost(self, archs: np.ndarray, configs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Latency (ms) and energy (mJ) of network ``archs[i]`` on configuration ``configs[i]``.

        Summed shape by shape, element-wise, in the order of the shapes' keys (not the order they
        were met in), so a design's result does not depend on its batch or on what was evaluated
        before it: adding a zero-count shape adds an exact 0.0.
        """
        self.ensure(archs)
        lat = np.zeros(archs.shape)
        en = np.zeros(archs.shape)
        counts = self.counts[archs]
        for col, s in self._order:
            c = counts[:, col]
            if not c.any():
                continue
            lat = lat + c * self.costs.latency_ms[s, configs]
            en = en + c * self.costs.energy_mJ[s, configs]
        return lat, en


@dataclass(frozen=True)
class ChipBudgets:
    """Global resources the sub-accelerators share."""

    pes: int = 4096
    dram_GBps: float = 64.0


def evaluate_chip(costs: LayerCosts, nets: Sequence[NetworkCosts], archs: Sequence[np.ndarray], mapping: Sequence[np.ndarray],
                  sa: dict[str, np.ndarray], grid: ConfigGrid, budgets: ChipBudgets, tech: Technology
                  ) -> dict[str, np.ndarray]:
    """Cost a batch of chips running one inference of every task network.

    Args:
        costs: the layer-cost tables (for the configurations' areas).
        nets: per task, its network costs.  archs: per task, the network of every design (n,).
        mapping: per task, the sub-accelerator it runs on (n,), in ``0 … S-1``.
        sa: ``template``, ``pes``, ``bw``, ``sram`` index arrays of shape (S, n).

    Networks that share a sub-accelerator run one after the other, sub-accelerators in parallel.
    A task's latency is the time its sub-accelerator takes for one inference of every network
    mapped to it (a frame of all of them; independent of their order).  Energy is the sum of the
    networks' energies (dynamic + leakage while running; an idle sub-accelerator is power-gated).
    Peak power is the sum over sub-accelerators of the largest average power of a network on it
    (an upper bound: all sub-accelerators start together).
    """
    S, n = sa["template"].shape
    T = len(nets)
    cfg = grid.index(sa["template"], sa["pes"], sa["bw"], sa["sram"])  # (S, n)
    rows = np.arange(n)
    lat = np.zeros((T, n))
    en = np.zeros((T, n))
    for t in range(T):
        lat[t], en[t] = nets[t].cost(archs[t], cfg[mapping[t], rows])
    maps = np.stack(mapping)  # (T, n)
    used = np.zeros((S, n), dtype=bool)
    busy = np.zeros((S, n))
    peak = np.zeros((S, n))
    for t in range(T):
        on = maps[t][None, :] == np.arange(S)[:, None]  # (S, n)
        used |= on
        busy = busy + np.where(on, lat[t], 0.0)
        peak = np.maximum(peak, np.where(on, en[t] / lat[t] * 1e3, 0.0))  # mJ / ms = W → mW
    task_latency = busy[maps, rows]
    pes = np.asarray(grid.pes)[sa["pes"]]
    bw_GBps = CHANNELS * np.asarray(grid.bws, dtype=float)[sa["bw"]] * tech.clock_MHz / 1e3
    area_cfg = costs.area_mm2[cfg]
    area, power, total_bw = np.zeros(n), np.zeros(n), np.zeros(n)
    total_pes = np.zeros(n, dtype=np.int64)
    for j in range(S):  # fixed order, element-wise: batch-independent sums
        area = area + np.where(used[j], area_cfg[j], 0.0)
        power = power + peak[j]
        total_pes = total_pes + np.where(used[j], pes[j], 0)
        total_bw = total_bw + np.where(used[j], bw_GBps[j], 0.0)
    energy = np.zeros(n)
    for t in range(T):
        energy = energy + en[t]
    return {"task_latency_ms": task_latency, "energy_mJ": energy, "area_mm2": area,
            "peak_power_mW": power, "pes": total_pes.astype(float), "dram_GBps": total_bw,
            "sub_accelerators": used.sum(axis=0).astype(float),
            "pe_over": total_pes > budgets.pes, "bw_over": total_bw > budgets.dram_GBps + 1e-9}
