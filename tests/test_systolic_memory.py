"""Both systolic memory models against SCALE-Sim 3.0.0, on the committed validation set.

Data: ``experiments/systolic/validation_scalesim_3.0.0.json`` (single-layer SCALE-Sim 3.0.0 runs,
USER bandwidth mode, written by ``experiments/systolic/generate_validation.py``) and the earlier
26 runs in ``experiments/systolic/measured_scalesim_3.0.json``.  ``memory="exact"`` must equal
SCALE-Sim on every case; the closed form must stay within the measured errors reported in
``experiments/systolic/README.md``.  One opt-in test runs the real SCALE-Sim on fresh cases
(only when ``ARCHGYM_SCALESIM_PYTHON`` names its interpreter).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from archgym.errors import UnknownNameError
from archgym.simulators.systolic import SystolicSimulator, parse_topology
from archgym.simulators.systolic.compute import dataflow_code
from archgym.simulators.systolic.memory import floor_sum, layer_cases
from archgym.simulators.systolic.topology import Layer

HERE = Path(__file__).resolve().parents[1] / "experiments" / "systolic"
KEYS = ("stall_cycles", "total_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def _rows() -> list[dict]:
    return json.loads((HERE / "validation_scalesim_3.0.0.json").read_text())["cases"]


def _layer(r: dict) -> Layer:
    return Layer.gemm(r["layer"], *r["dims"]) if r["kind"] == "gemm" else Layer.conv(r["layer"], *r["dims"])


def _df(name: str) -> int:
    return int(dataflow_code(np.array([name]))[0])


@pytest.fixture(scope="module")
def rows():
    return _rows()


@pytest.fixture(scope="module")
def closed(rows):
    col = lambda k: np.array([r[k] for r in rows], dtype=np.int64)  # noqa: E731
    return layer_cases([_layer(r) for r in rows], col("rows"), col("cols"),
                       dataflow_code(np.array([r["dataflow"] for r in rows])),
                       tuple(col(k) for k in ("ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB")), col("dram_bw"))


def _rel(model, ref):
    ref = np.asarray(ref, dtype=float)
    return np.abs(np.asarray(model, dtype=float) - ref) / np.maximum(ref, 1.0)


def test_set_covers_what_the_issue_asks(rows):
    assert len(rows) >= 200
    assert {r["dataflow"] for r in rows} == {"os", "ws", "is"}
    assert {r["kind"] for r in rows} == {"conv", "gemm"}
    assert min(r["rows"] for r in rows) == 4 and max(r["rows"] for r in rows) == 256
    assert any(r["rows"] != r["cols"] for r in rows)
    assert min(r["dram_bw"] for r in rows) == 1 and max(r["dram_bw"] for r in rows) == 128
    assert min(r["ifmap_sram_kB"] for r in rows) == 8 and max(r["ifmap_sram_kB"] for r in rows) == 2048
    assert any(r["kind"] == "conv" and r["dims"][-1] > 1 for r in rows)


def test_exact_mode_equals_scalesim_on_every_generated_case(rows):
    from archgym.simulators.systolic.exact_memory import layer_memory

    for r in rows:
        got = layer_memory(_layer(r), r["rows"], r["cols"], _df(r["dataflow"]),
                           (r["ifmap_sram_kB"], r["filter_sram_kB"], r["ofmap_sram_kB"]), r["dram_bw"])
        assert {k: got[k] for k in KEYS} == {k: r[k] for k in KEYS}, (r["id"], r["layer"])


def test_exact_mode_equals_scalesim_on_the_earlier_26_runs():
    from archgym.simulators.systolic.exact_memory import layer_memory

    hdr = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
    for r in json.loads((HERE / "measured_scalesim_3.0.json").read_text()):
        dims = [int(x) for x in r["layer"].split("_")[1].split("x")]
        topo = (f"Layer, M, N, K,\ng, {dims[0]}, {dims[1]}, {dims[2]},\n" if r["layer"].startswith("gemm")
                else hdr + f"c, {dims[0]}, {dims[1]}, {dims[2]}, {dims[3]}, {dims[4]}, {dims[5]}, 1,\n")
        layer = parse_topology(topo, "t").layers[0]
        got = layer_memory(layer, r["rows"], r["cols"], _df(r["dataflow"]),
                           (r["ifmap_sram_kB"], r["filter_sram_kB"], r["ofmap_sram_kB"]), r["dram_bw"])
        for k in ("stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"):
            assert got[k] == r[k], (r, k)
        assert got["total_cycles"] - got["stall_cycles"] == r["compute_cycles"]


def test_exact_mode_through_the_simulator_matches_the_function(rows):
    r = next(x for x in rows if x["dram_bw"] <= 64 and x["stall_cycles"] > 0)
    design = {k: r[k] for k in ("rows", "cols", "dataflow", "ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB",
                                "dram_bw")}
    sim = SystolicSimulator(network=parse_topology("Layer, M, N, K,\ng, 1, 1, 1,\n", "t"), memory="exact")
    sim.network = type(sim.network)("v", (_layer(r),))
    sim._layers = sim.network.arrays()
    per = sim.layer_metrics([design])
    assert int(per["stall_cycles"][0, 0]) == r["stall_cycles"]
    assert int(per["compute_cycles"][0, 0] + per["stall_cycles"][0, 0]) == r["total_cycles"]
    out = sim.evaluate([design])
    assert out["cycles"][0] == r["total_cycles"]


def _bound(rows):
    return np.array([r["stall_cycles"] >= 0.05 * (r["total_cycles"] - r["stall_cycles"]) for r in rows])


def test_closed_form_total_cycles(rows, closed):
    """Issue target: median total-cycle error ≤ 5 % (met over all cases, and over the
    bandwidth-bound ones alone)."""
    err = _rel(closed["total_cycles"], [r["total_cycles"] for r in rows])
    assert np.median(err) <= 0.05
    assert np.median(err[_bound(rows)]) <= 0.20
    assert np.percentile(err, 90) <= 0.45


def test_closed_form_stalls_on_bandwidth_bound_cases(rows, closed):
    """Stall error on the cases where SCALE-Sim stalls ≥ 5 % of the compute cycles (109 of 230).
    Issue target: median ≤ 20 %, p90 ≤ 60 % (measured 16.7 % and 57.6 %, in-sample: the
    constants were fitted on this set; a 2-fold split gives 17–28 % and 55–62 % held out)."""
    b = _bound(rows)
    err = _rel(closed["stall_cycles"], [r["stall_cycles"] for r in rows])[b]
    assert b.sum() >= 100
    assert np.median(err) <= 0.20
    assert np.percentile(err, 90) <= 0.60


def test_closed_form_compute_is_exact_and_no_stall_when_scalesim_has_none(rows, closed):
    comp = np.array([r["total_cycles"] - r["stall_cycles"] for r in rows])
    assert (closed["compute_cycles"] == comp).all()
    none = np.array([r["stall_cycles"] == 0 for r in rows])
    # where SCALE-Sim never stalls, the model mostly agrees (a few near-bound cases excepted)
    assert np.mean(closed["stall_cycles"][none] <= 0.05 * comp[none]) >= 0.9


def test_closed_form_dram_traffic(rows, closed):
    ref = sum(np.array([r[k] for r in rows]) for k in ("dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"))
    got = closed["dram_ifmap_reads"] + closed["dram_filter_reads"] + closed["dram_ofmap_writes"]
    err = _rel(got, ref)
    assert np.median(err) <= 0.10
    ofm = _rel(closed["dram_ofmap_writes"], [r["dram_ofmap_writes"] for r in rows])
    assert np.max(ofm) <= 0.02


def test_closed_form_orders_designs_like_scalesim_within_one_knob_sweeps(rows, closed):
    """Spearman of total cycles inside every one-knob sweep.  Issue target: ≥ 0.95 in every
    sweep — NOT met: 18 of 26 sweeps (min 0.58).  SCALE-Sim itself is not monotone in several of
    them (conv reads that grow with the SRAM, totals that alternate with the array size), see
    experiments/systolic/README.md; the median sweep is ordered exactly."""
    from scipy.stats import spearmanr

    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r["sweep"] != "random":
            groups.setdefault(r["sweep"], []).append(i)
    ref = np.array([r["total_cycles"] for r in rows], dtype=float)
    rho = []
    for idx in groups.values():
        a, b = closed["total_cycles"][idx].astype(float), ref[idx]
        rho.append(1.0 if np.ptp(a) == np.ptp(b) == 0 else float(spearmanr(a, b).statistic))
    rho = np.array(rho)
    assert len(rho) >= 25
    assert np.median(rho) >= 0.99
    assert np.mean(rho >= 0.95) >= 0.65
    assert rho.min() >= 0.55


def test_floor_sum_matches_the_direct_sum():
    rng = np.random.default_rng(0)
    n, m, a, b = (rng.integers(0, 200, 50), rng.integers(1, 5000, 50), rng.integers(0, 9000, 50),
                  rng.integers(0, 9000, 50))
    direct = [sum((ai * j + bi) // mi for j in range(ni)) for ni, mi, ai, bi in zip(n, m, a, b, strict=True)]
    assert floor_sum(n, m, a, b).tolist() == direct


def test_unknown_memory_mode_names_the_allowed_ones():
    with pytest.raises(UnknownNameError, match="closed.*exact|exact.*closed"):
        SystolicSimulator("resnet18", memory="fast")
    import gymnasium as gym

    with pytest.raises(UnknownNameError, match="memory mode"):
        gym.make("archgym/Systolic-v0", memory="approx")


def test_memory_mode_is_part_of_the_configuration():
    a, b = SystolicSimulator("alexnet"), SystolicSimulator("alexnet", memory="exact")
    assert a.config()["memory"] == "closed" and b.config()["memory"] == "exact"
    assert a.config_hash() != b.config_hash()
    assert b.describe()["memory"] == "exact"
    import gymnasium as gym

    env = gym.make("archgym/Systolic-v0", workload="alexnet", memory="exact").unwrapped
    assert env.simulator.config_hash() == b.config_hash()


@pytest.mark.skipif(not os.environ.get("ARCHGYM_SCALESIM_PYTHON"), reason="needs ARCHGYM_SCALESIM_PYTHON")
def test_exact_mode_equals_a_fresh_scalesim_run(tmp_path):
    """Two cases outside the committed set (a strided conv and a GEMM, two designs), run now."""
    from archgym.simulators.systolic.scalesim_backend import ScaleSimSimulator

    topo = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "c, 15, 15, 3, 3, 6, 20, 2,\ng, 40, 24, 1, 24, 1, 30, 1,\n")
    path = tmp_path / "fresh.csv"
    path.write_text(topo)
    net = parse_topology(topo, "fresh")
    for design in ({"rows": 8, "cols": 16, "dataflow": "is", "ifmap_sram_kB": 8, "filter_sram_kB": 8,
                    "ofmap_sram_kB": 8, "dram_bw": 2},
                   {"rows": 16, "cols": 8, "dataflow": "os", "ifmap_sram_kB": 8, "filter_sram_kB": 16,
                    "ofmap_sram_kB": 8, "dram_bw": 1}):
        real = ScaleSimSimulator(workload=path, memory="exact").run_layers(design)
        per = SystolicSimulator(network=net, memory="exact").layer_metrics([design])
        for k in ("stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"):
            assert per[k][0].tolist() == real[k].astype(int).tolist(), (design, k)
        assert (per["compute_cycles"][0] + per["stall_cycles"][0]).tolist() == real["total_cycles"].astype(int).tolist()
