"""Evaluations per second of ``archgym/SoC-v0`` for every default workload and formulation.

Two rates per row: *batch* (``simulator.evaluate`` on N random designs at once, as the run loop
and population-based agents call it) and *single* (one design per call, as a gymnasium ``step``
does).  Each is the best of ``--repeats`` timings, so background load inflates it least.

    python experiments/bench/bench_soc.py [--n 2000] [--single 300] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from archgym.registry import make_simulator
from archgym.simulators.soc import BUILTIN_WORKLOADS, FORMULATIONS


def rate(fn, count: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return count / best


def bench(n: int, single: int, repeats: int) -> list[dict]:
    rows = []
    for workload in BUILTIN_WORKLOADS:
        for formulation in FORMULATIONS:
            sim = make_simulator("SoC", workload=workload, formulation=formulation)
            idx = sim.space.sample_indices(np.random.default_rng(0), n)
            feasible = float(sim.evaluate(idx)["feasible"].mean())
            batch = rate(lambda s=sim, x=idx: s.evaluate(x), n, repeats)
            one = rate(lambda s=sim, x=idx: [s.evaluate(x[i:i + 1]) for i in range(single)], single, repeats)
            rows.append({"workload": workload, "formulation": formulation, "tasks": len(sim.graph.tasks),
                         "edges": len(sim.graph.edges), "feasible_fraction": round(feasible, 3),
                         "batch_per_s": round(batch), "single_per_s": round(one)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="designs per batch")
    ap.add_argument("--single", type=int, default=300, help="designs evaluated one per call")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the rows to this JSON file")
    args = ap.parse_args()
    rows = bench(args.n, args.single, args.repeats)
    print(f"# SoC-v0 evaluations/s ({platform.processor() or platform.machine()}, Python {platform.python_version()})")
    print("| workload | formulation | tasks | edges | feasible | batch designs/s | single designs/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workload']} | {r['formulation']} | {r['tasks']} | {r['edges']} | {r['feasible_fraction']:.2f} "
              f"| {r['batch_per_s']:,} | {r['single_per_s']:,} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
