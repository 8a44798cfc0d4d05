"""The compiled DRAM timing kernel reproduces the numpy recurrence it replaced, bit for bit.

``fixtures/dram_class_metrics.npz`` was recorded by ``fixtures/record_fast_path.py`` at commit 5274585
(the numpy implementation): for each case, the timing metrics of one design per timing class (all 576)
and every metric of 64 random designs.  Every design's timing is its class's, and refresh and energy
are closed form on top, so equal class metrics mean equal metrics for every design.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fast_path_cases import DRAM_CASES, FULL_METRIC_DESIGNS, class_representatives, dram_simulator

from archgym.simulators.dram import generate_trace, model
from archgym.simulators.dram.memspec import load_memspec
from archgym.simulators.dram.timing import prepare

FIXTURE = Path(__file__).parent / "fixtures" / "dram_class_metrics.npz"


@pytest.fixture(scope="module")
def recorded() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("case", DRAM_CASES)
def test_every_timing_class_matches_the_recorded_numpy_results(recorded, case):
    sim = dram_simulator(case)
    r = sim.evaluate(class_representatives())
    for m in ("time_ns", "avg_latency_ns", "n_act", "n_pre"):
        np.testing.assert_array_equal(r[m], recorded[f"{case}/classes/{m}"], err_msg=f"{case} {m}")
    sample = sim.space.sample(np.random.default_rng(FULL_METRIC_DESIGNS[1]), FULL_METRIC_DESIGNS[0])
    r = sim.evaluate(sample)
    for m in sim.metric_names:
        np.testing.assert_array_equal(r[m], recorded[f"{case}/sample/{m}"], err_msg=f"{case} {m}")


def test_prepare_finds_the_previous_request_of_each_bank():
    """The vectorised bank bookkeeping equals a plain walk over the requests."""
    spec = load_memspec("DDR4-2400")
    trace = generate_trace("mixture", 2000, seed=9, locality=0.3, read_ratio=0.5)
    p = prepare(trace, spec)
    last: dict[int, int] = {}
    for i, b in enumerate(p.bank.tolist()):
        assert p.prev_same_bank[i] == last.get(b, -1)
        assert p.bank_count[i] == sum(1 for j in range(i) if p.bank[j] == b)
        last[b] = i
    assert sorted(np.flatnonzero(p.is_last_in_bank).tolist()) == sorted(last.values())


def test_one_request_trace_and_single_class_batches():
    """Edge sizes: a one-request trace, and classes simulated one at a time equal one pass."""
    one = model.DRAMSimulator(generate_trace("stream", 1))
    r = one.evaluate(class_representatives())
    assert np.isfinite(r["time_ns"]).all() and (r["n_rd"] == 1).all()
    trace = generate_trace("mixture", 500, seed=4, read_ratio=0.8)
    reps = class_representatives()
    model._class_table.cache_clear()
    full = model.DRAMSimulator(trace).evaluate(reps)
    for i in (0, 17, 575):
        model._class_table.cache_clear()
        single = model.DRAMSimulator(trace).evaluate([reps[i]])
        assert single["time_ns"][0] == full["time_ns"][i]
