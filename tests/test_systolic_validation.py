"""The systolic model reproduces SCALE-Sim's reference cases exactly.

Source of every number below: ``../shared/reference/simulators.md`` §2d "Held-out SCALE-Sim
cases" (SCALE-Sim v2, CALC mode, SRAM 64/64/64 kB unless noted; G0 is the scale-sim-v2 repo's
golden trace ``test/golden_trace/COMPUTE_REPORT.csv``).  Columns: total cycles, overall util %,
mapping efficiency %, compute util %, SRAM IFMAP reads / filter reads / OFMAP writes.
The numbers are copied here as data so the test runs without the reference folder.
"""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulators.systolic import SystolicSimulator, parse_topology
from archgym.simulators.systolic.compute import compute, dataflow_code
from archgym.simulators.systolic.topology import Layer, Network

ALEX1 = Layer.conv("AlexNet Conv1", 224, 224, 11, 11, 3, 96, 4)
ALEX2 = Layer.conv("AlexNet Conv2", 27, 27, 5, 5, 96, 256, 1)
RES2 = Layer.conv("ResNet18 Conv2_1a", 56, 56, 3, 3, 64, 64, 1)
GEMM_E = Layer.gemm("GEMM 128,64,256", 128, 64, 256)
FF_A = Layer.gemm("Transformer FF_A", 128, 512, 2048)
MB3 = Layer.conv("MobileNet Conv3", 112, 112, 1, 1, 32, 64, 1)
GEMM_L = Layer.gemm("GEMM 128,512,512", 128, 512, 512)
MB5 = Layer.conv("MobileNet Conv5", 56, 56, 1, 1, 64, 128, 1)
RES3 = Layer.conv("ResNet conv3_x", 28, 28, 3, 3, 128, 128, 1)

# id, layer, rows, cols, dataflow, total, OU %, ME %, CU %, (SRAM ifmap, filter, ofmap)
CASES = [
    ("G0", ALEX1, 32, 32, "ws", 112_283, 91.6831, 94.53125, 90.78000992063492, (3_294_225, 34_848, 3_484_800)),
    ("A", ALEX1, 32, 32, "os", 121_124, 84.9910, 99.5066, 84.9903, (3_294_225, 3_310_560, 308_640)),
    ("B", ALEX1, 32, 32, "is", 216_599, 47.5277, 94.0648, 40.8607, (1_098_075, 3_310_560, 3_484_800)),
    ("C", ALEX2, 32, 32, "ws", 373_799, 84.9119, 100, 80.8869, (10_156_800, 614_400, 10_156_800)),
    ("D", RES2, 32, 32, "os", 117_391, 89.4242, 99.0489, 89.4235, (3_359_232, 3_391_488, 198_400)),
    ("E", GEMM_E, 32, 32, "ws", 3_551, 57.6739, 100, 50.5929, (65_536, 16_384, 65_536)),
    ("F", GEMM_E, 32, 32, "os", 2_543, 80.5348, 100, 80.5031, (65_536, 65_536, 8_704)),
    ("G", GEMM_E, 32, 32, "is", 5_055, 40.5143, 100, 33.8624, (32_768, 65_536, 65_536)),
    ("H", FF_A, 32, 32, "os", 135_039, 97.0623, 100, 97.0616, (4_194_304, 4_194_304, 69_632)),
    ("I", MB3, 16, 16, "ws", 100_719, 99.6356, 100, 99.5161, (1_605_632, 2_048, 1_605_632)),
    ("L", GEMM_L, 128, 128, "ws", 8_159, 25.1011, 100, 20.0942, (262_144, 262_144, 262_144)),
    ("M", MB5, 12, 14, "ws", 190_319, 80.3479, 81.2698, 80.0195, (2_007_040, 8_192, 2_408_448)),
    ("N", RES3, 8, 8, "os", 1_585_759, 98.2182, 99.4118, 98.2181, (12_460_032, 12_533_760, 108_288)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_reference_case_exact(case):
    cid, layer, R, C, df, total, ou, me, cu, sram = case
    c = compute(layer.P, layer.Wn, layer.K, R, C, dataflow_code(np.array([df]))[0])
    assert int(c["compute_cycles"]) == total, cid
    # the reference prints 4 decimals (G0's CU is given in full)
    assert 100 * float(c["overall_util"]) == pytest.approx(ou, abs=6e-5)
    assert 100 * float(c["mapping_eff"]) == pytest.approx(me, abs=6e-5)
    assert 100 * float(c["compute_util"]) == pytest.approx(cu, abs=6e-5)
    got = (int(c["sram_ifmap_reads"]), int(c["sram_filter_reads"]), int(c["sram_ofmap_writes"]))
    assert got == sram


def test_golden_compute_util_full_precision():
    c = compute(ALEX1.P, ALEX1.Wn, ALEX1.K, 32, 32, 1)
    assert float(c["compute_util"]) * 100 == pytest.approx(90.78000992063492, rel=1e-12)


def test_model_path_matches_reference_and_has_no_stalls_with_ample_memory():
    """Through SystolicSimulator.layer_metrics (the env's path): same compute numbers, and with
    SRAMs large enough and the widest DRAM the compute-bound case E has no stalls."""
    net = parse_topology("Layer, M, N, K,\nE, 128, 64, 256,\n", "case_E.csv")
    sim = SystolicSimulator(network=net)
    design = {"rows": 32, "cols": 32, "dataflow": "ws", "ifmap_sram_kB": 2048, "filter_sram_kB": 2048,
              "ofmap_sram_kB": 2048, "dram_bw": 64}
    per = sim.layer_metrics([design])
    assert int(per["compute_cycles"][0, 0]) == 3_551
    assert int(per["sram_filter_reads"][0, 0]) == 16_384
    assert float(per["stall_cycles"][0, 0]) == 0.0
    out = sim.evaluate([design])
    assert out["compute_cycles"][0] == 3_551
    assert out["utilization"][0] == pytest.approx(57.6739, abs=6e-5)


def test_case_k_stalls_loosely():
    """Case K (USER bandwidth 1 word/cycle, SRAM 16 kB, 32² WS, ResNet18 Conv2_1a): SCALE-Sim v2
    reports 15,099,884 total cycles of which 14,991,525 are stalls, and 15,106,048 IFMAP DRAM
    reads.  The exact mode (a replica of SCALE-Sim 3.0.0) gives the same IFMAP reads and stalls
    within 0.1 % (v2 and 3.0 differ slightly); the closed form gets the compute part exactly and
    is within a factor 3.5 on stalls and 4 on IFMAP reads (K is a large WS conv with heavy im2col
    reuse, outside the range the closed form was fitted on and its weakest kind of case: it gives
    about a third of both — a documented failure mode)."""
    design = {"rows": 32, "cols": 32, "dataflow": "ws", "ifmap_sram_kB": 16, "filter_sram_kB": 16,
              "ofmap_sram_kB": 16, "dram_bw": 1}
    exact = SystolicSimulator(network=Network("K", (RES2,)), memory="exact").layer_metrics([design])
    assert float(exact["stall_cycles"][0, 0]) == pytest.approx(14_991_525, rel=1e-3)
    assert int(exact["dram_ifmap_reads"][0, 0]) == 15_106_048
    per = SystolicSimulator(network=Network("K", (RES2,))).layer_metrics([design])
    assert int(per["compute_cycles"][0, 0]) == 36 * 3010 - 1
    assert 1 / 3.5 <= float(per["stall_cycles"][0, 0]) / 14_991_525 <= 3.5
    assert 1 / 4 <= float(per["dram_ifmap_reads"][0, 0]) / 15_106_048 <= 4
