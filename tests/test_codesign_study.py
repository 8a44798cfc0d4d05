"""The co-exploration study driver (experiments/codesign): its three methods, resume and report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

STUDY = Path(__file__).resolve().parent.parent / "experiments" / "codesign"
sys.path.insert(0, str(STUDY))


def test_study_methods_resume_and_report(tmp_path: Path) -> None:
    import study

    argv = ["--out", str(tmp_path / "runs"), "--budget", "12", "--seeds", "1", "--workloads", "cifar10x2",
            "--agents", "random", "ga", "--report-dir", str(tmp_path / "report")]
    study.main(argv)
    jobs = sorted((tmp_path / "runs" / "jobs").glob("*.json"))
    assert len(jobs) == 6  # 3 methods x 2 agents x 1 seed
    recs = {(r["method"], r["agent"]): r for r in (json.loads(p.read_text()) for p in jobs)}
    sim = study.simulator("cifar10x2")
    best = study.best_networks(sim)
    # hardware only: the most accurate networks, fixed; co-exploration and successive: searched
    assert all(recs[("hardware_only", a)]["best_design"].keys().isdisjoint(best) for a in ("random", "ga"))
    assert recs[("hardware_only", "ga")]["best_metrics"]["weighted_accuracy"] == sim.tasks[0].accuracy_table[:, 0].max()
    succ = recs[("successive", "ga")]
    assert set(succ["nas_best_design"]) == set(study.network_knobs(sim))
    assert succ["best_metrics"]["weighted_accuracy"] == succ["nas_best_accuracy"]  # stage 2 keeps the NAS networks
    assert set(recs[("coexplore", "random")]["best_design"]) == set(sim.space.names)
    mtimes = [p.stat().st_mtime_ns for p in jobs]
    study.main(argv)  # resumed: nothing reruns
    assert [p.stat().st_mtime_ns for p in jobs] == mtimes
    text = (tmp_path / "report" / "results.md").read_text()
    assert "## cifar10x2" in text and "NASAIC (DAC'20)" in text
    assert (tmp_path / "report" / "figures" / "codesign.png").stat().st_size > 10_000
