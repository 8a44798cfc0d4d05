"""Run a real DRAMSys 4.0 binary behind the :class:`~archgym.simulator.Simulator` protocol.

Two ArchGym bugs are designed out here:

* every evaluation runs in its **own temporary directory** with private copies of its configs
  (ArchGym rewrote one shared ``policy.json``, so parallel runs raced);
* ``Total Time`` is parsed **with its unit** (DRAMSys prints ``sc_time`` as ``287980 ns`` or
  ``168947500 ps``; ArchGym dropped the unit and was off by 1000x).

The binary is given as an argument or through ``ARCHGYM_DRAMSYS``.  DRAMSys 4.0 resolves its
resources from ``dirname(argv[0])/../../DRAMSys/library/resources``, so each run symlinks the binary
into ``<tmp>/bin/x/DRAMSys`` and writes the configs under ``<tmp>/DRAMSys/library/resources``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import SimulatorError, WorkloadNotFoundError
from archgym.simulator import Simulator
from archgym.simulators.dram.memspec import MemSpec, load_memspec
from archgym.simulators.dram.model import METRICS as MODEL_METRICS
from archgym.simulators.dram.model import SPACE
from archgym.simulators.dram.trace import BUILTIN_TRACES, builtin_trace_path, check_clock, workload_alias

ENV_VAR = "ARCHGYM_DRAMSYS"
_UNITS = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0, "ps": 1e-3, "fs": 1e-6}
_NUM = r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
_PATTERNS = {
    "energy_pJ": re.compile(r"Total Energy:\s*" + _NUM + r"\s*pJ"),
    "power_mW": re.compile(r"Average Power:\s*" + _NUM + r"\s*mW"),
    "bandwidth_Gbps": re.compile(r"AVG BW:\s*" + _NUM + r"\s*Gb/s"),
    "bw_util_pct": re.compile(r"AVG BW:\s*[-+\d.eE]+\s*Gb/s\s*\(\s*" + _NUM + r"\s*%\s*\)"),
}
_TIME = re.compile(r"Total Time:\s*" + _NUM + r"\s*(fs|ps|ns|us|ms|s)\b")

# the DRAMSys printout gives these five of the model's metrics (one definition: the model's)
METRICS = tuple(m for m in MODEL_METRICS if m.name in ("time_ns", "energy_pJ", "power_mW", "bandwidth_Gbps",
                                                        "bw_util_pct"))


class DRAMSysOutputError(SimulatorError):
    """DRAMSys's output lacks a field the adapter needs (message quotes the missing field)."""


def parse_output(text: str) -> dict[str, float]:
    """Parse DRAMSys 4.0 stdout into metrics; ``Total Time`` is converted to ns using its unit.

    Raises:
        DRAMSysOutputError: if a required field is missing.
    """
    out: dict[str, float] = {}
    m = _TIME.findall(text)
    if not m:
        raise DRAMSysOutputError("DRAMSys output has no 'Total Time: <value> <unit>' line")
    value, unit = m[-1]
    out["time_ns"] = float(value) * _UNITS[unit]
    for key, pat in _PATTERNS.items():
        found = pat.findall(text)
        if not found:
            raise DRAMSysOutputError(f"DRAMSys output has no {pat.pattern.split(':')[0]!r} line")
        out[key] = float(found[-1])
    return out


def resolve_binary(binary_path: str | os.PathLike[str] | None) -> Path:
    """The DRAMSys binary from the argument or ``$ARCHGYM_DRAMSYS``, checked to exist and run."""
    raw = binary_path or os.environ.get(ENV_VAR)
    if not raw:
        raise SimulatorError(f"no DRAMSys binary: pass its path (backend 'dramsys:/path/to/DRAMSys') "
                             f"or set {ENV_VAR}")
    path = Path(raw).expanduser()
    if not path.is_file():
        raise SimulatorError(f"DRAMSys binary {str(path)!r} does not exist")
    if not os.access(path, os.X_OK):
        raise SimulatorError(f"DRAMSys binary {str(path)!r} is not executable (chmod +x it)")
    return path.resolve()


def _memspec_json(spec: MemSpec, source: Any) -> dict[str, Any]:
    if isinstance(source, (str, Path)) and Path(source).is_file():
        return json.loads(Path(source).read_text())
    from importlib import resources

    from archgym.simulators.dram.memspec import BUILTIN_MEMSPECS
    name = BUILTIN_MEMSPECS.get(str(source))
    if name is None:
        raise SimulatorError(f"memspec {source!r} has no DRAMSys JSON to hand to the binary")
    return json.loads(resources.files("archgym.data").joinpath("dram", "memspecs", name).read_text())


def _address_mapping(spec: MemSpec) -> dict[str, Any]:
    byte_b, col_b, bank_b, row_b = spec.address_bits()
    bits = list(range(byte_b + col_b + bank_b + row_b))
    return {"CONGEN": {"BYTE_BIT": bits[:byte_b], "COLUMN_BIT": bits[byte_b:byte_b + col_b],
                       "BANK_BIT": bits[byte_b + col_b:byte_b + col_b + bank_b],
                       "ROW_BIT": bits[byte_b + col_b + bank_b:]}}


