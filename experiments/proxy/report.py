"""Proxy accuracy and speed report for one env (held-out designs, per metric), as markdown.

    python experiments/proxy/report.py --env archgym/DRAM-v0 --data runs/proxy/DRAM --estimators rf,hgb
        --reference-s 0.036 --save runs/proxy/DRAM.proxy

``--reference-s`` is the real simulator's median CPU seconds per design (DRAMSys: 0.036 s, from
``../shared/dramsys/calibration.csv``); the speed ratio is reference time / proxy time per design
in a batch of 10,000.  ``--metrics`` limits the table (the saved proxy always models all metrics).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def report(env: str, data: Path, estimators: list[str], reference_s: float | None, metrics: list[str] | None,
           save: Path | None, multi_output: bool = False) -> None:
    import archgym  # noqa: F401
    from archgym import datasets
    from archgym.proxy import fit_proxy
    from archgym.registry import entry, make_simulator

    df, meta = datasets.load_with_metadata(data)
    kwargs = {"trace": meta["workload"]} if entry(env).name == "DRAM" else {"workload": meta["workload"]}
    sim = make_simulator(entry(env).name, **kwargs)
    print(f"\n### {env} ({sim.workload}): {len(df)} logged evaluations, "
          f"{len(datasets.dedupe(df))} unique designs, agents {sorted(df['agent'].unique())}\n")
    best = None
    for est in estimators:
        t0 = time.perf_counter()
        proxy, rep = fit_proxy(df, reference=sim, estimator=est, multi_output=multi_output)
        fit_s = time.perf_counter() - t0
        table = rep.table if not metrics else rep.table.loc[metrics]
        print(f"**{est}{' (multi-output)' if multi_output else ''}** — fit {fit_s:.1f} s\n")
        print("| metric | rel. RMSE % | MAPE % | R² | Kendall τ |\n|---|---|---|---|---|")
        for name, r in table.iterrows():
            print(f"| {name} | {r['rel_rmse_pct']:.3f} | {r['mape_pct']:.3f} | {r['r2']:.5f} | {r['kendall_tau']:.4f} |")
        line = (f"\n{rep.n_train} training / {rep.n_test} held-out designs; batch prediction of all "
                f"{len(sim.metrics)} metrics: {rep.us_per_design:.2f} µs/design end to end, "
                f"{rep.us_per_design_model:.2f} µs model only")
        if reference_s:
            line += (f"; speed-up vs {reference_s} s/design: {reference_s * 1e6 / rep.us_per_design:,.0f}× "
                     f"({reference_s * 1e6 / rep.us_per_design_model:,.0f}× model only)")
        print(line + "\n")
        score = float(table["rel_rmse_pct"].max())
        if best is None or score < best[0]:
            best = (score, est, proxy)
    if save and best:
        print(f"saved best ({best[1]}, worst listed rel. RMSE {best[0]:.3f}%) → {best[2].save(save)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--env", default="archgym/DRAM-v0")
    ap.add_argument("--data", type=Path, default=Path("runs/proxy/DRAM"))
    ap.add_argument("--estimators", default="rf,extra,hgb")
    ap.add_argument("--metrics", default=None, help="comma-separated metrics for the table")
    ap.add_argument("--reference-s", type=float, default=None)
    ap.add_argument("--multi-output", action="store_true")
    ap.add_argument("--save", type=Path, default=None)
    a = ap.parse_args()
    report(a.env, a.data, a.estimators.split(","), a.reference_s, a.metrics.split(",") if a.metrics else None,
           a.save, a.multi_output)


if __name__ == "__main__":
    main()
