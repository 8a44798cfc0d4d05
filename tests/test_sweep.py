"""Sweeps: spec checking and expansion, parallel runs, failures, resume (including after SIGKILL), Ray."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from archgym import datasets
from archgym.sweep import (
    SUMMARY_HEADER,
    SweepError,
    SweepSpecError,
    expand,
    is_finished,
    load_spec,
    pending,
    run_sweep,
    summary_rows,
    write_summary,
)

ENV = {"id": "archgym/Systolic-v0", "kwargs": {"workload": "alexnet"}}
SPEC = {"name": "t", "budget": 6, "seeds": [0, 1], "envs": [ENV],
        "agents": [{"name": "random", "grid": {"unique": [True, False]}}]}


def trajectories(directory: Path) -> pd.DataFrame:
    """All rows, without the timing column (the only one that differs between executions)."""
    df = datasets.load(directory).drop(columns=["wall_time_s"])
    return df.sort_values(["run_id", "step"]).reset_index(drop=True)


def test_expand_is_the_cartesian_product_with_stable_ids():
    sw = expand(SPEC)
    assert len(sw) == 4 and len(set(sw.ids)) == 4
    assert {(r.seed, r.hparams["unique"]) for r in sw.runs} == {(0, True), (1, True), (0, False), (1, False)}
    assert expand(SPEC).ids == sw.ids  # same spec, same ids: what resuming relies on
    assert expand({**SPEC, "budget": 7}).ids[0] != sw.ids[0]


def test_objectives_are_scenarios_and_agents_may_override_seeds():
    spec = {**SPEC, "envs": [{**ENV, "label": "alex", "objectives": {
        "fast": {"kind": "minimize", "metric": "latency_ms"},
        "small": {"kind": "budgets", "budgets": {"area_mm2": 5.0}}}}],
        "agents": [{"name": "random", "seeds": [3]}, "ga"]}
    sw = expand(spec)
    assert len(sw) == 2 * (1 + 2)
    assert {r.scenario for r in sw.runs} == {"alex/fast", "alex/small"}
    assert {r.seed for r in sw.runs if r.agent == "random"} == {3}
    assert {r.env_kwargs["objective"]["kind"] for r in sw.runs} == {"minimize", "budgets"}


def test_explicit_config_lists_cross_the_grid():
    spec = {**SPEC, "agents": [{"name": "ga", "hparams": {"elitism": 1}, "grid": {"mutation": [0.1, 0.2]},
                                "configs": [{"population": 4}, {"population": 8, "tournament": 2}]}]}
    sw = expand(spec)
    assert len(sw) == 2 * 2 * 2
    assert {(r.hparams["population"], r.hparams["mutation"], r.hparams.get("tournament")) for r in sw.runs} == {
        (4, 0.1, None), (4, 0.2, None), (8, 0.1, 2), (8, 0.2, 2)}
    assert all(r.hparams["elitism"] == 1 for r in sw.runs)


@pytest.mark.parametrize("patch, key, words", [
    ({"budget": None}, "budget", "is required"),
    ({"budget": 0}, "budget", "positive integer"),
    ({"seeds": [0, -1]}, r"seeds\[1\]", "non-negative"),
    ({"bogus": 1}, "", "unknown key"),
    ({"envs": [{"id": "archgym/Nope-v0"}]}, r"envs\[0\]\.id", "unknown env"),
    ({"envs": "archgym/Systolic-v0"}, "envs", "non-empty list"),
    ({"envs": [{**ENV, "kwargs": {"workload": "nope"}}]}, r"envs\[0\]\.kwargs", "refuses"),
    ({"envs": [{**ENV, "objectives": {"x": {"kind": "minimize", "metric": "watts"}}}]},
     r"envs\[0\]\.objectives\.x", "watts"),
    ({"envs": [{**ENV, "objectives": {"x": {"kind": "nope"}}}]}, r"envs\[0\]\.objectives\.x", "unknown objective"),
    ({"agents": [{"name": "sgd"}]}, r"agents\[0\]\.name", "unknown agent"),
    ({"agents": [{"name": "ga", "grid": {"pop": [2]}}]}, r"agents\[0\]\.grid\.pop", "population"),
    ({"agents": [{"name": "ga", "grid": {"population": 8}}]}, r"agents\[0\]\.grid\.population", "list"),
    ({"agents": ["random", "random"]}, "", "same run"),
    ({"agents": [{"name": "ga", "configs": [{"populaton": 4}]}]}, r"agents\[0\]\.configs\[0\]\.populaton", "no such"),
    ({"agents": [{"name": "ga", "configs": [{"population": 4}], "grid": {"population": [8]}}]},
     r"agents\[0\]", "set twice"),
])
def test_bad_specs_name_the_file_and_the_key(tmp_path: Path, patch, key, words):
    spec = {**SPEC, **patch}
    if patch.get("budget", 1) is None:
        del spec["budget"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(SweepSpecError, match=rf"bad\.yaml: {key}.*{words}") as info:
        load_spec(path)
    assert info.value.file == str(path)


def test_invalid_yaml_names_file_and_line(tmp_path: Path):
    p = tmp_path / "bad.yaml"
    p.write_text("budget: 3\nseeds: [0, 1\nenvs: []\n")
    with pytest.raises(SweepSpecError, match=r"bad.yaml: line \d+, column \d+: invalid YAML"):
        load_spec(p)


def test_parallel_sweep_then_resume_skips_finished_runs(tmp_path: Path):
    sw = expand(SPEC)
    first = run_sweep(expand({**SPEC, "seeds": [0]}), tmp_path, workers=2)
    assert len(first.done) == 2
    mtimes = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.parquet")}
    assert len(pending(sw, tmp_path)) == 2
    second = run_sweep(sw, tmp_path, workers=1)
    assert (len(second.done), second.skipped) == (2, 2)  # only the two missing runs ran
    for name, t in mtimes.items():
        assert (tmp_path / name).stat().st_mtime_ns == t  # finished runs were not redone
    df = datasets.load(tmp_path)
    assert len(df) == 4 * 6 and df["run_id"].nunique() == 4
    assert run_sweep(sw, tmp_path).results == []
    rows = summary_rows(sw, tmp_path)  # one row per configuration (unique=True / unique=False)
    assert sorted((r[2], r[4:7]) for r in rows) == [("unique=False", ("2", "0", "0")), ("unique=True", ("2", "0", "0"))]
    chash = datasets.load(tmp_path)["config_hash"].iloc[0]
    assert {r[3] for r in rows} == {chash}  # the simulator configuration of the runs


def test_summary_is_saved_next_to_the_runs_grouped_by_configuration(tmp_path: Path):
    import csv

    sw = expand({**SPEC, "envs": [ENV, {"id": "archgym/Systolic-v0", "kwargs": {"workload": "resnet18"}}]})
    run_sweep(sw, tmp_path, workers=1)
    csv_path, md_path = write_summary(sw, tmp_path)
    assert (csv_path.name, md_path.name) == ("summary.csv", "summary.md")
    with csv_path.open() as fh:
        table = list(csv.reader(fh))
    assert tuple(table[0]) == SUMMARY_HEADER
    assert [tuple(r) for r in table[1:]] == summary_rows(sw, tmp_path)
    assert len(table) - 1 == 4  # 2 env configs x 2 agent configs, each with 2 seeds
    assert len({r[3] for r in table[1:]}) == 2 and {r[4] for r in table[1:]} == {"2"}
    md = md_path.read_text()
    assert "| scenario | agent | config | config_hash |" in md and md.count("| random |") == 4
    assert not list(tmp_path.glob(".summary*"))  # atomic writes leave no temporary files


def test_invalid_and_partial_files_are_redone(tmp_path: Path):
    sw = expand(SPEC)
    run_sweep(sw, tmp_path, workers=1)
    victim = tmp_path / f"{sw.ids[0]}.parquet"
    victim.write_bytes(victim.read_bytes()[:100])  # a truncated file
    stale = tmp_path / f".{sw.ids[1]}.parquet.abc123.tmp"  # a killed writer's leftover
    stale.write_bytes(b"partial")
    assert not is_finished(victim, sw.ids[0], 6)
    again = run_sweep(sw, tmp_path, workers=1)
    assert [r["run_id"] for r in again.done] == [sw.ids[0]]
    assert is_finished(victim, sw.ids[0], 6) and not stale.exists()


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path):
    # elitism must be < population: a cross-parameter rule the agent checks when its run starts
    spec = {**SPEC, "agents": [{"name": "ga", "hparams": {"population": 4}, "grid": {"elitism": [4, 1]}}]}
    sw = expand(spec)
    rep = run_sweep(sw, tmp_path, workers=2)
    assert len(rep.done) == 2 and len(rep.failed) == 2
    bad = {r.seed: rid for r, rid in zip(sw.runs, sw.ids, strict=True) if r.hparams["elitism"] == 4}
    for rid in bad.values():
        rec = yaml.safe_load((tmp_path / "failed" / f"{rid}.json").read_text())
        assert rec["status"] == "failed" and "elitism must be in" in rec["error"] and "Traceback" in rec["traceback"]
    assert {r[2]: r[5] for r in summary_rows(sw, tmp_path)} == {"elitism=1": "0", "elitism=4": "2"}
    retry = run_sweep(sw, tmp_path, workers=1)  # failed runs are retried, finished ones are not
    assert sorted(r["run_id"] for r in retry.results) == sorted(bad.values())


def die_on_one_run(run, run_id, out):
    """A worker task that kills its process on one run, the way an OOM kill or a segfault would."""
    from archgym.sweep._execute import _execute

    if run.seed == 1 and run.hparams["unique"]:
        os._exit(1)
    return _execute(run, run_id, out)


def test_a_dead_worker_fails_its_runs_and_the_pool_restarts(tmp_path: Path):
    from archgym.sweep._execute import _pool_results

    sw = expand(SPEC)  # order: (unique, seed) = (T, 0), (T, 1), (F, 0), (F, 1)
    results = {r["run_id"]: r for r in _pool_results(list(zip(sw.runs, sw.ids, strict=True)), str(tmp_path), 1,
                                                     task=die_on_one_run)}
    assert set(results) == set(sw.ids)  # every run reported, once
    first, dying, _, last = sw.ids
    assert results[first]["status"] == "done"
    assert results[dying]["status"] == "failed" and "worker process died" in results[dying]["error"]
    assert results[last]["status"] == "done"  # ran in the restarted pool


def test_one_directory_one_sweep_at_a_time(tmp_path: Path):
    import fcntl

    with open(tmp_path / ".sweep.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(RuntimeError, match="another sweep is running"):
            run_sweep(expand(SPEC), tmp_path, workers=1)


def test_sigkill_mid_sweep_then_rerun_loses_and_duplicates_nothing(tmp_path: Path):
    spec = {"name": "kill", "budget": 150, "seeds": 24, "out": str(tmp_path / "out"), "envs": [ENV],
            "agents": [{"name": "random_walk", "grid": {"patience": [8, 16]}}]}
    spec_path = tmp_path / "kill.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "archgym.cli", "sweep", str(spec_path), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.parquet"))) < 4:
        assert proc.poll() is None, f"sweep ended before it could be killed: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, "sweep made no progress"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, with no chance to clean up
    proc.wait()
    sw = load_spec(spec_path)
    finished = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.glob("*.parquet")}
    assert 4 <= len(finished) < len(sw)
    rep = run_sweep(sw, workers=2)
    assert rep.skipped == len(finished) and len(rep.done) == len(sw) - len(finished) and not rep.failed
    for name, (mtime, blob) in finished.items():  # nothing finished was lost or redone
        assert (out / name).stat().st_mtime_ns == mtime and (out / name).read_bytes() == blob
    assert not list(out.glob(".*.tmp"))
    df = datasets.load(out)
    assert sorted(df["run_id"].unique()) == sorted(sw.ids)  # every run, once
    assert len(df) == len(sw) * 150 and not df.duplicated(["run_id", "step"]).any()


def test_ray_backend_matches_the_local_backend(tmp_path: Path):
    ray = pytest.importorskip("ray")
    sw = expand(SPEC)
    run_sweep(sw, tmp_path / "local", workers=1)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)  # a local Ray instance
    try:
        rep = run_sweep(sw, tmp_path / "ray", backend="ray", batch_size=3)
    finally:
        ray.shutdown()
    assert len(rep.done) == 4 and not rep.failed
    pd.testing.assert_frame_equal(trajectories(tmp_path / "local"), trajectories(tmp_path / "ray"))


@pytest.mark.parametrize("agent,where,match", [
    ({"name": "random_walk", "grid": {"patience": [4, 0]}}, "agents[0].grid.patience[1]", "patience=0"),
    ({"name": "random", "hparams": {"unique": "no"}}, "agents[0].hparams.unique", "must be a boolean"),
    ({"name": "ga", "configs": [{"population": -5}]}, "agents[0].configs[0].population", "population=-5"),
])
def test_hyperparameter_values_are_checked_before_anything_runs(agent, where, match):
    with pytest.raises(SweepSpecError, match=match) as exc:
        expand({**SPEC, "agents": [agent]})
    assert exc.value.key == where


def test_ray_without_a_cluster_is_one_line_saying_how_to_start_one(tmp_path: Path, monkeypatch):
    pytest.importorskip("ray")
    if Path("/tmp/ray/ray_current_cluster").exists():
        pytest.skip("a Ray cluster runs on this machine: 'auto' would find it")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(SweepError, match=r"no Ray cluster to join at address 'auto'.*`ray start --head`") as exc:
        run_sweep(expand(SPEC), tmp_path, backend="ray", address="auto")
    assert "\n" not in str(exc.value)


def test_a_finished_sweep_connects_to_no_cluster(tmp_path: Path):
    ray = pytest.importorskip("ray")
    sw = expand(SPEC)
    run_sweep(sw, tmp_path, workers=1)
    rep = run_sweep(sw, tmp_path, backend="ray", address="192.0.2.1:6379")  # would hang if it connected
    assert rep.results == [] and rep.skipped == len(sw) and not ray.is_initialized()


def test_a_retried_task_does_not_write_a_finished_run_again(tmp_path: Path):
    from archgym.sweep._execute import _execute

    sw = expand(SPEC)
    first = _execute(sw.runs[0], sw.ids[0], str(tmp_path))
    path = tmp_path / f"{sw.ids[0]}.parquet"
    stamp = (path.stat().st_mtime_ns, path.read_bytes())
    again = _execute(sw.runs[0], sw.ids[0], str(tmp_path))  # as Ray re-executes a lost node's task
    assert again["reused"] and again["status"] == "done"
    assert (again["best_reward"], again["best_step"]) == (first["best_reward"], first["best_step"])
    assert (path.stat().st_mtime_ns, path.read_bytes()) == stamp