class DRAMSysSimulator(Simulator):
    """Real DRAMSys 4.0 runs for ``archgym/DRAM-v0`` (backend ``dramsys:/path/to/DRAMSys``).

    Description:
        Writes a private simulation setup per design, runs the binary with a timeout, and parses
        energy, power, time (with its unit) and bandwidth.  Same design space as the model.

    Design space:
        As :class:`~archgym.simulators.dram.DRAMSimulator`.

    Metrics:
        time_ns, energy_pJ, power_mW, bandwidth_Gbps, bw_util_pct.

    Objective:
        The env's objective (default: target on power_mW and time_ns).

    Version history:
        v0: first release.
    """

    name = "dramsys"
    version = "4.0"

    def __init__(self, binary_path: str | os.PathLike[str] | None = None, trace: str | Path = "stream",
                 memspec: str | Path = "DDR3-1600", trace_clk_mhz: float = 800.0, timeout: float = 120.0,
                 power_down: str = "NoPowerDown", *, workload: str | Path | None = None):
        trace = workload_alias(workload, trace, "stream")
        self.binary = resolve_binary(binary_path)
        self.trace_path = builtin_trace_path(str(trace)) if str(trace) in BUILTIN_TRACES else Path(trace)
        if not self.trace_path.is_file():
            raise WorkloadNotFoundError(f"trace {str(trace)!r} not found")
        self.memspec = memspec
        self.spec = load_memspec(memspec)
        self.trace_clk_mhz = check_clock(trace_clk_mhz)
        self.timeout = timeout
        self.power_down = power_down
        self.workload = str(trace)
        self.space = SPACE
        self.metrics = METRICS

    def config(self) -> dict[str, Any]:
        return {"workload": self.workload, "binary": str(self.binary), "memspec": self.spec.to_dict()}

    def _setup(self, root: Path, design: dict[str, Any]) -> Path:
        res = root / "DRAMSys" / "library" / "resources"
        for sub in ("simulations", "configs/simulator", "configs/mcconfigs", "configs/memspecs",
                    "configs/amconfigs", "configs/thermalsim", "traces"):
            (res / sub).mkdir(parents=True, exist_ok=True)
        mc = {k: (v.item() if hasattr(v, "item") else v) for k, v in design.items()}
        mc.update({"CmdMux": "Oldest", "PowerDownPolicy": self.power_down})
        (res / "configs/mcconfigs/policy.json").write_text(json.dumps({"mcconfig": mc}))
        (res / "configs/memspecs/memspec.json").write_text(json.dumps(_memspec_json(self.spec, self.memspec)))
        (res / "configs/amconfigs/am.json").write_text(json.dumps(_address_mapping(self.spec)))
        (res / "configs/simulator/sim.json").write_text(json.dumps({"simconfig": {
            "AddressOffset": 0, "CheckTLM2Protocol": False, "DatabaseRecording": False, "Debug": False,
            "ECCControllerMode": "Disabled", "EnableWindowing": False, "ErrorCSVFile": "", "ErrorChipSeed": 42,
            "PowerAnalysis": True, "SimulationName": "archgym", "SimulationProgressBar": False,
            "StoreMode": "NoStorage", "ThermalSimulation": False, "UseMalloc": False, "WindowSize": 1000}}))
        # DRAMSys 4.0 parses the thermal section even with ThermalSimulation off; it must not be empty
        (res / "configs/thermalsim/config.json").write_text(json.dumps({"thermalsimconfig": {
            "TemperatureScale": "Celsius", "StaticTemperatureDefaultValue": 89, "ThermalSimPeriod": 100,
            "ThermalSimUnit": "us", "PowerInfoFile": "powerInfo.json", "IceServerIp": "127.0.0.1",
            "IceServerPort": 11880, "SimPeriodAdjustFactor": 10, "NPowStableCyclesToIncreasePeriod": 5,
            "GenerateTemperatureMap": False, "GeneratePowerMap": False}}))
        (res / "configs/thermalsim/powerInfo.json").write_text(json.dumps({"powerInfo": {
            "dram_die_channel0": {"init_pow": 0, "threshold": 1.0}}}))
        shutil.copyfile(self.trace_path, res / "traces" / "trace.stl")
        sim = res / "simulations" / "archgym.json"
        sim.write_text(json.dumps({"simulation": {
            "simulationid": "archgym", "simconfig": "sim.json", "thermalconfig": "config.json",
            "mcconfig": "policy.json", "memspec": "memspec.json", "addressmapping": "am.json",
            "tracesetup": [{"clkMhz": self.trace_clk_mhz, "name": "trace.stl"}]}}))
        exe = root / "bin" / "x" / "DRAMSys"
        exe.parent.mkdir(parents=True)
        exe.symlink_to(self.binary)
        return sim

    def run_one(self, design: dict[str, Any]) -> dict[str, float]:
        """Run DRAMSys on one design in a fresh temporary directory and parse its output."""
        with tempfile.TemporaryDirectory(prefix="archgym-dramsys-") as tmp:
            root = Path(tmp)
            sim = self._setup(root, design)
            try:
                proc = subprocess.run([str(root / "bin" / "x" / "DRAMSys"), str(sim)], cwd=root,
                                      capture_output=True, text=True, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                raise SimulatorError(f"DRAMSys timed out after {self.timeout} s on {design}") from None
            if proc.returncode != 0:
                tail = (proc.stderr or proc.stdout)[-500:]
                raise SimulatorError(f"DRAMSys exited with code {proc.returncode} on {design}: {tail}")
            return parse_output(proc.stdout)

    def _evaluate(self, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(cols[self.space.names[0]])
        rows = [self.run_one({k: cols[k][i] for k in self.space.names}) for i in range(n)]
        return {m.name: np.array([r[m.name] for r in rows]) for m in self.metrics}
