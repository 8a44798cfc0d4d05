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

from archgym._text import load_json, read_text
from archgym.errors import WorkloadError, suggest

BUILTIN_MEMSPECS = {
    "DDR3-1600": "MICRON_1Gb_DDR3-1600_8bit_G.json",
    "DDR4-2400": "MICRON_4Gb_DDR4-2400_8bit_A.json",
    "LPDDR4-3200": "JEDEC_8Gb_LPDDR4-3200_16bit.json",
}


class MemSpecError(WorkloadError):
    """A memory specification is missing, unreadable or lacks a required field.

    ``field`` is the key at fault (``"clkMhz"``) when there is one, so the file's line can be added.
    """

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message)


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


def _get(section: Any, key: str, where: str, path: str, default: Any = None) -> Any:
    if not isinstance(section, dict):
        raise MemSpecError(f"memspec {where}: {path} must be a JSON object, got {type(section).__name__}")
    for k in (key, key.lower(), key.upper()):
        if k in section:
            return section[k]
    if default is not None:
        return default
    raise MemSpecError(f"memspec {where}: missing field {path}.{key}", path)


# Allowed ranges (field -> (low, high, integer?)).  Why ranges: a negative clock, voltage or current
# gives negative time or energy scored as a normal design, a zero one a division by zero, and NaN
# or inf metrics that would make every design score the same; real DIMMs lie well inside these.
_GEOMETRY = {"nbrOfBanks": (1, 2**10), "nbrOfRows": (1, 2**24), "nbrOfColumns": (1, 2**16), "width": (1, 2**10),
             "nbrOfDevicesOnDIMM": (1, 2**7), "burstLength": (1, 2**8), "dataRate": (1, 2**4)}
_CLOCK_MHZ = (1.0, 10_000.0)
_TIMINGS = ("CL", "WL", "RCD", "RP", "RAS", "RC", "RRD", "FAW", "CCD", "WR", "WTR", "RTP", "RFC", "REFI")
_TIMING_RANGE = (0, 10**6)  # clock cycles
_VDD = (0.1, 10.0)  # V
_IDD_MA = (0.0, 10**5)


def _number(value: Any, where: str, field: str, low: float, high: float, integer: bool,
            low_open: bool = False) -> Any:
    """``value`` checked to be a number (an integer where ``integer``) in its range."""
    kind = "an integer" if integer else "a number"
    rng = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MemSpecError(f"memspec {where}: {field} must be {kind} in {rng}, got {value!r}", field)
    if not math.isfinite(value) or (value <= low if low_open else value < low) or value > high:
        raise MemSpecError(f"memspec {where}: {field} = {value!r} is outside the allowed range {rng}", field)
    if integer:
        if value != int(value):
            raise MemSpecError(f"memspec {where}: {field} must be an integer, got {value!r}", field)
        return int(value)
    return float(value)


