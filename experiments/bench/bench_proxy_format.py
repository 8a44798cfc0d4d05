"""A saved DRAM proxy in the env loop: the pickle format (before) vs the skops format (issue 13).

Each side, in its own subprocess (:mod:`versions`), collects 600 random DRAM-v0 evaluations
(``trace=stream``), fits a proxy (``--estimator``, default ``rf``, the CLI's default; one model per
metric), saves it, loads it the way an env does (``gym.make(..., backend="proxy:PATH")``) and
measures:

1. ``env.step`` median µs (the loop a search runs; must stay <= 1 ms/step);
2. ``env.unwrapped.simulator.evaluate`` of a 1,000-design batch, µs per design;
3. load time of the file (ms) and its size (kB);
4. whether both sides predict identical metrics for the same 200 designs.

Usage: ``python experiments/bench/bench_proxy_format.py [--base COMMIT] [--estimator rf]``
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import versions  # noqa: E402  (experiments/bench/versions.py)

BASE = "814f341"  # main before the proxy format changed


def worker(task: str, layout: str) -> None:
    import warnings

    import gymnasium as gym
    import numpy as np

    import archgym
    from archgym.proxy import fit_proxy

    versions.check_layout(layout)
    cfg = json.loads(task)
    with tempfile.TemporaryDirectory() as tmp:
        res = archgym.run(gym.make("archgym/DRAM-v0", trace="stream"), "random", 600, seed=0, log_dir=tmp)
        env = gym.make("archgym/DRAM-v0", trace="stream")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proxy, _ = fit_proxy(res.trajectory, reference=env.unwrapped.simulator, estimator=cfg["estimator"],
                                 timing_batch=100)
        path = proxy.save(os.path.join(tmp, "dram.proxy"))
        size_kb = os.path.getsize(path) / 1e3
        t0 = time.perf_counter()
        penv = gym.make("archgym/DRAM-v0", trace="stream", backend=f"proxy:{path}")
        load_ms = 1e3 * (time.perf_counter() - t0)
    penv.reset(seed=0)
    rng = np.random.default_rng(1)
    actions = [penv.action_space.sample() for _ in range(50)]
    times = []
    for i in range(cfg["steps"]):
        t = time.perf_counter()
        _, _, term, trunc, _ = penv.step(actions[i % len(actions)])
        times.append(time.perf_counter() - t)
        if term or trunc:
            penv.reset()
    sim = penv.unwrapped.simulator
    batch = sim.space.sample_indices(rng, 1000)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        sim.evaluate(batch)
        best = min(best, time.perf_counter() - t)
    probe = sim.evaluate(sim.space.sample_indices(np.random.default_rng(2), 200))
    digest = hashlib.sha256(b"".join(np.asarray(probe[m], float).tobytes() for m in sim.metric_names)).hexdigest()
    print(json.dumps({"step_us": 1e6 * float(np.median(times)), "step_p95_us": 1e6 * float(np.percentile(times, 95)),
                      "batch_us": 1e6 * best / 1000, "load_ms": load_ms, "size_kb": size_kb, "digest": digest}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=BASE)
    ap.add_argument("--estimator", default="rf")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    task = {"estimator": args.estimator, "steps": args.steps}
    with versions.layouts(args.base) as layouts:
        r = {side: versions.run_worker(__file__, path, task) for side, path in layouts.items()}
    b, a = r["before"], r["after"]
    print(f"\n## Saved DRAM proxy ({args.estimator}) in the env loop: pickle ({args.base}) vs skops (working tree)\n")
    print("| measure | pickle (before) | skops (after) | after/before |\n|---|---:|---:|---:|")
    for key, label in [("step_us", "env.step median µs"), ("step_p95_us", "env.step p95 µs"),
                       ("batch_us", "evaluate, µs/design (batch of 1,000)"), ("load_ms", "gym.make + load, ms"),
                       ("size_kb", "file size, kB")]:
        print(f"| {label} | {b[key]:,.1f} | {a[key]:,.1f} | {versions.ratio(a[key], b[key])} |")
    print(f"\nsame predictions on 200 designs: {b['digest'] == a['digest']}; "
          f"after: {a['step_us'] / 1e3:.3f} ms/step (limit 1 ms)")


if __name__ == "__main__":
    main()
