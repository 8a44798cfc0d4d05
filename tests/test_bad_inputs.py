"""Regression tests for the bad inputs of issue 13 (items 3-8): each case the audit found, as a test.

The property-based fuzz suite (``tests/test_fuzz_*.py``) generates many more; these pin the named
cases and the messages (field, value, allowed range, file and line).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import time
from importlib import resources
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import yaml

import archgym
from archgym.cli import main
from archgym.errors import (
    ArchGymError,
    InvalidDesignError,
    InvalidParameterError,
    SimulatorError,
    SweepSpecError,
    UnknownParameterError,
    WorkloadError,
)
from archgym.objectives import objective_from_dict
from archgym.simulator import Metric, Simulator
from archgym.simulators.dram import DRAMSimulator
from archgym.simulators.soc import SoCSimulator
from archgym.simulators.systolic import Layer, Network, SystolicSimulator
from archgym.spaces import DesignSpace, Integer
from archgym.sweep import load_spec

# ---- item 3: integer overflow ---------------------------------------------------------------------

CORNERS = [dict(zip(("rows", "cols", "dataflow", "ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB", "dram_bw"), v,
                    strict=True))
           for v in itertools.product((4, 256), (4, 256), ("os", "ws", "is"), (8, 2048), (8, 2048), (8, 2048), (1, 64))]


def test_huge_gemm_is_refused_naming_the_field_and_the_limit(tmp_path: Path):
    topo = tmp_path / "huge.csv"
    topo.write_text("Layer, M, N, K,\nbig, 10000000, 10000000, 10000000,\n")
    with pytest.raises(WorkloadError, match=r"huge\.csv, line 2: layer 'big': .*MACs.*exceeds the limit of "
                                            r"1,099,511,627,776 \(2\*\*40\)"):
        SystolicSimulator(workload=str(topo))
    with pytest.raises(WorkloadError, match=r"M = 20000000 exceeds the limit of 16,777,216"):
        Layer.gemm("x", 2 * 10**7, 1, 1)


@pytest.mark.parametrize("P, Wn, K", [(2**24, 4096, 16), (1, 4096, 2**24), (4096, 4096, 65536),
                                      (2**20 + 1, 1, 65535), (1, 2**20 + 1, 65535), (4097, 4097, 65504)])
def test_layers_at_the_size_limits_give_finite_positive_metrics(P, Wn, K):
    """At the limits every count stays below 2**61 (no int64 wrap-round): positive cycles and latency."""
    sim = SystolicSimulator(network=Network("n", (Layer("x", P, Wn, K, P * Wn),) * 3))
    per = sim.layer_metrics(CORNERS)
    for key in ("compute_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes", "sram_ifmap_reads"):
        assert np.all(np.asarray(per[key]) >= 0) and float(np.max(per[key])) < 2**61
    m = sim.evaluate(CORNERS)
    assert m["feasible"].all()
    for k in ("latency_ms", "energy_mJ", "power_mW", "cycles"):
        assert np.all(np.isfinite(m[k])) and np.all(m[k] > 0)


def test_normal_networks_are_unchanged_by_the_float_sums():
    """Per-layer counts summed as floats equal the exact integer sums (exact below 2**53)."""
    sim = SystolicSimulator(workload="resnet50")
    designs = sim.space.sample(np.random.default_rng(0), 64)
    per = sim.layer_metrics(designs)
    m = sim.evaluate(designs)
    np.testing.assert_array_equal(m["compute_cycles"], per["compute_cycles"].sum(axis=1).astype(float))
    dram = sum(per[k].sum(axis=1) for k in ("dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"))
    np.testing.assert_array_equal(m["dram_MB"], dram.astype(float) / 1e6)


def test_soc_task_graph_with_a_huge_dnn_layer_is_refused(tmp_path: Path):
    g = json.loads(resources.files("archgym.data").joinpath("soc", "multi_dnn.json").read_text())
    node = next(n for n in g["graph"]["nodes"] if "layer" in n)
    node["layer"].update(P=10**7, Wn=10**7, K=10**7)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(g))
    with pytest.raises(WorkloadError, match=rf"big\.json: layer {node['id']!r}: .*exceeds the limit"):
        SoCSimulator(workload=str(path))


def test_negative_counts_are_refused_not_scored():
    from archgym.simulators.systolic.model import check_counts

    sim = SystolicSimulator(workload="alexnet")
    per = sim.layer_metrics(CORNERS[:2])
    per["compute_cycles"] = per["compute_cycles"].copy()
    per["compute_cycles"][0, 0] = -(2**62)
    with pytest.raises(SimulatorError, match="compute_cycles is -4611686018427387904"):
        check_counts(per)


def test_exact_memory_mode_refuses_networks_it_would_replay_for_hours():
    sim = SystolicSimulator(network=Network("n", (Layer.gemm("x", 4096, 4096, 4096),)), memory="exact")
    t0 = time.perf_counter()
    with pytest.raises(SimulatorError, match=r"memory='exact'.*4,301,258,751 cycles.*limit is 268,435,456"):
        sim.evaluate([CORNERS[0]])
    assert time.perf_counter() - t0 < 2


# ---- item 4: memspec and clock ranges -------------------------------------------------------------

def _memspec() -> dict:
    return json.loads(resources.files("archgym.data").joinpath(
        "dram", "memspecs", "MICRON_1Gb_DDR3-1600_8bit_G.json").read_text())


@pytest.mark.parametrize("section, key, value, words", [
    ("memtimingspec", "clkMhz", -800, r"memtimingspec\.clkMhz = -800 is outside the allowed range \[1, 10000\]"),
    ("memtimingspec", "clkMhz", 0, r"memtimingspec\.clkMhz = 0 is outside"),
    ("memtimingspec", "clkMhz", "800", r"memtimingspec\.clkMhz must be a number in \[1, 10000\], got '800'"),
    ("memtimingspec", "clkMhz", True, r"memtimingspec\.clkMhz must be a number"),
    ("mempowerspec", "vdd", -1.5, r"mempowerspec\.vdd = -1\.5 is outside the allowed range \[0\.1, 10\]"),
    ("mempowerspec", "vdd", 0, r"mempowerspec\.vdd = 0 is outside"),
    ("memarchitecturespec", "dataRate", -2, r"memarchitecturespec\.dataRate = -2 is outside"),
    ("memarchitecturespec", "dataRate", 0, r"memarchitecturespec\.dataRate = 0 is outside"),
    ("memtimingspec", "RAS", -1, r"memtimingspec\.RAS = -1 is outside the allowed range \[0, 1e\+06\]"),
    ("memtimingspec", "REFI", 0, r"memtimingspec\.REFI = 0 is outside the allowed range \[1, 1000000\]"),
    ("mempowerspec", "idd0", 1.0, r"mempowerspec\.idd0 = 1\.0 must be >= idd3n"),
    ("memtimingspec", "RC", 1, r"memtimingspec\.RC = 1 must be >= RAS = 28"),
    ("memtimingspec", "RFC", 7000, r"memtimingspec\.RFC = 7000 must be below REFI = 6240"),
])
def test_memspec_values_out_of_range_name_file_field_value_and_range(tmp_path: Path, section, key, value, words):
    spec = _memspec()
    spec["memspec"][section][key] = value
    path = tmp_path / "ms.json"
    path.write_text(json.dumps(spec, indent=1))
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if f'"{key}"' in ln)
    with pytest.raises(WorkloadError, match=rf"memspec .*ms\.json, line {line}: {words}"):
        DRAMSimulator(memspec=str(path))


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_memspec_non_finite_numbers_are_refused_with_line_and_column(tmp_path: Path, token):
    spec = _memspec()
    spec["memspec"]["memtimingspec"]["clkMhz"] = "@"
    path = tmp_path / "ms.json"
    path.write_text(json.dumps(spec, indent=1).replace('"@"', token))
    with pytest.raises(WorkloadError, match=r"ms\.json, line \d+, column \d+: "):
        DRAMSimulator(memspec=str(path))


@pytest.mark.parametrize("clk", [0, -1, float("nan"), float("inf"), "800", True, None])
def test_trace_clock_is_range_checked(clk):
    with pytest.raises(InvalidParameterError, match=r"trace_clk_mhz"):
        DRAMSimulator(trace_clk_mhz=clk)


class _NonFinite(Simulator):
    name = "nonfinite"
    space = DesignSpace((Integer("x", low=0, high=3),))
    metrics = (Metric("a", "1"), Metric("b", "1"))

    def _evaluate(self, d):
        x = d["x"].astype(float)
        return {"a": np.where(x == 1, np.nan, x), "b": np.where(x == 2, np.inf, x)}


def test_a_non_finite_metric_is_never_feasible():
    r = _NonFinite().evaluate([{"x": 0}, {"x": 1}, {"x": 2}, {"x": 3}])
    assert r["feasible"].tolist() == [True, False, False, True]
    assert r["reason"][1] == "metric a is nan (not finite)" and r["reason"][2] == "metric b is inf (not finite)"
    reward = archgym.Minimize("a")(r)
    assert reward[1] == reward[2] == -np.inf and np.isfinite(reward[[0, 3]]).all()
    one = _NonFinite().evaluate([{"x": 2}])  # the one-design (stepping) path too
    assert not one["feasible"][0] and one["reason"][0] == "metric b is inf (not finite)"


# ---- item 7: workload files ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["trace", "memspec", "topology", "taskgraph"])
def test_a_latin1_byte_names_file_line_and_column(tmp_path: Path, kind):
    body = {"trace": b"0:\tread\t0x0\n1:\tread\t0x40 caf\xe9\n",
            "memspec": b'{\n "memspec": {\n  "memoryId": "caf\xe9"\n }\n}\n',
            "topology": b"Layer, M, N, K,\nfc1, 4, 4, 4,\ncaf\xe9, 4, 4, 4,\n",
            "taskgraph": b'{\n "name": "caf\xe9"\n}\n'}[kind]
    path = tmp_path / {"trace": "t.stl", "memspec": "m.json", "topology": "t.csv", "taskgraph": "g.json"}[kind]
    path.write_bytes(body)
    make = {"trace": lambda: DRAMSimulator(trace=str(path)), "memspec": lambda: DRAMSimulator(memspec=str(path)),
            "topology": lambda: SystolicSimulator(workload=str(path)),
            "taskgraph": lambda: SoCSimulator(workload=str(path))}[kind]
    line = {"trace": 2, "memspec": 3, "topology": 3, "taskgraph": 2}[kind]
    with pytest.raises(WorkloadError, match=rf"{path.name}, line {line}, column \d+: byte 0xe9 is not UTF-8"):
        make()


@pytest.mark.parametrize("line, words", [
    ("9" * 40 + ":\tread\t0x0", r"t\.stl:1: cycle 9+\.\.\. is outside the allowed range"),
    ("1:\tread\t0x" + "f" * 20, r"t\.stl:1: address 0xf+ does not fit in 64 bits"),
])
def test_huge_numbers_in_a_trace_name_the_line(tmp_path: Path, line, words):
    path = tmp_path / "t.stl"
    path.write_text(line + "\n")
    with pytest.raises(WorkloadError, match=words):
        DRAMSimulator(trace=str(path))


def test_huge_numbers_in_a_topology_name_the_line_and_column(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("Layer, M, N, K,\nfc, " + "9" * 5000 + ", 1, 1,\n")
    with pytest.raises(WorkloadError, match=r"t\.csv, line 2: column 'M' must be an integer of at most 20 digits"):
        SystolicSimulator(workload=str(path))


def test_files_beyond_the_limits_are_refused_quickly(tmp_path: Path):
    from archgym.simulators.dram.trace import MAX_TRACE_LINES, MAX_TRACE_REQUESTS
    from archgym.simulators.systolic.topology import MAX_LAYERS

    blank = tmp_path / "blank.stl"
    blank.write_bytes(b"\n" * 10**7)  # 10^7 lines
    t0 = time.perf_counter()
    with pytest.raises(WorkloadError, match=rf"more than {MAX_TRACE_LINES:,} lines"):
        DRAMSimulator(trace=str(blank))
    many = tmp_path / "many.stl"
    many.write_text("".join(f"{i}:\tread\t0x{i * 64:X}\n" for i in range(MAX_TRACE_REQUESTS + 1)))
    with pytest.raises(WorkloadError, match=rf"more than {MAX_TRACE_REQUESTS:,} requests"):
        DRAMSimulator(trace=str(many))
    layers = tmp_path / "layers.csv"
    layers.write_text("Layer, M, N, K,\n" + "l, 2, 2, 2,\n" * (MAX_LAYERS + 1))
    with pytest.raises(WorkloadError, match=rf"more than {MAX_LAYERS:,} layers"):
        SystolicSimulator(workload=str(layers))
    assert time.perf_counter() - t0 < 20


def test_task_graph_fields_of_the_wrong_type_name_the_task(tmp_path: Path):
    g = json.loads(resources.files("archgym.data").joinpath("soc", "audio_decoder.json").read_text())
    g["graph"]["nodes"][0]["work"] = "12"
    path = tmp_path / "g.json"
    path.write_text(json.dumps(g))
    with pytest.raises(WorkloadError, match=rf"g\.json: task {g['graph']['nodes'][0]['id']!r}: work must be a number"):
        SoCSimulator(workload=str(path))


# ---- item 8: env actions and kwargs -------------------------------------------------------------

@pytest.mark.parametrize("action, words", [
    (np.zeros((2, 7), int), "takes one design"),
    (np.zeros(7, bool), "integer indices"),
    ([[0] * 7, [0] * 8], "takes one design"),
    (np.full(7, 1e300), r"index 1e\+300 for parameter 'rows' is out of range 0\.\.6"),
    (np.full(7, 0.5), "integer indices"),
])
def test_env_step_refuses_anything_but_one_design(action, words):
    env = gym.make("archgym/Systolic-v0", workload="alexnet")
    env.reset(seed=0)
    with pytest.raises(InvalidDesignError, match=words):
        env.step(action)


@pytest.mark.parametrize("objective, words", [
    ({"kind": "target", "targets": {"latency_ms": "2"}}, r"targets\['latency_ms'\] must be a number, got '2'"),
    ({"kind": "target", "targets": {"latency_ms": True}}, r"targets\['latency_ms'\] must be a number, got True"),
    ({"kind": "weighted_sum", "weights": {"latency_ms": float("nan")}}, r"weights\['latency_ms'\] must be finite"),
    ({"kind": "weighted_sum", "weights": {"latency_ms": 1}, "scales": {"latency_ms": 0}},
     r"scales\['latency_ms'\] must be > 0"),
    ({"kind": "minimize", "metric": "latency_ms", "scale": -1}, r"scale must be > 0, got -1"),
    ({"kind": "budgets", "budgets": {"latency_ms": 0}}, r"budgets\['latency_ms'\] must be > 0"),
    ({"kind": "constrained", "budgets": {"latency_ms": 1}}, r"missing field\(s\) \['objective'\]"),
    ({"kind": "multi", "goals": {"latency_ms": "min", "area_mm2": "min"}, "ref_point": {"latency_ms": 1}},
     r"ref_point lacks metric\(s\) \['area_mm2'\]"),
])
def test_bad_objective_fields_are_named(objective, words):
    with pytest.raises(InvalidParameterError, match=words):
        objective_from_dict(objective)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"worklaod": "alexnet"}, UnknownParameterError, r"'worklaod' \(did you mean 'workload'\?\)"),
    ({"max_steps": 1.5}, InvalidParameterError, r"max_steps must be an integer in \[1, 2\*\*31 - 1\], got 1\.5"),
    ({"max_steps": 2**70}, InvalidParameterError, "max_steps"),
    ({"workload": 0}, InvalidParameterError, "workload must be a built-in network name"),
    ({"tech": 1.0}, InvalidParameterError, "tech must be a Technology"),
    ({"backend": "scalesim:/nonexistent/python"}, ArchGymError, "/nonexistent/python"),
])
def test_bad_env_kwargs_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        gym.make("archgym/Systolic-v0", **kwargs)


# ---- item 5: sweep specs -----------------------------------------------------------------------------

SPEC = "budget: 2\nenvs:\n  - id: archgym/Systolic-v0\n    kwargs: {workload: alexnet}\nagents:\n  - random\n"


@pytest.mark.parametrize("text, words", [
    (SPEC + "seeds: [1180591620717411303424]\n", r"seeds\[0\]: a seed must be a non-negative integer in \[0, 2\*\*32 - 1\]"),
    (SPEC + "budget: 3\n", r"line 7, column 1: invalid YAML \(duplicate key 'budget' \(first given at line 1, column 1\)\)"),
    (SPEC.replace("agents:\n  - random", "agents:\n  - name: ga\n    hparams: {population: 4, population: 8}"),
     r"line 7, column \d+: .*duplicate key 'population' \(first given at line 7, column \d+\)"),
    (SPEC + "seeds: 1000000000\n", r"seeds: must be a positive integer at most 10,000"),
    (SPEC + "name: " + "9" * 5000 + "\n", r"line 7, column 7: invalid YAML \(a number of 5000 characters"),
    (SPEC.replace("kwargs: {workload: alexnet}", "objectives:\n      c: {kind: constrained, budgets: {latency_ms: 1}}"),
     r"envs\[0\]\.objectives\.c: objective kind 'constrained': missing field\(s\) \['objective'\]"),
    (SPEC.replace("workload: alexnet", "backend: 'scalesim:/nonexistent/python'"),
     r"envs\[0\]\.kwargs: .*'/nonexistent/python' does not exist"),
])
def test_bad_specs_are_refused_naming_file_and_key_or_line(tmp_path: Path, text, words):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(SweepSpecError, match=rf"s\.yaml: {words}"):
        load_spec(path)


def test_a_latin1_byte_in_a_spec_names_line_and_column(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_bytes(SPEC.encode() + b"name: caf\xe9\n")
    with pytest.raises(SweepSpecError, match=r"s\.yaml: line 7, column 10: byte 0xe9 is not UTF-8"):
        load_spec(path)


def test_a_billion_laughs_spec_is_refused(tmp_path: Path):
    levels = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True))
    path = tmp_path / "s.yaml"
    path.write_text(levels + SPEC)
    with pytest.raises(SweepSpecError, match="more than 100,000 values once YAML aliases are expanded"):
        load_spec(path)


# ---- item 6: CLI ------------------------------------------------------------------------------------

def _cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, err.getvalue()


@pytest.mark.parametrize("args, words", [
    (["run", "--objective", "{bad"], "not valid JSON"),
    (["run", "--env", "archgym/DRAM-v0", "--env-arg", "trace=nope"], "trace 'nope'"),
    (["run", "--seed", str(2**70)], r"seed must be an integer in \[0, 2\*\*32 - 1\]"),
    (["run", "--out", "@FILE"], "is an existing file; give a directory"),
    (["run", "--env-arg", "worklaod=alexnet"], "did you mean 'workload'"),
    (["run", "--budget", "abc"], "Invalid value for '--budget'"),
    (["run", "--bogus"], "No such option: --bogus"),
    (["sweep", "@SPEC", "--workers", "-1"], "Invalid value for '--workers'"),
    (["sweep", "@SPEC", "--backend", "nope"], "--backend must be 'local' or 'ray'"),
    (["dataset", "validate", "/nonexistent"], "/nonexistent"),
    (["proxy", "train", "--env", "nope", "/nonexistent", "--out", "@OUT"], "/nonexistent"),
    (["proxy", "train", "--env", "nope", "@DIR", "--out", "@OUT"], "no readable archgym dataset files"),
    (["proxy", "train", "--env", "nope"], "Missing"),
    (["nope"], "No such command 'nope'"),
])
def test_every_bad_invocation_is_one_line_and_status_2(tmp_path: Path, args, words):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "s.yaml").write_text(SPEC + f"out: {tmp_path / 'sw'}\n")
    subs = {"@FILE": tmp_path / "afile", "@SPEC": tmp_path / "s.yaml", "@DIR": tmp_path, "@OUT": tmp_path / "p.zip"}
    args = [str(subs[a]) if a in subs else a for a in args]
    if args[0] == "run" and "--out" not in args:
        args += ["--out", str(tmp_path / "runs")]
    code, err = _cli([*args, *(["--no-progress", "--no-plot", "--budget", "2"] if args[0] == "run" and
                               "--budget" not in args else [])])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert words in lines[0] or __import__("re").search(words, lines[0]), lines[0]


def test_debug_shows_the_traceback(tmp_path: Path):
    with pytest.raises(ArchGymError):
        main(["--debug", "run", "--env", "nope", "--out", str(tmp_path)])


def test_objective_file_with_duplicate_keys_is_refused(tmp_path: Path):
    path = tmp_path / "obj.yaml"
    path.write_text("kind: minimize\nmetric: latency_ms\nmetric: energy_mJ\n")
    code, err = _cli(["run", "--objective", str(path), "--out", str(tmp_path), "--budget", "2", "--no-progress"])
    assert code == 2 and "line 3" in err and "duplicate key 'metric'" in err


def test_yaml_loader_stays_safe(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(SweepSpecError, match="invalid YAML"):
        load_spec(path)
    assert yaml.safe_load("a: 1") == {"a": 1}


@pytest.mark.parametrize("value, words", [("1e30", "must be an integer in"), ("0.5", "must be an integer in"),
                                          ("caf\u00e9", "is not a number")])
def test_farsi_iteration_counts_are_checked(shared_dir: Path, tmp_path: Path, value, words):
    """A huge "number of iterations" (the bound on IP unrolling) was a raw OverflowError."""
    import shutil

    src = shared_dir / "farsi" / "database"
    if not (src / "audio_decoder_database - Task Itr Count.csv").is_file():
        pytest.skip("FARSI database not found")
    db = tmp_path / "db"
    shutil.copytree(src, db)
    itr = db / "audio_decoder_database - Task Itr Count.csv"
    lines = itr.read_text().splitlines()
    task = lines[-1].split(",")[0]
    itr.write_text("\n".join([*lines[:-1], f"{task},{value}"]) + "\n")
    with pytest.raises(WorkloadError, match=rf"Task Itr Count\.csv: row {len(lines)}, column 'number of iterations': "
                                            rf"'{value}' {words}"):
        SoCSimulator(workload=str(db / "audio_decoder"), formulation="farsi")


def test_a_latin1_byte_in_a_farsi_table_names_line_and_column(shared_dir: Path, tmp_path: Path):
    import shutil

    src = shared_dir / "farsi" / "database"
    if not (src / "audio_decoder_database - Task Itr Count.csv").is_file():
        pytest.skip("FARSI database not found")
    db = tmp_path / "db"
    shutil.copytree(src, db)
    itr = db / "audio_decoder_database - Task Itr Count.csv"
    itr.write_bytes(itr.read_bytes().replace(b"Task Name", b"Task N\xe9me", 1))
    with pytest.raises(WorkloadError, match=r"Task Itr Count\.csv, line 1, column 7: byte 0xe9 is not UTF-8"):
        SoCSimulator(workload=str(db / "audio_decoder"))
