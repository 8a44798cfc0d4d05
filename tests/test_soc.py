"""SoC simulator: hand-computed exact cases, bad inputs, infeasibility, both formulations."""

from __future__ import annotations

import json

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest

import archgym
from archgym.simulators.soc import DEFAULT_LIBRARY, SoCSimulator, Task, TaskGraph, WorkloadError
from archgym.simulators.soc.generators import GENERATORS
from archgym.simulators.systolic import Layer, Network, SystolicSimulator

CORE = DEFAULT_LIBRARY.core


def graph(tasks: list[tuple[str, str, float]], edges: list[tuple[int, int, float]], **task_kw) -> TaskGraph:
    return TaskGraph("test", tuple(Task(n, k, w, **task_kw) for n, k, w in tasks), tuple(edges))


def design(sim: SoCSimulator, **over) -> dict:
    """A complete design: one 1 GHz core, no IPs/arrays, 512 kB SRAM, fast bus; then overrides."""
    alloc = sim.formulation == "allocation"
    d = {"core_freq_MHz": 1000, "accel_freq_MHz": 400, "sram_kB": 512, "sram_width_B": 64, "dram_width_B": 0,
         "bus_width_B": 64, "bus_freq_MHz": 800}
    if alloc:
        d["n_cores"] = 1
    for k in sim.graph.kinds:
        d[f"ip_{k}_unroll"] = 0 if alloc else 1
    for j in range(sim.n_sa):
        d[f"sa{j}_size"], d[f"sa{j}_dataflow"] = (0 if alloc else 8), "os"
    if not alloc:
        d.update({f"map_{t.name}": "core0" for t in sim.graph.tasks})
    d.update(over)
    return d


def one(sim: SoCSimulator, d: dict) -> dict:
    r = sim.evaluate([d])
    return {k: v[0] for k, v in r.items()}


def core_s(work: float, f_MHz: float = 1000) -> float:
    return work / (CORE.ipc * f_MHz * 1e6)


# ---- exact cases -----------------------------------------------------------------------------
@pytest.mark.parametrize("formulation", ["allocation", "mapping"])
def test_chain_on_one_core_is_the_sum_of_task_times(formulation):
    works = [3e6, 1e6, 2.5e6, 7e5]
    tg = graph([(f"t{i}", "dequant", w) for i, w in enumerate(works)], [(i, i + 1, 50e3) for i in range(3)])
    sim = SoCSimulator(tg, formulation=formulation)
    r = one(sim, design(sim, core_freq_MHz=800))
    assert r["feasible"], r["reason"]
    assert r["latency_ms"] == pytest.approx(sum(core_s(w, 800) for w in works) * 1e3, rel=1e-12)
    assert r["bus_utilization"] == 0.0  # same-PE edges never touch the bus


def test_unlimited_pes_and_free_transfers_give_the_critical_path():
    # a fork-join of width 4 with zero-byte edges; 4 cores are "unlimited" for it
    w = {"src": 1e6, "a": 2e6, "b": 5e6, "c": 3e6, "d": 4e6, "join": 1e6, "tail": 2e6}
    names = list(w)
    e = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 5), (2, 5), (3, 5), (4, 5), (5, 6), (1, 6)]
    tg = graph([(n, "shuffle", w[n]) for n in names], [(s, t, 0.0) for s, t in e])
    sim = SoCSimulator(tg)
    r = one(sim, design(sim, n_cores=4))
    crit = core_s(w["src"] + w["b"] + w["join"] + w["tail"])
    assert r["latency_ms"] == pytest.approx(crit * 1e3, rel=1e-12)
    g = tg.to_networkx()  # the same critical path, computed independently by dynamic programming
    done: dict[str, float] = {}
    for n in nx.topological_sort(g):
        done[n] = w[n] + max((done[p] for p in g.predecessors(n)), default=0.0)
    assert core_s(max(done.values())) == pytest.approx(crit, rel=1e-12)
    assert core_s(sum(w.values())) * 1e3 > r["latency_ms"]  # and it really ran in parallel


