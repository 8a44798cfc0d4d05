"""Proxy error vs training-set size and vs the agent that collected the data (ArchGym's diversity question).

    python experiments/proxy/diversity.py --env archgym/DRAM-v0 --data runs/proxy/DRAM-stream
        --png experiments/proxy/figures/diversity_dram.png

Test set: 2,000 designs drawn uniformly at random from the space (seed 12345), none of them logged by
any agent, evaluated on the simulator, so no collecting agent is favoured.  Training sets: the unique logged designs of one
agent, or of all agents pooled (shuffled), truncated to each size.  Estimator: ``--estimator``
(default ``tree``, the headline proxy's), one model per metric, all training designs used
(``test_size=0``); the numbers are relative RMSE % per metric on the uniform test set.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--env", default="archgym/DRAM-v0")
    ap.add_argument("--data", type=Path, default=Path("runs/proxy/DRAM-stream"))
    ap.add_argument("--estimator", default="tree")
    ap.add_argument("--metrics", default="time_ns,energy_pJ,power_mW")
    ap.add_argument("--sizes", default="100,300,1000,2000,4000,8000")
    ap.add_argument("--png", type=Path, default=Path("experiments/proxy/figures/diversity_dram.png"))
    a = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import archgym  # noqa: F401
    from archgym import datasets
    from archgym.proxy import evaluate_proxy, fit_proxy
    from archgym.registry import entry, make_simulator

    df, meta = datasets.load_with_metadata(a.data)
    kwargs = {"trace": meta["workload"]} if entry(a.env).name == "DRAM" else {"workload": meta["workload"]}
    sim = make_simulator(entry(a.env).name, **kwargs)
    cols = [datasets.DESIGN_PREFIX + k for k in sim.space.names]
    logged = set(map(tuple, df[cols].astype(str).to_numpy()))  # never score a design any agent logged
    test_designs = [d for d in sim.space.sample(np.random.default_rng(12345), 3000)
                    if tuple(str(d[k]) for k in sim.space.names) not in logged][:2000]
    res = sim.evaluate(test_designs)
    import pandas as pd

    test = pd.DataFrame({**{datasets.DESIGN_PREFIX + k: [d[k] for d in test_designs] for k in sim.space.names},
                         **{datasets.METRIC_PREFIX + m: res[m] for m in a.metrics.split(",")},
                         "feasible": res["feasible"], "workload": sim.workload})
    metrics = a.metrics.split(",")
    sizes = [int(s) for s in a.sizes.split(",")]
    groups = {ag: g for ag, g in df.groupby("agent")} | {"all (pooled)": df.sample(frac=1.0, random_state=0)}
    print("| collected by | training designs | " + " | ".join(f"{m} rel. RMSE %" for m in metrics) + " |")
    print("|---|---|" + "---|" * len(metrics))
    curves: dict[str, list[tuple[int, float]]] = {}
    for name, g in groups.items():
        g = datasets.dedupe(g)
        for n in sorted({min(n, len(g)) for n in sizes}):
            proxy, _ = fit_proxy(g.iloc[:n], reference=sim, metrics=metrics, estimator=a.estimator, test_size=0,
                                 timing_batch=10)
            table = evaluate_proxy(proxy, test)
            vals = [float(table.loc[m, "rel_rmse_pct"]) for m in metrics]
            print(f"| {name} | {n} (of {len(g)} unique) | " + " | ".join(f"{v:.2f}" for v in vals) + " |", flush=True)
            curves.setdefault(name, []).append((n, max(vals)))
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for name, pts in curves.items():
        ax.plot(*zip(*pts, strict=True), marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training designs")
    ax.set_ylabel(f"worst rel. RMSE % of {', '.join(metrics)}")
    ax.set_title(f"{a.env}: proxy error on uniform held-out designs", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    a.png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.png)
    print(f"\nplot: {a.png}")


if __name__ == "__main__":
    main()
