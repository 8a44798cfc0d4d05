"""Proxy accuracy and speed report for one env (held-out designs, per metric), as markdown.

    python experiments/proxy/report.py --env archgym/Systolic-v0 --data runs/proxy/Systolic
        --estimators tree,extra,rf,hgb [--reference-s 0.036] [--save runs/proxy/Systolic.proxy]

Same protocol as ``dram_headline.py``: unique designs split 80/20 by design (seed 0); the estimator
is chosen by the worst validation rel. RMSE of ``--select-metrics`` on a validation split of the
*training* designs; the chosen one is fitted on all of the simulator's metrics and scored once on
the held-out designs.  Speed: µs/design predicting all metrics in a batch of 10,000, beside the
analytical model's own µs/design on the same batch (and ``--reference-s``, a real tool's seconds
per design, when known).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def report(env: str, data: Path, estimators: list[str], select_metrics: list[str] | None,
           reference_s: float | None, save: Path | None) -> None:
    import numpy as np

    import archgym  # noqa: F401
    from archgym import datasets
    from archgym.proxy import fit_proxy, select_estimator, split_designs
    from archgym.registry import entry, make_simulator

    df, meta = datasets.load_with_metadata(data)
    kwargs = {"trace": meta["workload"]} if entry(env).name == "DRAM" else {"workload": meta["workload"]}
    sim = make_simulator(entry(env).name, **kwargs)
    counts = df["agent"].value_counts().to_dict()
    print(f"\n### {env} ({sim.workload}): {len(df)} logged evaluations {counts}, "
          f"{len(datasets.dedupe(df))} unique designs\n")
    chosen = select_metrics or list(sim.metric_names)
    train, _ = split_designs(df, reference=sim, seed=0)
    best, sel = select_estimator(train, estimators, metrics=chosen, reference=sim)
    print(f"validation (training designs only), worst rel. RMSE % of {', '.join(chosen)}: " +
          ", ".join(f"{r['estimator']} {r['worst']:.3f}" for _, r in sel.iterrows()) + f" → **{best}**\n")
    proxy, rep = fit_proxy(df, reference=sim, estimator=best, seed=0, timing_batch=10_000)
    print("| metric | RMSE | rel. RMSE % | MAPE % | R² | Kendall τ |\n|---|---|---|---|---|---|")
    for name, r in rep.table.iterrows():
        print(f"| {name} | {r['rmse']:.4g} | {r['rel_rmse_pct']:.3f} | {r['mape_pct']:.3f} | {r['r2']:.5f} | "
              f"{r['kendall_tau']:.4f} |")
    batch = sim.space.sample_indices(np.random.default_rng(7), 10_000)
    sim.evaluate(batch[:10])  # warm any per-workload tables
    t0 = time.perf_counter()
    sim.evaluate(batch)
    sim_us = 1e6 * (time.perf_counter() - t0) / len(batch)
    line = (f"\n{best}: {rep.n_train} training / {rep.n_test} held-out designs; batch prediction of all "
            f"{len(sim.metrics)} metrics {rep.us_per_design:.2f} µs/design end to end "
            f"({rep.us_per_design_model:.2f} µs model only); the analytical model: {sim_us:.2f} µs/design")
    if reference_s:
        line += f"; speed-up vs {reference_s} s/design: {reference_s * 1e6 / rep.us_per_design:,.0f}×"
    print(line)
    if save:
        print(f"saved → {proxy.save(save)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--env", default="archgym/DRAM-v0")
    ap.add_argument("--data", type=Path, default=Path("runs/proxy/DRAM-stream"))
    ap.add_argument("--estimators", default="tree,extra,rf,hgb")
    ap.add_argument("--select-metrics", default=None, help="comma-separated metrics that decide (default all)")
    ap.add_argument("--reference-s", type=float, default=None)
    ap.add_argument("--save", type=Path, default=None)
    a = ap.parse_args()
    report(a.env, a.data, a.estimators.split(","), a.select_metrics.split(",") if a.select_metrics else None,
           a.reference_s, a.save)


if __name__ == "__main__":
    main()
