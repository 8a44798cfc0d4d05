"""Designs per second of ``archgym/CoDesign-v0`` on each built-in workload, against the 20,000/s
target and against costing the same designs directly with the systolic model.

Rates (best of ``--repeats``; one core, ``OMP_NUM_THREADS=1``):

* *cold batch*: a fresh simulator in a fresh process on ``--n`` random designs — every network met
  for the first time has its layers derived (by the task) and counted, and new layer shapes are
  costed on all configurations;
* *warm batch*: the same call again (networks and shapes known: table look-ups only);
* *fresh batch, warm tables*: ``--n`` other random designs after the first batch (new networks,
  mostly known shapes) — what a search sees after its first few hundred evaluations;
* *single*: one design per ``evaluate`` call, as a gymnasium ``step`` does;
* *direct systolic*: the same designs costed by building each task network's
  ``SystolicSimulator`` and evaluating it on its sub-accelerator, per design (``--direct`` designs),
  the way without tables; the ratio says what the tables buy.

    python experiments/bench/bench_codesign.py [--n 20000] [--single 300] [--direct 100] [--repeats 3]
        [--workloads cifar10+digits cifar10x2]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from archgym.registry import make_simulator
from archgym.simulators.codesign import BUILTIN_WORKLOADS, array_shape
from archgym.simulators.codesign.hardware import TEMPLATES
from archgym.simulators.systolic import SystolicSimulator

TARGET = 20_000


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def direct(sim, designs: list[dict]) -> None:
    """Cost every (task network, its sub-accelerator) with a SystolicSimulator built for it."""
    for d in designs:
        for spec, task, names in zip(sim.spec.tasks, sim.tasks, sim.network_knobs.values(), strict=True):
            idx = np.array([[sim.space[k].choices.index(d[k]) for k in names]])
            arch = int(task.arch_index(idx)[0])
            j = d.get(f"{spec.label}_sa", "sa0")
            rows, cols = array_shape(d[f"{j}_pes"])
            s = SystolicSimulator(network=task.network(arch))
            s.evaluate([{"rows": rows, "cols": cols, "dataflow": TEMPLATES[d[f"{j}_template"]],
                         "ifmap_sram_kB": d[f"{j}_sram_kB"], "filter_sram_kB": d[f"{j}_sram_kB"],
                         "ofmap_sram_kB": d[f"{j}_sram_kB"], "dram_bw": d[f"{j}_bw"]}])


def bench(n: int, single: int, n_direct: int, repeats: int, workloads: list[str]) -> list[dict]:
    rows = []
    for workload in workloads:
        t0 = time.perf_counter()
        make_simulator("CoDesign", workload=workload)  # tasks load once per process
        t_load = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        sim = make_simulator("CoDesign", workload=workload)
        t_build = time.perf_counter() - t0
        idx = sim.space.sample_indices(rng, n)
        other = sim.space.sample_indices(rng, n)
        t0 = time.perf_counter()
        sim.evaluate(idx)
        cold = time.perf_counter() - t0
        warm = best_time(lambda s=sim, x=idx: s.evaluate(x), repeats)
        t0 = time.perf_counter()
        sim.evaluate(other)
        fresh = time.perf_counter() - t0
        one = best_time(lambda s=sim, x=idx: [s.evaluate(x[i:i + 1]) for i in range(single)], repeats)
        designs = sim.space.decode(other[:n_direct])
        d_time = best_time(lambda s=sim, x=designs: direct(s, x), 1)
        rows.append({"workload": workload, "load_s": round(t_load, 2), "build_s": round(t_build, 3),
                     "shapes": len(sim.costs.index), "cold_batch_per_s": round(n / cold),
                     "warm_batch_per_s": round(n / warm), "fresh_batch_per_s": round(n / fresh),
                     "single_per_s": round(single / one), "direct_per_s": round(n_direct / d_time, 1)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--single", type=int, default=300)
    ap.add_argument("--direct", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--workloads", nargs="+", default=list(BUILTIN_WORKLOADS), choices=list(BUILTIN_WORKLOADS))
    a = ap.parse_args()
    if len(a.workloads) > 1:  # one process per workload: the tasks' layer caches live per process
        import subprocess
        import sys
        import tempfile

        rows = []
        for w in a.workloads:
            with tempfile.TemporaryDirectory() as tmp:
                out = f"{tmp}/rows.json"
                subprocess.run([sys.executable, __file__, "--n", str(a.n), "--single", str(a.single), "--direct",
                                str(a.direct), "--repeats", str(a.repeats), "--workloads", w, "--json", out,
                                "--quiet"], check=True)
                with open(out) as fh:
                    rows += json.load(fh)
    else:
        rows = bench(a.n, a.single, a.direct, a.repeats, a.workloads)
    if a.quiet:
        from archgym._files import atomic_write_text

        atomic_write_text(a.json, json.dumps(rows, indent=1))
        return
    print(f"| workload | task load s | build s | layer shapes | cold batch /s | warm batch /s | fresh batch /s "
          f"| single /s | direct systolic /s | warm / {TARGET:,} target | warm / direct |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['workload']} | {r['load_s']} | {r['build_s']} | {r['shapes']} | {r['cold_batch_per_s']:,} | "
              f"{r['warm_batch_per_s']:,} | {r['fresh_batch_per_s']:,} | {r['single_per_s']:,} | "
              f"{r['direct_per_s']:,} | {r['warm_batch_per_s'] / TARGET:.1f}x | "
              f"{r['warm_batch_per_s'] / r['direct_per_s']:,.0f}x |")
    if a.json:
        from archgym._files import atomic_write_text

        atomic_write_text(a.json, json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