def memspec_from_dict(d: dict[str, Any], where: str = "<dict>") -> MemSpec:
    """Build a :class:`MemSpec` from a DRAMSys memspec mapping (with or without the ``memspec`` key).

    Every field is range-checked (see ``_GEOMETRY``, ``_CLOCK_MHZ``, ``_TIMING_RANGE``, ``_VDD``,
    ``_IDD_MA``); an error names the memspec, the field, the value and the allowed range.
    """
    if not isinstance(d, dict):
        raise MemSpecError(f"memspec {where}: expected a JSON object, got {type(d).__name__}")
    ms = d.get("memspec", d)
    if not isinstance(ms, dict):
        raise MemSpecError(f"memspec {where}: 'memspec' must be a JSON object, got {type(ms).__name__}")
    try:
        arch, timing, power = ms["memarchitecturespec"], ms["memtimingspec"], ms["mempowerspec"]
    except KeyError as e:
        raise MemSpecError(f"memspec {where}: missing section {e.args[0]!r} (expected DRAMSys layout "
                           "with memarchitecturespec, memtimingspec and mempowerspec)") from None
    arch_v = {k: _number(_get(arch, k, where, "memarchitecturespec", 1 if k == "nbrOfDevicesOnDIMM" else None),
                         where, f"memarchitecturespec.{k}", lo, hi, True) for k, (lo, hi) in _GEOMETRY.items()}
    clk = _number(_get(timing, "clkMhz", where, "memtimingspec"), where, "memtimingspec.clkMhz", *_CLOCK_MHZ, False)
    tim = {}
    for k in _TIMINGS:
        raw = _get(timing, k, where, "memtimingspec", timing.get("RL") if k == "CL" and isinstance(timing, dict) else None)
        tim[k] = _number(raw, where, f"memtimingspec.{k}", *_TIMING_RANGE, True)
    if tim["REFI"] < 1:
        raise MemSpecError(f"memspec {where}: memtimingspec.REFI = {tim['REFI']} is outside the allowed range "
                           f"[1, {_TIMING_RANGE[1]}]", "memtimingspec.REFI")
    if tim["RFC"] >= tim["REFI"]:
        raise MemSpecError(f"memspec {where}: memtimingspec.RFC = {tim['RFC']} must be below REFI = {tim['REFI']} "
                           "(a refresh must finish before the next is due)", "memtimingspec.RFC")
    if tim["RC"] < tim["RAS"]:
        raise MemSpecError(f"memspec {where}: memtimingspec.RC = {tim['RC']} must be >= RAS = {tim['RAS']}", "memtimingspec.RC")
    vdd = _number(_get(power, "vdd", where, "mempowerspec"), where, "mempowerspec.vdd", *_VDD, False)
    idd = {k: _number(_get(power, k, where, "mempowerspec"), where, f"mempowerspec.{k}", *_IDD_MA, False)
           for k in ("idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5")}
    for k in ("idd0", "idd4r", "idd4w", "idd5"):  # DRAMPower's per-command terms are currents above idd3n
        if idd[k] < idd["idd3n"]:
            raise MemSpecError(f"memspec {where}: mempowerspec.{k} = {idd[k]} must be >= idd3n = {idd['idd3n']} "
                               "(DRAMPower charges the current above the active-standby current)", f"mempowerspec.{k}")
    if idd["idd0"] < idd["idd2n"]:
        raise MemSpecError(f"memspec {where}: mempowerspec.idd0 = {idd['idd0']} must be >= idd2n = {idd['idd2n']}", "mempowerspec.idd0")
    if arch_v["burstLength"] < arch_v["dataRate"]:
        raise MemSpecError(f"memspec {where}: memarchitecturespec.burstLength = {arch_v['burstLength']} must be >= "
                           f"dataRate = {arch_v['dataRate']}", "memarchitecturespec.burstLength")
    spec = MemSpec(
        name=str(ms.get("memoryId", Path(where).stem)), memory_type=str(ms.get("memoryType", "DDR3")),
        banks=arch_v["nbrOfBanks"], rows=arch_v["nbrOfRows"], columns=arch_v["nbrOfColumns"],
        width=arch_v["width"], devices=arch_v["nbrOfDevicesOnDIMM"],
        burst_length=arch_v["burstLength"], data_rate=arch_v["dataRate"], clk_mhz=clk,
        **tim, vdd=vdd, **idd,
    )
    for label, n in (("nbrOfBanks", spec.banks), ("nbrOfRows", spec.rows), ("nbrOfColumns", spec.columns),
                     ("width·nbrOfDevicesOnDIMM/8", spec.width * spec.devices // 8)):
        if n <= 0 or n & (n - 1):
            raise MemSpecError(f"memspec {where}: memarchitecturespec.{label} must be a power of two, got {n}",
                               label if label.startswith("nbr") else "width")
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
        close = suggest(key, BUILTIN_MEMSPECS)
        raise MemSpecError(f"memspec {key!r} is neither a built-in name ({', '.join(BUILTIN_MEMSPECS)}"
                           f"{'; did you mean ' + close + '?' if close else ''}) nor an existing JSON file")
    try:
        data = load_json(read_text(path, "memspec"), str(path))
    except MemSpecError:
        raise
    except WorkloadError as exc:
        raise MemSpecError(str(exc)) from None
    try:
        return memspec_from_dict(data, str(path))
    except MemSpecError as exc:  # add the line of the field at fault
        key = exc.field.rpartition(".")[2]
        text = path.read_text(encoding="utf-8")
        at = text.find(f'"{key}"') if key else -1
        if at < 0:
            raise
        line = text.count("\n", 0, at) + 1
        raise MemSpecError(str(exc).replace(f"memspec {path}:", f"memspec {path}, line {line}:", 1), exc.field) from None
