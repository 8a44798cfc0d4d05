"""The run loop's fast path (issue 12), side by side with the implementation before it, in one run.

Prints, for the previous implementation (``--base``, default c51464f: main before this work) and the
working tree, each in its own subprocess (:mod:`versions`), CPU time (``time.process_time``, so other
jobs on the machine inflate both sides alike):

1. ``archgym.run(env, "random", 3000)`` including logging, evaluations per second, on Systolic-v0
   (ResNet-18) and on DRAM-v0 (``stream``, warm: timing table precomputed);
2. ``env.step`` median µs on Systolic-v0, DRAM-v0 and a zero-cost simulator (the machinery alone);
3. ``Simulator.evaluate`` of 100,000 designs given as dicts vs as index rows (Systolic-v0);
4. whether the random-search trajectories are identical.

Usage: ``python experiments/bench/bench_loop.py [--base COMMIT] [--evals 3000]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import versions  # noqa: E402  (experiments/bench/versions.py)

BASE = "c51464f"
ENVS = {"Systolic": ("archgym/Systolic-v0", {}), "DRAM": ("archgym/DRAM-v0", {"trace": "stream"})}


def _null_env():
    """A 10-knob design space over a simulator that costs nothing: what is left is the machinery."""
    import numpy as np

    import archgym
    from archgym.envs import DesignEnv

    try:
        from archgym.simulator import Metric, Simulator
    except ImportError:  # the base commit kept the contracts in simulators/base.py
        from archgym.simulators.base import Metric, Simulator

    class Null(Simulator):
        """Cost = sum of indices."""

        name, version = "null", "1"

        def __init__(self):
            self.space = archgym.DesignSpace(tuple(archgym.Integer(f"k{i}", low=0, high=7) for i in range(10)))
            self.metrics = (Metric("cost", "1", "min"),)
            self.workload = "null"

        def _evaluate(self, d):
            return {"cost": np.sum([d[f"k{i}"] for i in range(10)], axis=0).astype(float)}

    return DesignEnv(Null(), archgym.Minimize("cost"), env_id="bench/Null")


def _step_median_us(env, n: int = 2000) -> float:
    import numpy as np

    env.reset(seed=0)
    actions = [env.action_space.sample() for _ in range(n)]
    for a in actions[:50]:
        env.step(a)
    times = []
    for a in actions:
        t0 = time.perf_counter()
        env.step(a)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e6)


def worker(task: str, layout: str) -> None:
    import gymnasium as gym
    import numpy as np

    import archgym

    versions.check_layout(layout)
    spec = json.loads(task)
    out: dict = {}
    for name, (env_id, kwargs) in ENVS.items():
        env = gym.make(env_id, **kwargs)
        sim = env.unwrapped.simulator
        if hasattr(sim, "precompute"):
            sim.precompute()
        sim.evaluate(sim.space.sample(np.random.default_rng(0), 256))  # warm imports and caches
        t0 = time.process_time()
        res = archgym.run(env, "random", spec["evals"], seed=0)
        cpu = time.process_time() - t0
        digest = hashlib.sha256(res.trajectory["reward"].to_numpy().tobytes()).hexdigest()[:12]
        out[name] = {"run_evals_per_s": spec["evals"] / cpu, "digest": digest, "step_us": _step_median_us(env)}
    out["Null"] = {"step_us": _step_median_us(_null_env())}
    sim = gym.make("archgym/Systolic-v0").unwrapped.simulator
    idx = sim.space.sample_indices(np.random.default_rng(1), 100_000)
    dicts = sim.space.decode(idx)
    t0 = time.process_time()
    sim.evaluate(idx)
    t_idx = time.process_time() - t0
    t0 = time.process_time()
    sim.evaluate(dicts)
    t_dict = time.process_time() - t0
    out["evaluate"] = {"indices_per_s": 1e5 / t_idx, "dicts_per_s": 1e5 / t_dict}
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=BASE, help="commit of the previous implementation (default %(default)s)")
    ap.add_argument("--evals", type=int, default=3000)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    with versions.layouts(args.base) as layouts:
        r = {side: versions.run_worker(__file__, path, {"evals": args.evals}) for side, path in layouts.items()}
    b, a = r["before"], r["after"]
    print(f"before = {args.base}, after = working tree; CPU time, one subprocess each\n")
    print("| measure | before | after | ratio |")
    print("|---|---:|---:|---:|")
    for name in ENVS:
        print(f"| `run(..., 'random', {args.evals})` on {name}, evals/s | {b[name]['run_evals_per_s']:,.0f} "
              f"| {a[name]['run_evals_per_s']:,.0f} | "
              f"{versions.ratio(a[name]['run_evals_per_s'], b[name]['run_evals_per_s'])} |")
    for name in (*ENVS, "Null"):
        print(f"| `env.step` on {name}, median µs | {b[name]['step_us']:,.1f} | {a[name]['step_us']:,.1f} | "
              f"{versions.ratio(b[name]['step_us'], a[name]['step_us'])} |")
    for side, v in (("before", b), ("after", a)):
        e = v["evaluate"]
        print(f"| evaluate 100k Systolic designs ({side}): dicts vs indices, designs/s | {e['dicts_per_s']:,.0f} "
              f"| {e['indices_per_s']:,.0f} | dicts {versions.ratio(e['indices_per_s'], e['dicts_per_s'])} slower |")
    same = all(b[n]["digest"] == a[n]["digest"] for n in ENVS)
    print(f"\nrandom-search trajectories identical before/after: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
