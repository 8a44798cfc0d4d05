"""The ``farsi:`` backend of SoC-v0: clear errors always; real FARSI runs only when ARCHGYM_FARSI
points at a checkout (``experiments/soc/install_farsi.sh``) and ../shared/farsi is present."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from archgym.errors import SimulatorError
from archgym.registry import make_simulator
from archgym.simulators.soc.farsi import design_from_reference
from archgym.simulators.soc.farsi_backend import FarsiSimulator

FARSI = os.environ.get("ARCHGYM_FARSI", "")


def test_missing_checkout_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("ARCHGYM_FARSI", raising=False)
    with pytest.raises(SimulatorError, match="needs a FARSI checkout"):
        FarsiSimulator(None, workload="x")
    with pytest.raises(SimulatorError, match="not a FARSI checkout"):
        make_simulator("SoC", backend=f"farsi:{tmp_path}", workload="x")
    (tmp_path / "design_utils").mkdir()
    (tmp_path / "design_utils" / "design.py").write_text("")
    with pytest.raises(SimulatorError, match="CACTI is not built"):
        FarsiSimulator(str(tmp_path), workload="x")


@pytest.fixture(scope="module")
def farsi_rows(shared_dir: Path):
    if not FARSI:
        pytest.skip("set ARCHGYM_FARSI to a Project_FARSI checkout to run FARSI itself")
    path = shared_dir / "farsi" / "calibration.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return list(csv.DictReader(path.open())), shared_dir / "farsi" / "database"


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 45, 100])  # one design of each workload
def test_backend_reproduces_farsi_reference_runs(farsi_rows, index):
    rows, db = farsi_rows
    row = rows[index]
    kwargs, design = design_from_reference(row, db)
    r = make_simulator("SoC", backend=f"farsi:{FARSI}", **kwargs).evaluate([design])
    assert r["latency_ms"][0] * 1e-3 == pytest.approx(float(row["latency_s"]), rel=1e-6)
    assert r["power_mW"][0] * 1e-3 == pytest.approx(float(row["power_W"]), rel=1e-6)
    assert r["area_mm2"][0] * 1e-6 == pytest.approx(float(row["area_m2"]), rel=1e-6)
    assert r["energy_mJ"][0] * 1e-3 == pytest.approx(float(row["energy_J"]), rel=1e-6)


@pytest.mark.slow
def test_backend_timeout_is_a_clear_error(farsi_rows):
    rows, db = farsi_rows
    kwargs, design = design_from_reference(rows[0], db)
    sim = FarsiSimulator(FARSI, timeout_s=0.01, **kwargs)
    with pytest.raises(SimulatorError, match="timed out"):
        sim.evaluate([design])
