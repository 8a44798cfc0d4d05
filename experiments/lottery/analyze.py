"""Analyse a lottery study: box plots over hyperparameter configs, target-hit rates, sample efficiency.

A study is two sweeps writing into one directory: the *lottery* (every config of every agent's
grid, one seed) and the *seeds* sweep (each agent's default hyperparameters, several seeds).

Definitions, the same for every env:
- A run's **normalised reward** is its best reward divided by the scenario's optimum: the
  exhaustive optimum when the study knows it (``--optimum 1`` for the DRAM targets, which are
  real designs), else the best reward any run of the study found (ArchGym's normalisation).
- A run **meets the target** when its best reward reaches ``1 / (1 + tol)``: within ``tol``
  (default 1 %) of the target in the objective's own norm; for budgets, at most ``tol`` over.
- **Evaluations to target** is the first evaluation that meets it (censored at the budget).

Usage::

    python experiments/lottery/analyze.py --lottery experiments/lottery/dram.yaml \
        --seeds experiments/lottery/dram_seeds.yaml --name dram --optimum 1 \
        --random-reference experiments/lottery/dram_targets.json

Where results go (``--out``): for the repository's own studies (specs in this folder) the default
is this folder, whose ``results_<name>.md``, ``figures/`` and leaderboard JSON are committed; for
any other spec (a user's sweep) the default is ``<the sweep's out>/analysis``, so pointing the
script at your own sweep never writes into the repository.  ``--report`` also writes the full
``archgym report`` page of the study's runs there.

The curves, their bootstrap intervals and the run records come from :mod:`archgym.report`, the
library behind ``archgym report``; this script adds only the lottery's normalisation, target
definitions and tables.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from archgym.datasets import DESIGN_PREFIX, best_so_far  # noqa: E402
from archgym.report import bootstrap_band  # noqa: E402
from archgym.sweep import is_finished, load_spec  # noqa: E402

HERE = Path(__file__).parent
AGENT_ORDER = ["random", "random_walk", "ga", "aco", "bo", "gp", "nsga2", "ppo", "marl"]


def load_runs(spec: Path, tol: float) -> pd.DataFrame:
    """One row per finished run: its labels, best-so-far curve, best reward and evaluations to target."""
    sw = load_spec(spec)
    out = Path(sw.out)
    thr = 1.0 / (1.0 + tol)
    rows = []
    for r, rid in zip(sw.runs, sw.ids, strict=True):
        path = out / f"{rid}.parquet"
        if not is_finished(path, rid, r.budget):
            continue
        pf = pq.ParquetFile(path)
        cols = ["reward"] + [c for c in pf.schema_arrow.names if c.startswith(DESIGN_PREFIX)]
        df = pf.read(columns=cols).to_pandas()
        curve = best_so_far(df["reward"].to_numpy(float))
        hit = np.flatnonzero(curve >= thr)
        best = int(np.argmax(curve == curve[-1]))
        design = {c[len(DESIGN_PREFIX):]: df[c].iloc[best] for c in df.columns if c.startswith(DESIGN_PREFIX)}
        rows.append({"run_id": rid, "env": r.env_label, "objective": r.objective_name or "default",
                     "scenario": r.scenario, "agent": r.agent, "hparams": json.dumps(dict(r.hparams), sort_keys=True),
                     "seed": r.seed, "budget": r.budget, "curve": curve, "best": curve[-1],
                     "to_target": int(hit[0]) + 1 if len(hit) else np.nan, "best_design": design})
    if not rows:
        raise SystemExit(f"{spec}: no finished runs in {out}; run the sweep first")
    return pd.DataFrame(rows)


def normalise(df: pd.DataFrame, optimum: float | None, pool: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add ``norm``: best / optimum (exhaustive), or best / best-of-study per scenario."""
    df = df.copy()
    if optimum is not None:
        df["norm"] = df["best"] / optimum
        return df
    ref = pd.concat([df, pool]) if pool is not None else df
    best = ref.groupby("scenario")["best"].max()
    df["norm"] = df["best"] / df["scenario"].map(best)
    return df


