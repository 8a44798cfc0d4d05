"""Fidelity of the DRAM model against 1,080 real DRAMSys 4.0 runs (../shared/dramsys/calibration.csv).

Thresholds from issue #3: per ArchGym trace and per metric (time, energy, power), median |relative
error| <= 5 %, 90th percentile <= 15 %, Spearman rank correlation >= 0.95.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments" / "dram"))


@pytest.mark.parametrize("trace", ["stream", "random", "cloud-1", "cloud-2"])
def test_fidelity_against_dramsys(dramsys_dir, trace):
    from fidelity import compare

    table = compare(dramsys_dir, (trace,))
    for row in table.itertuples():
        assert row.median_err_pct <= 5.0, row
        assert row.p90_err_pct <= 15.0, row
        assert row.spearman >= 0.95, row


def test_exact_rows_of_the_reference(dramsys_dir):
    """The held-out hand-checked cases of simulators.md 1e that the model reproduces closely."""
    from archgym.simulators.dram import DRAMSimulator

    base = {"PagePolicy": "Open", "Scheduler": "Fifo", "SchedulerBuffer": "Bankwise", "RequestBufferSize": 1,
            "RespQueue": "Fifo", "RefreshPolicy": "NoRefresh", "RefreshMaxPostponed": 1,
            "RefreshMaxPulledin": 1, "Arbiter": "Simple", "MaxActiveTransactions": 1}
    sim = DRAMSimulator(trace=dramsys_dir / "stream.stl")
    r = sim.evaluate([base, {**base, "PagePolicy": "Closed"}])
    assert r["time_ns"][0] == pytest.approx(51595, rel=0.01)
    assert r["energy_pJ"][0] == pytest.approx(85957050, rel=0.01)
    assert r["time_ns"][1] == pytest.approx(472350, rel=0.02)
