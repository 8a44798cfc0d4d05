"""Assemble a report: read the runs, compute every view per scenario, write the page and figures."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from archgym.datasets import DESIGN_PREFIX, METRIC_PREFIX
from archgym.report import _figures as figs
from archgym.report import _html as web
from archgym.report._curves import agent_bands, bootstrap_band, config_ranking, has_grids
from archgym.report._importance import knob_importance
from archgym.report._pareto import (
    attainment,
    attainment_surfaces,
    hypervolume_curves,
    hypervolumes,
    pareto_designs,
)
from archgym.report._runs import Scenario, apply_spec_labels, read_directory

#: at most this many run-best designs in a parallel-coordinates plot (the best ones)
MAX_PARALLEL = 150
#: rows of the configuration ranking shown in the page
MAX_RANKING_ROWS = 30


@dataclass
class Report:
    """What :func:`build_report` wrote."""

    html: Path
    figures: list[Path] = field(default_factory=list)  # PNG and PDF figures, and the tables as CSV
    scenarios: list[Scenario] = field(default_factory=list)


def build_report(directory: str | Path, out: str | Path | None = None, figures_dir: str | Path | None = None,
                 seed: int = 0, importance: bool = True, spec: str | Path | None = None) -> Report:
    """Write an offline HTML report (and PNG/PDF figures) of every run under ``directory``.

    Args:
        directory: a directory of run files (``archgym run --out``, a sweep's ``out``), searched
            recursively.
        out: the HTML file (default ``<directory>/report.html``).
        figures_dir: where PNG/PDF figures and CSV tables go (default ``<out without .html>_figures/``).
        seed: seeds the bootstrap and the importance forests (same seed ⇒ same report).
        importance: compute knob importance (the slowest part: a forest per target).
        spec: the sweep spec that wrote the runs, to name scenarios as it does (``cloud-1/low_power``).

    Raises:
        DatasetError: no finished run under ``directory``.
    """
    from archgym._files import atomic_write_text

    directory = Path(directory)
    scenarios = read_directory(directory)
    if spec is not None:
        apply_spec_labels(scenarios, spec)
    out = Path(out) if out is not None else directory / "report.html"
    figures_dir = Path(figures_dir) if figures_dir is not None else out.with_name(out.stem + "_figures")
    report = Report(html=out, scenarios=scenarios)
    sections = [("overview", "Overview", _overview(scenarios))]
    for i, sc in enumerate(scenarios):
        body = _scenario_section(sc, i, figures_dir, seed, importance, report.figures)
        sections.append((f"s{i}", sc.label, body))
    n_runs = sum(len(s.runs) for s in scenarios)
    intro = (f'<p class="note">{n_runs} runs in {len(scenarios)} scenario(s) read from '
             f"<code>{html.escape(str(directory))}</code>. A scenario is one env, workload, simulator configuration "
             "(<code>config_hash</code>) and objective; only runs within a scenario are compared. "
             f"Static figures (PNG, PDF): <code>{html.escape(str(figures_dir))}</code>.</p>")
    atomic_write_text(out, web.page(f"archgym report: {directory.name or directory}", intro, sections))
    return report


def _overview(scenarios: list[Scenario]) -> str:
    rows = []
    for s in scenarios:
        rows.append({"scenario": s.label, "env": s.env_id, "workload": s.workload, "config_hash": s.config_hash,
                     "runs": len(s.runs), "agents": ", ".join(sorted(s.runs["agent"].unique())),
                     "configurations": int(s.runs["config_id"].nunique()),
                     "evaluations": int(s.runs["evaluations"].sum()),
                     "best reward": float(s.runs["best_reward"].max())})
    return web.table_html(pd.DataFrame(rows))


def _scenario_section(sc: Scenario, i: int, figures_dir: Path, seed: int, importance: bool,
                      written: list[Path]) -> str:
    parts = [f"<p>Objective: <code>{html.escape(json.dumps(sc.objective, sort_keys=True))}</code></p>"]
    title = sc.label
    base = figures_dir / sc.key

    bands = agent_bands(sc.runs, seed=seed)
    parts.append("<h3>Best reward so far vs evaluations</h3><p class='note'>Median over each agent's runs "
                 "(all its seeds and configurations) with a 95 % percentile-bootstrap interval.</p>")
    parts.append(web.plot_div(web.curves_plot(bands, title), f"curves-{i}"))
    written += figs.curves_figure(bands, title, base.with_name(f"{sc.key}_curves"))

    ranking = config_ranking(sc.runs)
    if has_grids(sc.runs):
        parts.append("<h3>Configurations ranked (hyperparameter lottery)</h3><p class='note'>Each point is one "
                     "configuration (agent + hyperparameters), at its median best reward over seeds; the spread "
                     "of an agent's box is what its hyperparameters are worth.</p>")
        parts.append(web.plot_div(web.ranking_plot(sc.runs, title), f"ranking-{i}"))
        written += figs.ranking_figure(sc.runs, ranking, title, base.with_name(f"{sc.key}_ranking"))
        written.append(_csv(ranking.drop(columns=["config_id"]), base.with_name(f"{sc.key}_ranking.csv")))
        shown = ranking.drop(columns=["hparams", "config_id"]).head(MAX_RANKING_ROWS)
        more = len(ranking) - len(shown)
        parts.append(web.table_html(shown, scroll=True) +
                     (f"<p class='note'>… and {more} more configurations.</p>" if more > 0 else ""))

    best = best_designs(sc)
    written.append(_csv(best, base.with_name(f"{sc.key}_best_designs.csv")))
    parts.append("<h3>Best design per agent</h3>")
    parts.append(web.table_html(best, scroll=True))

    par = run_bests(sc).head(MAX_PARALLEL)
    if len(par) >= 1 and sc.knobs:
        parts.append("<h3>Parallel coordinates of the best designs</h3><p class='note'>One line per run: the "
                     "best design it found, coloured by its reward (the best runs are drawn on top).</p>")
        axes = [k for k in sc.knobs if k in par.columns] + ["reward"]
        parts.append(web.plot_div(web.parallel_plot(par, axes, "reward", title), f"parallel-{i}"))
        written += figs.parallel_figure(par, axes, "reward", title, base.with_name(f"{sc.key}_parallel"))

    if sc.is_multi:
        parts.append(_pareto_section(sc, i, title, base, written))

    if importance:
        parts.append(_importance_section(sc, i, title, base, seed, written))
    return "\n".join(parts)


def best_designs(sc: Scenario) -> pd.DataFrame:
    """The best design of each agent (over all its runs) with its reward and metrics."""
    runs = sc.runs.sort_values(["best_reward", "best_step"], ascending=[False, True], kind="stable")
    top = runs.groupby("agent", sort=True).head(1).sort_values("best_reward", ascending=False, kind="stable")
    rows = sc.rows.loc[top["best_index"]]
    out = pd.DataFrame({"agent": top["agent"].to_numpy(), "configuration": top["config"].to_numpy(),
                        "seed": top["seed"].to_numpy(), "evaluation": top["best_step"].to_numpy() + 1,
                        "reward": top["best_reward"].to_numpy()})
    for k in sc.knobs:
        if DESIGN_PREFIX + k in rows:
            out[k] = rows[DESIGN_PREFIX + k].to_numpy()
    for m in sc.metric_names:
        if METRIC_PREFIX + m in rows:
            out[m] = rows[METRIC_PREFIX + m].to_numpy(float)
    return out


def run_bests(sc: Scenario) -> pd.DataFrame:
    """Each run's best design (knobs by name), its reward, agent and seed; best runs first."""
    rows = sc.rows.loc[sc.runs["best_index"]]
    out = pd.DataFrame({k: rows[DESIGN_PREFIX + k].to_numpy() for k in sc.knobs if DESIGN_PREFIX + k in rows})
    out["reward"] = sc.runs["best_reward"].to_numpy(float)
    out["agent"] = sc.runs["agent"].to_numpy()
    out["seed"] = sc.runs["seed"].to_numpy()
    return out.sort_values("reward", ascending=False, kind="stable").reset_index(drop=True)


def _pareto_section(sc: Scenario, i: int, title: str, base: Path, written: list[Path]) -> str:
    goals = dict(sc.objective["goals"])
    front = pareto_designs(sc.rows, sc.objective)
    if front.empty:
        return "<h3>Pareto front</h3><p>No feasible design.</p>"
    att = attainment(sc.rows, sc.runs, sc.objective, front)
    surfaces = {a: attainment_surfaces(sc.rows, list(d["run_id"]), sc.objective)
                for a, d in sc.runs.groupby("agent", sort=True)}
    hv = hypervolumes(sc.rows, sc.runs, sc.objective)
    hv_table = (sc.runs.assign(hypervolume=hv.to_numpy()).groupby("agent")["hypervolume"]
                .agg(runs="count", median="median", min="min", max="max").reset_index())
    parts = ["<h3>Pareto front</h3>",
             f"<p class='note'>{len(front)} non-dominated designs over all runs (objectives "
             f"{html.escape(', '.join(f'{g} ({d})' for g, d in goals.items()))}). Lines: each agent's median "
             "attainment surface over its runs (the boundary half of its runs reach)"
             + (", first two objectives" if len(goals) > 2 else "") + ".</p>",
             web.plot_div(web.pareto_plot(sc.rows, front, surfaces, goals, title), f"pareto-{i}")]
    written += figs.pareto_figure(front, surfaces, goals, title, base.with_name(f"{sc.key}_pareto"))
    xs, hv_curves = hypervolume_curves(sc.rows, sc.runs, sc.objective)
    hv_bands = {a: replace(bootstrap_band(c), x=xs) for a, c in hv_curves.items()}
    ylabel = "hypervolume so far (median, 95 % CI)"
    parts += ["<p class='note'>Hypervolume of each run's designs so far against the objective's reference point "
              "(the multi-objective best-so-far): median over each agent's runs, 95 % bootstrap interval.</p>",
              web.plot_div(web.curves_plot(hv_bands, title, ylabel), f"hypervolume-{i}")]
    written += figs.curves_figure(hv_bands, title, base.with_name(f"{sc.key}_hypervolume"), ylabel)
    listed = front.drop(columns=["run_id"]).rename(columns={"agent": "found by", "step": "evaluation"})
    listed["evaluation"] = listed["evaluation"] + 1
    listed = pd.concat([listed, att.add_prefix("attained: ")], axis=1)
    written.append(_csv(listed, base.with_name(f"{sc.key}_pareto.csv")))
    parts += ["<p class='note'>The Pareto designs; <em>attained: agent</em> is the fraction of that agent's "
              "runs that found a design at least as good in every objective.</p>",
              web.table_html(listed, scroll=True),
              "<p class='note'>Hypervolume per run against the objective's reference point:</p>",
              web.table_html(hv_table)]
    return "\n".join(parts)


def _importance_section(sc: Scenario, i: int, title: str, base: Path, seed: int, written: list[Path]) -> str:
    imp = knob_importance(sc.rows, sc.space, seed=seed)
    parts = ["<h3>Knob importance</h3>",
             f"<p class='note'>Permutation importance of a random forest per target, fitted to the "
             f"{imp.n_designs} distinct designs evaluated: the held-out R² lost when a knob is shuffled. "
             "≈ 0: the knob does not change the target (over the designs the agents visited); above 1: "
             "without it the forest predicts worse than the mean.</p>"]
    if imp.values.empty:
        parts.append("<p>Not enough distinct designs for an importance analysis.</p>")
    else:
        parts.append(web.plot_div(web.importance_plot(imp.values, title), f"importance-{i}",
                                  height=max(320, 40 + 28 * len(imp.values))))
        written += figs.importance_figure(imp.values, title, base.with_name(f"{sc.key}_importance"))
        table = imp.values.copy()
        table.loc["held-out R² of the forest"] = imp.r2
        written.append(_csv(table.reset_index(names="knob"), base.with_name(f"{sc.key}_importance.csv")))
        parts.append(web.table_html(table.reset_index(names="knob"), float_format="{:.3f}", scroll=True))
    if imp.skipped:
        parts.append("<p class='note'>Not analysed: " + html.escape("; ".join(f"{t}: {why}" for t, why in
                                                                              imp.skipped.items())) + ".</p>")
    return "\n".join(parts)



def _csv(df: pd.DataFrame, path: Path) -> Path:
    """A table of the report as CSV next to the figures (atomic), for scripts and spreadsheets."""
    from archgym._files import atomic_write_text

    return atomic_write_text(path, df.to_csv(index=False))