def agents_in(df: pd.DataFrame) -> list[str]:
    present = set(df["agent"])
    return [a for a in AGENT_ORDER if a in present] + sorted(present - set(AGENT_ORDER))


def lottery_table(lot: pd.DataFrame, thr: float) -> tuple[str, pd.DataFrame]:
    """Per agent: distribution of normalised best reward over configs, and the fraction that met."""
    objectives = list(dict.fromkeys(lot["objective"]))
    lines = ["| agent | configs | runs | median | IQR | min | max | " + " | ".join(f"met: {o}" for o in objectives)
             + " | met: all |", "|---" * (8 + len(objectives)) + "|"]
    recs = []
    for a in agents_in(lot):
        d = lot[lot["agent"] == a]
        q1, med, q3 = np.quantile(d["norm"], [0.25, 0.5, 0.75])
        met = {o: (d[d["objective"] == o]["norm"] >= thr).mean() for o in objectives}
        allmet = (d["norm"] >= thr).mean()
        recs.append({"agent": a, "median": med, "met": allmet, **{f"met_{o}": v for o, v in met.items()}})
        lines.append(f"| {a} | {d['hparams'].nunique()} | {len(d)} | {med:.3f} | {q1:.3f}–{q3:.3f} | "
                     f"{d['norm'].min():.3f} | {d['norm'].max():.3f} | "
                     + " | ".join(f"{100 * met[o]:.0f} %" for o in objectives) + f" | {100 * allmet:.0f} % |")
    return "\n".join(lines), pd.DataFrame(recs)


def tuned_table(lot: pd.DataFrame, thr: float) -> tuple[str, dict[str, int]]:
    """Per scenario: each agent's best config (max over its grid). Counts scenarios each agent meets."""
    agents = agents_in(lot)
    scen = list(dict.fromkeys(lot["scenario"]))
    best = lot.groupby(["scenario", "agent"])["norm"].max()
    lines = ["| scenario | " + " | ".join(agents) + " |", "|---" * (1 + len(agents)) + "|"]
    wins = dict.fromkeys(agents, 0)
    for s in scen:
        cells = []
        for a in agents:
            v = best.get((s, a), np.nan)
            wins[a] += bool(v >= thr)
            cells.append("–" if np.isnan(v) else (f"**{v:.3f}**" if v >= thr else f"{v:.3f}"))
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines.append("| scenarios met | " + " | ".join(f"{wins[a]}/{len(scen)}" for a in agents) + " |")
    return "\n".join(lines), wins


def seeds_table(sd: pd.DataFrame, thr: float, checkpoints: list[int]) -> tuple[str, pd.DataFrame]:
    """Per agent (default hyperparameters), pooled over scenarios and seeds: hit rate by evaluation n."""
    lines = ["| agent | runs | " + " | ".join(f"met by {n}" for n in checkpoints)
             + " | median evaluations to target | median normalised reward |", "|---" * (4 + len(checkpoints)) + "|"]
    recs = []
    budget = int(sd["budget"].max())
    for a in agents_in(sd):
        d = sd[sd["agent"] == a]
        tt = d["to_target"].fillna(np.inf).to_numpy()
        rates = [(tt <= n).mean() for n in checkpoints]
        med = np.median(tt)
        recs.append({"agent": a, "to_target": med, **{f"met_{n}": r for n, r in zip(checkpoints, rates, strict=True)},
                     "norm": d["norm"].median()})
        med_s = f"{med:.0f}" if np.isfinite(med) else f"> {budget}"
        lines.append(f"| {a} | {len(d)} | " + " | ".join(f"{100 * r:.0f} %" for r in rates)
                     + f" | {med_s} | {d['norm'].median():.3f} |")
    return "\n".join(lines), pd.DataFrame(recs)


