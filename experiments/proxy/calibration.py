"""A proxy of the *real* DRAMSys 4.0: trained on ``../shared/dramsys/calibration.csv``.

    python experiments/proxy/calibration.py [--shared ../shared] [--trace random]

Imports the reference runs against the DRAM env's design space (fixed knobs CmdMux and
PowerDownPolicy and bookkeeping columns ignored explicitly), fits one proxy per ArchGym trace on the
metrics DRAMSys reports (time, energy, power, bandwidth), prints held-out accuracy, saves the proxy of
``--trace``, and runs the DRAM env on it ("DRAMSys behaviour" at proxy speed).  DRAMSys measured
fewer metrics than the model has, so the proxy is loaded with ``allow_subset=True`` and the env's
default objective (power and time targets) uses only measured metrics.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

METRICS = {"total_time_ns": "time_ns", "energy_pJ": "energy_pJ", "power_mW": "power_mW",
           "avg_bw_gbps": "bandwidth_Gbps", "bw_util_pct": "bw_util_pct"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[3] / "shared")
    ap.add_argument("--trace", default="random")
    ap.add_argument("--estimator", default="extra")
    ap.add_argument("--out", type=Path, default=Path("runs/proxy/dramsys-calibration"))
    a = ap.parse_args()

    import numpy as np
    import pandas as pd
    from archgym.simulators.dram import DRAMSimulator

    import archgym  # noqa: F401
    from archgym import datasets
    from archgym.envs import DesignEnv
    from archgym.objectives import objective_from_dict
    from archgym.proxy import ProxySimulator, fit_proxy
    from archgym.registry import entry

    csv = a.shared / "dramsys" / "calibration.csv"
    sim = DRAMSimulator(trace=a.trace)
    header = pd.read_csv(csv, nrows=0).columns
    ignore = [c for c in header if c not in set(sim.space.names) | set(METRICS) | {"trace"}]
    df, meta = datasets.import_csv(csv, sim.space, METRICS, ignore=ignore, workload_column="trace",
                                   simulator="DRAMSys", simulator_version="4.0", env_id="archgym/DRAM-v0",
                                   metric_defs=sim.metrics)
    df["workload"] = df["workload"].str.removesuffix(".stl")
    path = datasets.write_run(df, a.out, "dramsys-calibration", meta)
    print(f"imported {len(df)} DRAMSys runs → {path}; ignored columns: {ignore}\n")
    print("| trace | designs (train/test) | metric | rel. RMSE % | MAPE % | R² | Kendall τ |\n|---|---|---|---|---|---|---|")
    saved = None
    for trace in ("stream", "random", "cloud-1", "cloud-2"):
        ref = DRAMSimulator(trace=trace)
        proxy, rep = fit_proxy(df, reference=ref, metrics=list(METRICS.values()), workload=trace,
                               estimator=a.estimator, seed=0, timing_batch=10_000)
        for name, r in rep.table.iterrows():
            print(f"| {trace} | {rep.n_train}/{rep.n_test} | {name} | {r['rel_rmse_pct']:.2f} | {r['mape_pct']:.2f} | "
                  f"{r['r2']:.4f} | {r['kendall_tau']:.3f} |")
        if trace == a.trace:
            saved = proxy.save(a.out / f"dramsys-{trace}.proxy")
            us = rep.us_per_design
    print(f"\nsaved {saved} ({us:.1f} µs/design in a batch of 10,000, vs 0.036 s median DRAMSys CPU time)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proxy = ProxySimulator.load(saved, expect=DRAMSimulator(trace=a.trace), allow_subset=True)
    env = DesignEnv(proxy, objective_from_dict(entry("DRAM").objective), env_id="archgym/DRAM-v0")
    from archgym.run import run

    res = run(env, "ga", 500, seed=0)
    print(f"GA, 500 evaluations on the DRAMSys proxy ({a.trace}): best reward {res.best_reward:.4f}, "
          f"predicted {', '.join(f'{k}={v:.4g}' for k, v in res.best_metrics.items())}")
    model = DRAMSimulator(trace=a.trace).evaluate([res.best_design])
    print("the analytical model on that design: " + ", ".join(f"{k}={float(model[k][0]):.4g}" for k in METRICS.values()))
    del np


if __name__ == "__main__":
    main()
