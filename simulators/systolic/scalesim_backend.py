"""Adapter that runs the real SCALE-Sim (3.0, PyPI) behind the same Simulator protocol.

Why an adapter: the closed-form model reproduces SCALE-Sim's compute exactly, but its DRAM and
stall numbers are a model.  Running the real tool on the same designs lets users check the model
or train proxies on ground truth, through the env they already use
(``make_env("archgym/Systolic-v0", backend="scalesim:/path/to/python")``).

Why a subprocess with its own interpreter: SCALE-Sim 3.0.0 crashes on numpy 2, so it lives in a
separate environment with ``numpy<2``; archgym never imports it.  Each design runs in its own
``tempfile.TemporaryDirectory`` (config, topology, empty layout file, reports), so concurrent runs
never share files and nothing is left behind.

Configuration written per design: ``InterfaceBandwidth = USER`` with the design's ``dram_bw`` on
every channel (SCALE-Sim 3.0 takes the IFMAP and filter DRAM bandwidth from the ``[layout]``
``*SRAMBankBandwidth`` keys and the OFMAP bandwidth from ``Bandwidth``), one bank per SRAM, no
custom layouts, no sparsity, no Ramulator.  Metrics are the model's (``METRICS``): cycles, stalls,
SRAM and DRAM counts come from SCALE-Sim's ``COMPUTE_REPORT.csv`` and
``DETAILED_ACCESS_REPORT.csv``; energy, power and area apply the same
:class:`~archgym.simulators.systolic.tech.Technology` table to those counts, so the two backends
are directly comparable.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import SimulatorError
from archgym.simulator import Simulator
from archgym.simulators.systolic.model import METRICS, SPACE, SystolicSimulator
from archgym.simulators.systolic.tech import Technology
from archgym.simulators.systolic.topology import BUILTIN_WORKLOADS, Network, load_network, parse_topology

ENV_VAR = "ARCHGYM_SCALESIM_PYTHON"

_RUNNER = """
import sys
from scalesim.scale_sim import scalesim
cfg, topo, layout, out, gemm = sys.argv[1:6]
s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
             input_type_gemm=(gemm == "gemm"))
s.run_scale(top_path=out)
"""

_PROBE = "import numpy, scalesim.scale_sim; print(numpy.__version__)"

_CONFIG = """[general]
run_name = archgym

[architecture_presets]
ArrayHeight = {rows}
ArrayWidth = {cols}
IfmapSramSzkB = {ifmap_sram_kB}
FilterSramSzkB = {filter_sram_kB}
OfmapSramSzkB = {ofmap_sram_kB}
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Dataflow = {dataflow}
Bandwidth = {dram_bw}
ReadRequestBuffer = 32
WriteRequestBuffer = 32

[layout]
IfmapCustomLayout = False
IfmapSRAMBankBandwidth = {dram_bw}
IfmapSRAMBankNum = 1
IfmapSRAMBankPort = 2
FilterCustomLayout = False
FilterSRAMBankBandwidth = {dram_bw}
FilterSRAMBankNum = 1
FilterSRAMBankPort = 2

[sparsity]
SparsitySupport = false
SparseRep = ellpack_block
OptimizedMapping = false
BlockSize = 8
RandomNumberGeneratorSeed = 40