def leaderboard(lot: pd.DataFrame, sd: pd.DataFrame, thr: float) -> dict:
    """Per agent: how often and how fast its defaults meet the targets, and its best design.

    The best design is shown for the study's hardest scenario (lowest hit rate over all default
    runs), taken over every run of the agent there, tuned or not.
    """
    rate = sd.assign(met=sd["to_target"].notna()).groupby("scenario")["met"].mean()
    hardest = str(rate.idxmin())
    both = pd.concat([lot, sd], ignore_index=True)
    rows = []
    budget = int(sd["budget"].max())
    for a in agents_in(sd):
        d = sd[sd["agent"] == a]
        tt = np.median(d["to_target"].fillna(np.inf))
        h = both[(both["agent"] == a) & (both["scenario"] == hardest)]
        top = h.loc[h["norm"].idxmax()] if not h.empty else None
        rows.append({"agent": a, "runs": len(d), "met": float(d["to_target"].notna().mean()),
                     "scenarios_met": int(d[d["to_target"].notna()]["scenario"].nunique()),
                     "scenarios": int(d["scenario"].nunique()),
                     "median_to_target": float(tt) if np.isfinite(tt) else f"> {budget}",
                     "best_norm": None if top is None else float(top["norm"]),
                     "best_design": None if top is None else {k: (v.item() if hasattr(v, "item") else v)
                                                              for k, v in top["best_design"].items()}})
    return {"hardest": hardest, "hardest_hit_rate": float(rate.min()), "budget": budget, "rows": rows}


