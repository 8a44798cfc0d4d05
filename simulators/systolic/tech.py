"""Energy and area parameters of the systolic-array model, with their sources.

Words are 1 byte (8-bit operands), as in SCALE-Sim's default configuration.

Sources:
* MAC: Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm: 8-bit multiply 0.2 pJ,
  8-bit add 0.03 pJ → 0.23 pJ per MAC.
* SRAM: Horowitz ISSCC 2014: 10 pJ per 64-bit access of an 8 KB SRAM → 1.25 pJ/byte at 8 KB,
  scaled with sqrt(size / 8 KB) (wire-dominated access energy, CACTI-style; inferred).
* DRAM: Accelergy ERT of the Eyeriss-like Timeloop setup in oss-arch-gym: 512 pJ per 64-bit
  word = 8 pJ/bit → 64 pJ/byte.
* PE area: Accelergy ART of the same setup: 1239.5 µm² per MAC unit.
* SRAM area: 0.006 mm²/kB (45 nm 6T cell ~0.35 µm² at ~50 % array efficiency; inferred).
* Leakage: 2 µW per PE and 10 µW per kB of SRAM at 45 nm (inferred, order of magnitude).
* Clock: 1 GHz.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Technology:
    """Per-access energies (pJ), areas and leakage; frozen so a simulator's config is hashable."""

    clock_MHz: float = 1000.0
    mac_pJ: float = 0.23
    sram_pJ_per_byte_8kB: float = 1.25
    dram_pJ_per_byte: float = 64.0
    pe_area_um2: float = 1239.5
    sram_area_mm2_per_kB: float = 0.006
    pe_leak_mW: float = 0.002
    sram_leak_mW_per_kB: float = 0.010
    name: str = "45nm-8bit"

    def sram_pJ(self, kB: np.ndarray) -> np.ndarray:
        """Energy per byte of an SRAM access, growing with sqrt(size)."""
        return self.sram_pJ_per_byte_8kB * np.sqrt(np.asarray(kB, dtype=float) / 8.0)

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)
