"""The command line: envs, agents, run (table + dataset + PNG), clear errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from archgym.cli import app, parse_value

runner = CliRunner()


def test_envs_lists_registered_envs():
    r = runner.invoke(app, ["envs"])
    assert r.exit_code == 0, r.output
    assert "archgym/Systolic-v0" in r.output
    assert "7.5e+05" in r.output  # 750,141 designs


def test_agents_lists_hyperparameters():
    r = runner.invoke(app, ["agents"])
    assert r.exit_code == 0, r.output
    assert "random" in r.output and "unique=True" in r.output


def test_run_writes_dataset_and_plot(tmp_path: Path):
    r = runner.invoke(app, ["run", "--env", "archgym/Systolic-v0", "--agent", "random", "--budget", "12",
                            "--seed", "1", "--out", str(tmp_path), "--set", "unique=false", "--no-progress",
                            "--env-arg", "workload=alexnet"])
    assert r.exit_code == 0, r.output
    assert "best reward" in r.output and "dataflow" in r.output
    assert len(list(tmp_path.glob("*.parquet"))) == 1
    png = list(tmp_path.glob("*.png"))
    assert len(png) == 1 and png[0].read_bytes()[:4] == b"\x89PNG"


def test_run_errors_are_clear(tmp_path: Path):
    r = runner.invoke(app, ["run", "--agent", "random", "--budget", "2", "--out", str(tmp_path),
                            "--set", "nope=1", "--no-progress", "--no-plot"])
    assert r.exit_code == 2 and "no hyperparameter" in r.output
    r = runner.invoke(app, ["run", "--budget", "2", "--out", str(tmp_path), "--no-progress", "--no-plot",
                            "--env-arg", "workload=lenet"])
    assert r.exit_code == 2 and "unknown workload 'lenet'" in r.output
    r = runner.invoke(app, ["run", "--set", "oops", "--no-progress"])
    assert r.exit_code != 0 and "key=value" in r.output


def test_parse_value():
    assert parse_value("3") == 3 and parse_value("0.5") == 0.5 and parse_value("true") is True
    assert parse_value("[1, 2]") == [1, 2] and parse_value("Open") == "Open" and parse_value("null") is None


def test_sweep_runs_then_reports_nothing_pending(tmp_path: Path):
    spec = Path(__file__).resolve().parents[1] / "experiments" / "sweeps" / "smoke.yaml"
    r = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path), "--workers", "1", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "4 runs" in r.output and "median best" in r.output and "4 runs done, 0 failed" in r.output
    assert len(list(tmp_path.glob("*.parquet"))) == 4
    assert "summary.csv" in r.output and (tmp_path / "summary.csv").is_file() and (tmp_path / "summary.md").is_file()
    r = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path), "--dry-run"])
    assert "4 done, 0 to run" in r.output
    r = runner.invoke(app, ["sweep", str(tmp_path / "missing.yaml")])
    assert r.exit_code == 2 and "missing.yaml" in r.output


def test_sweep_with_a_failing_run_exits_nonzero_and_says_where(tmp_path: Path):
    import yaml

    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump({"budget": 3, "seeds": 1, "out": str(tmp_path / "o"),
                                    "envs": [{"id": "archgym/Systolic-v0", "kwargs": {"workload": "alexnet"}}],
                                    "agents": [{"name": "ga", "hparams": {"population": 2},
                                                "grid": {"elitism": [2, 1]}}]}))
    r = runner.invoke(app, ["sweep", str(spec), "--workers", "1", "--no-progress"])
    assert r.exit_code == 1 and "1 runs done, 1 failed" in r.output and "failed/" in r.output
    assert "elitism must be in" in r.output and "rerun" in r.output


def test_every_objective_form_in_the_run_help_is_valid_and_every_kind_is_shown():
    import json
    import re

    from archgym.cli._study import run
    from archgym.objectives import OBJECTIVES, objective_from_dict

    examples = [json.loads(m) for m in re.findall(r"'(\{.*?\})'", run.__doc__ or "", re.S)]
    kinds = {objective_from_dict(e).to_dict()["kind"] for e in examples}
    assert {e["kind"] for e in examples} == set(OBJECTIVES) and len(kinds) >= 6
    r = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "120"})
    assert r.exit_code == 0 and '"kind": "multi"' in r.output and '"ref_point"' in r.output


def test_multi_objective_run_lists_the_pareto_designs(tmp_path: Path):
    import json

    import numpy as np

    from archgym import datasets
    from archgym.objectives import objective_from_dict, pareto_mask

    obj = {"kind": "multi", "goals": {"latency_ms": "min", "area_mm2": "min"},
           "ref_point": {"latency_ms": 200, "area_mm2": 100}}
    r = runner.invoke(app, ["run", "--env", "archgym/Systolic-v0", "--env-arg", "workload=alexnet", "--agent",
                            "random", "--budget", "40", "--out", str(tmp_path), "--no-progress", "--no-plot",
                            "--objective", json.dumps(obj)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    df = datasets.load(tmp_path)
    o = objective_from_dict(obj)
    res = {k: df[f"metric.{k}"].to_numpy(float) for k in o.metrics} | {"feasible": df["feasible"].to_numpy(bool)}
    front = df[pareto_mask(o.vector(res))].drop_duplicates(subset=datasets.design_columns(df))
    assert f"Pareto front: {len(front)} distinct designs, hypervolume" in r.output
    lines = r.output.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("evaluation ") and "latency_ms" in ln)
    printed = lines[head + 2: head + 2 + len(front)]
    assert {int(ln.split()[0]) for ln in printed} == set(front["step"].to_numpy() + 1)
    for ln, (_, row) in zip(printed, front.sort_values(["metric.area_mm2", "step"]).iterrows(), strict=True):
        assert ln.split()[-1] == f"{row['metric.latency_ms']:.6g}" and np.isfinite(row["metric.area_mm2"])