[run_presets]
InterfaceBandwidth = USER
UseRamulatorTrace = False
"""

# per-layer report columns → our per-layer keys
_DETAIL = {"SRAM IFMAP Reads": "sram_ifmap_reads", "SRAM Filter Reads": "sram_filter_reads",
           "SRAM OFMAP Writes": "sram_ofmap_writes", "DRAM IFMAP Reads": "dram_ifmap_reads",
           "DRAM Filter Reads": "dram_filter_reads", "DRAM OFMAP Writes": "dram_ofmap_writes"}


def config_text(design: dict[str, Any]) -> str:
    """The SCALE-Sim config file for one design (a validated dict of ``SPACE``)."""
    return _CONFIG.format(**design)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise SimulatorError(f"SCALE-Sim wrote no {path.name} (expected at {path})")
    rows = list(csv.reader(path.read_text().splitlines()))
    header = [h.strip() for h in rows[0] if h.strip()]
    # SCALE-Sim ends rows with a comma, so a row may have one empty field more than the header
    return [dict(zip(header, (f.strip() for f in r), strict=False)) for r in rows[1:] if any(f.strip() for f in r)]


def parse_reports(compute_csv: str, detail_csv: str) -> dict[str, np.ndarray]:
    """Per-layer arrays from the text of ``COMPUTE_REPORT.csv`` and ``DETAILED_ACCESS_REPORT.csv``.

    Returns ``total_cycles``, ``stall_cycles``, ``compute_cycles`` (= total − stall, which equals
    the CALC-mode count), ``overall_util``, ``mapping_eff``, ``compute_util`` (fractions) and the
    six SRAM/DRAM counts, one entry per layer.
    """
    with tempfile.TemporaryDirectory() as tmp:
        c, d = Path(tmp, "COMPUTE_REPORT.csv"), Path(tmp, "DETAILED_ACCESS_REPORT.csv")
        c.write_text(compute_csv)
        d.write_text(detail_csv)
        return _parse_report_files(c, d)


def _parse_report_files(compute_path: Path, detail_path: Path) -> dict[str, np.ndarray]:
    comp, det = _read_csv(compute_path), _read_csv(detail_path)
    if not comp or len(comp) != len(det):
        raise SimulatorError(f"SCALE-Sim reports disagree: {len(comp)} rows in {compute_path.name}, "
                             f"{len(det)} in {detail_path.name}")
    try:
        out = {
            "total_cycles": np.array([float(r["Total Cycles"]) for r in comp]),
            "stall_cycles": np.array([float(r["Stall Cycles"]) for r in comp]),
            "overall_util": np.array([float(r["Overall Util %"]) / 100 for r in comp]),
            "mapping_eff": np.array([float(r["Mapping Efficiency %"]) / 100 for r in comp]),
            "compute_util": np.array([float(r["Compute Util %"]) / 100 for r in comp]),
        }
        for col, key in _DETAIL.items():
            out[key] = np.array([float(r[col]) for r in det])
    except (KeyError, ValueError) as exc:
        raise SimulatorError(f"cannot parse SCALE-Sim reports ({compute_path.name}, {detail_path.name}): "
                             f"missing or non-numeric column {exc}") from None
    out["compute_cycles"] = out["total_cycles"] - out["stall_cycles"]
    return out


def _topology_text(workload: str | Path, network: Network | None) -> tuple[str, str]:
    """(CSV text with SCALE-Sim's trailing commas, "conv" | "gemm") for the workload.

    Built-in and user CSVs are passed through row by row, so conv layers keep their true IFMAP
    sizes; an in-memory ``network`` is written in GEMM form (P, K filters, window Wn), which has
    the same compute and SRAM counts but IFMAP DRAM traffic of a P×Wn matrix.
    """
    if network is not None:
        rows = ["Layer, M, N, K,"] + [f"{lay.name}, {lay.P}, {lay.K}, {lay.Wn}," for lay in network.layers]
        return "\n".join(rows) + "\n", "gemm"
    p = Path(workload)
    if p.suffix == ".csv" or p.exists():
        text = p.read_text()
    elif workload in BUILTIN_WORKLOADS:
        text = resources.files("archgym.data").joinpath("systolic", f"{workload}.csv").read_text()
    else:
        load_network(workload)  # raises the standard "unknown workload" error
        raise AssertionError("unreachable")
    rows = [[f.strip() for f in r] for r in csv.reader(text.splitlines())]
    rows = [[f for f in r if f] for r in rows if any(r)]
    kind = "gemm" if len(rows[0]) == 4 else "conv"
    return "\n".join(", ".join(r) + "," for r in rows) + "\n", kind


class ScaleSimSimulator(Simulator):
    """The real SCALE-Sim 3.0 as a Simulator (slow: seconds to minutes per layer and design).

    Description:
        Runs ``scalesim`` in a separate interpreter (numpy<2) for every design, in USER bandwidth
        mode, and reports the same metrics as :class:`SystolicSimulator` so the two can be swapped.

    Design space:
        Identical to :class:`SystolicSimulator` (``SPACE``).

    Metrics:
        Identical to :class:`SystolicSimulator` (``METRICS``); energy/area use the same technology
        table applied to SCALE-Sim's counts.

    Version history:
        v0: first release, SCALE-Sim 3.0.0 (PyPI).
    """

    name = "systolic-scalesim"
    version = "scalesim-3.0"

    def __init__(self, python: str | None = None, workload: str | Path = "resnet18",
                 timeout_s: float = 3600.0, tech: Technology | None = None, network: Network | None = None,
                 memory: str = "closed"):
        """Args:
            python: interpreter with ``scalesim`` and ``numpy<2`` installed: a path, or a bare name
                such as ``python3`` looked up on ``PATH``; empty or None reads the
                ``ARCHGYM_SCALESIM_PYTHON`` environment variable.
            workload: built-in network name or path of a SCALE-Sim topology CSV.
            timeout_s: wall-clock limit of one SCALE-Sim run (one design, whole network).
            tech: energy/area parameters (the model's defaults if None).
            network: an in-memory network instead of ``workload`` (written as GEMM layers).
            memory: the memory mode of the model this backend stands in for (``"closed"`` or
                ``"exact"``); SCALE-Sim itself always simulates its memory system, so it only
                tags the configuration (an env made with ``memory=`` works with either backend).

        Raises:
            SimulatorError: no interpreter given, it does not exist, it cannot import scalesim,
                or it has numpy 2 (on which SCALE-Sim 3.0 crashes).
        """
        self.python = python or os.environ.get(ENV_VAR, "")
        if not self.python:
            raise SimulatorError("the SCALE-Sim backend needs a Python interpreter that has scalesim and "
                                 f"numpy<2 installed: pass python=... (backend='scalesim:/path/to/python') "
                                 f"or set {ENV_VAR}")
        self.python = resolve_interpreter(self.python)
        self.timeout_s = float(timeout_s)
        self._model = SystolicSimulator(workload=workload, tech=tech, network=network, memory=memory)
        self.workload, self.tech, self.network = self._model.workload, self._model.tech, self._model.network
        self.space, self.metrics = SPACE, METRICS
        self._topology, self._kind = _topology_text(workload, network)
        self._check_interpreter()

    def _check_interpreter(self) -> None:
        try:
            r = subprocess.run([self.python, "-c", _PROBE], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SimulatorError(f"cannot run SCALE-Sim interpreter {self.python!r}: {exc}") from None
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["no output"])[-1]
            raise SimulatorError(f"scalesim is not importable with {self.python!r} ({last}); "
                                 "install it there with: pip install scalesim 'numpy<2'")
        if int(r.stdout.strip().split(".")[0]) >= 2:
            raise SimulatorError(f"{self.python!r} has numpy {r.stdout.strip()}; SCALE-Sim 3.0 crashes on "
                                 "numpy 2, install numpy<2 in that environment")

    def config(self) -> dict[str, Any]:
        return {**self._model.config(), "backend": "scalesim"}

    def run_layers(self, design: dict[str, Any]) -> dict[str, np.ndarray]:
        """Run SCALE-Sim on one validated design; per-layer arrays (see :func:`parse_reports`)."""
        with tempfile.TemporaryDirectory(prefix="archgym-scalesim-") as tmp:
            t = Path(tmp)
            (t / "archgym.cfg").write_text(config_text(design))
            (t / "topology.csv").write_text(self._topology)
            (t / "layout.csv").write_text("Layer name,\n")
            cmd = [self.python, "-c", _RUNNER, str(t / "archgym.cfg"), str(t / "topology.csv"),
                   str(t / "layout.csv"), str(t / "out"), self._kind]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s, cwd=tmp)
            except subprocess.TimeoutExpired:
                raise SimulatorError(f"SCALE-Sim timed out after {self.timeout_s:g} s on design {design} "
                                     f"(workload {self.workload}); raise timeout_s") from None
            report = t / "out" / "archgym"
            if r.returncode != 0 or "ERROR" in r.stdout or not (report / "COMPUTE_REPORT.csv").is_file():
                tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-5:])
                raise SimulatorError(f"SCALE-Sim failed (exit code {r.returncode}) on design {design}:\n{tail}")
            out = _parse_report_files(report / "COMPUTE_REPORT.csv", report / "DETAILED_ACCESS_REPORT.csv")
        if len(out["total_cycles"]) != len(self.network.layers):
            raise SimulatorError(f"SCALE-Sim reported {len(out['total_cycles'])} layers, the workload has "
                                 f"{len(self.network.layers)}")
        return out

    def _evaluate(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(d["rows"])
        results: dict[str, list[float]] = {m.name: [] for m in self.metrics}
        macs = self.network.arrays()
        macs = (macs["P"] * macs["Wn"] * macs["K"]).astype(float)
        for i in range(n):
            design = {k: v[i].item() for k, v in d.items()}
            per = self.run_layers(design)
            per = {k: v[None, :] for k, v in per.items()}
            per["macs"] = macs[None, :]
            one = self._model.aggregate({k: v[i:i + 1] for k, v in d.items()}, per)
            for m in self.metrics:
                results[m.name].append(float(np.asarray(one[m.name]).reshape(-1)[0]))
        return {k: np.asarray(v) for k, v in results.items()}


def resolve_interpreter(python: str) -> str:
    """The interpreter's path: a bare name (``python3``) is looked up on ``PATH`` like a shell
    would, so ``backend="scalesim:python3"`` works; a path must exist and be executable.

    Raises:
        SimulatorError: naming what was looked up and where.
    """
    if os.sep not in python and (os.altsep is None or os.altsep not in python):
        found = shutil.which(python)
        if found is None:
            raise SimulatorError(f"SCALE-Sim interpreter {python!r} is not on PATH "
                                 f"({os.environ.get('PATH', '')!r}); pass its full path "
                                 f"(backend='scalesim:/path/to/python') or set {ENV_VAR}")
        return found
    if not Path(python).is_file() or not os.access(python, os.X_OK):
        raise SimulatorError(f"SCALE-Sim interpreter {python!r} does not exist or is not executable")
    return python


def measure_topology(python: str, topology_csv: str, design: dict[str, Any], timeout_s: float = 3600.0,
                     tech: Technology | None = None) -> dict[str, np.ndarray]:
    """Run SCALE-Sim on a topology given as CSV text (conv or GEMM) for one design; per-layer arrays.

    A convenience for validation scripts: it parses the topology first (clear errors for bad
    text), writes it to a temporary file and runs it through :class:`ScaleSimSimulator`.
    """
    parse_topology(topology_csv, "<topology>")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "layers.csv")
        path.write_text(topology_csv)
        sim = ScaleSimSimulator(python, workload=path, timeout_s=timeout_s, tech=tech)
        return sim.run_layers(SPACE.validate(design))
