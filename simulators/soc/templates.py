"""Block templates of the SoC: parameters as data, each number with its source.

FARSI builds an SoC from a database of blocks (``misc_database - Block Characteristics.csv``,
reference/simulators.md §3a–3b): a general-purpose core (ARM A53), fixed-function IPs per task,
memories and interconnects, each described by a handful of numbers.  The templates below follow
that shape.  Numbers marked *(FARSI)* are FARSI's database values; *(systolic)* ones come from
:mod:`archgym.simulators.systolic.tech`; *(inferred)* ones are our own first-order choices, picked
to sit in a plausible range for a ~28–45 nm mobile SoC.

Frequency scaling: dynamic energy per operation scales with V², and over the DVFS range we assume
V/V_nom = 0.6 + 0.4·f/f_nom *(inferred)*, so running faster costs energy per operation and
running slower saves it.  This is what makes clock frequency a real trade-off rather than "always
the maximum".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from archgym.simulators.systolic.tech import Technology

DNN_KIND = "dnn"  # task kind executed by systolic sub-accelerators (and, slowly, by cores)


def dvfs_energy_scale(freq_MHz: np.ndarray | float, nominal_MHz: float) -> np.ndarray:
    """Dynamic-energy multiplier at ``freq_MHz`` relative to ``nominal_MHz`` (V² with V linear in f)."""
    v = 0.6 + 0.4 * np.asarray(freq_MHz, dtype=float) / nominal_MHz
    return v * v


@dataclass(frozen=True)
class CoreTemplate:
    """General-purpose core; a task's ``work`` is counted in this core's instructions.

    Attributes:
        ipc: instructions per cycle (FARSI A53: 2).
        nominal_MHz: clock at which ``instr_per_J`` holds (FARSI A53: 1 GHz).
        instr_per_J: FARSI A53: 4.70e10 instructions/J, i.e. 21.3 pJ/instruction and 42.5 mW at
            2e9 instructions/s.
        area_mm2: FARSI A53: 6.5e-7 m² = 0.65 mm².
        leak_mW: static power *(inferred)*.
        dnn_macs_per_instr: int8 MACs per instruction on a DNN layer (NEON SIMD) *(inferred)*.
    """

    name: str = "a53"
    ipc: float = 2.0
    nominal_MHz: float = 1000.0
    instr_per_J: float = 4.70e10
    area_mm2: float = 0.65
    leak_mW: float = 2.0
    dnn_macs_per_instr: float = 4.0

    @property
    def pJ_per_instr(self) -> float:
        return 1e12 / self.instr_per_J


@dataclass(frozen=True)
class IPTemplate:
    """Fixed-function accelerator for one task kind, replicated ``unroll`` times (lanes).

    FARSI scales an IP's rate, energy and area with its unroll factor, bounded by the task's
    iteration count (``Task Itr Count``); here a task's ``max_unroll`` bounds the useful lanes.
    Numbers are *(inferred)*: an IP lane retires ``ops_per_cycle`` reference-core instructions'
    worth of work per cycle at a few pJ each (vs 21 pJ on the A53), the 10–20× efficiency gap
    FARSI's IP tables show.
    """

    kind: str
    ops_per_cycle: float = 2.0
    pJ_per_op: float = 1.5
    lane_area_mm2: float = 0.03
    base_area_mm2: float = 0.01
    lane_leak_mW: float = 0.05


@dataclass(frozen=True)
class SystolicTemplate:
    """Square systolic-array sub-accelerator costed by the systolic model (one model, two users).

    Each array has three scratchpads of ``sram_kB`` and a private DRAM port of ``dram_bw`` words
    per cycle for weights *(inferred)*; layer inputs/outputs travel over the SoC bus as task-graph
    edges.  MAC, SRAM, DRAM energies and PE area come from the systolic model's technology.
    """

    sram_kB: int = 32
    dram_bw: int = 16
    tech: Technology = field(default_factory=Technology)


@dataclass(frozen=True)
class MemoryTemplate:
    """On-chip SRAM and off-chip DRAM.

    Attributes:
        sram_bank_kB: SRAMs are banked; access energy is that of one bank (systolic tech's
            Horowitz-derived sqrt law, capped at one bank) *(inferred)*.
        sram_area_mm2_per_kB, sram_leak_mW_per_kB: systolic tech values.
        dram_pJ_per_byte: 64 pJ/B (8 pJ/bit, Accelergy ERT; reference §2c).
        dram_MTps: transfers per second per byte lane, LPDDR4-3200 *(inferred)*.
        dram_ctrl_area_mm2, dram_area_mm2_per_B: controller + PHY area *(inferred)*.
        dram_background_mW: standby/refresh power of an active DRAM *(inferred)*.
    """

    sram_bank_kB: float = 64.0
    sram_area_mm2_per_kB: float = 0.006
    sram_leak_mW_per_kB: float = 0.010
    dram_pJ_per_byte: float = 64.0
    dram_MTps: float = 3200.0
    dram_ctrl_area_mm2: float = 0.5
    dram_area_mm2_per_B: float = 0.1
    dram_background_mW: float = 5.0

    def sram_pJ_per_byte(self, kB: np.ndarray | float, tech: Technology) -> np.ndarray:
        return tech.sram_pJ(np.minimum(np.asarray(kB, dtype=float), self.sram_bank_kB))


@dataclass(frozen=True)
class BusTemplate:
    """Shared bus / NoC: ``width_B × freq`` bytes per second (FARSI's IC block).

    Energy per byte moved, area and leakage per byte of width are *(inferred)*
    (≈0.06 pJ/bit/mm over ~1 mm of wire).
    """

    pJ_per_byte: float = 0.5
    area_mm2_per_B: float = 0.004
    leak_mW_per_B: float = 0.01


@dataclass(frozen=True)
class Library:
    """All templates an SoC is assembled from; ``ips`` maps task kind → IP template."""

    core: CoreTemplate = field(default_factory=CoreTemplate)
    ips: Mapping[str, IPTemplate] = field(default_factory=dict)
    systolic: SystolicTemplate = field(default_factory=SystolicTemplate)
    memory: MemoryTemplate = field(default_factory=MemoryTemplate)
    bus: BusTemplate = field(default_factory=BusTemplate)
    accel_nominal_MHz: float = 800.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "ips", MappingProxyType(dict(self.ips)))

    def __reduce__(self) -> Any:  # MappingProxyType does not pickle; rebuild from a dict
        return (Library, (self.core, dict(self.ips), self.systolic, self.memory, self.bus,
                          self.accel_nominal_MHz))

    def to_dict(self) -> dict[str, Any]:
        return {"core": asdict(self.core), "ips": {k: asdict(v) for k, v in sorted(self.ips.items())},
                "systolic": {"sram_kB": self.systolic.sram_kB, "dram_bw": self.systolic.dram_bw,
                             "tech": self.systolic.tech.to_dict()},
                "memory": asdict(self.memory), "bus": asdict(self.bus),
                "accel_nominal_MHz": self.accel_nominal_MHz}


#: IPs of the default workloads' task kinds (all *(inferred)*): throughput per lane, energy per
#: op and lane area differ by kind (bit-serial parsing gains little; transforms and stencils a lot).
DEFAULT_IPS: dict[str, IPTemplate] = {t.kind: t for t in (
    IPTemplate("bitstream", ops_per_cycle=1.0, pJ_per_op=4.0, lane_area_mm2=0.02),
    IPTemplate("huffman", ops_per_cycle=1.5, pJ_per_op=3.0, lane_area_mm2=0.03),
    IPTemplate("dequant", ops_per_cycle=2.0, pJ_per_op=1.5, lane_area_mm2=0.025),
    IPTemplate("shuffle", ops_per_cycle=4.0, pJ_per_op=1.0, lane_area_mm2=0.015),
    IPTemplate("imdct", ops_per_cycle=3.0, pJ_per_op=1.2, lane_area_mm2=0.05),
    IPTemplate("filterbank", ops_per_cycle=3.0, pJ_per_op=1.2, lane_area_mm2=0.045),
    IPTemplate("color", ops_per_cycle=2.0, pJ_per_op=1.5, lane_area_mm2=0.02),
    IPTemplate("conv2d", ops_per_cycle=4.0, pJ_per_op=0.8, lane_area_mm2=0.06),
    IPTemplate("magnitude", ops_per_cycle=2.0, pJ_per_op=1.5, lane_area_mm2=0.03),
    IPTemplate("threshold", ops_per_cycle=2.0, pJ_per_op=1.0, lane_area_mm2=0.015),
    IPTemplate("io", ops_per_cycle=1.0, pJ_per_op=3.0, lane_area_mm2=0.01),
    IPTemplate("scale", ops_per_cycle=3.0, pJ_per_op=1.0, lane_area_mm2=0.03),
    IPTemplate("demosaic", ops_per_cycle=4.0, pJ_per_op=1.0, lane_area_mm2=0.05),
    IPTemplate("denoise", ops_per_cycle=4.0, pJ_per_op=1.0, lane_area_mm2=0.06),
    IPTemplate("resize", ops_per_cycle=3.0, pJ_per_op=1.0, lane_area_mm2=0.03),
    IPTemplate("mfcc", ops_per_cycle=3.0, pJ_per_op=1.2, lane_area_mm2=0.04),
    IPTemplate("postproc", ops_per_cycle=1.5, pJ_per_op=2.0, lane_area_mm2=0.02),
)}

DEFAULT_LIBRARY = Library(ips=DEFAULT_IPS)