@pytest.mark.parametrize("memory, bw", [
    ({"sram_kB": 128, "sram_width_B": 64, "bus_width_B": 8, "bus_freq_MHz": 100}, 8 * 100e6),  # bus-bound
    ({"sram_kB": 128, "sram_width_B": 4, "bus_width_B": 64, "bus_freq_MHz": 200}, 4 * 200e6),  # SRAM-bound
    ({"sram_kB": 0, "dram_width_B": 2, "bus_width_B": 64, "bus_freq_MHz": 800}, 2 * 3200e6),  # DRAM-bound
])
def test_bandwidth_bound_transfer_takes_bytes_over_bandwidth(memory, bw):
    nbytes = 64 * 1024
    tg = graph([("a", "dequant", 2e6), ("b", "shuffle", 4e6)], [(0, 1, float(nbytes))], max_unroll=4)
    sim = SoCSimulator(tg, formulation="mapping")
    r = one(sim, design(sim, map_b="ip", ip_shuffle_unroll=8, accel_freq_MHz=200, **memory))
    ip = DEFAULT_LIBRARY.ips["shuffle"]
    t_b = 4e6 / (ip.ops_per_cycle * 4 * 200e6)  # unroll 8 is capped by max_unroll 4
    assert r["latency_ms"] == pytest.approx((core_s(2e6) + nbytes / bw + t_b) * 1e3, rel=1e-12)


def test_transfers_serialise_on_the_shared_bus_and_tasks_on_a_shared_pe():
    nbytes, bw = 100e3, 8 * 100e6
    tg = graph([("a", "dequant", 1e6), ("b", "dequant", 2e6), ("c", "dequant", 2e6)], [(0, 1, nbytes), (0, 2, nbytes)])
    sim = SoCSimulator(tg, formulation="mapping")
    bus = {"bus_width_B": 8, "bus_freq_MHz": 100}
    r = one(sim, design(sim, map_b="core1", map_c="core2", **bus))
    assert r["latency_ms"] == pytest.approx((core_s(1e6) + 2 * nbytes / bw + core_s(2e6)) * 1e3, rel=1e-12)
    assert r["bus_utilization"] == pytest.approx(100 * 2 * nbytes / bw / (r["latency_ms"] * 1e-3))
    shared = one(sim, design(sim, map_b="core1", map_c="core1", **bus))  # b and c serialise on core1
    assert shared["latency_ms"] == pytest.approx((core_s(1e6) + nbytes / bw + 2 * core_s(2e6)) * 1e3, rel=1e-12)


def test_dnn_layer_on_a_sub_accelerator_costs_what_the_systolic_model_says():
    lay = Layer.conv("conv", 34, 34, 3, 3, 64, 64, 1)
    tg = TaskGraph("dnn", (Task("conv", "dnn", lay.macs / 4, layer=(lay.P, lay.Wn, lay.K, lay.ifmap_words)),), ())
    sim = SoCSimulator(tg, formulation="mapping")
    r = one(sim, design(sim, map_conv="sa1", sa1_size=16, sa1_dataflow="ws", accel_freq_MHz=400))
    sa = DEFAULT_LIBRARY.systolic
    per = SystolicSimulator(network=Network("n", (lay,))).layer_metrics([{
        "rows": 16, "cols": 16, "dataflow": "ws", "ifmap_sram_kB": sa.sram_kB, "filter_sram_kB": sa.sram_kB,
        "ofmap_sram_kB": sa.sram_kB, "dram_bw": sa.dram_bw}])
    cycles = float(per["compute_cycles"][0, 0] + per["stall_cycles"][0, 0])
    assert r["latency_ms"] == pytest.approx(cycles / 400e6 * 1e3, rel=1e-12)
    on_core = one(sim, design(sim, map_conv="core0"))
    assert on_core["latency_ms"] == pytest.approx(core_s(lay.macs / 4) * 1e3, rel=1e-12)


def test_peak_window_power_of_a_single_task_equals_its_average_power():
    tg = graph([("a", "dequant", 1e6)], [])
    sim = SoCSimulator(tg)
    r = one(sim, design(sim))
    assert r["peak_power_mW"] == pytest.approx(r["power_mW"], rel=1e-12)
    assert r["energy_mJ"] == pytest.approx(r["power_mW"] * r["latency_ms"] * 1e-3, rel=1e-12)


# ---- infeasible designs: reported, never raised -------------------------------------------------
@pytest.mark.parametrize("over, match", [
    ({"sram_kB": 0, "dram_width_B": 0}, "no memory allocated"),
    ({"sram_kB": 32, "dram_width_B": 0}, "needs 49 kB"),
    ({"n_cores": 0}, "no allocated PE can run task 'a'"),
])
def test_designs_that_cannot_run_are_infeasible_with_a_reason(over, match):
    tg = graph([("a", "dequant", 1e6), ("b", "dequant", 1e6)], [(0, 1, 50_000.0)])
    sim = SoCSimulator(tg)
    r = one(sim, design(sim, **over))
    assert not r["feasible"] and match in r["reason"]
    assert np.isinf(r["latency_ms"]) and np.isfinite(r["area_mm2"])


