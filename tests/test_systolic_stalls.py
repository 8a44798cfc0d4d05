"""The DRAM-traffic/stall model against stall cycles measured with the real SCALE-Sim.

Data: SCALE-Sim 3.0.0 (PyPI, numpy 1.26.4), USER bandwidth mode, one layer per run, measured with
``experiments/systolic/validate_stalls.py`` (which holds the same cases; the config it writes
is ``archgym.simulators.systolic.scalesim_backend.config_text``: the design's ``dram_bw`` on the
IFMAP, filter and OFMAP channels, one SRAM bank, no custom layout or sparsity).  Each row names
its configuration: layer, array rows × cols, dataflow, SRAM kB (IFMAP, filter, OFMAP), DRAM
bandwidth (words/cycle), then SCALE-Sim's compute cycles (total − stalls), stall cycles and DRAM
reads/writes (IFMAP reads, filter reads, OFMAP writes).
"""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulators.systolic import SystolicSimulator, parse_topology

CONV_HDR = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
LAYERS = {
    "gemm_128x64x256": "Layer, M, N, K,\ng, 128, 64, 256,\n",
    "gemm_256x128x128": "Layer, M, N, K,\ng, 256, 128, 128,\n",
    "gemm_64x256x512": "Layer, M, N, K,\ng, 64, 256, 512,\n",
    "conv_30x30x3x3x32x64": CONV_HDR + "c, 30, 30, 3, 3, 32, 64, 1,\n",
    "conv_16x16x3x3x64x64": CONV_HDR + "c, 16, 16, 3, 3, 64, 64, 1,\n",
    "conv_58x58x1x1x32x32": CONV_HDR + "c, 58, 58, 1, 1, 32, 32, 1,\n",
}

# layer, rows, cols, dataflow, SRAM kB (ifmap, filter, ofmap), bw, compute, stalls, DRAM (ifmap, filter, ofmap)
MEASURED = [
    ('gemm_128x64x256', 32, 32, 'ws', (8, 8, 8), 1, 3551, 520890, (524288, 65536, 65536)),
    ('gemm_128x64x256', 32, 32, 'os', (8, 8, 8), 1, 2543, 259544, (262144, 131072, 8192)),
    ('gemm_128x64x256', 32, 32, 'is', (8, 8, 8), 1, 5055, 265437, (262144, 262144, 65536)),
    ('gemm_128x64x256', 32, 32, 'ws', (8, 8, 8), 4, 3551, 127674, (524288, 65536, 65539)),
    ('gemm_128x64x256', 32, 32, 'os', (8, 8, 8), 4, 2543, 62936, (262144, 131072, 8195)),
    ('gemm_128x64x256', 16, 16, 'is', (16, 16, 16), 2, 14079, 117024, (163840, 262144, 131073)),
    ('gemm_256x128x128', 16, 16, 'ws', (16, 16, 16), 2, 19327, 505096, (1048576, 32768, 262145)),
    ('gemm_256x128x128', 16, 16, 'os', (16, 16, 16), 2, 20223, 504200, (1048576, 524288, 32769)),
    ('gemm_256x128x128', 16, 16, 'is', (16, 16, 16), 8, 22271, 43328, (163840, 524288, 262151)),
    ('gemm_256x128x128', 32, 32, 'os', (64, 64, 64), 1, 6079, 0, (32768, 16384, 32768)),
    ('gemm_64x256x512', 32, 32, 'ws', (32, 32, 32), 2, 20223, 708704, (524288, 1441792, 262145)),
    ('gemm_64x256x512', 32, 32, 'os', (8, 8, 8), 8, 9183, 187776, (524288, 1572864, 16391)),
    ('gemm_64x256x512', 16, 32, 'is', (32, 8, 16), 4, 20351, 174033, (65536, 524288, 524291)),
    ('conv_30x30x3x3x32x64', 16, 16, 'ws', (8, 8, 8), 1, 59759, 1746689, (1806336, 147456, 903168)),
    ('conv_30x30x3x3x32x64', 16, 16, 'os', (8, 8, 8), 1, 62327, 3494358, (2256896, 3559424, 50176)),
    ('conv_30x30x3x3x32x64', 16, 16, 'is', (8, 8, 8), 2, 97019, 3515704, (6545408, 7225344, 903169)),
    ('conv_30x30x3x3x32x64', 32, 32, 'ws', (32, 32, 32), 4, 15803, 153123, (688128, 32768, 451587)),
    ('conv_30x30x3x3x32x64', 32, 32, 'os', (64, 16, 8), 2, 17499, 433807, (917504, 909312, 50177)),
    ('conv_16x16x3x3x64x64', 8, 8, 'ws', (8, 8, 8), 1, 125567, 1342032, (1470464, 442368, 903168)),
    ('conv_16x16x3x3x64x64', 16, 16, 'os', (16, 16, 16), 1, 31511, 1771684, (679936, 1810432, 12544)),
    ('conv_16x16x3x3x64x64', 16, 16, 'is', (16, 16, 16), 4, 51479, 906136, (909312, 3833856, 451587)),
    ('conv_16x16x3x3x64x64', 32, 16, 'ws', (64, 64, 64), 2, 19727, 309418, (688128, 65536, 225793)),
    ('conv_58x58x1x1x32x32', 16, 16, 'ws', (8, 8, 8), 2, 13639, 94730, (217088, 1024, 215297)),
    ('conv_58x58x1x1x32x32', 16, 16, 'os', (16, 16, 16), 1, 26163, 402018, (434176, 1024, 107648)),
    ('conv_58x58x1x1x32x32', 32, 32, 'is', (8, 8, 8), 4, 13355, 956038, (3874816, 1024, 107651)),
    ('conv_58x58x1x1x32x32', 8, 8, 'ws', (32, 32, 32), 8, 54175, 0, (442368, 1024, 430599)),
]


