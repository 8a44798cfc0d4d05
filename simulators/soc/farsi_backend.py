"""Adapter that runs a real FARSI checkout on SoC-v0's ``farsi`` designs (``backend="farsi:PATH"``).

Why an adapter: the ``farsi`` formulation replays FARSI's semantics and matches it on FARSI's own
reference runs, but users validating a change, or training a proxy on ground truth, want the
tool itself behind the env they already use::

    gymnasium.make("archgym/SoC-v0", backend="farsi:/path/to/Project_FARSI",
                   workload="/path/to/database/audio_decoder", formulation="farsi")

Why a subprocess with FARSI's own interpreter: FARSI needs numpy<2 and pandas 1.5 (it calls
``DataFrame.append``), which conflict with archgym's pins, so it lives in its own venv
(``experiments/soc/install_farsi.sh``).  Each design runs ``farsi_runner.py`` in its own
``tempfile.TemporaryDirectory`` (FARSI's CACTI config copy and result cache are redirected there),
with a timeout and no shell; any failure raises :class:`~archgym.errors.SimulatorError` with the
tail of FARSI's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import SimulatorError
from archgym.simulator import Metric, Simulator
from archgym.simulators.soc.farsi import WIDTHS_B
from archgym.simulators.soc.model import METRICS, SoCSimulator

ENV_VAR = "ARCHGYM_FARSI"
PYTHON_ENV_VAR = "ARCHGYM_FARSI_PYTHON"
RUNNER = Path(__file__).with_name("farsi_runner.py")
#: what FARSI measures; the model's other metrics (peak power, deadlines, bus use) have no FARSI twin
FARSI_METRICS: tuple[Metric, ...] = tuple(m for m in METRICS if m.name in
                                          ("latency_ms", "energy_mJ", "power_mW", "area_mm2"))


def spec_of(sim: SoCSimulator, design: dict[str, Any]) -> dict[str, Any]:
    """The runner's description of one ``farsi`` design: FARSI block names and connections, built
    the way :func:`archgym.simulators.soc.farsi.compile_design` reads the same knobs."""
    fw = sim.farsi
    assert fw is not None
    widx = {w: i for i, w in enumerate(WIDTHS_B)}
    pe_name = {t: str(design[f"pe_{t}"]) for t in fw.real_tasks}
    n_gpp = max([int(design["n_gpp"])] + [int(p[3:]) + 1 for p in pe_name.values() if p != "ip"])
    pes = ["A53_pe"] * n_gpp
    pe_to_ic = [int(design[f"gpp{j}_bus"]) for j in range(n_gpp)]
    task_to_pe = {t: 0 for t in fw.tasks if t not in fw.real_tasks}  # FARSI's dummies live on PE 0
    for t in fw.real_tasks:
        if pe_name[t] == "ip":
            task_to_pe[t] = len(pes)
            pes.append(f"{t}_IP0_{int(design[f'ip_{t}_unroll'])}_{int(design[f'ip_{t}_freq_MHz']) // 100}_pe")
            pe_to_ic.append(int(design[f"ip_{t}_bus"]))
        else:
            task_to_pe[t] = int(pe_name[t][3:])
    ics = [f"LMEM_ic_{widx[int(design[f'bus{k}_width_B'])]}_{int(design[f'bus{k}_freq_MHz']) // 100}_ic"
           for k in range(sim.max_buses)]
    writers = {t: int(str(design[f"mem_{t}"])[3:]) for t in fw.tasks if f"mem_{t}" in design}
    used = sorted(set(writers.values()))
    mems = [f"{'GMEM' if design[f'mem{k}_type'] == 'dram' else 'LMEM'}_{widx[int(design[f'mem{k}_width_B'])]}_"
            f"{int(design[f'mem{k}_freq_MHz']) // 100}_mem" for k in used]
    return {"workload": fw.name, "database": fw.folder, "pes": pes, "pe_to_ic": pe_to_ic, "ics": ics,
            "ic_to_ic": [k - 1 for k in range(sim.max_buses)], "mems": mems,
            "mem_to_ic": [int(design[f"mem{k}_bus"]) for k in used], "task_to_pe": task_to_pe,
            "task_to_mem": {t: used.index(m) for t, m in writers.items()}}


class FarsiSimulator(Simulator):
    """The real FARSI (``eval_design``) as a Simulator — slow: ~0.1–0.5 s of CPU per design.

    Description:
        Runs FARSI, as vendored in ArchGym, in its own interpreter on every design of SoC-v0's
        ``farsi`` formulation, building the design as ArchGym's ``FARSIEnv.step`` does.

    Design space:
        Identical to ``SoCSimulator(formulation="farsi")`` on the same workload.

    Metrics:
        latency_ms, energy_mJ, power_mW (FARSI's per-period power) and area_mm2: the four FARSI
        reports.

    Version history:
        v0: first release, FARSI as vendored in ArchGym @53f745af.
    """

    name = "soc-farsi"
    version = "farsi-archgym-53f745af"

    def __init__(self, farsi: str | None = None, workload: str | Path = "", formulation: str = "farsi",
                 max_cores: int = 4, max_buses: int = 2, max_memories: int = 2, timeout_s: float = 600.0,
                 python: str | None = None):
        """Args:
            farsi: the ``Project_FARSI`` folder of a checkout with CACTI built; empty or None reads
                ``ARCHGYM_FARSI``.
            workload: a FARSI workload (database folder, one of its CSVs, or ``<folder>/<name>``).
            formulation: must be ``"farsi"`` (FARSI evaluates FARSI designs).
            timeout_s: wall-clock limit of one evaluation.
            python: FARSI's interpreter; default ``ARCHGYM_FARSI_PYTHON`` or the ``venv`` that
                ``install_farsi.sh`` puts two folders above ``Project_FARSI``.

        Raises:
            SimulatorError: no checkout given, it is not a FARSI checkout, CACTI is not built, or
                the interpreter is missing.
        """
        self.farsi_dir = Path(farsi or os.environ.get(ENV_VAR, ""))
        if not str(farsi or os.environ.get(ENV_VAR, "")):
            raise SimulatorError("the FARSI backend needs a FARSI checkout: backend='farsi:/path/to/Project_FARSI' "
                                 f"or set {ENV_VAR} (install one with experiments/soc/install_farsi.sh)")
        if not (self.farsi_dir / "design_utils" / "design.py").is_file():
            raise SimulatorError(f"{self.farsi_dir} is not a FARSI checkout (no design_utils/design.py); "
                                 "pass the Project_FARSI folder")
        cacti = self.farsi_dir / "cacti_for_FARSI" / "cacti"
        if not (cacti.is_file() and os.access(cacti, os.X_OK)):
            raise SimulatorError(f"CACTI is not built in {cacti.parent} (run make there, or "
                                 "experiments/soc/install_farsi.sh)")
        default_py = self.farsi_dir.parent.parent / "venv" / "bin" / "python"
        self.python = python or os.environ.get(PYTHON_ENV_VAR) or str(default_py)
        if not (Path(self.python).is_file() and os.access(self.python, os.X_OK)):
            raise SimulatorError(f"FARSI's interpreter {self.python!r} does not exist; pass python=... or set "
                                 f"{PYTHON_ENV_VAR} (install_farsi.sh creates <dest>/venv)")
        if formulation != "farsi":
            raise SimulatorError(f"the FARSI backend evaluates the 'farsi' formulation, not {formulation!r}")
        self.timeout_s = float(timeout_s)
        self._model = SoCSimulator(workload, formulation="farsi", max_cores=max_cores, max_buses=max_buses,
                                   max_memories=max_memories)
        self.workload, self.space, self.metrics = self._model.workload, self._model.space, FARSI_METRICS
        self.budgets = self._model.budgets

    def default_objective(self) -> dict[str, Any]:
        return self._model.default_objective()

    def config(self) -> dict[str, Any]:
        return {**self._model.config(), "backend": "farsi"}

    def run_design(self, design: dict[str, Any]) -> dict[str, float]:
        """FARSI's raw results (SI units, CPU seconds) for one validated design."""
        return self._run({**spec_of(self._model, design)})

    def run_batch(self, designs: list[dict[str, Any]]) -> list[dict[str, float]]:
        """FARSI's raw results for several validated designs evaluated in one FARSI process (set
        up once, CACTI's cache shared, as in a FARSI exploration): for timing FARSI warm."""
        return self._run({"batch": [spec_of(self._model, d) for d in designs]})  # type: ignore[return-value]

    def _run(self, spec: dict[str, Any]) -> Any:
        with tempfile.TemporaryDirectory(prefix="archgym-farsi-") as tmp:
            spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "out.json")
            spec_path.write_text(json.dumps(spec))
            cmd = [self.python, str(RUNNER), str(self.farsi_dir), str(spec_path), str(out_path)]
            env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s, cwd=tmp, env=env)
            except subprocess.TimeoutExpired:
                raise SimulatorError(f"FARSI timed out after {self.timeout_s:g} s on a design of {self.workload}; "
                                     "raise timeout_s") from None
            if r.returncode != 0 or not out_path.is_file():
                tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-8:])
                raise SimulatorError(f"FARSI failed (exit code {r.returncode}) on a design of {self.workload}:\n{tail}")
            try:
                return json.loads(out_path.read_text())
            except json.JSONDecodeError as exc:
                raise SimulatorError(f"FARSI's result is not JSON ({exc})") from None

    def _evaluate(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(d["n_gpp"])
        res = {m.name: np.zeros(n) for m in self.metrics}
        for i in range(n):
            r = self.run_design({k: v[i].item() if hasattr(v[i], "item") else v[i] for k, v in d.items()})
            res["latency_ms"][i] = r["latency_s"] * 1e3
            res["energy_mJ"][i] = r["energy_J"] * 1e3
            res["power_mW"][i] = r["power_W"] * 1e3
            res["area_mm2"][i] = r["area_m2"] * 1e6
        finite = np.all([np.isfinite(v) for v in res.values()], axis=0)
        res["feasible"] = finite
        res["reason"] = np.where(finite, "", "FARSI returned a non-finite metric")
        return res
