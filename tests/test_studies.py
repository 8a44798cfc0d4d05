"""The lottery studies: committed specs expand as documented; the analysis pipeline runs end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from archgym.sweep import load_spec, run_sweep

LOTTERY = Path(__file__).resolve().parent.parent / "experiments" / "lottery"
sys.path.insert(0, str(LOTTERY))


def test_dram_lottery_spec_has_archgyms_grids_and_about_8000_runs():
    sw = load_spec(LOTTERY / "dram.yaml")
    assert len(sw) == 8676  # 723 configs x 4 traces x 3 targets, one seed each
    configs = {a: len({json.dumps(dict(r.hparams), sort_keys=True) for r in sw.runs if r.agent == a})
               for a in {r.agent for r in sw.runs}}
    assert configs["aco"] == 600 and configs["ga"] == 72 and configs["bo"] == 15
    assert {r.scenario.split("/")[1] for r in sw.runs} == {"low_power", "low_latency", "both"}
    assert len({r.scenario for r in sw.runs}) == 12
    targets = json.loads((LOTTERY / "dram_targets.json").read_text())["scenarios"]
    assert set(targets) == {r.scenario for r in sw.runs}
    assert all(0 < s["met_fraction"] < 0.35 for s in targets.values())


@pytest.mark.parametrize("study", ["dram_seeds", "systolic", "systolic_seeds", "soc", "soc_seeds"])
def test_other_study_specs_expand(study):
    assert len(load_spec(LOTTERY / f"{study}.yaml")) > 0


def test_analysis_and_leaderboard_run_end_to_end(tmp_path: Path):
    import analyze
    import leaderboard

    env = {"id": "archgym/Systolic-v0", "label": "alexnet", "kwargs": {"workload": "alexnet"},
           "objectives": {"fast": {"kind": "budgets", "budgets": {"latency_ms": 150.0, "area_mm2": 4.0}}}}
    common = {"budget": 12, "out": str(tmp_path / "runs"), "envs": [env]}
    lottery = {**common, "name": "lot", "seeds": [0],
               "agents": [{"name": "ga", "grid": {"population": [4, 8]}}, {"name": "random", "grid": {"unique": [True, False]}}]}
    seeds = {**common, "name": "seeds", "seeds": 3, "agents": ["ga", "random"]}
    for name, spec in (("lot", lottery), ("seeds", seeds)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(spec))
        assert not run_sweep(load_spec(tmp_path / f"{name}.yaml"), workers=1).failed
    before = {p: p.stat().st_mtime_ns for p in LOTTERY.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    # a user's sweep: no --out, so the results go next to its runs and nothing into the repository
    analyze.main(["--lottery", str(tmp_path / "lot.yaml"), "--seeds", str(tmp_path / "seeds.yaml"),
                  "--name", "tiny", "--checkpoints", "5", "12", "--report"])
    after = {p: p.stat().st_mtime_ns for p in LOTTERY.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert after == before
    out = tmp_path / "runs" / "analysis"
    for fig in ("tiny_lottery.png", "tiny_sample_efficiency.png", "tiny_time_to_target.png"):
        assert (out / "figures" / fig).stat().st_size > 1000
    assert "Configurations ranked" in (out / "tiny_report.html").read_text(encoding="utf-8")
    text = (out / "results_tiny.md").read_text()
    assert "| ga | 2 | 2 |" in text and "| random | 3 |" in text
    board = json.loads((out / "leaderboard_tiny.json").read_text())
    assert {r["agent"] for r in board["rows"]} == {"ga", "random"} and board["hardest"] == "alexnet/fast"
    assert all(r["best_design"] for r in board["rows"])
    assert analyze.default_out(LOTTERY / "dram.yaml") == LOTTERY  # the repository's own study
    (out / "leaderboard_tiny.json").rename(tmp_path / "leaderboard_tiny.json")
    leaderboard.HERE = tmp_path
    assert "| 1 |" in leaderboard.render()
