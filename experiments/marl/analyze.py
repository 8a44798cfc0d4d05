"""Analyse the MARL study of one env: curves, success rates, paired tests, and a verdict.

Definitions (the same for every env):

- **Best-so-far curve** of a run: its best reward after each evaluation.  Targets (DRAM) and
  budgets (Systolic, SoC) both give reward 1 when met, so a run **succeeds** at budget ``b`` when
  its best reward after ``b`` evaluations reaches ``1 / 1.01`` (within 1 %, as in the lottery study).
- **Sample-efficiency score** at budget ``b``: the mean of the best-so-far curve over evaluations
  1…b (area under the curve / b).  Unlike the best reward at ``b``, which saturates at 1 for most
  agents on easy scenarios, it also rewards getting there sooner, and it is continuous, so paired
  tests have few ties.
- **Paired test** per (scenario, budget): Wilcoxon signed-rank over seeds (runs with the same seed
  share nothing but the seed, but pairing by seed is the study's unit) of the score of
  **marl-best** minus PPO's and minus SAC's; p-values Holm-adjusted over the scenarios of the env,
  per (budget, baseline) family (with 10 seeds the smallest exact two-sided p is 2/1024, so a
  correction over all 48 DRAM tests at once could never reject).
  *marl-best* is the per-knob MARL variant (``marl``, ``marl_shared``, ``mappo``: one agent per
  parameter, the paper's claim) with the highest mean score at the largest budget over all
  scenarios of the env — one choice per env, so it is not cherry-picked per scenario, though it is
  picked on the same data (a bias in MARL's favour that the verdict states).
- **Verdict** on "one agent per parameter consistently outperforms single-agent PPO and SAC", per
  env: *holds* when, at both budgets, marl-best is significantly better (adjusted p < 0.05) than
  both PPO and SAC in a majority of scenarios and significantly worse in none (per scenario or
  pooled); *does not hold* when it is significantly better than PPO or SAC nowhere — in no
  (scenario, budget) pair and in no pooled test — or significantly worse at least as often as it
  is significantly better; *holds only in part* otherwise (e.g. it beats one of the two baselines).
  The pooled tests (``pooled_<env>.csv``) compare every MARL variant with PPO and SAC on all
  (scenario, seed) pairs at once, Holm-adjusted over that table.

Only seeds that every agent of a scenario has finished are used, so a study stopped early is
analysed on paired data.  Outputs: ``results_<env>.md``, ``summary_<env>.csv``,
``tests_<env>.csv``, ``pooled_<env>.csv``, ``figures/<env>_curves.png``, ``figures/<env>_success.png``.

    python experiments/marl/analyze.py --env dram
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from scipy.stats import wilcoxon  # noqa: E402

from archgym.sweep import is_finished, load_spec  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
THR = 1.0 / 1.01
LEVELS = (100, 300)  # budget levels read from each run (set per spec in main())
LEVELS_BY_BUDGET = {300: (100, 300), 1000: (300, 1000)}
PER_KNOB = ("marl", "marl_shared", "mappo")
ORDER = ["marl", "marl_subsys", "marl_shared", "marl_shared_subsys", "mappo", "mappo_subsys",
         "ppo", "sac", "ga", "bo", "random"]
N_BOOT = 2000


def specs(env: str) -> list:
    from make_specs import PARTS

    return [load_spec(HERE / f"{part}.yaml") for part in PARTS.get(env, [env])]


def load(env: str) -> pd.DataFrame:
    """One row per finished run: scenario, agent label, seed and the best-so-far curve."""
    sweeps = specs(env)
    out = Path(sweeps[0].out)
    rows = []
    pairs = [(r, rid) for sw in sweeps for r, rid in zip(sw.runs, sw.ids, strict=True)]
    for r, rid in pairs:
        path = out / f"{rid}.parquet"
        if not is_finished(path, rid, r.budget):
            continue
        reward = pq.read_table(path, columns=["reward"]).column("reward").to_numpy().astype(float)
        curve = np.maximum.accumulate(np.where(np.isfinite(reward), reward, -1.0))
        rows.append({"scenario": r.scenario, "agent": r.agent_label or r.agent, "seed": r.seed, "curve": curve})
    df = pd.DataFrame(rows, columns=["scenario", "agent", "seed", "curve"])
    if df.empty:
        return df
    # keep only seeds that every agent of the scenario has finished (paired data)
    n_agents = len({r.agent_label or r.agent for r, _ in pairs})
    full = df.groupby(["scenario", "seed"])["agent"].transform("nunique") == n_agents
    return df[full].reset_index(drop=True)


def agents_in(df: pd.DataFrame) -> list[str]:
    present = set(df["agent"])
    return [a for a in ORDER if a in present] + sorted(present - set(ORDER))


def score(curve: np.ndarray, b: int) -> float:
    return float(np.mean(curve[:b]))


def boot_ci(x: np.ndarray, stat=np.median, rng: np.random.Generator | None = None) -> tuple[float, float]:
    """95 % percentile-bootstrap CI of ``stat`` over the rows of ``x`` (axis 0)."""
    rng = rng or np.random.default_rng(0)
    idx = rng.integers(0, len(x), (N_BOOT, len(x)))
    s = stat(x[idx], axis=1)
    return tuple(np.quantile(s, [0.025, 0.975], axis=0))


def summary(df: pd.DataFrame) -> pd.DataFrame:
    recs = []
    for (scen, agent), d in df.groupby(["scenario", "agent"], sort=False):
        curves = np.stack(d["curve"].to_numpy())
        for b in LEVELS:
            best = curves[:, b - 1]
            sc = np.array([score(c, b) for c in curves])
            lo, hi = boot_ci(sc, np.mean)
            recs.append({"scenario": scen, "agent": agent, "budget": b, "seeds": len(d),
                         "median_best": float(np.median(best)), "success": float(np.mean(best >= THR)),
                         "mean_score": float(sc.mean()), "score_ci_lo": float(lo), "score_ci_hi": float(hi)})
    return pd.DataFrame(recs)


def holm(p: np.ndarray) -> np.ndarray:
    order = np.argsort(p)
    adj = np.empty_like(p)
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - k) * p[i]))
        adj[i] = running
    return adj


def paired_tests(df: pd.DataFrame, marl_best: str) -> pd.DataFrame:
    recs = []
    for scen, d in df.groupby("scenario", sort=False):
        by = {a: g.sort_values("seed") for a, g in d.groupby("agent")}
        for b in LEVELS:
            m = np.array([score(c, b) for c in by[marl_best]["curve"]])
            for base in ("ppo", "sac"):
                o = np.array([score(c, b) for c in by[base]["curve"]])
                diff = m - o
                p = 1.0 if np.allclose(diff, 0) else float(wilcoxon(m, o, zero_method="zsplit").pvalue)
                recs.append({"scenario": scen, "budget": b, "vs": base, "marl": marl_best, "seeds": len(diff),
                             "mean_diff": float(diff.mean()), "median_diff": float(np.median(diff)),
                             "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()), "p": p})
    t = pd.DataFrame(recs)
    if not t.empty:  # Holm within each family (budget, baseline): one test per scenario
        t["p_holm"] = t.groupby(["budget", "vs"])["p"].transform(lambda p: holm(p.to_numpy()))
        t["sig"] = np.where(t["p_holm"] < 0.05, np.where(t["mean_diff"] > 0, "better", "worse"), "–")
    return t


def pooled_tests(df: pd.DataFrame) -> pd.DataFrame:
    """Every MARL variant against PPO and SAC, pooled over all (scenario, seed) pairs of the env:
    Wilcoxon signed-rank on the paired score differences, Holm-adjusted over the whole table.
    More power than the per-scenario tests, at the price of mixing scenarios."""
    key = ["scenario", "seed"]
    recs = []
    for b in LEVELS:
        sc = df.assign(score=[score(c, b) for c in df["curve"]]).pivot_table(index=key, columns="agent",
                                                                            values="score")
        for a in [x for x in agents_in(df) if x.startswith(("marl", "mappo"))]:
            for base in ("ppo", "sac"):
                diff = (sc[a] - sc[base]).to_numpy()
                p = 1.0 if np.allclose(diff, 0) else float(wilcoxon(sc[a], sc[base], zero_method="zsplit").pvalue)
                lo, hi = boot_ci(diff, np.mean)
                recs.append({"agent": a, "vs": base, "budget": b, "pairs": len(diff), "mean_diff": float(diff.mean()),
                             "ci_lo": float(lo), "ci_hi": float(hi),
                             "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()), "p": p})
    t = pd.DataFrame(recs)
    if not t.empty:
        t["p_holm"] = holm(t["p"].to_numpy())
        t["sig"] = np.where(t["p_holm"] < 0.05, np.where(t["mean_diff"] > 0, "better", "worse"), "–")
    return t


def verdict(t: pd.DataFrame, pooled: pd.DataFrame, marl_best: str) -> tuple[str, str]:
    """The verdict and its evidence (see the module docstring for the rule)."""
    if t.empty:
        return "no data", "no finished paired runs"
    both = t.pivot_table(index=["scenario", "budget"], columns="vs", values="sig", aggfunc="first")
    better_both = ((both["ppo"] == "better") & (both["sac"] == "better"))
    worse_any = ((both["ppo"] == "worse") | (both["sac"] == "worse"))
    n = len(both)
    per_level = better_both.groupby(level="budget").mean()
    pm = pooled[pooled["agent"] == marl_best]
    pooled_better = sorted({f"{r.vs} at {r.budget}" for r in pm.itertuples() if r.sig == "better"})
    pooled_worse = sorted({f"{r.vs} at {r.budget}" for r in pm.itertuples() if r.sig == "worse"})
    better_one = int(((both["ppo"] == "better") | (both["sac"] == "better")).sum())
    why = (f"per scenario, significantly better than both PPO and SAC in {int(better_both.sum())}/{n} "
           f"(scenario, budget) pairs, than one of them in {better_one}/{n}, significantly worse than PPO or SAC "
           f"in {int(worse_any.sum())}/{n}; pooled over scenarios, significantly better than "
           f"{', '.join(pooled_better) or 'neither'}, worse than {', '.join(pooled_worse) or 'neither'}")
    if (per_level > 0.5).all() and not worse_any.any() and not pooled_worse:
        return "holds", why
    n_better = better_one + len(pooled_better)
    if n_better == 0 or int(worse_any.sum()) + len(pooled_worse) >= n_better:
        return "does not hold", why
    return "holds only in part", why


def plot_curves(df: pd.DataFrame, agents: list[str], path: Path, title: str) -> None:
    scen = list(dict.fromkeys(df["scenario"]))
    cols = 4 if len(scen) > 4 else min(2, len(scen))
    rows = int(np.ceil(len(scen) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols + 0.6, 3.2 * rows + 0.6), squeeze=False, sharex=True)
    colors = plt.get_cmap("tab20").colors
    x = np.arange(1, LEVELS[-1] + 1)
    for ax, s in zip(axes.flat, scen, strict=False):
        d = df[df["scenario"] == s]
        for i, a in enumerate(agents):
            curves = np.stack(d[d["agent"] == a]["curve"].to_numpy())
            med = np.median(curves, axis=0)
            lo, hi = boot_ci(curves)
            ls = "--" if a.endswith("_subsys") else "-"
            lw = 2.0 if a in ("ppo", "sac") or a in PER_KNOB else 1.0
            ax.plot(x, med, ls, color=colors[i % 20], lw=lw, label=a)
            ax.fill_between(x, lo, hi, color=colors[i % 20], alpha=0.07, lw=0)
        ax.axhline(THR, color="k", lw=0.6, ls=":")
        ax.set_title(s, fontsize=9)
        ax.set_xscale("log")
        lo_y = np.quantile(np.stack(d["curve"].to_numpy())[:, 9], 0.1)
        ax.set_ylim(max(min(lo_y, 0.97), -0.1), 1.005)
    for ax in list(axes.flat)[len(scen):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6, ncol=2, loc="lower right")
    fig.supxlabel("simulator evaluations")
    fig.supylabel("best reward so far\n(median, 95 % bootstrap CI over seeds)")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_success(df: pd.DataFrame, agents: list[str], path: Path, title: str) -> None:
    """Fraction of runs (all scenarios × seeds) that met the target by each evaluation, with a
    bootstrap CI over runs."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colors = plt.get_cmap("tab20").colors
    x = np.arange(1, LEVELS[-1] + 1)
    for i, a in enumerate(agents):
        hits = np.stack(df[df["agent"] == a]["curve"].to_numpy()) >= THR
        lo, hi = boot_ci(hits.astype(float), np.mean)
        ax.plot(x, hits.mean(axis=0), "--" if a.endswith("_subsys") else "-", color=colors[i % 20], label=a,
                lw=2.0 if a in ("ppo", "sac") or a in PER_KNOB else 1.0)
        ax.fill_between(x, lo, hi, color=colors[i % 20], alpha=0.12, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("simulator evaluations")
    ax.set_ylabel("runs that met the target (95 % CI)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def report(env: str, df: pd.DataFrame, summ: pd.DataFrame, tests: pd.DataFrame, pooled: pd.DataFrame,
           marl_best: str, verdict_: tuple[str, str]) -> str:
    agents = agents_in(df)
    scen = list(dict.fromkeys(df["scenario"]))
    seeds = df.groupby("scenario")["seed"].nunique()
    lines = [f"# MARL study: {env}", "", f"Generated by `experiments/marl/analyze.py --env {env}`; do not edit.", "",
             f"Scenarios: {len(scen)}; paired seeds per scenario: {seeds.min()}–{seeds.max()}; "
             f"runs analysed: {len(df)}.", "",
             f"**Verdict** on \"one agent per parameter consistently outperforms single-agent PPO and SAC\": "
             f"**{verdict_[0]}** — marl-best = `{marl_best}`, {verdict_[1]}.", ""]
    for b in LEVELS:
        s = summ[summ["budget"] == b]
        lines += [f"## Budget {b}: success rate (best within 1 % of the target) and mean score, over scenarios", "",
                  "| agent | success (all scenarios) | mean score | scenarios where best mean score |",
                  "|---|---|---|---|"]
        top = s.loc[s.groupby("scenario")["mean_score"].idxmax(), "agent"].value_counts()
        for a in agents:
            d = s[s["agent"] == a]
            w = (d["success"] * d["seeds"]).sum() / d["seeds"].sum()
            lines.append(f"| {a} | {100 * w:.0f} % | {d['mean_score'].mean():.4f} | {int(top.get(a, 0))} |")
        lines.append("")
    lines += ["## Per scenario, budget " + str(LEVELS[-1]) + ": success rate / mean score", "",
              "| scenario | " + " | ".join(agents) + " |", "|---" * (1 + len(agents)) + "|"]
    s = summ[summ["budget"] == LEVELS[-1]].set_index(["scenario", "agent"])
    for sc in scen:
        lines.append(f"| {sc} | " + " | ".join(
            f"{100 * s.loc[(sc, a), 'success']:.0f} % / {s.loc[(sc, a), 'mean_score']:.3f}" for a in agents) + " |")
    lines += ["", f"## Paired tests: `{marl_best}` − baseline, score, Wilcoxon signed-rank over seeds, Holm-adjusted",
              "", "| scenario | budget | vs | mean diff | wins/losses | p | p (Holm) | |", "|---|---|---|---|---|---|---|---|"]
    for r in tests.itertuples():
        lines.append(f"| {r.scenario} | {r.budget} | {r.vs} | {r.mean_diff:+.4f} | {r.wins}/{r.losses} | "
                     f"{r.p:.3g} | {r.p_holm:.3g} | {r.sig} |")
    lines += ["", "## Pooled over scenarios: each MARL variant − baseline, Wilcoxon over all (scenario, seed) pairs, "
              "Holm-adjusted over this table", "",
              "| agent | vs | budget | pairs | mean diff [95 % bootstrap CI] | wins/losses | p | p (Holm) | |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in pooled.itertuples():
        lines.append(f"| {r.agent} | {r.vs} | {r.budget} | {r.pairs} | {r.mean_diff:+.4f} "
                     f"[{r.ci_lo:+.4f}, {r.ci_hi:+.4f}] | {r.wins}/{r.losses} | "
                     f"{r.p:.3g} | {r.p_holm:.3g} | {r.sig} |")
    pooled.to_csv(HERE / f"pooled_{env}.csv", index=False, float_format="%.5g")
    lines += ["", f"Figures: `figures/{env}_curves.png`, `figures/{env}_success.png`.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--env", required=True)
    args = ap.parse_args(argv)
    global LEVELS
    env = args.env
    budget = specs(env)[0].runs[0].budget
    LEVELS = LEVELS_BY_BUDGET.get(budget, (budget,))
    df = load(env)
    if df.empty:
        print(f"{env}: no complete paired seeds yet")
        return
    summ = summary(df)
    top = summ[(summ["budget"] == LEVELS[-1]) & summ["agent"].isin(PER_KNOB)].groupby("agent")["mean_score"].mean()
    marl_best = str(top.idxmax())
    tests = paired_tests(df, marl_best)
    pooled = pooled_tests(df)
    v = verdict(tests, pooled, marl_best)
    (HERE / "figures").mkdir(exist_ok=True)
    agents = agents_in(df)
    plot_curves(df, agents, HERE / "figures" / f"{env}_curves.png", f"{env}: sample efficiency")
    plot_success(df, agents, HERE / "figures" / f"{env}_success.png", f"{env}: success rate over all scenarios")
    summ.to_csv(HERE / f"summary_{env}.csv", index=False, float_format="%.5g")
    tests.to_csv(HERE / f"tests_{env}.csv", index=False, float_format="%.5g")
    (HERE / f"results_{env}.md").write_text(report(env, df, summ, tests, pooled, marl_best, v))
    (HERE / f"verdict_{env}.json").write_text(json.dumps({"env": env, "verdict": v[0], "evidence": v[1],
                                                          "marl_best": marl_best}, indent=1) + "\n")
    print(f"{env}: {len(df)} runs; verdict: {v[0]} ({v[1]})")


if __name__ == "__main__":
    main()