def plot_boxes(lot: pd.DataFrame, thr: float, path: Path, title: str) -> None:
    objectives = list(dict.fromkeys(lot["objective"]))
    agents = agents_in(lot)
    fig, axes = plt.subplots(1, len(objectives), figsize=(4.6 * len(objectives), 4.2), sharey=True, squeeze=False)
    for ax, o in zip(axes[0], objectives, strict=True):
        d = lot[lot["objective"] == o]
        data = [d[d["agent"] == a]["norm"].to_numpy() for a in agents]
        ax.boxplot(data, whis=(0, 100), widths=0.6)
        ax.set_xticks(range(1, len(agents) + 1), [f"{a}\n{len(x)}" for a, x in zip(agents, data, strict=True)],
                      fontsize=7, rotation=45, ha="right")
        ax.axhline(thr, ls="--", lw=0.8, color="tab:red")
        ax.set_title(o)
    axes[0][0].set_ylabel("best reward / optimum (one run per config)")
    fig.suptitle(f"{title}: hyperparameter lottery (whiskers: min/max; red: meets target)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_sample_efficiency(sd: pd.DataFrame, path: Path, title: str) -> None:
    envs = list(dict.fromkeys(sd["env"]))
    objectives = list(dict.fromkeys(sd["objective"]))
    agents = agents_in(sd)
    fig, axes = plt.subplots(len(envs), len(objectives), figsize=(4.2 * len(objectives), 3.0 * len(envs)),
                             squeeze=False, sharex=True)
    colors = dict(zip(agents, plt.cm.tab10.colors, strict=False))
    for i, e in enumerate(envs):
        for j, o in enumerate(objectives):
            ax = axes[i][j]
            for a in agents:
                d = sd[(sd["env"] == e) & (sd["objective"] == o) & (sd["agent"] == a)]
                if d.empty:
                    continue
                band = bootstrap_band(list(d["curve"]), seed=0)
                ax.plot(band.x, band.median, color=colors[a], lw=1.2, label=a)
                ax.fill_between(band.x, band.low, band.high, color=colors[a], alpha=0.15, lw=0)
            ax.set_title(f"{e} / {o}", fontsize=9)
            ax.set_xscale("log")
    for ax in axes[-1]:
        ax.set_xlabel("evaluations")
    for row in axes:
        row[0].set_ylabel("best reward")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{title}: best reward vs evaluations, default hyperparameters (median and 95 % CI over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_success(sd: pd.DataFrame, path: Path, title: str, reference: dict | None) -> None:
    agents = agents_in(sd)
    budget = int(sd["budget"].max())
    n = np.arange(1, budget + 1)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for a, c in zip(agents, plt.cm.tab10.colors, strict=False):
        tt = sd[sd["agent"] == a]["to_target"].fillna(np.inf).to_numpy()
        ax.step(n, [(tt <= k).mean() for k in n], where="post", color=c, label=a)
    if reference is not None:
        fr = np.array([s["met_fraction"] for s in reference["scenarios"].values()])
        ax.plot(n, [np.mean(1 - (1 - fr) ** k) for k in n], "k--", lw=1, label="random, exact (from enumeration)")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("fraction of runs that met the target")
    ax.set_title(f"{title}: time to target, default hyperparameters, all scenarios and seeds", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lottery", type=Path, required=True)
    ap.add_argument("--seeds", type=Path, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--title", default=None)
    ap.add_argument("--tol", type=float, default=0.01)
    ap.add_argument("--optimum", type=float, default=None, help="known optimum reward (else best found)")
    ap.add_argument("--random-reference", type=Path, default=None)
    ap.add_argument("--out", "--outdir", dest="out", type=Path, default=None,
                    help="where results, figures/ and the leaderboard go (default: this folder for the "
                         "repository's own studies, else <the sweep's out>/analysis)")
    ap.add_argument("--report", action="store_true", help="also write the archgym report page of the runs")
    ap.add_argument("--checkpoints", type=int, nargs="+", default=[10, 25, 50, 100])
    args = ap.parse_args(argv)
    out = args.out if args.out is not None else default_out(args.lottery)
    title = args.title or args.name
    thr = 1.0 / (1.0 + args.tol)
    lot, sd = load_runs(args.lottery, args.tol), load_runs(args.seeds, args.tol)
    lot, sd = normalise(lot, args.optimum, sd), normalise(sd, args.optimum, lot)
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    plot_boxes(lot, thr, figures / f"{args.name}_lottery.png", title)
    plot_sample_efficiency(sd, figures / f"{args.name}_sample_efficiency.png", title)
    ref = json.loads(args.random_reference.read_text()) if args.random_reference else None
    plot_success(sd, figures / f"{args.name}_time_to_target.png", title, ref)
    lt, _ = lottery_table(lot, thr)
    tt, wins = tuned_table(lot, thr)
    st, _ = seeds_table(sd, thr, [c for c in args.checkpoints if c <= sd["budget"].max()])
    text = "\n\n".join([
        f"<!-- generated by experiments/lottery/analyze.py --name {args.name}; do not edit -->",
        f"### Lottery: best reward over each agent's hyperparameter grid ({len(lot)} runs)", lt,
        "### Tuned: each agent's best config per scenario (bold: meets the target)", tt,
        f"### Default hyperparameters over seeds ({len(sd)} runs)", st])
    (out / f"results_{args.name}.md").write_text(text + "\n")
    board = leaderboard(lot, sd, thr)
    (out / f"leaderboard_{args.name}.json").write_text(json.dumps({"env": title, **board}, indent=1, default=str))
    if args.report:
        from archgym.report import build_report

        rep = build_report(load_spec(args.lottery).out, out=out / f"{args.name}_report.html")
        print(f"report: {rep.html}")
    print(text)
    print(f"results: {out}")


def default_out(spec: Path) -> Path:
    """This folder for the repository's own study specs; ``<sweep out>/analysis`` for anyone else's."""
    if spec.resolve().parent == HERE.resolve():
        return HERE
    sw = load_spec(spec)
    if not sw.out:
        raise SystemExit(f"{spec}: the spec has no out:; give --out")
    return Path(sw.out) / "analysis"


if __name__ == "__main__":
    main()
