"""A saved DRAM proxy (default estimator, 100-tree forests) inside the env loop: compiled trees vs
scikit-learn's own ``predict``, side by side in one run (same proxy file, same designs).

Prints the median ``env.step`` time and the batch throughput of ``Simulator.evaluate`` for both
paths, and checks that they give identical metrics.  CPU time (``time.process_time``).  Batches
larger than ``archgym.proxy._compiled.SMALL_BATCH`` go to scikit-learn on both sides.

Usage: ``python experiments/bench/bench_proxy.py [--train 2000] [--batch 100000]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def _steps(env, n: int) -> float:
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(n):
        a = env.action_space.sample() if rng.random() < 2 else None
        t = time.process_time()
        env.step(a)
        times.append(time.process_time() - t)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()

    import gymnasium as gym

    import archgym
    from archgym.proxy import fit_proxy

    with tempfile.TemporaryDirectory() as tmp:
        res = archgym.run("archgym/DRAM-v0", "random", args.train, seed=0, env_kwargs={"trace": "stream"},
                          log_dir=tmp)
        proxy, _ = fit_proxy(res.trajectory, reference=archgym.make_simulator("DRAM", trace="stream"))
        path = proxy.save(os.path.join(tmp, "dram.agproxy"))
        rows = []
        results = {}
        for label, compiled in (("scikit-learn trees (per-tree predict)", False), ("compiled trees", True)):
            env = gym.make("archgym/DRAM-v0", trace="stream", backend=f"proxy:{path}", max_steps=10**9)
            sim = env.unwrapped.simulator
            if not compiled:
                sim._flat = {k: None for k in [*sim.models, "\0feasibility"]}
            _steps(env, 5)  # warm-up (numba's cached kernel load, sklearn imports)
            step = _steps(env, args.steps if compiled else max(30, args.steps // 10))
            small = sim.space.sample(np.random.default_rng(2), 512)
            t = time.process_time()
            for _ in range(5):
                out_small = sim.evaluate(small)
            small_rate = 5 * 512 / (time.process_time() - t)
            designs = sim.space.sample(np.random.default_rng(1), args.batch)
            t = time.process_time()
            out = sim.evaluate(designs)
            batch = time.process_time() - t
            results[label] = (out, out_small)
            rows.append((label, step * 1e3, small_rate, args.batch / batch))
        same = all(np.array_equal(results["compiled trees"][k][m.name], results["scikit-learn trees (per-tree predict)"][k][m.name])
                   for m in sim.metrics for k in (0, 1))
    print(f"DRAM-v0 proxy, estimator rf (100 trees per metric), {args.train} training runs\n")
    print(f"| path | env.step median | batch of 512, designs/s | batch of {args.batch:,}, designs/s |")
    print("|---|---:|---:|---:|")
    for label, ms, small_rate, rate in rows:
        print(f"| {label} | {ms:.3f} ms | {small_rate:,.0f} | {rate:,.0f} |")
    print(f"\nstep speed-up {rows[0][1] / rows[1][1]:.0f}x, batch-of-512 speed-up {rows[1][2] / rows[0][2]:.1f}x "
          f"(larger batches use scikit-learn on both sides); identical metrics: {same}")


if __name__ == "__main__":
    main()
