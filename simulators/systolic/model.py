"""The systolic-array accelerator model behind ``archgym/Systolic-v0``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import InvalidParameterError, SimulatorError, UnknownNameError
from archgym.simulator import Metric, Simulator
from archgym.simulators.systolic.compute import DATAFLOWS, compute, dataflow_code
from archgym.simulators.systolic.memory import memory_model
from archgym.simulators.systolic.tech import Technology
from archgym.simulators.systolic.topology import Network, load_network
from archgym.spaces import Categorical, DesignSpace, Pow2

SPACE = DesignSpace((
    Pow2("rows", 4, 256, doc="PE rows of the array"),
    Pow2("cols", 4, 256, doc="PE columns of the array"),
    Categorical("dataflow", choices=DATAFLOWS, doc="output/weight/input stationary"),
    Pow2("ifmap_sram_kB", 8, 2048, doc="IFMAP scratchpad (double-buffered)"),
    Pow2("filter_sram_kB", 8, 2048, doc="filter scratchpad (double-buffered)"),
    Pow2("ofmap_sram_kB", 8, 2048, doc="OFMAP scratchpad (double-buffered)"),
    Pow2("dram_bw", 1, 64, doc="DRAM bandwidth per operand channel, words (bytes) per cycle"),
))

MEMORY_MODES = ("closed", "exact")
#: Largest network (in compute cycles of one design) the exact replay takes on: it replays SCALE-Sim
#: cycle by cycle (~10^7 cycles/s), so a 4096³ GEMM on a 4×4 array would run for hours.
MAX_EXACT_CYCLES = 2**28

METRICS = (
    Metric("latency_ms", "ms", "min", scale=1.0, doc="total cycles / clock"),
    Metric("energy_mJ", "mJ", "min", scale=1.0, doc="MAC + SRAM + DRAM + leakage energy"),
    Metric("power_mW", "mW", "min", scale=100.0, doc="energy / latency"),
    Metric("area_mm2", "mm2", "min", scale=1.0, doc="PE array + SRAMs"),
    Metric("cycles", "cycles", "min", scale=1e6, doc="compute + stall cycles over the network"),
    Metric("compute_cycles", "cycles", "min", scale=1e6, doc="SCALE-Sim CALC-mode cycles (no stalls)"),
    Metric("stall_cycles", "cycles", "min", scale=1e6, doc="cycles waiting for DRAM"),
    Metric("utilization", "%", "max", scale=100.0, doc="MACs / (cycles · PEs), stalls included"),
    Metric("mapping_efficiency", "%", "max", scale=100.0, doc="MAC-weighted SCALE-Sim mapping efficiency"),
    Metric("dram_MB", "MB", "min", scale=10.0, doc="DRAM traffic (reads + writes)"),
    Metric("sram_accesses_M", "1e6 accesses", "min", scale=10.0, doc="SRAM reads + writes"),
)


_COUNTS = ("compute_cycles", "stall_cycles", "macs", "sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes",
           "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def check_counts(per: dict[str, np.ndarray]) -> None:
    """Refuse per-layer counts that are negative or not finite.

    Layer sizes are capped (``topology.MAX_LAYER_MACS``) so that the int64 arithmetic cannot
    overflow; this is the backstop that turns any count that still wrapped round (or came from an
    external tool) into an error instead of a negative latency scored as feasible.
    """
    for key in _COUNTS:
        a = np.asarray(per[key])
        bad = ~np.isfinite(a) | (a < 0) if a.dtype.kind == "f" else a < 0
        if bad.any():
            raise SimulatorError(f"systolic model: per-layer {key} is {a[bad].ravel()[0]} (negative or not "
                                 "finite); the layer is too large for the model's integer arithmetic")


class SystolicSimulator(Simulator):
    """Systolic-array DNN accelerator running a whole network (SCALE-Sim's equations).

    Description:
        A ``rows × cols`` array of 8-bit MAC units with three double-buffered scratchpads (IFMAP,
        filter, OFMAP) fed by DRAM, running every layer of a network one after another.  Compute
        cycles, utilisations and SRAM access counts follow SCALE-Sim v2 exactly; DRAM traffic and
        stalls use the calibrated closed-form model in :mod:`~archgym.simulators.systolic.memory`; energy
        and area use the cited table in :mod:`~archgym.simulators.systolic.tech`.

    Design space:
        rows, cols ∈ {4 … 256} (powers of two, non-square allowed); dataflow ∈ {os, ws, is};
        ifmap/filter/ofmap SRAM ∈ {8 … 2048} kB; dram_bw ∈ {1 … 64} words/cycle.
        750,141 designs.

    Metrics:
        latency_ms, energy_mJ, power_mW, area_mm2, cycles, compute_cycles, stall_cycles,
        utilization (%), mapping_efficiency (%), dram_MB, sram_accesses_M.

    Objective:
        Default: budgets (``Target`` with ``mode="at_most"``) of 2 ms latency, 20 mJ energy and
        10 mm² area for ResNet-18; reward 1 when all are met, ``1/(1+‖excess‖₂)`` otherwise.

    Workloads:
        ``workload=`` one of alexnet, resnet18 (default), resnet50, mobilenet,
        transformer_block, gpt2, or the path of a SCALE-Sim topology CSV.

    Memory model:
        ``memory=`` ``"closed"`` (default) or ``"exact"``; part of the configuration (and so of
        the config hash and run ids).

    Version history:
        v0 (model 1): first release.
        v0 (model 2): DRAM traffic and stalls calibrated against SCALE-Sim 3.0 USER-mode runs
        (circular-window re-reads, free first fill, slowest-channel stalls; see memory.py).
        v0 (model 3): ``memory="exact"`` (SCALE-Sim 3.0.0's memory system replicated); the closed
        form recalibrated on 230 generated SCALE-Sim cases; layers carry their conv geometry.
    """

    name = "systolic"
    version = "3"

    def __init__(self, workload: str | Path = "resnet18", tech: Technology | None = None,
                 network: Network | None = None, memory: str = "closed"):
        """Args:
            workload: built-in network name or path of a SCALE-Sim topology CSV.
            tech: energy/area/clock parameters.
            network: an in-memory :class:`Network` instead of ``workload`` (used by other models,
                e.g. the SoC's DNN sub-accelerators, to cost their own layers).
            memory: ``"closed"`` (fast closed form) or ``"exact"`` (SCALE-Sim 3.0.0 replica).

        Raises:
            UnknownNameError: ``memory`` is not one of ``MEMORY_MODES``.
        """
        if not isinstance(memory, str) or memory not in MEMORY_MODES:
            raise UnknownNameError("memory mode", memory, MEMORY_MODES)
        if tech is not None and not isinstance(tech, Technology):
            raise InvalidParameterError(f"tech must be a Technology, got {type(tech).__name__} {tech!r}")
        if network is not None and not isinstance(network, Network):
            raise InvalidParameterError(f"network must be a Network, got {type(network).__name__}")
        self.memory = memory
        self._streams: Any = None  # exact mode: prefetch streams reused across evaluations
        self.network: Network = network if network is not None else load_network(workload)
        self.tech = tech or Technology()
        if network is not None:
            self.workload = network.name
        else:
            self.workload = self.network.name if not Path(str(workload)).suffix else str(workload)
        self.space = SPACE
        self.metrics = METRICS
        self._layers = self.network.arrays()

    def config(self) -> dict[str, Any]:
        return {"workload": self.workload, "layers": [vars(layer) for layer in self.network.layers],
                "tech": self.tech.to_dict(), "memory": self.memory}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "memory": self.memory}

    def layer_metrics(self, designs: Any) -> dict[str, np.ndarray]:
        """Per-(design, layer) results, shape (n, L): compute, traffic and stall arrays."""
        d = self.space.to_columns(designs)
        return self._per_layer(d)

    def _per_layer(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        col = lambda a: np.asarray(a, dtype=np.int64)[:, None]  # noqa: E731  (n,1) for broadcasting
        lay = {k: v[None, :] for k, v in self._layers.items()}
        df = dataflow_code(d["dataflow"])[:, None]
        c = compute(lay["P"], lay["Wn"], lay["K"], col(d["rows"]), col(d["cols"]), df)
        if self.memory == "exact":
            from archgym.simulators.systolic.exact_memory import network_memory

            worst = float(c["compute_cycles"].astype(float).sum(axis=1).max(initial=0.0))
            if worst > MAX_EXACT_CYCLES:
                raise SimulatorError(f"memory='exact' replays every cycle, and a design here runs {worst:,.0f} "
                                     f"cycles on {self.network.name!r}; the limit is {MAX_EXACT_CYCLES:,} (2**28, "
                                     "about half a minute) per design — use memory='closed' for this network")

            if self._streams is None:
                from archgym.simulators.systolic.exact_memory import StreamCache

                self._streams = StreamCache()
            ex = network_memory(self.network.layers, d, self._streams)
            # as SCALE-Sim reports it: compute = total − stalls (equal to the CALC count)
            return {**c, **{k: ex[k] for k in ("dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes",
                                               "stall_cycles")},
                    "compute_cycles": ex["total_cycles"] - ex["stall_cycles"]}
        sram = tuple(col(d[k]) * 1024 for k in ("ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB"))
        return {**c, **memory_model(c, lay, df, col(d["rows"]), col(d["cols"]), sram, col(d["dram_bw"]))}

    def _evaluate(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self.aggregate(d, self._per_layer(d))

    def aggregate(self, d: dict[str, np.ndarray], per: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Design metrics from per-layer counts (shape (n, L), as :meth:`layer_metrics` returns them).

        Public so that counts measured elsewhere (the real SCALE-Sim backend) go through the same
        energy, area and utilisation accounting as the model's own.
        """
        t = self.tech
        check_counts(per)

        def total(key: str) -> np.ndarray:
            # summed as floats: exact below 2**53 (every real network), and a network of huge
            # layers cannot wrap an int64 sum round to a negative count
            return per[key].astype(float).sum(axis=1)

        R = d["rows"].astype(float)
        C = d["cols"].astype(float)
        compute_cycles = total("compute_cycles")
        stall = total("stall_cycles")
        cycles = compute_cycles + stall
        macs = total("macs")
        latency_s = cycles / (t.clock_MHz * 1e6)
        sram_kB = {k: d[f"{k}_sram_kB"].astype(float) for k in ("ifmap", "filter", "ofmap")}
        sram_reads = {
            "ifmap": total("sram_ifmap_reads"),
            "filter": total("sram_filter_reads"),
            "ofmap": total("sram_ofmap_writes"),
        }
        # each word read from DRAM is also written into its SRAM; OFMAP words are read back out
        dram = {"ifmap": total("dram_ifmap_reads"), "filter": total("dram_filter_reads"),
                "ofmap": total("dram_ofmap_writes")}
        sram_accesses = sum(sram_reads[k] + dram[k] for k in sram_reads)
        e_sram = sum((sram_reads[k] + dram[k]) * t.sram_pJ(sram_kB[k]) for k in sram_reads)
        dram_bytes = sum(dram.values())
        total_kB = sum(sram_kB.values())
        leak_mW = R * C * t.pe_leak_mW + total_kB * t.sram_leak_mW_per_kB
        energy_pJ = macs * t.mac_pJ + e_sram + dram_bytes * t.dram_pJ_per_byte + leak_mW * 1e-3 * latency_s * 1e12
        area = R * C * t.pe_area_um2 * 1e-6 + total_kB * t.sram_area_mm2_per_kB
        me = (per["mapping_eff"] * per["macs"]).sum(axis=1) / macs
        return {
            "latency_ms": latency_s * 1e3,
            "energy_mJ": energy_pJ * 1e-9,
            "power_mW": energy_pJ * 1e-9 / (latency_s * 1e3) * 1e3,
            "area_mm2": area,
            "cycles": cycles,
            "compute_cycles": compute_cycles,
            "stall_cycles": stall,
            "utilization": 100.0 * macs / (cycles * R * C),
            "mapping_efficiency": 100.0 * me,
            "dram_MB": dram_bytes / 1e6,
            "sram_accesses_M": sram_accesses / 1e6,
        }
