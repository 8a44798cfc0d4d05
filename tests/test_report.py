"""``archgym report``: the library pieces (bootstrap bands, ranking, Pareto designs, attainment, knob
importance) and the command that writes the offline page and the PNG/PDF figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from report_runs import MULTI, grid_runs, pareto_runs
from typer.testing import CliRunner

import archgym
from archgym.errors import DatasetError
from archgym.objectives import objective_from_dict
from archgym.report import (
    attainment,
    bootstrap_band,
    build_report,
    config_ranking,
    has_grids,
    knob_importance,
    pareto_designs,
    read_directory,
)


def external_refs(text: str) -> list[str]:
    """src/href attributes of the page's tags (script bodies are data to the parser, not tags)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Refs(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend(f"{tag} {k}={v}" for k, v in attrs if k in ("src", "href") and v and not v.startswith("#"))

    Refs().feed(text)
    return found


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    grid_runs(out)
    pareto_runs(out)
    return out


def test_bootstrap_band_brackets_the_median_and_is_seeded():
    rng = np.random.default_rng(3)
    curves = [np.maximum.accumulate(rng.random(40)) for _ in range(7)]
    b = bootstrap_band(curves, seed=1)
    assert b.n_runs == 7 and list(b.x[:2]) == [1, 2] and len(b.x) == 40
    assert np.all(b.low <= b.median + 1e-12) and np.all(b.median <= b.high + 1e-12)
    assert np.any(b.high > b.low)  # runs differ, so the interval has width
    again = bootstrap_band(curves, seed=1)
    assert np.array_equal(b.low, again.low) and np.array_equal(b.high, again.high)
    same = bootstrap_band([curves[0]] * 5)
    assert np.array_equal(same.low, same.high) and np.array_equal(same.median, curves[0])
    short = bootstrap_band([curves[0], curves[1][:10]])  # different budgets: cut to the shortest
    assert len(short.x) == 10


def test_scenarios_group_runs_by_config_hash_and_objective(runs_dir: Path):
    scenarios = read_directory(runs_dir)
    assert len(scenarios) == 2  # same env and workload, two objectives
    plain, multi = sorted(scenarios, key=lambda s: s.is_multi)
    assert not plain.is_multi and multi.is_multi and multi.objective["goals"] == MULTI["goals"]
    assert len(plain.runs) == 7 and len(multi.runs) == 4
    assert plain.config_hash == multi.config_hash
    ga = plain.runs[plain.runs["agent"] == "ga"]
    assert set(ga["config"]) == {"population=4", "population=8"}  # named by the varied hyperparameter
    assert set(plain.runs[plain.runs["agent"] == "random"]["config"]) == {"default"}


def test_config_ranking_orders_configurations_by_median_best(runs_dir: Path):
    plain = next(s for s in read_directory(runs_dir) if not s.is_multi)
    assert has_grids(plain.runs)
    ranking = config_ranking(plain.runs)
    assert len(ranking) == 3 and set(ranking["seeds"]) == {2, 3}
    assert list(ranking["median_best"]) == sorted(ranking["median_best"], reverse=True)
    assert ranking["rank"].iloc[0] == 1
    for _, r in ranking.iterrows():  # each median is the median of that configuration's runs
        d = plain.runs[plain.runs["config_id"] == r["config_id"]]
        assert r["median_best"] == pytest.approx(float(np.median(d["best_reward"])))


def test_pareto_designs_are_non_dominated_and_attained(runs_dir: Path):
    multi = next(s for s in read_directory(runs_dir) if s.is_multi)
    front = pareto_designs(multi.rows, multi.objective)
    assert len(front) >= 2
    feas = multi.rows[multi.rows["feasible"]]
    pts = feas[["metric.latency_ms", "metric.area_mm2"]].to_numpy(float)
    for lat, en in front[["latency_ms", "area_mm2"]].to_numpy(float):
        dominated = (pts[:, 0] <= lat) & (pts[:, 1] <= en) & ((pts[:, 0] < lat) | (pts[:, 1] < en))
        assert not dominated.any()
    obj = objective_from_dict(MULTI)
    assert obj.metrics == ("latency_ms", "area_mm2")
    att = attainment(multi.rows, multi.runs, multi.objective, front)
    assert set(att.columns) == {"random", "nsga2"}
    assert ((att >= 0) & (att <= 1)).all().all()
    for i, r in front.iterrows():  # the agent that found a Pareto design attains it in >= 1 of its 2 runs
        assert att.loc[i, r["agent"]] >= 0.5
    from archgym.report._pareto import hypervolume_curves, hypervolumes

    xs, curves = hypervolume_curves(multi.rows, multi.runs, multi.objective, n_points=10)
    assert xs[0] == 1 and xs[-1] == 30 and len(xs) == 10
    final = hypervolumes(multi.rows, multi.runs, multi.objective)
    for agent, cs in curves.items():
        ids = list(multi.runs[multi.runs["agent"] == agent]["run_id"])
        for c, rid in zip(cs, ids, strict=True):
            assert np.all(np.diff(c) >= 0) and c[-1] == pytest.approx(final[rid])  # so far: never decreases


