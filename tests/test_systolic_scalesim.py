"""The SCALE-Sim backend: report parsing, config writing, clear errors, and (only when
``ARCHGYM_SCALESIM_PYTHON`` points at an interpreter with scalesim and numpy<2) a real run."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from archgym.errors import SimulatorError
from archgym.registry import make_env
from archgym.simulators.systolic import SystolicSimulator, parse_topology
from archgym.simulators.systolic.scalesim_backend import (
    ENV_VAR,
    ScaleSimSimulator,
    config_text,
    parse_reports,
)

# Reports of a 2-layer GEMM topology (g1 64,32,64; g2 32,48,96), 32×32 WS, SRAM 8/8/8 kB, USER
# bandwidth 4 words/cycle, as SCALE-Sim 3.0.0 wrote them (recorded for this test).
COMPUTE = """LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,
0, 2362, 315, 0, 40.63492063492063, 100.0, 33.86243386243386,
1, 3526, 1541, 786, 9.344581440622973, 75.0, 15.286624203821656,
"""
DETAIL = """LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,
0, 33.0, 285.0, 4096, 1.0, 190.0, 2048, 63.0, 315.0, 4096, -1024.0, -1.0, 4096, -512.0, -1.0, 2048, 315.0, 1338.0, 4096,
1, 33.0, 1511.0, 6144, 1.0, 1448.0, 4608, 63.0, 1525.0, 4608, -768.0, -1.0, 3072, -1024.0, 1024.0, 8192, 1479.0, 2502.0, 4611,
"""
TOPO = "Layer, M, N, K,\ng1, 64, 32, 64,\ng2, 32, 48, 96,\n"
DESIGN = {"rows": 32, "cols": 32, "dataflow": "ws", "ifmap_sram_kB": 8, "filter_sram_kB": 8,
          "ofmap_sram_kB": 8, "dram_bw": 4}


def test_parse_recorded_reports():
    out = parse_reports(COMPUTE, DETAIL)
    assert out["total_cycles"].tolist() == [315, 1541]
    assert out["stall_cycles"].tolist() == [0, 786]
    assert out["compute_cycles"].tolist() == [315, 755]
    assert out["mapping_eff"].tolist() == [1.0, 0.75]
    assert out["dram_filter_reads"].tolist() == [2048, 8192]
    assert out["dram_ofmap_writes"].tolist() == [4096, 4611]
    assert out["sram_ifmap_reads"].tolist() == [4096, 6144]


def test_recorded_compute_part_matches_the_model_exactly():
    """The compute part of a USER-mode run (total − stalls) is the closed form's CALC count."""
    out = parse_reports(COMPUTE, DETAIL)
    per = SystolicSimulator(network=parse_topology(TOPO, "t.csv")).layer_metrics([DESIGN])
    assert per["compute_cycles"][0].tolist() == out["compute_cycles"].tolist()
    for k in ("sram_ifmap_reads", "sram_filter_reads", "sram_ofmap_writes"):
        assert per[k][0].tolist() == out[k].tolist()
    np.testing.assert_allclose(per["mapping_eff"][0], out["mapping_eff"])


def test_parse_errors_are_clear():
    with pytest.raises(SimulatorError, match="disagree"):
        parse_reports(COMPUTE, DETAIL.rsplit("\n", 2)[0] + "\n")
    with pytest.raises(SimulatorError, match="Stall Cycles"):
        parse_reports(COMPUTE.replace("Stall Cycles", "Stalls"), DETAIL)


def test_config_text_sets_user_bandwidth_on_every_channel():
    cfg = config_text({**DESIGN, "dram_bw": 2})
    assert "InterfaceBandwidth = USER" in cfg
    assert "Dataflow = ws" in cfg and "ArrayHeight = 32" in cfg
    assert cfg.count("= 2\n") >= 3  # Bandwidth, IfmapSRAMBankBandwidth, FilterSRAMBankBandwidth


def test_no_interpreter_given(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(SimulatorError, match=ENV_VAR):
        ScaleSimSimulator()
    with pytest.raises(SimulatorError, match=ENV_VAR):
        ScaleSimSimulator("")  # what the registry passes for backend="scalesim"


def test_missing_interpreter(tmp_path):
    with pytest.raises(SimulatorError, match="does not exist"):
        ScaleSimSimulator(str(tmp_path / "no-python"))


def test_interpreter_without_scalesim(monkeypatch):
    """This test's own interpreter has no scalesim (archgym never installs it)."""
    pytest.importorskip("numpy")
    try:
        import scalesim  # noqa: F401
        pytest.skip("scalesim is importable here")
    except ImportError:
        pass
    with pytest.raises(SimulatorError, match="scalesim is not importable"):
        ScaleSimSimulator(sys.executable)


@pytest.mark.skipif(not os.environ.get(ENV_VAR), reason=f"set {ENV_VAR} to run the real SCALE-Sim")
def test_real_scalesim_tiny_gemm(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text(TOPO)
    real = ScaleSimSimulator(workload=path, timeout_s=300)
    model = SystolicSimulator(workload=path)
    per = real.run_layers(DESIGN)
    assert per["compute_cycles"].tolist() == model.layer_metrics([DESIGN])["compute_cycles"][0].tolist()
    out = real.evaluate([DESIGN])
    assert set(model.metric_names) <= set(out)
    assert out["cycles"][0] == per["total_cycles"].sum()
    assert out["stall_cycles"][0] == per["stall_cycles"].sum()
    assert np.isfinite([out[m][0] for m in model.metric_names]).all()


def test_bare_interpreter_name_is_looked_up_on_path(tmp_path, monkeypatch):
    """``backend="scalesim:python3"`` finds the interpreter on PATH like a shell would."""
    fake = tmp_path / "fakepython"
    fake.write_text("#!/bin/sh\necho 'no scalesim here' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SimulatorError, match=f"scalesim is not importable with '{fake}'"):
        ScaleSimSimulator("fakepython")
    with pytest.raises(SimulatorError, match="scalesim is not importable with '/"):
        make_env("archgym/Systolic-v0", backend="scalesim:fakepython")


def test_bare_interpreter_name_not_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SimulatorError, match="'python3' is not on PATH"):
        ScaleSimSimulator("python3")
