"""Collect logged evaluations on an env from a mix of agents (the proxies' training data).

    python experiments/proxy/collect.py --env archgym/DRAM-v0 --budget 2500 --agents random,random_walk,ga,aco

Writes one Parquet file per run into ``runs/proxy/<Env>/`` (reruns skip finished runs).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def collect(env: str, agents: list[str], budget: int, seed: int = 0, out: Path | None = None) -> Path:
    from archgym.registry import entry, make_simulator
    from archgym.runner import run

    out = out or Path("runs/proxy") / env.split("/")[-1].removesuffix("-v0")
    sim = make_simulator(entry(env).name)
    if hasattr(sim, "precompute"):  # e.g. DRAM: tabulate all timing classes in one pass, shared in-process
        sim.precompute()
    for agent in agents:
        if any(out.glob(f"{agent}-*-s{seed}.parquet")):
            print(f"| {env} | {agent} | {budget} | (already in {out}) | |")
            continue
        t0 = time.perf_counter()
        res = run(env, agent, budget, seed=seed, log_dir=out)
        print(f"| {env} | {agent} | {budget} | {res.best_reward:.4g} | {time.perf_counter() - t0:.1f} s |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--env", default="archgym/DRAM-v0")
    ap.add_argument("--agents", default="random,random_walk,ga,aco")
    ap.add_argument("--budget", type=int, default=2500, help="evaluations per agent")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    print("| env | agent | evaluations | best reward | wall |\n|---|---|---|---|---|")
    collect(a.env, a.agents.split(","), a.budget, a.seed, a.out)


if __name__ == "__main__":
    main()
