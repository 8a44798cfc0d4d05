"""A proxy of the *real* DRAMSys 4.0, trained on ``../shared/dramsys/calibration.csv``.

    python experiments/proxy/calibration.py [--shared ../shared] [--trace random] [--budget 500]

For each ArchGym trace (stream, random, cloud-1, cloud-2; 230 DRAMSys runs each):

1. import the runs against the DRAM env's design space (the fixed knobs CmdMux and PowerDownPolicy
   and the bookkeeping columns are ignored explicitly) with the metrics DRAMSys reports: time,
   energy, power, bandwidth and bandwidth utilisation;
2. split the unique designs 80/20 (seed 0); choose the estimator on a validation split of the
   training designs only; fit; score once on the held-out designs;
3. score the analytical DRAM model on the same held-out designs, for comparison (the proxy is
   worth having where it beats the model's own calibration error).

The proxy of ``--trace`` is saved and used as the env's backend exactly as a user would:
``gymnasium.make("archgym/DRAM-v0", backend="proxy:PATH", trace=...)``.  DRAMSys measured 5 of the
model's 12 metrics, so the env observes those 5; its default objective (power and time targets)
reads only measured metrics.  A GA searches it for ``--budget`` evaluations ("DRAMSys behaviour"
at proxy speed) and the analytical model re-evaluates the best design.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

#: DRAMSys CSV column → DRAM-v0 metric
METRICS = {"total_time_ns": "time_ns", "energy_pJ": "energy_pJ", "power_mW": "power_mW",
           "avg_bw_gbps": "bandwidth_Gbps", "bw_util_pct": "bw_util_pct"}
TRACES = ("stream", "random", "cloud-1", "cloud-2")
CANDIDATES = ("tree", "extra", "rf", "hgb", "gp")


def import_calibration(csv: Path):  # -> tuple[pd.DataFrame, dict]
    """The DRAMSys runs in the dataset schema (workload = trace name without ``.stl``)."""
    import pandas as pd

    from archgym import datasets
    from archgym.simulators.dram import DRAMSimulator

    sim = DRAMSimulator()
    header = pd.read_csv(csv, nrows=0).columns
    ignore = [c for c in header if c not in set(sim.space.names) | set(METRICS) | {"trace"}]
    df, meta = datasets.import_csv(csv, sim.space, METRICS, ignore=ignore, workload_column="trace",
                                   simulator="DRAMSys", simulator_version="4.0", env_id="archgym/DRAM-v0",
                                   metric_defs=[m for m in sim.metrics if m.name in METRICS.values()])
    df["workload"] = df["workload"].str.removesuffix(".stl")
    return df, meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[3] / "shared")
    ap.add_argument("--trace", default="random", help="trace whose proxy is saved and searched")
    ap.add_argument("--budget", type=int, default=500, help="GA evaluations on the proxy-backed env")
    ap.add_argument("--out", type=Path, default=Path("runs/proxy/dramsys-calibration"))
    a = ap.parse_args()

    import gymnasium as gym

    import archgym  # noqa: F401
    from archgym import datasets
    from archgym.proxy import evaluate_proxy, fit_proxy, select_estimator, split_designs
    from archgym.runner import run
    from archgym.simulators.dram import DRAMSimulator

    csv = a.shared / "dramsys" / "calibration.csv"
    df, meta = import_calibration(csv)
    print(f"imported {len(df)} DRAMSys runs → {datasets.write_run(df, a.out, 'dramsys-calibration', meta)}\n")
    names = list(METRICS.values())
    lines = ["| trace | estimator (chosen on validation) | designs train/test | metric | proxy rel. RMSE % | "
             "proxy MAPE % | proxy R² | proxy Kendall τ | model rel. RMSE % | model MAPE % |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    saved = None
    for trace in TRACES:
        ref = DRAMSimulator(trace=trace)
        sub = df[df["workload"] == trace]
        train, test = split_designs(sub, reference=ref, seed=0)
        best, sel = select_estimator(train, list(CANDIDATES), metrics=("time_ns", "energy_pJ", "power_mW"),
                                     reference=ref)
        print(f"{trace}: validation worst rel. RMSE % " +
              ", ".join(f"{r['estimator']} {r['worst']:.2f}" for _, r in sel.iterrows()), flush=True)
        proxy, rep = fit_proxy(sub, reference=ref, metrics=names, estimator=best, seed=0, timing_batch=10_000)
        model = evaluate_proxy(ref, test)  # the analytical model scored like a proxy on the same designs
        for name, r in rep.table.iterrows():
            lines.append(f"| {trace} | {best} | {rep.n_train}/{rep.n_test} | {name} | {r['rel_rmse_pct']:.2f} | "
                         f"{r['mape_pct']:.2f} | {r['r2']:.4f} | {r['kendall_tau']:.3f} | "
                         f"{model.loc[name, 'rel_rmse_pct']:.2f} | {model.loc[name, 'mape_pct']:.2f} |")
        if trace == a.trace:
            saved, speed = proxy.save(a.out / f"dramsys-{trace}.proxy"), rep.us_per_design
    print("\n" + "\n".join(lines))
    if saved is None:
        raise SystemExit(f"--trace {a.trace!r} is not one of {TRACES}")
    print(f"\nsaved {saved}: {speed:.2f} µs/design in a batch of 10,000 (DRAMSys median: 0.036 s/design)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = gym.make("archgym/DRAM-v0", backend=f"proxy:{saved}", trace=a.trace)
    res = run(env, "ga", a.budget, seed=0)
    print(f"\ngymnasium.make('archgym/DRAM-v0', backend='proxy:{saved}', trace={a.trace!r}): observes "
          f"{list(env.unwrapped.simulator.metric_names)}; GA, {a.budget} evaluations: best reward "
          f"{res.best_reward:.4f}, predicted " + ", ".join(f"{k}={v:.4g}" for k, v in res.best_metrics.items()))
    truth = DRAMSimulator(trace=a.trace).evaluate([res.best_design])
    print("the analytical model on that design: " + ", ".join(f"{k}={float(truth[k][0]):.4g}" for k in names))


if __name__ == "__main__":
    main()
