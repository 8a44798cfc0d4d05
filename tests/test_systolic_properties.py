"""Property tests (hypothesis) of the systolic model's design space and physical invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.simulators.systolic import SPACE, SystolicSimulator
from archgym.simulators.systolic.topology import Layer, Network

SETTINGS = settings(max_examples=60, deadline=None)

design_st = st.fixed_dictionaries({p.name: st.sampled_from(list(p.values if hasattr(p, "values") else p.choices))
                                   for p in SPACE.params})
conv_st = st.builds(
    lambda h, r, c, k, s: Layer.conv("L", h, h, min(r, h), min(r, h), c, k, s),
    st.integers(1, 64), st.integers(1, 7), st.integers(1, 96), st.integers(1, 300), st.integers(1, 4))
gemm_st = st.builds(lambda m, n, k: Layer.gemm("G", m, n, k),
                    st.integers(1, 1024), st.integers(1, 1024), st.integers(1, 1024))
layer_st = st.one_of(conv_st, gemm_st)


def _sim(layers: list[Layer]) -> SystolicSimulator:
    return SystolicSimulator(network=Network("prop", tuple(layers)))


def _with(design: dict, **changes) -> dict:
    return {**design, **changes}


@SETTINGS
@given(design_st)
def test_space_roundtrip_dict_index_dict(design):
    idx = SPACE.encode(design)
    assert SPACE.decode(idx) == design
    assert np.array_equal(SPACE.encode(SPACE.decode(idx)), idx)


def test_gym_and_optuna_views_agree():
    gym_space = SPACE.to_gym()
    dists = SPACE.to_optuna(ordered=False)  # the categorical view lists every value
    assert list(dists) == list(SPACE.names)
    assert list(gym_space.nvec) == [len(d.choices) for d in dists.values()]
    for p, d in zip(SPACE.params, dists.values(), strict=True):
        assert list(d.choices) == list(p.values if hasattr(p, "values") else p.choices)
    ordered = SPACE.to_optuna()  # the default view searches ordered knobs by index
    assert list(gym_space.nvec) == [d.high + 1 if hasattr(d, "high") else len(d.choices) for d in ordered.values()]
    assert SPACE.size == int(np.prod(gym_space.nvec))


@SETTINGS
@given(st.lists(layer_st, min_size=1, max_size=4), st.lists(design_st, min_size=1, max_size=6))
def test_macs_conserved_and_utilisation_bounded(layers, designs):
    sim = _sim(layers)
    per = sim.layer_metrics(designs)
    expected = np.array([lay.macs for lay in layers])
    assert (per["macs"] == expected[None, :]).all()  # every design does the same work
    R = np.array([d["rows"] for d in designs])[:, None]
    C = np.array([d["cols"] for d in designs])[:, None]
    # the array cannot do more than R·C MACs per cycle, stalls or not
    assert (per["macs"] <= per["compute_cycles"] * R * C).all()
    assert ((0 < per["mapping_eff"]) & (per["mapping_eff"] <= 1 + 1e-12)).all()
    assert ((0 < per["compute_util"]) & (per["compute_util"] <= 1 + 1e-12)).all()
    assert (per["stall_cycles"] >= 0).all()
    out = sim.evaluate(designs)
    assert ((out["utilization"] > 0) & (out["utilization"] <= 100 + 1e-9)).all()
    assert np.all(np.isfinite([out[m] for m in sim.metric_names]))


@SETTINGS
@given(st.lists(layer_st, min_size=1, max_size=3), design_st)
def test_more_bandwidth_never_adds_stalls(layers, design):
    sim = _sim(layers)
    bws = [v for v in SPACE["dram_bw"].values]
    per = sim.layer_metrics([_with(design, dram_bw=b) for b in bws])
    stalls = per["stall_cycles"]
    assert (np.diff(stalls, axis=0) <= 0).all()


@SETTINGS
@given(st.lists(layer_st, min_size=1, max_size=3), design_st)
def test_sram_that_holds_every_operand_never_stalls_on_reads(layers, design):
    """SCALE-Sim's DRAM reads are not monotone in the SRAM size (fold boundaries meet window
    ends periodically, and a bigger first fill fetches more of the −1 padding), so neither is
    the model's.  But when half of each read SRAM holds its whole operand and the OFMAP SRAM
    takes every write without a drain (at most its active half), nothing stalls and each read
    operand is fetched in one first fill."""
    sim = _sim(layers)
    per = sim.layer_metrics([_with(design, ifmap_sram_kB=2048, filter_sram_kB=2048, ofmap_sram_kB=2048)])
    lay = sim.network.arrays()
    half = 2048 * 512
    fits = (lay["ifmap_entries"] <= half) & (lay["Wn"] * lay["K"] <= half) & (per["sram_ofmap_writes"][0] <= half)
    assert (per["stall_cycles"][0][fits] == 0).all()
    assert (per["dram_ifmap_reads"][0][fits] <= half + design["dram_bw"]).all()
    assert (per["dram_filter_reads"][0][fits] <= half + design["dram_bw"]).all()


@SETTINGS
@given(st.lists(layer_st, min_size=1, max_size=3), design_st)
def test_dram_reads_at_least_unique_data(layers, design):
    """Every operand word the array uses crosses the DRAM interface at least once (a strided conv
    may skip IFMAP words, and window entries that run off the IFMAP are −1 padding, not words, so
    the IFMAP bound is the smaller of H·W·C and the real window entries)."""
    sim = _sim(layers)
    per = sim.layer_metrics([design])
    lay = sim.network.arrays()
    assert (per["dram_ifmap_reads"][0] >= np.minimum(lay["ifmap_words"], lay["ifmap_entries"])).all()
    assert (per["dram_filter_reads"][0] >= lay["Wn"] * lay["K"]).all()
    assert (per["dram_ofmap_writes"][0] >= lay["P"] * lay["K"]).all()


@SETTINGS
@given(st.lists(design_st, min_size=2, max_size=5))
def test_batch_equals_one_by_one(designs):
    sim = SystolicSimulator("alexnet")
    batch = sim.evaluate(designs)
    for i, d in enumerate(designs):
        one = sim.evaluate([d])
        for m in sim.metric_names:
            assert one[m][0] == pytest.approx(batch[m][i], rel=1e-12)
