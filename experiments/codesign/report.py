"""Tables and figure of the co-exploration study from its job summaries (``study.py`` calls this).

    python experiments/codesign/report.py runs/codesign/jobs 300
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

METHODS = ("successive", "hardware_only", "coexplore")
AGENTS = ("random", "ga", "bo", "ppo", "marl")
#: NASAIC (DAC'20) headline, co-exploration against successive NAS-then-ASIC
NASAIC = {"latency": "17.77 % lower", "energy": "2.49x lower", "area": "2.32x lower", "accuracy": "0.76 % lower"}


def load(jobs: Path, budget: int) -> list[dict[str, Any]]:
    out = []
    for p in sorted(jobs.glob(f"*__{budget}.json")):
        out.append(json.loads(p.read_text()))
    return out


def _med(xs: list[float]) -> float:
    return float(np.median(xs)) if xs else float("nan")


def _fmt(x: float, nd: int = 3) -> str:
    return "—" if x != x else f"{x:.{nd}g}"


def method_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| method | agent | runs | meet all specs | accuracy % (best spec-meeting, median) | latency ms | "
             "energy mJ | area mm² | evals to first spec-meeting (median) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m in METHODS:
        for ag in (*AGENTS, "all"):
            rs = [r for r in rows if r["method"] == m and (ag == "all" or r["agent"] == ag)]
            if not rs:
                continue
            ok = [r for r in rs if r["best_meets_specs"]]
            firsts = [r["evaluations_to_first_spec_meeting"] for r in rs if r["evaluations_to_first_spec_meeting"]]
            bm = [r["best_metrics"] for r in ok]
            name = f"**{ag}**" if ag == "all" else ag
            lines.append(f"| {m} | {name} | {len(rs)} | {len(ok)}/{len(rs)} ({100 * len(ok) / len(rs):.0f} %) | "
                         f"{_fmt(_med([b['weighted_accuracy'] for b in bm]), 4)} | "
                         f"{_fmt(_med([b['latency_ms'] for b in bm]))} | {_fmt(_med([b['energy_mJ'] for b in bm]))} | "
                         f"{_fmt(_med([b['area_mm2'] for b in bm]))} | "
                         f"{_fmt(_med(firsts)) if firsts else '—'} ({len(firsts)} runs found one) |")
    return lines


def versus_table(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, float]]:
    """Co-exploration against successive, paired by (agent, seed): the final (best-reward) design of
    each, whether it meets the specs or not, as NASAIC compares them."""
    by = {(r["method"], r["agent"], r["seed"]): r for r in rows}
    lines = ["| agent | pairs | successive meets specs | co-exploration meets specs | latency: successive / co-exp. | "
             "energy: successive / co-exp. | area: successive / co-exp. | accuracy: co-exp. − successive (points) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    pooled: dict[str, list[float]] = defaultdict(list)
    for ag in (*AGENTS, "all"):
        pairs = [(by[("successive", a, s)], by[("coexplore", a, s)]) for (m, a, s) in by
                 if m == "successive" and (ag == "all" or a == ag) and ("coexplore", a, s) in by]
        if not pairs:
            continue
        ratio = {k: [p["best_metrics"][k] / c["best_metrics"][k] for p, c in pairs]
                 for k in ("latency_ms", "energy_mJ", "area_mm2")}
        dacc = [c["best_metrics"]["weighted_accuracy"] - p["best_metrics"]["weighted_accuracy"] for p, c in pairs]
        if ag == "all":
            pooled = {**ratio, "accuracy": dacc}
        name = f"**{ag}**" if ag == "all" else ag
        lines.append(f"| {name} | {len(pairs)} | {sum(p['best_meets_specs'] for p, _ in pairs)}/{len(pairs)} | "
                     f"{sum(c['best_meets_specs'] for _, c in pairs)}/{len(pairs)} | "
                     f"{_med(ratio['latency_ms']):.2f}x | {_med(ratio['energy_mJ']):.2f}x | "
                     f"{_med(ratio['area_mm2']):.2f}x | {_med(dacc):+.2f} |")
    lines.append(f"| NASAIC (DAC'20) | — | violates | meets | {1 / (1 - 0.1777):.2f}x (17.77 % lower) | 2.49x | 2.32x | "
                 "−0.76 |")
    return lines, {k: _med(v) for k, v in pooled.items()}


def figure(rows: list[dict[str, Any]], workloads: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(workloads), 2, figsize=(11, 4 * len(workloads)), squeeze=False)
    colors = {"successive": "tab:red", "hardware_only": "tab:blue", "coexplore": "tab:green"}
    for w, (ax_bar, ax_sc) in zip(workloads, axes, strict=True):
        rs = [r for r in rows if r["workload"] == w]
        x = np.arange(len(AGENTS))
        for i, m in enumerate(METHODS):
            frac = [np.mean([r["best_meets_specs"] for r in rs if r["method"] == m and r["agent"] == a] or [np.nan])
                    for a in AGENTS]
            ax_bar.bar(x + (i - 1) * 0.27, frac, 0.27, label=m, color=colors[m])
        ax_bar.set_xticks(x, AGENTS)
        ax_bar.set_ylim(0, 1.05)
        ax_bar.set_ylabel("fraction of runs whose best design meets all specs")
        ax_bar.set_title(f"{w}: runs meeting the specs")
        ax_bar.legend(fontsize=8)
        for m in METHODS:
            sel = [r for r in rs if r["method"] == m]
            for met in (True, False):
                pts = [r for r in sel if r["best_meets_specs"] == met]
                if pts:
                    ax_sc.scatter([p["best_metrics"]["energy_mJ"] for p in pts],
                                  [p["best_metrics"]["weighted_accuracy"] for p in pts], s=18,
                                  facecolors=colors[m] if met else "none", edgecolors=colors[m],
                                  label=f"{m} ({'meets' if met else 'misses'} specs)")
        ax_sc.set_xscale("log")
        ax_sc.set_xlabel("energy of the final design, mJ (log)")
        ax_sc.set_ylabel("weighted accuracy, %")
        ax_sc.set_title(f"{w}: final designs (filled: meets all specs)")
        ax_sc.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(jobs: Path, budget: int, here: Path) -> None:
    from archgym._files import atomic_write_text

    rows = load(jobs, budget)
    if not rows:
        print(f"no job summaries for budget {budget} in {jobs}")
        return
    workloads = sorted({r["workload"] for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    cpu = sum(r["cpu_s"] for r in rows)
    out = [f"# Co-exploration study results (budget {budget} evaluations per run, seeds {seeds[0]}–{seeds[-1]})", "",
           f"Generated by `experiments/codesign/study.py` from {len(rows)} job summaries ({cpu / 60:.1f} CPU minutes). "
           "Best design = highest reward of the run (the last stage's, for successive).", ""]
    for w in workloads:
        rs = [r for r in rows if r["workload"] == w]
        out += [f"## {w}", "", "### Per method and agent", "", *method_table(rs), ""]
        succ = [r for r in rs if r["method"] == "successive"]
        if succ:
            nas_ok = sum(r["nas_meets_specs_on_default_hw"] for r in succ)
            out += [f"Successive, NAS stage: best-network weighted accuracy median "
                    f"{_med([r['nas_best_accuracy'] for r in succ]):.2f} %; the networks it picked met every spec on "
                    f"the default chip in {nas_ok}/{len(succ)} runs.", ""]
        lines, _ = versus_table(rs)
        out += ["### Co-exploration vs successive (final designs, paired by agent and seed; medians)", "", *lines, ""]
    out += ["![co-exploration study](figures/codesign.png)", ""]
    atomic_write_text(here / "results.md", "\n".join(out))
    figure(rows, workloads, here / "figures" / "codesign.png")
    print(f"wrote {here / 'results.md'} and {here / 'figures' / 'codesign.png'}")


if __name__ == "__main__":
    write_report(Path(sys.argv[1]), int(sys.argv[2]), Path(__file__).resolve().parent)
