"""Sweeps: spec expansion, clear spec errors, parallel execution, resume without redoing runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgym import datasets
from archgym.sweep import SweepSpecError, expand, load_spec, pending, run_sweep

SPEC = {
    "budget": 6,
    "seeds": [0, 1],
    "envs": [{"id": "archgym/Systolic-v0", "kwargs": {"workload": "alexnet"}}],
    "agents": [{"name": "random", "grid": {"unique": [True, False]}}],
}


def test_expand_is_the_cartesian_product():
    runs = expand(SPEC)
    assert len(runs) == 4
    assert {(r.seed, r.hparams["unique"]) for r in runs} == {(0, True), (1, True), (0, False), (1, False)}
    assert len({r.run_id() for r in runs}) == 4


@pytest.mark.parametrize("spec, match", [
    ({"seeds": 1, "envs": [], "agents": []}, "budget"),
    ({**SPEC, "agents": [{"grid": {}}]}, r"agents\[0\] needs a 'name'"),
    ({**SPEC, "envs": "archgym/Systolic-v0"}, "envs must be a list"),
    ({**SPEC, "bogus": 1}, "unknown key"),
])
def test_bad_specs_are_clear(spec, match):
    with pytest.raises(SweepSpecError, match=match):
        expand(spec)


def test_invalid_yaml_names_file_and_line(tmp_path: Path):
    p = tmp_path / "bad.yaml"
    p.write_text("budget: 3\nseeds: [0, 1\nenvs: []\n")
    with pytest.raises(SweepSpecError, match=r"bad.yaml, line \d+"):
        load_spec(p)


def test_parallel_sweep_then_resume_skips_finished_runs(tmp_path: Path):
    runs = expand(SPEC)
    first = run_sweep(runs[:2], tmp_path, workers=2)
    assert len(first) == 2
    mtimes = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.parquet")}
    assert len(pending(runs, tmp_path)) == 2
    second = run_sweep(runs, tmp_path, workers=1)
    assert len(second) == 2  # only the two missing runs ran
    for name, t in mtimes.items():
        assert (tmp_path / name).stat().st_mtime_ns == t  # finished runs were not redone
    df = datasets.load(tmp_path)
    assert len(df) == 4 * 6 and df["run_id"].nunique() == 4
    assert run_sweep(runs, tmp_path) == []
