"""Issue 12 speed-ups, measured side by side with the implementation before them, in one run.

Prints (CPU time, ``time.process_time``, so other jobs on the machine inflate both sides alike):

1. DRAM on a new trace: the first design (only its timing class is simulated) and the whole
   576-class timing table, per trace, before vs after, and whether the tables are identical;
   plus each process's one-time cost of its first table pass (after: importing numba and loading
   the compiled kernel from numba's cache, or compiling it when the cache is cold).
2. nsga2 and aco: CPU per evaluation (ask + tell; the 10-knob no-cost model of
   ``bench_agents.py``, simulator excluded) over evaluations 1-1,000 and 9,001-10,000 of one
   10,000-evaluation run, before vs after, and whether the seeded trajectories are identical.
3. bo (optuna TPE, unchanged by default): its cost per evaluation along a run, with the whole
   history (default) and with ``max_history=300`` (``--tpe-evals 0`` skips it).

"Before" is the base commit (default 5274585, the commit before these changes), run side by side
with the working tree by :mod:`versions` (``git archive`` + one subprocess per implementation).

Usage: ``python experiments/bench/bench_fast_path.py [--base COMMIT] [--evals 10000] [--tpe-evals 2000]``
(about 5 minutes on a 2-core machine).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import versions  # noqa: E402  (experiments/bench/versions.py)

HERE = Path(__file__).resolve().parent
BASE = "5274585"
DRAM_TRACES = ("stream", "random", "cloud-1", "cloud-2", "new-rw")
WINDOW = 1000


# ---- the worker: runs inside one implementation ---------------------------------------------------

def _dram_trace(name: str):
    from archgym.simulators.dram import generate_trace

    if name == "new-rw":  # a trace no shipped file has: reads and writes, idle gaps
        return generate_trace("mixture", 10_000, seed=100, locality=0.5, read_ratio=0.7, interval=2, name="new-rw")
    return name


def worker_dram() -> dict:
    import numpy as np

    from archgym.simulators.dram import SPACE, DRAMSimulator, generate_trace

    design = SPACE.sample(np.random.default_rng(0), 1)
    sample = SPACE.sample(np.random.default_rng(1), 2000)
    t0 = time.process_time()
    DRAMSimulator(trace=generate_trace("random", 200, seed=5)).evaluate(design)
    out: dict = {"warmup_s": time.process_time() - t0, "traces": {}}
    try:  # the numba kernel (after) reports whether its machine code came from the on-disk cache
        from archgym.simulators.dram import kernel

        out["kernel_cache_hits"] = sum(kernel.simulate_classes.stats.cache_hits.values())
    except ImportError:
        pass
    for name in DRAM_TRACES:
        sim = DRAMSimulator(trace=_dram_trace(name))
        t0 = time.process_time()
        sim.evaluate(design)
        first = time.process_time() - t0
        sim.precompute()
        table = time.process_time() - t0
        metrics = sim.evaluate(sample)
        digest = hashlib.sha256(b"".join(np.asarray(metrics[k], np.float64).tobytes() for k in sim.metric_names))
        out["traces"][name] = {"first_s": first, "table_s": table, "digest": digest.hexdigest()[:16]}
    return out


def worker_agent(name: str, evals: int, kwargs: dict, window: int) -> dict:
    """CPU of ask + tell per evaluation, averaged per ``window`` evaluations, and a trajectory digest."""
    sys.path.insert(0, str(HERE))
    from bench_agents import TenKnobs

    from archgym.objectives import Minimize

    try:
        from archgym.registry import make_agent
    except ImportError:  # implementations from before the registry module (e.g. 5274585)
        from archgym.agents import make_agent

    sim, obj = TenKnobs(), Minimize("cost")
    agent = make_agent(name, seed=0, **kwargs)
    agent.setup(sim.space, evals, obj)
    clock = time.process_time
    windows, spent, h = [], 0.0, hashlib.sha256()
    for i in range(evals):
        t0 = clock()
        d = agent.ask()
        spent += clock() - t0
        res = sim.evaluate([d])
        reward = float(obj(res)[0])
        h.update(repr((sorted(d.items()), reward)).encode())
        t0 = clock()
        agent.tell(d, reward, {"cost": float(res["cost"][0]), "feasible": True})
        spent += clock() - t0
        if (i + 1) % window == 0:
            windows.append(spent / window)
            spent = 0.0
    return {"ms_per_eval": [1e3 * w for w in windows], "digest": h.hexdigest()[:16]}


def worker(task: str, layout: str) -> None:
    versions.check_layout(layout)
    spec = json.loads(task)
    if spec["kind"] == "dram":
        result = worker_dram()
    else:
        result = worker_agent(spec["agent"], spec["evals"], spec.get("kwargs", {}), spec["window"])
    print(json.dumps(result))


# ---- the driver -------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=BASE, help="commit of the previous implementation (default %(default)s)")
    ap.add_argument("--evals", type=int, default=10_000, help="evaluations per agent run (default %(default)s)")
    ap.add_argument("--tpe-evals", type=int, default=2000, help="bo evaluations per run; 0 skips (default %(default)s)")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    with versions.layouts(args.base) as layouts:
        print(f"before = {args.base}, after = working tree; CPU time, one subprocess per implementation\n")
        dram = {side: versions.run_worker(__file__, path, {"kind": "dram"}) for side, path in layouts.items()}
        print("## DRAM timing table on a new 10,000-request trace (CPU seconds)\n")
        print("| trace | first design before | after | speed-up | all 576 classes before | after | speed-up "
              "| 2,000 designs identical |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for tr in DRAM_TRACES:
            b, a = dram["before"]["traces"][tr], dram["after"]["traces"][tr]
            print(f"| {tr} | {b['first_s']:.3f} | {a['first_s']:.4f} | {versions.ratio(b['first_s'], a['first_s'])} "
                  f"| {b['table_s']:.2f} | {a['table_s']:.3f} | {versions.ratio(b['table_s'], a['table_s'])} "
                  f"| {'yes' if a['digest'] == b['digest'] else 'NO'} |")
        hits = dram["after"].get("kernel_cache_hits")
        print(f"\nOnce per process, the first table pass (200-request trace): before {dram['before']['warmup_s']:.2f} s, "
              f"after {dram['after']['warmup_s']:.2f} s (imports numba and "
              f"{'loads the compiled kernel from its cache' if hits else 'compiles the kernel: the cache was cold'}).\n")

        n = args.evals
        print(f"## Agents: CPU per evaluation (ask + tell, no-cost 10-knob model), {n:,}-evaluation run\n")
        print(f"| agent | before: first {WINDOW:,} | last {WINDOW:,} | growth | after: first {WINDOW:,} "
              f"| last {WINDOW:,} | growth | same trajectory |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for name in ("nsga2", "aco"):
            task = {"kind": "agent", "agent": name, "evals": n, "window": WINDOW}
            r = {side: versions.run_worker(__file__, path, task) for side, path in layouts.items()}
            b, a = r["before"]["ms_per_eval"], r["after"]["ms_per_eval"]
            print(f"| {name} | {b[0]:.3f} ms | {b[-1]:.3f} ms | {versions.ratio(b[-1], b[0])} | {a[0]:.3f} ms "
                  f"| {a[-1]:.3f} ms | {versions.ratio(a[-1], a[0])} "
                  f"| {'yes' if r['before']['digest'] == r['after']['digest'] else 'NO'} |", flush=True)

        step = max(1, args.tpe_evals // 8)
        if args.tpe_evals:
            m = step * (args.tpe_evals // step)
            print(f"\n## bo (optuna TPE, unchanged by default): CPU per evaluation along a {m:,}-evaluation run\n")
            cols = [f"{i * step + 1:,}-{(i + 1) * step:,}" for i in range(m // step)]
            print("| history | " + " | ".join(cols) + " |")
            print("|---|" + "---:|" * len(cols))
            for label, kw in (("whole (default)", {}), ("max_history=300", {"max_history": 300})):
                res = versions.run_worker(__file__, layouts["after"], {"kind": "agent", "agent": "bo", "evals": m, "kwargs": kw, "window": step})
                print(f"| {label} | " + " | ".join(f"{v:.1f} ms" for v in res["ms_per_eval"]) + " |", flush=True)


if __name__ == "__main__":
    main()
