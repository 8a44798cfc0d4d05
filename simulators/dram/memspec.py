"""DRAM memory specifications as data: DRAMSys-format memspec JSON -> frozen :class:`MemSpec`.

Why DRAMSys's own JSON layout: a user who already has a DRAMSys memspec can pass its path unchanged,
and the shipped defaults (``data/dram/memspecs``) can be diffed against DRAMSys's.  The address
mapping is derived from the geometry as row-bank-column (byte | column | bank | row from the least
significant bit), which for the default DDR3-1600 DIMM is exactly ``am_ddr3_8x1Gbx8_dimm_p1KB_rbc``.

Energy per command follows DRAMPower v4 (the model inside DRAMSys 4.0); terms are per device and
multiplied by the devices on the DIMM.  IO/termination energy is not part of DRAMSys's totals and is
not modelled.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from archgym.errors import WorkloadError

BUILTIN_MEMSPECS = {
    "DDR3-1600": "MICRON_1Gb_DDR3-1600_8bit_G.json",
    "DDR4-2400": "MICRON_4Gb_DDR4-2400_8bit_A.json",
    "LPDDR4-3200": "JEDEC_8Gb_LPDDR4-3200_16bit.json",
}


class MemSpecError(WorkloadError):
    """A memory specification is missing, unreadable or lacks a required field."""


@dataclass(frozen=True)
class MemSpec:
    """Geometry, JEDEC timings (in clock cycles) and currents of one DIMM.

    Attributes are named after the DRAMSys memspec keys; ``tck_ns`` is derived from ``clkMhz``.
    """

    name: str
    memory_type: str
    banks: int
    rows: int
    columns: int
    width: int
    devices: int
    burst_length: int
    data_rate: int
    clk_mhz: float
    CL: int
    WL: int
    RCD: int
    RP: int
    RAS: int
    RC: int
    RRD: int
    FAW: int
    CCD: int
    WR: int
    WTR: int
    RTP: int
    RFC: int
    REFI: int
    vdd: float
    idd0: float
    idd2n: float
    idd3n: float
    idd4r: float
    idd4w: float
    idd5: float

    @property
    def tck_ns(self) -> float:
        return 1000.0 / self.clk_mhz

    @property
    def burst_cycles(self) -> int:
        """Data-bus cycles of one burst (BL / data rate)."""
        return self.burst_length // self.data_rate

    @property
    def bytes_per_request(self) -> int:
        return self.burst_length * self.width * self.devices // 8

    @property
    def peak_gbps(self) -> float:
        """Peak bandwidth in Gb/s: bus width × data rate × clock."""
        return self.width * self.devices * self.data_rate * self.clk_mhz / 1000.0

    def address_bits(self) -> tuple[int, int, int, int]:
        """Bit counts (byte, column, bank, row) of the row-bank-column mapping."""
        byte_bits = int(math.log2(self.width * self.devices // 8))
        return byte_bits, int(math.log2(self.columns)), int(math.log2(self.banks)), int(math.log2(self.rows))

    @property
    def capacity_bytes(self) -> int:
        return 1 << sum(self.address_bits())

    def command_energy_pj(self) -> dict[str, float]:
        """DRAMPower v4 energy per command for the whole DIMM, in pJ (mA × V × ns = pJ)."""
        t = self.tck_ns
        k = self.vdd * self.devices
        return {
            "act": k * (self.idd0 - self.idd3n) * self.RAS * t,
            "pre": k * (self.idd0 - self.idd2n) * (self.RC - self.RAS) * t,
            "rd": k * (self.idd4r - self.idd3n) * self.burst_cycles * t,
            "wr": k * (self.idd4w - self.idd3n) * self.burst_cycles * t,
            "ref": k * (self.idd5 - self.idd3n) * self.RFC * t,
        }

    def background_mw(self) -> tuple[float, float]:
        """DIMM background power (any bank open, all banks precharged) in mW."""
        return self.vdd * self.idd3n * self.devices, self.vdd * self.idd2n * self.devices

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _get(section: dict[str, Any], key: str, where: str, default: Any = None) -> Any:
    for k in (key, key.lower(), key.upper()):
        if k in section:
            return section[k]
    if default is not None:
        return default
    raise MemSpecError(f"memspec {where}: missing field {key!r}")


def memspec_from_dict(d: dict[str, Any], where: str = "<dict>") -> MemSpec:
    """Build a :class:`MemSpec` from a DRAMSys memspec mapping (with or without the ``memspec`` key)."""
    ms = d.get("memspec", d)
    try:
        arch, timing, power = ms["memarchitecturespec"], ms["memtimingspec"], ms["mempowerspec"]
    except KeyError as e:
        raise MemSpecError(f"memspec {where}: missing section {e.args[0]!r} (expected DRAMSys layout "
                           "with memarchitecturespec, memtimingspec and mempowerspec)") from None
    g = lambda s, k, default=None: _get(s, k, where, default)  # noqa: E731
    spec = MemSpec(
        name=str(ms.get("memoryId", Path(where).stem)), memory_type=str(ms.get("memoryType", "DDR3")),
        banks=int(g(arch, "nbrOfBanks")), rows=int(g(arch, "nbrOfRows")), columns=int(g(arch, "nbrOfColumns")),
        width=int(g(arch, "width")), devices=int(g(arch, "nbrOfDevicesOnDIMM", 1)),
        burst_length=int(g(arch, "burstLength")), data_rate=int(g(arch, "dataRate")),
        clk_mhz=float(g(timing, "clkMhz")),
        CL=int(g(timing, "CL", timing.get("RL"))), WL=int(g(timing, "WL")),
        RCD=int(g(timing, "RCD")), RP=int(g(timing, "RP")), RAS=int(g(timing, "RAS")), RC=int(g(timing, "RC")),
        RRD=int(g(timing, "RRD")), FAW=int(g(timing, "FAW")), CCD=int(g(timing, "CCD")),
        WR=int(g(timing, "WR")), WTR=int(g(timing, "WTR")), RTP=int(g(timing, "RTP")),
        RFC=int(g(timing, "RFC")), REFI=int(g(timing, "REFI")),
        vdd=float(g(power, "vdd")), idd0=float(g(power, "idd0")), idd2n=float(g(power, "idd2n")),
        idd3n=float(g(power, "idd3n")), idd4r=float(g(power, "idd4r")), idd4w=float(g(power, "idd4w")),
        idd5=float(g(power, "idd5")),
    )
    for n in (spec.banks, spec.rows, spec.columns, spec.width * spec.devices // 8):
        if n <= 0 or n & (n - 1):
            raise MemSpecError(f"memspec {where}: geometry values must be powers of two, got {n}")
    return spec


def load_memspec(memspec: str | Path | MemSpec = "DDR3-1600") -> MemSpec:
    """Load a built-in memspec by name (``DDR3-1600``, ``DDR4-2400``, ``LPDDR4-3200``) or a JSON path."""
    if isinstance(memspec, MemSpec):
        return memspec
    key = str(memspec)
    if key in BUILTIN_MEMSPECS:
        text = resources.files("archgym.data").joinpath("dram", "memspecs", BUILTIN_MEMSPECS[key]).read_text()
        return memspec_from_dict(json.loads(text), key)
    path = Path(key)
    if not path.is_file():
        raise MemSpecError(f"memspec {key!r} is neither a built-in name ({sorted(BUILTIN_MEMSPECS)}) "
                           "nor an existing JSON file")
    try:
        return memspec_from_dict(json.loads(path.read_text()), str(path))
    except json.JSONDecodeError as e:
        raise MemSpecError(f"memspec {path}: invalid JSON ({e})") from None
