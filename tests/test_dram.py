"""DRAM model: traces, generator, memspecs, the DRAMSys equalities, energy hand checks, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulators.dram import (
    DRAMSimulator,
    MemSpecError,
    TraceFormatError,
    generate_trace,
    load_memspec,
)
from archgym.simulators.dram.trace import (
    DEFAULT_TRACE_SPECS,
    builtin_trace_path,
    default_trace_text,
    load_trace,
    parse_stl,
    write_stl,
)
from archgym.spaces import InvalidDesignError

DEFAULT = {"PagePolicy": "Open", "Scheduler": "Fifo", "SchedulerBuffer": "Bankwise", "RequestBufferSize": 1,
           "RespQueue": "Fifo", "RefreshPolicy": "NoRefresh", "RefreshMaxPostponed": 1, "RefreshMaxPulledin": 1,
           "Arbiter": "Simple", "MaxActiveTransactions": 1}


@pytest.fixture(scope="module")
def small_random(tmp_path_factory) -> DRAMSimulator:
    path = tmp_path_factory.mktemp("tr") / "r.stl"
    write_stl(generate_trace("mixture", 1500, seed=7, locality=0.5, read_ratio=0.7), path)
    return DRAMSimulator(trace=path)


def _eval(sim: DRAMSimulator, designs: list[dict]) -> dict[str, np.ndarray]:
    return sim.evaluate(designs)


# ---- traces ---------------------------------------------------------------------------------------

def test_parse_stl_formats(tmp_path):
    p = tmp_path / "t.stl"
    p.write_text("# comment\n\n0:\tread\t0x40\n3:\t(8)\twrite\t0xFF00\t0xdeadbeef\n7: read 0x0\n")
    t = parse_stl(p)
    assert t.cycle.tolist() == [0, 3, 7]
    assert t.is_write.tolist() == [False, True, False]
    assert t.address.tolist() == [0x40, 0xFF00, 0]


@pytest.mark.parametrize("bad", ["0:\tfetch\t0x40", "x:\tread\t0x40", "5\tread\t0x40", "1:\tread\t64"])
def test_malformed_line_names_file_and_line(tmp_path, bad):
    p = tmp_path / "bad.stl"
    p.write_text("0:\tread\t0x0\n# ok\n" + bad + "\n")
    with pytest.raises(TraceFormatError, match=r"bad\.stl:3"):
        parse_stl(p)


def test_empty_trace_is_a_clear_error(tmp_path):
    p = tmp_path / "empty.stl"
    p.write_text("# nothing\n\n")
    with pytest.raises(TraceFormatError, match="no requests"):
        DRAMSimulator(trace=p)


def test_out_of_range_addresses_wrap_with_warning(tmp_path):
    p = tmp_path / "hi.stl"
    p.write_text("0:\tread\t0x0\n1:\tread\t0x40000040\n")  # 1 GiB + 64 -> 64
    q = tmp_path / "lo.stl"
    q.write_text("0:\tread\t0x0\n1:\tread\t0x40\n")
    with pytest.warns(UserWarning, match="1 address"):
        hi = DRAMSimulator(trace=p)
    lo = DRAMSimulator(trace=q)
    assert hi.evaluate([DEFAULT])["time_ns"][0] == lo.evaluate([DEFAULT])["time_ns"][0]


def test_unknown_trace_and_memspec_are_clear_errors():
    with pytest.raises(FileNotFoundError, match="neither a built-in"):
        DRAMSimulator(trace="no-such-trace")
    with pytest.raises(MemSpecError, match="neither a built-in"):
        DRAMSimulator(memspec="DDR9-9999")


def test_generator_is_seeded_and_shipped_defaults_regenerate():
    a = generate_trace("mixture", 500, seed=3, locality=0.3, read_ratio=0.5)
    b = generate_trace("mixture", 500, seed=3, locality=0.3, read_ratio=0.5)
    c = generate_trace("mixture", 500, seed=4, locality=0.3, read_ratio=0.5)
    assert np.array_equal(a.address, b.address) and np.array_equal(a.is_write, b.is_write)
    assert not np.array_equal(a.address, c.address)
    assert 0.3 < a.is_write.mean() < 0.7
    for name in DEFAULT_TRACE_SPECS:
        assert builtin_trace_path(name).read_text() == default_trace_text(name), name


def test_generator_kinds_have_the_expected_locality():
    sim_hits = {}
    for kind in ("stream", "random", "strided"):
        t = generate_trace(kind, 2000, seed=0, stride=1 << 16)
        bank_row = t.address.astype(np.int64) >> 13
        sim_hits[kind] = np.mean(bank_row[1:] == bank_row[:-1])
    assert sim_hits["stream"] > 0.95 and sim_hits["random"] < 0.05 and sim_hits["strided"] < 0.05
    with pytest.raises(ValueError, match="unknown trace kind"):
        generate_trace("zigzag")


def test_memspecs_load_and_ddr3_energies_match_drampower():
    spec = load_memspec("DDR3-1600")
    e = spec.command_energy_pj()  # whole DIMM (8 devices); per device values from DRAMPower v4
    assert e["act"] == pytest.approx(8 * 1312.5)
    assert e["pre"] == pytest.approx(8 * 468.75)
    assert e["rd"] == pytest.approx(8 * 712.5)
    assert e["ref"] == pytest.approx(8 * 20625.0)
    assert spec.background_mw() == pytest.approx((540.0, 540.0))
    assert spec.peak_gbps == pytest.approx(102.4) and spec.capacity_bytes == 1 << 30
    for name in ("DDR4-2400", "LPDDR4-3200"):
        DRAMSimulator(memspec=name).evaluate([DEFAULT])


def test_bad_design_is_a_clear_error():
    sim = DRAMSimulator()
    with pytest.raises(InvalidDesignError, match="RequestBufferSize"):
        sim.evaluate([{**DEFAULT, "RequestBufferSize": 9}])


# ---- DRAMSys equalities (README of the reference data) ---------------------------------------

def _variants(**changes):
    out = []
    for k, vals in changes.items():
        out += [{**DEFAULT, k: v} for v in vals]
    return out


@pytest.mark.parametrize("trace", ["stream", "small_random"])
def test_exact_equalities(trace, small_random):
    sim = small_random if trace == "small_random" else DRAMSimulator()
    metrics = sim.metric_names

    def same(designs):
        r = sim.evaluate(designs)
        for m in metrics:
            assert np.all(r[m] == r[m][0]), (m, designs)

    for rbs in (1, 4):
        base = {**DEFAULT, "RequestBufferSize": rbs}
        same([{**base, "Scheduler": s} for s in ("Fifo", "FrFcfs", "FrFcfsGrp")])
        same([{**base, "RespQueue": q} for q in ("Fifo", "Reorder")])
        same([{**base, "SchedulerBuffer": b} for b in ("ReadWrite", "Shared")])
        same([{**base, "MaxActiveTransactions": m} for m in (1, 4, 128)])
        same([{**base, "RefreshMaxPostponed": a, "RefreshMaxPulledin": b} for a, b in ((1, 1), (8, 3), (4, 8))])
    same([{**DEFAULT, "PagePolicy": p} for p in ("Open", "OpenAdaptive")])
    same([{**DEFAULT, "PagePolicy": p} for p in ("Closed", "ClosedAdaptive")])
    same([{**DEFAULT, "SchedulerBuffer": b} for b in ("Bankwise", "ReadWrite", "Shared")])
    same([{**DEFAULT, "Arbiter": a} for a in ("Fifo", "Reorder")])


def test_knobs_that_matter_move_the_metrics(small_random):
    r = small_random.evaluate([DEFAULT, {**DEFAULT, "RequestBufferSize": 8},
                               {**DEFAULT, "Arbiter": "Fifo"}, {**DEFAULT, "PagePolicy": "Closed"},
                               {**DEFAULT, "RefreshPolicy": "AllBank"}])
    t = r["time_ns"]
    assert t[1] < t[0] < t[2]          # deeper buffer faster; one outstanding transaction slower
    assert t[3] != t[0]
    assert r["energy_pJ"][4] >= r["energy_pJ"][0]


def test_energy_equation_hand_check():
    """simulators.md 1e: E = counts x DRAMPower energies + background x time (8 devices)."""
    sim = DRAMSimulator()
    for d in (DEFAULT, {**DEFAULT, "PagePolicy": "Closed"}, {**DEFAULT, "RefreshPolicy": "AllBank"}):
        r = sim.evaluate([d])
        hand = 8 * (r["n_act"][0] * 1312.5 + r["n_pre"][0] * 468.75 + r["n_rd"][0] * 712.5
                    + r["n_ref"][0] * 20625.0 + 67.5 * r["time_ns"][0])
        assert r["energy_pJ"][0] == pytest.approx(hand, rel=1e-12)
        assert r["power_mW"][0] == pytest.approx(r["energy_pJ"][0] / r["time_ns"][0])
    # stream, default design: 79 rows opened, 71 conflicts precharged, all reads
    r = sim.evaluate([DEFAULT])
    assert (r["n_act"][0], r["n_pre"][0], r["n_rd"][0], r["n_wr"][0]) == (79, 71, 10000, 0)
    # random default, all misses (1e): 8*(1e4*2.494 nJ + 67.5 mW * 287.98 us) = 355.0 uJ
    assert 8 * (1e4 * (1312.5 + 468.75 + 712.5) + 67.5 * 287980) == pytest.approx(354.96e6, rel=1e-3)


def test_load_trace_accepts_trace_objects():
    t = generate_trace("stream", 100)
    assert load_trace(t) is t
    assert DRAMSimulator(trace=t).evaluate([DEFAULT])["n_rd"][0] == 100


def test_lazy_timing_table_is_order_independent():
    """Classes simulated on demand (a few at a time) equal one full precomputed pass, bit for bit."""
    from archgym.simulators.dram import model as dram_model
    from archgym.simulators.dram.trace import generate_trace

    trace = generate_trace("mixture", 300, seed=11, locality=0.5, read_ratio=0.7)
    designs = DRAMSimulator(trace).space.sample(np.random.default_rng(3), 40)
    dram_model._class_table.cache_clear()
    lazy = DRAMSimulator(trace)
    a = [lazy.evaluate(designs[i:i + 7]) for i in range(0, 40, 7)]
    dram_model._class_table.cache_clear()
    full = DRAMSimulator(trace)
    full.precompute()
    b = full.evaluate(designs)
    for k in lazy.metric_names:
        np.testing.assert_array_equal(np.concatenate([x[k] for x in a]), b[k], err_msg=k)