def test_mapping_a_task_to_a_pe_that_cannot_run_it_is_infeasible():
    sim = SoCSimulator("multi_dnn", formulation="mapping")
    r = one(sim, design(sim, map_conv1="ip", sram_kB=2048))
    assert not r["feasible"] and "'conv1'" in r["reason"] and "cannot run it" in r["reason"]
    r = one(sim, design(sim, map_resize="sa0", sram_kB=2048))
    assert not r["feasible"] and "'resize'" in r["reason"]


# ---- bad inputs: clear errors ----------------------------------------------------------------------
def test_cyclic_graph_is_rejected():
    g = nx.DiGraph()
    g.add_node("a", kind="dequant", work=1.0)
    g.add_node("b", kind="dequant", work=1.0)
    g.add_edge("a", "b", bytes=1.0)
    g.add_edge("b", "a", bytes=1.0)
    with pytest.raises(WorkloadError, match="cycle"):
        SoCSimulator(g)


def test_negative_work_and_bytes_are_rejected():
    with pytest.raises(WorkloadError, match="task 'x': work must be"):
        graph([("x", "dequant", -1.0)], [])
    with pytest.raises(WorkloadError, match="bytes must be"):
        graph([("x", "dequant", 1.0), ("y", "dequant", 1.0)], [(0, 1, -5.0)])


def test_unknown_template_kind_is_rejected():
    with pytest.raises(WorkloadError, match="unknown template kind 'warp_drive'"):
        SoCSimulator(graph([("x", "warp_drive", 1.0)], []))


def test_unknown_workload_and_formulation_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown workload"):
        SoCSimulator("no_such_workload")
    with pytest.raises(ValueError, match="unknown formulation"):
        SoCSimulator(formulation="telepathy")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "bad"}))
    with pytest.raises(WorkloadError, match="no 'graph' key"):
        SoCSimulator(str(bad))


def test_mapping_outside_the_space_is_a_clear_error():
    sim = SoCSimulator(formulation="mapping")
    with pytest.raises(archgym.InvalidDesignError, match="map_parse"):
        sim.evaluate([design(sim, map_parse="core9")])


# ---- workloads and envs ------------------------------------------------------------------------
def test_saved_workloads_regenerate_identically():
    from importlib import resources

    for name, gen in GENERATORS.items():
        saved = json.loads(resources.files("archgym.data").joinpath("soc", f"{name}.json").read_text())
        assert json.loads(json.dumps(gen().to_json(), sort_keys=True)) == saved, name


def test_workload_round_trips_through_a_json_file(tmp_path):
    sim = SoCSimulator("edge_detection")
    path = tmp_path / "wl.json"
    sim.graph.save(path)
    other = SoCSimulator(str(path))
    designs = sim.space.sample(np.random.default_rng(0), 16)
    a, b = sim.evaluate(designs), other.evaluate(designs)
    for k in sim.metric_names:
        np.testing.assert_array_equal(a[k], b[k])


def test_audio_decoder_is_farsi_sized():
    g = SoCSimulator().graph
    assert (len(g.tasks), len(g.edges)) == (16, 23)
    assert 5.5 < core_s(sum(t.work for t in g.tasks)) * 1e3 < 7.0  # FARSI's: 6.3 ms on one A53
    assert 2.0e6 < sum(b for *_, b in g.edges) < 4.0e6  # FARSI's: 2.97 MB


@pytest.mark.parametrize("workload", ["audio_decoder", "multi_dnn"])
@pytest.mark.parametrize("formulation", ["allocation", "mapping"])
def test_both_formulations_through_gymnasium(workload, formulation):
    env = gym.make("archgym/SoC-v0", workload=workload, formulation=formulation)
    env.reset(seed=0)
    sim = env.unwrapped.simulator
    assert sim.formulation == formulation and sim.workload == workload
    assert any(n.startswith("map_") for n in sim.space.names) == (formulation == "mapping")
    feasible = 0
    for _ in range(12):
        _, reward, _, _, info = env.step(env.action_space.sample())
        feasible += info["feasible"]
        assert (reward == -1.0) != info["feasible"] or 0 <= reward <= 1
    designs = sim.space.sample(np.random.default_rng(5), 6)
    batch = sim.evaluate(designs)
    for i, d in enumerate(designs):
        single = sim.evaluate([d])
        for k in sim.metric_names:
            np.testing.assert_array_equal(single[k], batch[k][i:i + 1])


def test_default_budgets_are_attainable_but_not_trivial():
    sim = SoCSimulator()
    r = sim.evaluate(sim.space.sample_indices(np.random.default_rng(11), 1500))
    b = sim.budgets
    meet = r["feasible"] & (r["latency_ms"] <= b["latency_ms"]) & (r["power_mW"] <= b["power_mW"]) \
        & (r["area_mm2"] <= b["area_mm2"])
    assert 0.002 < meet.mean() < 0.10
