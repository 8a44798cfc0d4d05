"""End to end: collect with agents → train a proxy → search on the proxy → re-check on the simulator.

    python experiments/proxy/end_to_end.py [--trace cloud-1] [--collect 1000] [--search 5000] [--top 10]

1. Collect: random, ga and aco each spend ``--collect`` evaluations (seed 0) on ``archgym/DRAM-v0``
   with its default objective (power 1 W and time 100 µs targets) on trace ``--trace``.
2. Train: a one-tree proxy of all 12 metrics (80/20 split by design; held-out report printed).
3. Search on the proxy, exactly as on the real env: ``gymnasium.make("archgym/DRAM-v0",
   backend="proxy:PATH")`` with GA (``--search`` evaluations) and BO (TPE, ``--search // 10``).
4. Re-evaluate the proxy's ``--top`` best distinct designs on the analytical model and report
   predicted vs true reward and metrics, and the best true reward against the best design the
   collection itself found on the simulator.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

COLLECTORS = ("random", "ga", "aco")
SHOWN = ("time_ns", "power_mW", "energy_pJ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trace", default="cloud-1")
    ap.add_argument("--collect", type=int, default=1000, help="simulator evaluations per collecting agent")
    ap.add_argument("--search", type=int, default=5000, help="GA evaluations on the proxy (BO gets a tenth)")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("runs/proxy/end-to-end"))
    a = ap.parse_args()

    import gymnasium as gym
    import numpy as np
    import pandas as pd

    import archgym  # noqa: F401
    from archgym import datasets
    from archgym.proxy import fit_proxy
    from archgym.runner import run
    from archgym.simulators.dram import DRAMSimulator

    data = a.out / f"collect-{a.trace}"
    DRAMSimulator(trace=a.trace).precompute()  # all 576 timing classes in one pass (shared in-process)
    print(f"## archgym/DRAM-v0 on trace {a.trace}\n\n### 1. collect on the simulator\n")
    print("| agent | evaluations | best reward |\n|---|---|---|")
    best_collected = -np.inf
    for agent in COLLECTORS:
        res = run("archgym/DRAM-v0", agent, a.collect, seed=0, log_dir=data, env_kwargs={"trace": a.trace})
        best_collected = max(best_collected, res.best_reward)
        print(f"| {agent} | {a.collect} | {res.best_reward:.4f} |")

    sim_env = gym.make("archgym/DRAM-v0", trace=a.trace).unwrapped
    df = datasets.load(data)
    proxy, rep = fit_proxy(df, reference=sim_env.simulator, estimator="tree", seed=0)
    path = proxy.save(a.out / f"DRAM-{a.trace}.proxy")
    print(f"\n### 2. proxy ({path})\n\n" + rep.to_markdown(reference_s=0.036))

    print("\n### 3. search on the proxy\n\n| agent | proxy evaluations | best predicted reward |\n|---|---|---|")
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the proxy's extrapolation flags are reported below instead
        for agent, budget in (("ga", a.search), ("bo", max(a.search // 10, 20))):
            env = gym.make("archgym/DRAM-v0", backend=f"proxy:{path}", trace=a.trace)
            res = run(env, agent, budget, seed=1)
            found.append(res.trajectory)
            print(f"| {agent} | {budget} | {res.best_reward:.4f} |")
    traj = pd.concat(found, ignore_index=True)
    traj = datasets.dedupe(traj).sort_values("reward", ascending=False).head(a.top)
    designs = datasets.designs_of(traj)[list(proxy.space.names)].to_dict("records")

    pred, pred_r = sim_env.__class__(proxy, sim_env.objective).evaluate(designs)
    true, true_r = sim_env.evaluate(designs)
    print(f"\n### 4. the proxy's top {len(designs)} designs re-evaluated on the simulator\n")
    head = " | ".join(f"{m} pred / true (err %)" for m in SHOWN)
    print(f"| # | reward pred / true | {head} |\n|---|---|" + "---|" * len(SHOWN))
    for i in range(len(designs)):
        cells = [f"{pred[m][i]:.5g} / {true[m][i]:.5g} ({100 * (pred[m][i] / true[m][i] - 1):+.3f})" for m in SHOWN]
        print(f"| {i + 1} | {pred_r[i]:.4f} / {true_r[i]:.4f} | " + " | ".join(cells) + " |")
    gap = np.abs(pred_r - true_r)
    print(f"\nreward gap |pred − true| over the top {len(designs)}: mean {gap.mean():.2e}, max {gap.max():.2e}; "
          f"extrapolating designs: {int(np.sum(pred['proxy_extrapolating']))}")
    print(f"best true reward of the proxy's picks: {true_r.max():.4f}; best reward the collection found on the "
          f"simulator ({len(COLLECTORS)} × {a.collect} evaluations): {best_collected:.4f}")
    print(f"design: {designs[int(np.argmax(true_r))]}")


if __name__ == "__main__":
    main()