def test_dram_knob_importance_finds_the_inert_scheduler_and_the_strong_page_policy(tmp_path: Path):
    # Scheduler is inert in the DRAM model (folded out of timing_class, as in DRAMSys on these
    # traces): check that first, on designs that differ only in Scheduler
    env = archgym.make("archgym/DRAM-v0")
    sim = env.unwrapped.simulator
    base = sim.space.sample(np.random.default_rng(0), 20)
    outs = [sim.evaluate([{**d, "Scheduler": s} for d in base]) for s in ("Fifo", "FrFcfs", "FrFcfsGrp")]
    for m in ("power_mW", "time_ns"):
        assert np.array_equal(outs[0][m], outs[1][m]) and np.array_equal(outs[0][m], outs[2][m])
    archgym.run("archgym/DRAM-v0", "random", 300, 0, log_dir=tmp_path, progress=False)
    (sc,) = read_directory(tmp_path)
    imp = knob_importance(sc.rows, sc.space, targets=["reward", "power_mW", "time_ns"], seed=0)
    assert set(imp.values.index) == set(sc.knobs)
    for t in ("reward", "power_mW", "time_ns"):
        col = imp.values[t]
        assert abs(col["Scheduler"]) < 0.02 and abs(col["RespQueue"]) < 0.02, col
        assert col.idxmax() == "PagePolicy" and col["PagePolicy"] > 0.5, col
        assert imp.r2[t] > 0.8
    from sklearn.ensemble import RandomForestRegressor

    from archgym.report._importance import encode_designs, forest_predict

    X = encode_designs(sc.rows, sc.space).to_numpy(float)
    forest = RandomForestRegressor(8, random_state=0).fit(X, sc.rows["reward"].to_numpy(float))
    assert np.array_equal(forest_predict(forest, X), forest.predict(X))
    again = knob_importance(sc.rows, sc.space, targets=["reward"], seed=0)
    assert again.values["reward"].equals(imp.values["reward"])  # seeded


def test_report_command_writes_an_offline_page_and_figures(runs_dir: Path, tmp_path: Path):
    from archgym.cli import app

    out = tmp_path / "r" / "report.html"
    r = CliRunner().invoke(app, ["report", str(runs_dir), "--out", str(out), "--no-importance"])
    assert r.exit_code == 0, r.output
    assert "11 runs in 2 scenario(s)" in r.output
    text = out.read_text(encoding="utf-8")
    assert external_refs(text) == []  # plotly.js is inlined: nothing to fetch
    assert "Plotly.newPlot" in text and len(text) > 1_000_000
    assert text.count('class="plot archgym-plot"') >= 6
    for heading in ("Best reward so far", "Configurations ranked", "Best design per agent", "Parallel coordinates",
                    "Pareto front"):
        assert heading in text
    figs = out.parent / "report_figures"
    pngs, pdfs = sorted(figs.glob("*.png")), sorted(figs.glob("*.pdf"))
    assert len(pngs) == len(pdfs) >= 6
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs) and all(p.read_bytes()[:4] == b"%PDF" for p in pdfs)
    assert not list(runs_dir.glob("report*"))  # --out given: nothing written next to the runs
    import pandas as pd

    (ranking,) = figs.glob("*_ranking.csv")
    assert len(pd.read_csv(ranking)) == 3  # random's default and ga's two populations
    (pareto,) = figs.glob("*_pareto.csv")
    assert {"latency_ms", "area_mm2", "found by", "attained: nsga2", "attained: random"} <= set(pd.read_csv(pareto).columns)
    assert len(list(figs.glob("*_best_designs.csv"))) == 2


def test_report_escapes_untrusted_strings(tmp_path: Path):
    import pandas as pd
    import plotly.graph_objects as go

    from archgym.report._html import plot_div, table_html

    evil = "</script><script>alert(1)</script>"
    div = plot_div(go.Figure(go.Scatter(x=[1], y=[2], name=evil)), "p")
    assert div.count("</script>") == 1 and "alert(1)" in div  # the name is there, but cannot end the script
    assert "<script>" not in table_html(pd.DataFrame({"a": [evil]}))


def test_report_of_a_directory_without_runs_is_a_clear_error(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(DatasetError, match="no finished archgym runs"):
        build_report(tmp_path)
    from archgym.cli import app

    r = CliRunner().invoke(app, ["report", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "no such file or directory" in r.output


def test_best_design_table_matches_the_runs(runs_dir: Path):
    from archgym.report._build import best_designs

    plain = next(s for s in read_directory(runs_dir) if not s.is_multi)
    best = best_designs(plain)
    assert set(best["agent"]) == {"random", "ga"}
    for _, r in best.iterrows():
        assert r["reward"] == plain.runs[plain.runs["agent"] == r["agent"]]["best_reward"].max()
        assert json.dumps(str(r["dataflow"])) and r["latency_ms"] > 0


def test_a_sweep_directory_is_reported_with_the_specs_scenario_names(tmp_path: Path):
    import yaml

    from archgym.sweep import load_spec, run_sweep

    spec = {"name": "tiny", "budget": 8, "seeds": [0, 1], "out": str(tmp_path / "sweep"),
            "envs": [{"id": "archgym/Systolic-v0", "label": "alex", "kwargs": {"workload": "alexnet"},
                      "objectives": {"fast": {"kind": "minimize", "metric": "latency_ms"},
                                     "small": {"kind": "budgets", "budgets": {"area_mm2": 5.0}}}}],
            "agents": ["random", {"name": "ga", "grid": {"population": [4, 6]}}]}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert not run_sweep(load_spec(path), workers=1).failed
    rep = build_report(tmp_path / "sweep", spec=path, importance=False)
    assert sorted(s.label for s in rep.scenarios) == ["alex/fast", "alex/small"]
    assert all(len(s.runs) == 6 and s.runs["config"].nunique() == 3 for s in rep.scenarios)
    assert rep.html == tmp_path / "sweep" / "report.html" and "alex/small" in rep.html.read_text(encoding="utf-8")
