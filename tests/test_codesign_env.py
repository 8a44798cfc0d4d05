"""The co-exploration env's hardware model, simulator, workloads and objective (issue 14).

Most tests run on a small real :class:`Task` (6 networks, real conv layers) so they are fast and
check the hardware model against the systolic model directly; the built-in tasks are covered by
the conformance suite and the tests at the end.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from archgym.errors import InvalidParameterError, UnknownNameError, WorkloadError, WorkloadNotFoundError
from archgym.objectives import WeightedMean, objective_from_dict
from archgym.parameters import Categorical
from archgym.simulators.codesign import CoDesignSimulator, TaskSpec, Workload, array_shape, load_workload
from archgym.simulators.codesign.task import Task
from archgym.simulators.systolic import Layer, Network, SystolicSimulator


def conv(name: str, H: int, R: int, C: int, K: int, stride: int = 1) -> Layer:
    out = (H - R) // stride + 1
    return Layer(name, out * out, R * R * C, K, H * H * C, (H, H, R, R, C, stride))


def _layers(knobs: tuple[int, ...]) -> tuple[Layer, ...]:
    width, op = (8, 16)[knobs[0]], knobs[1]
    out = [conv("stem", 18, 3, 3, width)]
    if op == 0:
        out += [conv("c3a", 18, 3, width, width), conv("c3b", 18, 3, width, width)]
    elif op == 1:
        out.append(conv("c1", 16, 1, width, width))
    return tuple(out) + (Layer("fc", 1, width, 10, width),)


def tiny_task(name: str = "cifar10") -> Task:
    table = np.array([[80., 79.], [70., 69.5], [50., 49.], [85., 84.], [75., 74.], [52., 51.]])
    return Task(name, "synthetic", (Categorical("width", choices=(8, 16)), Categorical("op", choices=("c3", "c1", "skip"))),
                ("accuracy", "ptq_accuracy"), table, (16, 16, 3), build_layers=_layers)


WL = Workload("tiny", (TaskSpec("a", "cifar10", 0.01, weight=3.0), TaskSpec("b", "digits", 0.004)), 0.006, 3.0)


@pytest.fixture
def sim() -> CoDesignSimulator:
    return CoDesignSimulator(WL, tasks={"cifar10": tiny_task(), "digits": tiny_task("digits")})


def design(**over: object) -> dict[str, object]:
    d: dict[str, object] = {"a_width": 16, "a_op": "c3", "a_sa": "sa0", "b_width": 8, "b_op": "c1", "b_sa": "sa1",
                            "sa0_template": "ws_nvdla", "sa0_pes": 1024, "sa0_bw": 4, "sa0_sram_kB": 32,
                            "sa1_template": "os_shidiannao", "sa1_pes": 256, "sa1_bw": 2, "sa1_sram_kB": 16}
    d.update(over)
    return d


def systolic(layers: tuple[Layer, ...], template: str, pes: int, bw: int, sram: int) -> dict[str, np.ndarray]:
    rows, cols = array_shape(pes)
    df = {"ws_nvdla": "ws", "os_shidiannao": "os", "is": "is"}[template]
    s = SystolicSimulator(network=Network("n", layers))
    return s.evaluate([{"rows": rows, "cols": cols, "dataflow": df, "ifmap_sram_kB": sram, "filter_sram_kB": sram,
                        "ofmap_sram_kB": sram, "dram_bw": bw}])


# ---- hardware model --------------------------------------------------------------------------
def test_array_shape_uses_the_whole_share() -> None:
    assert [array_shape(p) for p in (64, 128, 256, 512, 4096)] == [(8, 8), (8, 16), (16, 16), (16, 32), (64, 64)]


@pytest.mark.parametrize("template", ["ws_nvdla", "os_shidiannao", "is"])
def test_network_cost_equals_the_systolic_model_on_the_whole_network(sim: CoDesignSimulator, template: str) -> None:
    # each task alone on its own sub-accelerator: its latency/energy are the systolic model's for its network
    r = sim.evaluate([design(sa0_template=template, sa1_template=template)])
    a = systolic(_layers((1, 0)), template, 1024, 4, 32)
    b = systolic(_layers((0, 1)), template, 256, 2, 16)
    assert r["latency_ms_a"][0] == pytest.approx(a["latency_ms"][0], rel=1e-12)
    assert r["latency_ms_b"][0] == pytest.approx(b["latency_ms"][0], rel=1e-12)
    assert r["energy_mJ"][0] == pytest.approx(a["energy_mJ"][0] + b["energy_mJ"][0], rel=1e-12)
    assert r["area_mm2"][0] == pytest.approx(a["area_mm2"][0] + b["area_mm2"][0], rel=1e-12)
    peak = a["energy_mJ"][0] / a["latency_ms"][0] * 1e3 + b["energy_mJ"][0] / b["latency_ms"][0] * 1e3
    assert r["peak_power_mW"][0] == pytest.approx(peak, rel=1e-9)
    assert r["pes"][0] == 1280 and r["dram_GBps"][0] == 3 * (4 + 2) and r["sub_accelerators"][0] == 2


def test_shared_sub_accelerator_runs_networks_one_after_the_other(sim: CoDesignSimulator) -> None:
    r = sim.evaluate([design(b_sa="sa0")])
    a = systolic(_layers((1, 0)), "ws_nvdla", 1024, 4, 32)
    b = systolic(_layers((0, 1)), "ws_nvdla", 1024, 4, 32)
    both = a["latency_ms"][0] + b["latency_ms"][0]
    assert r["latency_ms_a"][0] == pytest.approx(both, rel=1e-12) and r["latency_ms_b"][0] == r["latency_ms_a"][0]
    # the unused sub-accelerator is not built: no area, PEs or bandwidth
    assert r["area_mm2"][0] == pytest.approx(a["area_mm2"][0], rel=1e-12)
    assert r["pes"][0] == 1024 and r["dram_GBps"][0] == 12 and r["sub_accelerators"][0] == 1
    assert r["peak_power_mW"][0] == pytest.approx(max(a["power_mW"][0], b["power_mW"][0]), rel=1e-9)


def test_accuracies_come_from_the_task_table(sim: CoDesignSimulator) -> None:
    r = sim.evaluate([design(), design(a_width=8, a_op="skip", b_width=16, b_op="c3")])
    assert r["accuracy_a"].tolist() == [85.0, 50.0] and r["ptq_accuracy_a"].tolist() == [84.0, 49.0]
    assert r["accuracy_b"].tolist() == [70.0, 85.0]
    assert r["weighted_accuracy"].tolist() == pytest.approx([(3 * 85 + 70) / 4, (3 * 50 + 85) / 4])


def test_network_cost_follows_the_chosen_network(sim: CoDesignSimulator) -> None:
    r = sim.evaluate([design(a_op=op) for op in ("c3", "c1", "skip")])
    assert r["latency_ms_a"][0] > r["latency_ms_a"][1] > r["latency_ms_a"][2]
    assert r["energy_mJ"][0] > r["energy_mJ"][1] > r["energy_mJ"][2]


def test_over_budget_designs_are_infeasible_with_a_reason(sim: CoDesignSimulator) -> None:
    r = sim.evaluate([design(sa0_pes=4096, sa1_pes=64), design(sa0_bw=16, sa1_bw=8),
                      design(sa0_pes=4096, sa1_pes=4096, sa0_bw=16, sa1_bw=16), design(sa0_pes=4096, b_sa="sa0")])
    assert r["feasible"].tolist() == [False, False, False, True]
    assert r["reason"][0] == "PE budget exceeded: 4160 PEs allocated > 4096"
    assert r["reason"][1] == "DRAM bandwidth budget exceeded: 72 GB/s allocated > 64 GB/s"
    assert "PE budget" in r["reason"][2] and "DRAM bandwidth" in r["reason"][2]
    assert r["reason"][3] == ""
    for k in sim.metric_names:  # over-budget chips are still costed
        assert np.isfinite(r[k]).all(), k


def test_batch_equals_one_by_one_whatever_was_cached_before(sim: CoDesignSimulator) -> None:
    designs = sim.space.sample(np.random.default_rng(0), 40)
    batch = sim.evaluate(designs)
    fresh = CoDesignSimulator(WL, tasks={"cifar10": tiny_task(), "digits": tiny_task("digits")})
    for i in reversed(range(40)):  # a fresh simulator meets the layer shapes in another order
        one = fresh.evaluate([designs[i]])
        for k in sim.metric_names:
            assert one[k][0] == batch[k][i], (k, i)
    assert list(fresh.costs.index) != list(sim.costs.index)  # the shapes were met in another order


def test_results_do_not_depend_on_what_was_evaluated_before(builtin) -> None:
    from archgym.registry import make_simulator

    sim = builtin["cifar10+digits"]
    idx = sim.space.sample_indices(np.random.default_rng(11), 300)
    a = sim.evaluate_indices(idx)
    b = make_simulator("CoDesign", workload="cifar10+digits")
    b.evaluate_indices(idx[::-1][:150])
    b_res = b.evaluate_indices(idx)
    for k in sim.metric_names:
        np.testing.assert_array_equal(a[k], b_res[k], err_msg=k)


def test_groups_one_agent_per_network_and_per_sub_accelerator(sim: CoDesignSimulator) -> None:
    from archgym.envs import DesignEnv
    from archgym.objectives import as_objective
    from archgym.parallel import DesignParallelEnv

    g = sim.groups
    assert list(g) == ["a", "b", "sa0", "sa1"]
    assert g["a"] == ["a_width", "a_op", "a_sa"] and g["sa1"] == ["sa1_template", "sa1_pes", "sa1_bw", "sa1_sram_kB"]
    env = DesignEnv(sim, as_objective(None, sim.default_objective()), max_steps=2)
    penv = DesignParallelEnv(env, groups=g)
    assert penv.possible_agents == ["a", "b", "sa0", "sa1"]


def test_three_tasks_get_three_sub_accelerators_one_task_one() -> None:
    t = tiny_task()
    three = Workload("x", tuple(TaskSpec(f"t{i}", "cifar10", 1.0) for i in range(4)), 1.0, 10.0)
    s = CoDesignSimulator(three, tasks={"cifar10": t})
    assert s.n_sa == 3 and s.space["t3_sa"].choices == ("sa0", "sa1", "sa2")
    one = CoDesignSimulator(Workload("y", (TaskSpec("t", "cifar10", 1.0),), 1.0, 10.0), tasks={"cifar10": t})
    assert one.n_sa == 1 and "t_sa" not in one.space
    r = one.evaluate(one.space.sample(np.random.default_rng(1), 5))
    assert (r["sub_accelerators"] == 1).all()


# ---- objective -----------------------------------------------------------------------------------
def test_default_objective_is_accuracy_subject_to_specs(sim: CoDesignSimulator) -> None:
    obj = objective_from_dict(sim.default_objective())
    assert obj.metrics == ("accuracy_a", "accuracy_b", "latency_ms_a", "latency_ms_b", "energy_mJ", "area_mm2")
    designs = sim.space.sample(np.random.default_rng(3), 400)
    r = sim.evaluate(designs)
    reward = obj(r)
    meets = r["feasible"] & (r["latency_ms_a"] <= 0.01) & (r["latency_ms_b"] <= 0.004) & (r["energy_mJ"] <= 0.006) \
        & (r["area_mm2"] <= 3.0)
    assert 0 < meets.sum() < r["feasible"].sum()  # the test workload has both kinds
    np.testing.assert_allclose(reward[meets], r["weighted_accuracy"][meets] / 100)
    miss = r["feasible"] & ~meets
    assert (reward[miss] < 0).all() and (reward[miss] > -1).all()
    assert (reward[~r["feasible"]] == -1).all()
    # the further a design misses, the lower its reward
    v = obj.violation(r)[miss]
    order = np.argsort(v)
    assert np.all(np.diff(reward[miss][order]) <= 0)
    assert objective_from_dict(obj.to_dict()) == obj


def test_weighted_mean_objective() -> None:
    obj = WeightedMean({"x": 3, "y": 1})
    r = obj({"x": np.array([100.0, 50.0, 120.0]), "y": np.array([0.0, 50.0, -5.0])})
    np.testing.assert_allclose(r, [0.75, 0.5, 0.75])
    assert obj.bounds == (0.0, 1.0) and objective_from_dict(obj.to_dict()) == obj
    with pytest.raises(InvalidParameterError, match="positive finite weight"):
        WeightedMean({"x": 0})
    with pytest.raises(InvalidParameterError, match="lower < upper"):
        WeightedMean({"x": 1}, lower=1, upper=1)


# ---- workloads ------------------------------------------------------------------------------------
def _write(tmp_path, name: str, data: object) -> str:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(p)


GOOD = {"name": "pair", "tasks": [{"label": "cls", "task": "cifar10", "weight": 2, "latency": "1.5 ms"},
                                  {"label": "dig", "task": "digits", "latency": "20 us"}],
        "specs": {"energy": "400 uJ", "area": "6 mm2"}, "budgets": {"pes": 2048, "dram_bandwidth": "32 GB/s"}}


def test_custom_workload_file_json_and_yaml(tmp_path) -> None:
    w = load_workload(_write(tmp_path, "w.json", GOOD))
    assert w.tasks == (TaskSpec("cls", "cifar10", 1.5, 2.0), TaskSpec("dig", "digits", 0.02, 1.0))
    assert (w.energy_mJ, w.area_mm2, w.pe_budget, w.dram_GBps) == (0.4, 6.0, 2048, 32.0)
    yml = ("tasks:\n  - {label: cls, task: cifar10, latency: 2 ms}\n  - {label: dig, task: digits, latency: 0.5 ms}\n"
           "specs: {energy: 1 mJ, area: 500000 um2}\n")
    y = load_workload(_write(tmp_path, "w.yaml", yml))
    assert y.name == "w" and y.area_mm2 == pytest.approx(0.5) and y.pe_budget == 4096 and y.dram_GBps == 64.0
    assert y.specs() == {"latency_ms_cls": 2.0, "latency_ms_dig": 0.5, "energy_mJ": 1.0, "area_mm2": y.area_mm2}


@pytest.mark.parametrize("change, match", [
    (("tasks", 0, "latency", "1.5 mJ"), r"tasks\[0\]\.latency: unit 'mJ' is not a unit of latency; allowed units: s, ms, us, ns"),
    (("tasks", 1, "latency", 20), r"tasks\[1\]\.latency: 20 needs a unit"),
    (("specs", None, "energy", "0.4 mm2"), r"specs\.energy: unit 'mm2' is not a unit of energy; allowed units: J, mJ"),
    (("specs", None, "area", "-1 mm2"), r"specs\.area: '-1 mm2' must be positive"),
    (("budgets", None, "dram_bandwidth", "32 Gb"), r"budgets\.dram_bandwidth: unit 'Gb' is not a unit"),
    (("tasks", 0, "task", "imagenet"), r"tasks\[0\]\.task: unknown task 'imagenet'; allowed: cifar10, digits"),
    (("tasks", 1, "label", "cls"), r"tasks\[1\]\.label: 'cls' is used by another task"),
    (("tasks", 0, "label", "Bad_Label"), r"tasks\[0\]\.label: 'Bad_Label' must be 1-16 lower-case"),
    (("tasks", 0, "weight", -1), r"tasks\[0\]\.weight: -1 must be a positive number"),
    (("tasks", 0, "deadline", "1 ms"), r"tasks\[0\]: unknown field\(s\) \['deadline'\]; allowed: \['label'"),
    (("budgets", None, "pes", 10), r"budgets\.pes: 10 must be an integer number of PEs >= 64"),
])
def test_malformed_workload_file_names_file_field_and_allowed(tmp_path, change, match) -> None:
    data = json.loads(json.dumps(GOOD))
    section, i, key, value = change
    (data[section][i] if i is not None else data[section])[key] = value
    path = _write(tmp_path, "bad.json", data)
    with pytest.raises(WorkloadError, match=match) as exc:
        load_workload(path)
    assert str(exc.value).startswith(path)


def test_workload_file_syntax_errors_name_file_and_line(tmp_path) -> None:
    path = _write(tmp_path, "broken.json", '{"tasks": [\n  {"label": "a",}\n]}')
    with pytest.raises(WorkloadError, match=r"broken\.json: line 2: invalid JSON"):
        load_workload(path)
    path = _write(tmp_path, "broken.yaml", "tasks:\n  - {label: a\nspecs: x\n")
    with pytest.raises(WorkloadError, match=r"broken\.yaml: line \d+: invalid YAML"):
        load_workload(path)
    path = _write(tmp_path, "code.yaml", "!!python/object/apply:os.system ['echo no']\n")
    with pytest.raises(WorkloadError, match="invalid YAML"):
        load_workload(path)
    with pytest.raises(WorkloadError, match=r"missing field\(s\) \['specs'\]"):
        load_workload(_write(tmp_path, "nospecs.json", {"tasks": GOOD["tasks"]}))


def test_unknown_workload_names_the_built_ins(tmp_path) -> None:
    with pytest.raises(UnknownNameError, match=r"unknown workload 'cifar10\+digit'.*allowed: cifar10\+digits, cifar10x2"):
        load_workload("cifar10+digit")
    with pytest.raises(WorkloadNotFoundError, match="does not exist"):
        load_workload(str(tmp_path / "none.yaml"))


def test_builtin_workloads_have_consistent_specs() -> None:
    for name in ("cifar10+digits", "cifar10x2"):
        w = load_workload(name)
        assert len(w.tasks) == 2 and all(math.isfinite(v) and v > 0 for v in w.specs().values())
    fast, slow = load_workload("cifar10x2").tasks
    assert fast.latency_ms < slow.latency_ms and fast.task == slow.task == "cifar10"


def test_constrained_ratio_squash_keeps_large_violations_apart() -> None:
    from archgym.objectives import Constrained, Maximize

    inner = WeightedMean({"acc": 1})
    res = {"acc": np.array([90.0, 90.0, 90.0, 90.0]), "lat": np.array([0.5, 2.0, 21.0, 101.0])}
    tanh = Constrained(inner, {"lat": 1.0})(res)
    ratio = Constrained(inner, {"lat": 1.0}, squash="ratio")(res)
    np.testing.assert_allclose(ratio, [0.9, -0.5, -20 / 21, -100 / 101])
    assert tanh[2] == tanh[3] == -1.0  # tanh saturates in float64 where the ratio does not
    assert "squash" not in Constrained(inner, {"lat": 1.0}).to_dict()  # old configs keep their form
    assert objective_from_dict(Constrained(inner, {"lat": 1.0}, squash="ratio").to_dict()).squash == "ratio"
    with pytest.raises(InvalidParameterError, match="unknown squash 'log'"):
        Constrained(Maximize("acc"), {"lat": 1.0}, squash="log")  # type: ignore[arg-type]


def test_fixed_knobs_leave_the_space_and_keep_their_values(sim: CoDesignSimulator) -> None:
    base = design()
    hw = {k: v for k, v in base.items() if k.startswith("sa") or k.endswith("_sa")}
    nas = CoDesignSimulator(WL, tasks={"cifar10": tiny_task(), "digits": tiny_task("digits")}, fixed=hw)
    assert nas.space.names == ("a_width", "a_op", "b_width", "b_op")
    assert nas.groups == {"a": ["a_width", "a_op"], "b": ["b_width", "b_op"]}
    net = {k: v for k, v in base.items() if k not in hw}
    r_nas, r_full = nas.evaluate([net]), sim.evaluate([base])
    for k in sim.metric_names:
        assert r_nas[k][0] == r_full[k][0], k
    assert nas.config()["fixed"] == hw and nas.config_hash() != sim.config_hash()
    with pytest.raises(UnknownNameError, match="fixed= names unknown knob 'sa0_pe'"):
        CoDesignSimulator(WL, tasks={"cifar10": tiny_task(), "digits": tiny_task("digits")}, fixed={"sa0_pe": 64})
    with pytest.raises(InvalidParameterError, match=r"fixed: knob 'sa0_pes' = 100 is not allowed: expected one of 64"):
        CoDesignSimulator(WL, tasks={"cifar10": tiny_task(), "digits": tiny_task("digits")}, fixed={"sa0_pes": 100})
    with pytest.raises(InvalidParameterError, match="holds every knob"):
        CoDesignSimulator(WL, tasks={"cifar10": tiny_task(), "digits": tiny_task("digits")}, fixed=base)


# ---- the built-in tasks -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def builtin() -> dict[str, CoDesignSimulator]:
    from archgym.registry import make_simulator

    return {w: make_simulator("CoDesign", workload=w) for w in ("cifar10+digits", "cifar10x2")}


@pytest.mark.parametrize("workload", ["cifar10+digits", "cifar10x2"])
def test_builtin_workload_accuracies_are_the_task_tables(builtin, workload: str) -> None:
    sim = builtin[workload]
    designs = sim.space.sample_indices(np.random.default_rng(5), 50)
    r = sim.evaluate_indices(designs)
    for spec, task in zip(sim.spec.tasks, sim.tasks, strict=True):
        cols = [sim.space.names.index(k) for k in sim.network_knobs[spec.label]]
        arch = task.arch_index(designs[:, cols])
        np.testing.assert_array_equal(r[f"accuracy_{spec.label}"], task.accuracy_table[arch, 0])
        for i, m in enumerate(task.accuracy_metrics[1:], start=1):
            np.testing.assert_array_equal(r[f"{m}_{spec.label}"], task.accuracy_table[arch, i])


@pytest.mark.parametrize("workload", ["cifar10+digits", "cifar10x2"])
def test_builtin_specs_are_met_and_missed_by_random_designs(builtin, workload: str) -> None:
    # the documented default specs: both spec-meeting and violating designs are common
    sim = builtin[workload]
    r = sim.evaluate_indices(sim.space.sample_indices(np.random.default_rng(0), 3000))
    meets = r["feasible"].copy()
    for k, v in sim.spec.specs().items():
        meets &= r[k] <= v
    assert 0.05 < meets.mean() < 0.5, meets.mean()
    assert 0.5 < r["feasible"].mean() < 0.95


def test_pettingzoo_view_one_agent_per_network_and_sub_accelerator(builtin) -> None:
    from pettingzoo.test import parallel_api_test

    import archgym

    sim = builtin["cifar10x2"]
    penv = archgym.parallel_env("archgym/CoDesign-v0", groups=sim.groups, workload="cifar10x2", max_steps=4)
    assert penv.possible_agents == ["fast", "slow", "sa0", "sa1"]
    parallel_api_test(penv, num_cycles=10)


def test_gymnasium_make_with_a_workload_file(tmp_path) -> None:
    import gymnasium as gym

    import archgym  # noqa: F401  (registers the envs)

    path = _write(tmp_path, "pair.json", GOOD)
    env = gym.make("archgym/CoDesign-v0", workload=path)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(env.action_space.sample())
    assert set(info["metrics"]) >= {"accuracy_cls", "accuracy_dig", "latency_ms_cls", "energy_mJ", "area_mm2"}
    assert env.unwrapped.objective.to_dict()["budgets"]["latency_ms_dig"] == pytest.approx(0.02)
    with pytest.raises(UnknownNameError, match="unknown workload"):
        gym.make("archgym/CoDesign-v0", workload="cifar100")
