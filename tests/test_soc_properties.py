"""Property tests of the SoC model: invariants that hold exactly in its model (hypothesis).

Not asserted, because they do not hold: monotonicity of latency in bus width or in the number of
cores under the list scheduler (greedy EFT placement and FIFO bus order allow Graham-style
anomalies).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.simulators.soc import DEFAULT_LIBRARY, SoCSimulator, Task, TaskGraph
from archgym.simulators.soc.space import CORE_FREQS_MHZ

SIMS = {(w, f): SoCSimulator(w, formulation=f) for w in ("audio_decoder", "multi_dnn")
        for f in ("allocation", "mapping")}
PROPS = settings(max_examples=30, deadline=None)


def indices(sim: SoCSimulator):
    return st.tuples(*(st.integers(0, int(k) - 1) for k in sim.space.nvec)).map(lambda t: np.array([t]))


def design_of(sim: SoCSimulator, idx: np.ndarray) -> dict:
    return sim.space.decode(idx)[0]


@PROPS
@given(works=st.lists(st.floats(0, 1e7), min_size=1, max_size=8), f=st.sampled_from(CORE_FREQS_MHZ[:-1]))
def test_single_core_chain_faster_clock_never_increases_latency(works, f):
    tg = TaskGraph("chain", tuple(Task(f"t{i}", "dequant", w) for i, w in enumerate(works)),
                   tuple((i, i + 1, 1000.0) for i in range(len(works) - 1)))
    sim = SoCSimulator(tg)
    base = {"n_cores": 1, "ip_dequant_unroll": 0, "accel_freq_MHz": 100, "sram_kB": 32, "sram_width_B": 4,
            "dram_width_B": 0, "bus_width_B": 4, "bus_freq_MHz": 100}
    faster = CORE_FREQS_MHZ[CORE_FREQS_MHZ.index(f) + 1]
    slow, fast = (sim.evaluate([{**base, "core_freq_MHz": x}])["latency_ms"][0] for x in (f, faster))
    assert fast <= slow


@PROPS
@given(data=st.data())
def test_area_is_additive_over_allocated_blocks(data):
    sim = SIMS[("multi_dnn", "allocation")]
    d = design_of(sim, data.draw(indices(sim)))
    area = lambda x: sim.evaluate([x])["area_mm2"][0]  # noqa: E731
    lib = DEFAULT_LIBRARY
    if d["n_cores"] < sim.max_cores:
        assert area({**d, "n_cores": d["n_cores"] + 1}) - area(d) == pytest.approx(lib.core.area_mm2)
    kind = data.draw(st.sampled_from(sim.graph.kinds))
    u = data.draw(st.sampled_from([1, 2, 4, 8, 16]))
    ip = lib.ips[kind]
    with_ip, without = area({**d, f"ip_{kind}_unroll": u}), area({**d, f"ip_{kind}_unroll": 0})
    assert with_ip - without == pytest.approx(ip.base_area_mm2 + ip.lane_area_mm2 * u)
    no_sram = area({**d, "sram_kB": 0})
    assert area(d) - no_sram == pytest.approx(d["sram_kB"] * lib.memory.sram_area_mm2_per_kB)


@pytest.mark.parametrize("key", list(SIMS))
def test_physics_of_feasible_designs(key):
    """Energy and latency positive, peak-window power ≥ average power, energy = power · latency."""
    sim = SIMS[key]
    r = sim.evaluate(sim.space.sample_indices(np.random.default_rng(3), 300))
    f = r["feasible"]
    assert f.sum() > 0
    assert (r["energy_mJ"][f] > 0).all() and (r["latency_ms"][f] > 0).all()
    assert (r["peak_power_mW"][f] >= r["power_mW"][f] * (1 - 1e-9)).all()
    np.testing.assert_allclose(r["energy_mJ"][f], r["power_mW"][f] * r["latency_ms"][f] * 1e-3, rtol=1e-12)
    assert ((r["bus_utilization"][f] >= 0) & (r["bus_utilization"][f] <= 100 + 1e-9)).all()
    n_deadlines = sum(t.deadline_ms is not None for t in sim.graph.tasks)
    assert (r["deadlines_missed"][f] <= n_deadlines).all()


@PROPS
@given(data=st.data())
def test_everything_on_one_core_is_serial_whatever_the_other_knobs(data):
    sim = SIMS[("audio_decoder", "mapping")]
    d = design_of(sim, data.draw(indices(sim)))
    d.update({f"map_{t.name}": "core0" for t in sim.graph.tasks})
    r = sim.evaluate([d])
    if r["feasible"][0]:
        serial = sum(t.work for t in sim.graph.tasks) / (DEFAULT_LIBRARY.core.ipc * d["core_freq_MHz"] * 1e6)
        assert r["latency_ms"][0] == pytest.approx(serial * 1e3, rel=1e-9)
    else:
        assert "memory" in r["reason"][0] or "needs" in r["reason"][0]


@PROPS
@given(data=st.data())
def test_latency_at_least_the_critical_path_of_fastest_task_times(data):
    """No schedule beats the critical path with every task at its fastest allocated PE, transfers free."""
    sim = SIMS[("audio_decoder", "allocation")]
    d = design_of(sim, data.draw(indices(sim)))
    r = sim.evaluate([d])
    if not r["feasible"][0]:
        return
    lib = DEFAULT_LIBRARY
    g = sim.graph.to_networkx()
    done: dict[str, float] = {}
    for n in nx.topological_sort(g):
        t = g.nodes[n]
        options = [t["work"] / (lib.core.ipc * d["core_freq_MHz"] * 1e6)] if d["n_cores"] else []
        u = min(d[f"ip_{t['kind']}_unroll"], t["max_unroll"])
        if u:
            options.append(t["work"] / (lib.ips[t["kind"]].ops_per_cycle * u * d["accel_freq_MHz"] * 1e6))
        done[n] = min(options) + max((done[p] for p in g.predecessors(n)), default=0.0)
    assert r["latency_ms"][0] >= max(done.values()) * 1e3 * (1 - 1e-12)


@pytest.mark.parametrize("key", list(SIMS))
def test_deterministic_and_batch_equals_one_by_one(key):
    sim = SIMS[key]
    designs = sim.space.sample(np.random.default_rng(9), 10)
    a, b = sim.evaluate(designs), sim.evaluate(designs)
    for i, d in enumerate(designs):
        single = sim.evaluate([d])
        for k in sim.metric_names:
            np.testing.assert_array_equal(single[k], a[k][i:i + 1])
    for k in (*sim.metric_names, "feasible", "reason"):
        np.testing.assert_array_equal(a[k], b[k])