def _model(case):
    layer, R, C, df, (si, sf, so), bw = case[:6]
    sim = SystolicSimulator(network=parse_topology(LAYERS[layer], layer))
    design = {"rows": R, "cols": C, "dataflow": df, "ifmap_sram_kB": si, "filter_sram_kB": sf,
              "ofmap_sram_kB": so, "dram_bw": bw}
    per = sim.layer_metrics([design])
    return {k: float(v[0, 0]) for k, v in per.items()}


def _rel(model: float, ref: float) -> float:
    return abs(model - ref) / max(ref, 1.0)


@pytest.fixture(scope="module")
def results():
    return [(case, _model(case)) for case in MEASURED]


def test_compute_cycles_exact_in_user_mode(results):
    """SCALE-Sim's total − stalls is the CALC-mode compute count, which the model gives exactly."""
    for case, m in results:
        assert m["compute_cycles"] == case[6], case[:6]


def test_ofmap_dram_writes(results):
    """WS/IS spill partial sums once per row fold, OS writes each output once (within 0.1 %)."""
    for case, m in results:
        assert m["dram_ofmap_writes"] == pytest.approx(case[8][2], rel=1e-3), case[:6]


def test_stall_median_relative_error(results):
    """The issue's target is a 25 % median; the model achieves ~11 % over these cases."""
    errs = [_rel(m["stall_cycles"], case[7]) for case, m in results]
    assert np.median(errs) <= 0.15
    assert np.median(errs) <= 0.25


def test_gemm_stalls_and_reads_are_tight(results):
    """GEMMs follow the circular-window rule closely (median ~1.5 %, most within 5 %)."""
    gemm = [(c, m) for c, m in results if c[0].startswith("gemm")]
    stall = [_rel(m["stall_cycles"], c[7]) for c, m in gemm]
    ifmap = [_rel(m["dram_ifmap_reads"], c[8][0]) for c, m in gemm]
    assert np.median(stall) <= 0.05
    assert np.median(ifmap) <= 0.05
    assert np.mean(np.array(stall) <= 0.05) >= 0.7


def test_dram_reads_median_relative_error(results):
    ifmap = [_rel(m["dram_ifmap_reads"], c[8][0]) for c, m in results]
    filt = [_rel(m["dram_filter_reads"], c[8][1]) for c, m in results]
    assert np.median(ifmap) <= 0.15
    assert np.median(filt) <= 0.05
