"""The real-DRAMSys adapter: output parsing (with units), setup isolation, and clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from archgym.errors import SimulatorError
from archgym.simulators.dram.dramsys_backend import (
    ENV_VAR,
    DRAMSysOutputError,
    DRAMSysSimulator,
    parse_output,
)

# Short outputs written in DRAMSys 4.0's print format (values from the reference table).
OUT_NS = """DRAMSys4.0, Copyright (c) 2020
 -> initiator: trace.stl
DRAMSys.controller0  Total Energy:   354964950.00 pJ
DRAMSys.controller0  Average Power:  1232.60 mW
DRAMSys.controller0  Total Time:     287980 ns
DRAMSys.controller0  AVG BW:         17.78 Gb/s (17.36 %)
DRAMSys.controller0  AVG BW\\IDLE:    17.78 Gb/s (17.36 %)
DRAMSys.controller0  MAX BW:         102.40 Gb/s
Simulation took 0.163 seconds
"""
OUT_PS = OUT_NS.replace("287980 ns", "168947500 ps")
DESIGN = {"PagePolicy": "Open", "Scheduler": "Fifo", "SchedulerBuffer": "Bankwise", "RequestBufferSize": 1,
          "RespQueue": "Fifo", "RefreshPolicy": "NoRefresh", "RefreshMaxPostponed": 1, "RefreshMaxPulledin": 1,
          "Arbiter": "Simple", "MaxActiveTransactions": 1}


def test_parse_ns_output():
    r = parse_output(OUT_NS)
    assert r == {"time_ns": 287980.0, "energy_pJ": 354964950.0, "power_mW": 1232.6,
                 "bandwidth_Gbps": 17.78, "bw_util_pct": 17.36}


def test_parse_ps_output_converts_the_unit():
    assert parse_output(OUT_PS)["time_ns"] == pytest.approx(168947.5)
    assert parse_output(OUT_NS.replace("287980 ns", "287.98 us"))["time_ns"] == pytest.approx(287980.0)


def test_parse_missing_field_is_a_clear_error():
    with pytest.raises(DRAMSysOutputError, match="Total Time"):
        parse_output(OUT_NS.replace("Total Time", "Sum Time"))
    with pytest.raises(DRAMSysOutputError, match="Total Energy"):
        parse_output("\n".join(x for x in OUT_NS.splitlines() if "Energy" not in x))


def test_missing_binary_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(SimulatorError, match=ENV_VAR):
        DRAMSysSimulator()
    with pytest.raises(SimulatorError, match="does not exist"):
        DRAMSysSimulator(tmp_path / "nope")


def _fake_binary(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "fake_dramsys.py"
    exe.write_text("#!/usr/bin/env python3\n" + body)
    exe.chmod(0o755)
    return exe


def test_runs_in_private_dirs_and_parses(tmp_path):
    """A stand-in binary checks the layout DRAMSys expects and echoes the policy it was given."""
    body = f'''
import json, os, sys
sim = json.load(open(sys.argv[1]))["simulation"]
res = os.path.join(os.path.dirname(sys.argv[0]), "..", "..", "DRAMSys", "library", "resources")
mc = json.load(open(os.path.join(res, "configs", "mcconfigs", sim["mcconfig"])))["mcconfig"]
assert os.path.isfile(os.path.join(res, "traces", sim["tracesetup"][0]["name"]))
assert os.path.isfile(os.path.join(res, "configs", "memspecs", sim["memspec"]))
print({OUT_PS!r}.replace("168947500", str(1000 * mc["RequestBufferSize"])))
'''
    sim = DRAMSysSimulator(_fake_binary(tmp_path, body), trace="stream")
    r = sim.evaluate([DESIGN, {**DESIGN, "RequestBufferSize": 5}])
    assert r["time_ns"].tolist() == [1.0, 5.0]
    assert r["energy_pJ"][0] == 354964950.0


def test_crash_and_timeout_are_clear_errors(tmp_path):
    crash = DRAMSysSimulator(_fake_binary(tmp_path, "import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n"))
    with pytest.raises(SimulatorError, match="code 3.*boom"):
        crash.evaluate([DESIGN])
    slow = DRAMSysSimulator(_fake_binary(tmp_path, "import time\ntime.sleep(5)\n"), timeout=0.5)
    with pytest.raises(SimulatorError, match="timed out"):
        slow.evaluate([DESIGN])


def test_env_var_and_registry_backend(tmp_path, monkeypatch):
    exe = _fake_binary(tmp_path, f"print({OUT_NS!r})\n")
    monkeypatch.setenv(ENV_VAR, str(exe))
    assert DRAMSysSimulator().evaluate([DESIGN])["time_ns"][0] == 287980.0
    from archgym.registry import make_simulator

    sim = make_simulator("DRAM", backend=f"dramsys:{exe}", trace="random")
    assert sim.evaluate([DESIGN])["power_mW"][0] == 1232.6
    assert json.dumps(sim.config())
    assert os.environ[ENV_VAR] == str(exe)


def test_real_dramsys_reproduces_calibration_rows(dramsys_dir):
    """With a real DRAMSys 4.0 binary (ARCHGYM_DRAMSYS), the adapter reproduces recorded runs exactly."""

    import pandas as pd

    binary = os.environ.get("ARCHGYM_DRAMSYS")
    if not binary:
        pytest.skip("set ARCHGYM_DRAMSYS to a DRAMSys 4.0 binary to run the adapter against the real tool")
    cal = pd.read_csv(dramsys_dir / "calibration.csv")
    rows = pd.concat([cal[cal.trace == t].iloc[[0, 2, 17]] for t in ("stream.stl", "random.stl")])
    ints = ("RequestBufferSize", "RefreshMaxPostponed", "RefreshMaxPulledin", "MaxActiveTransactions")
    for trace, group in rows.groupby("trace"):
        real = DRAMSysSimulator(binary, trace=dramsys_dir / trace)
        designs = [{k: int(r[k]) if k in ints else r[k] for k in real.space.names} for _, r in group.iterrows()]
        out = real.evaluate(designs)
        np.testing.assert_allclose(out["time_ns"], group["total_time_ns"], rtol=1e-9)
        np.testing.assert_allclose(out["energy_pJ"], group["energy_pJ"], rtol=1e-9)
        np.testing.assert_allclose(out["power_mW"], group["power_mW"], rtol=1e-4)
