"""Sweep throughput: the same runs on the local process pool and on Ray, side by side on this machine.

Takes the first ``--runs`` runs of a spec (default: the DRAM lottery's ACO grid on one scenario,
runs of ~0.1-0.4 s, the bulk of that study), warms nothing, and runs them into fresh temporary
directories: once with the local backend and once on a local Ray instance (``--batch-size`` runs
per Ray task).  Prints runs/s for each and the ratio, and checks that both produced identical
trajectories.  Needs ``pip install 'archgym[ray]'`` for the Ray half.

    python experiments/bench/bench_sweep.py [--spec experiments/lottery/dram.yaml] [--runs 400]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from archgym import datasets  # noqa: E402
from archgym.sweep import load_spec, run_sweep  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", type=Path, default=Path("experiments/lottery/dram.yaml"))
    ap.add_argument("--scenario", default="cloud-1/both")
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--batch-size", type=int, default=0)
    args = ap.parse_args()
    sw = load_spec(args.spec)
    keep = [i for i, r in enumerate(sw.runs) if r.scenario == args.scenario][: args.runs]
    sw = dataclasses.replace(sw, runs=tuple(sw.runs[i] for i in keep), ids=tuple(sw.ids[i] for i in keep))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("local", "ray"):
            out = Path(tmp) / backend
            t0 = time.perf_counter()
            if backend == "ray":
                import ray

                ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
                t_init = time.perf_counter() - t0
            rep = run_sweep(sw, out, workers=args.workers, backend=backend, batch_size=args.batch_size or None)
            wall = time.perf_counter() - t0
            assert len(rep.done) == len(sw.runs), rep.failed[:1]
            rows.append((backend, len(rep.done), wall, len(rep.done) / wall, rep.runs_per_s,
                         t_init if backend == "ray" else 0.0))
            if backend == "ray":
                ray.shutdown()
        a, b = (datasets.load(Path(tmp) / k).drop(columns=["wall_time_s"]).sort_values(["run_id", "step"])
                .reset_index(drop=True) for k in ("local", "ray"))
        same = a.equals(b)
    print(f"{len(sw.runs)} runs of {args.spec} ({args.scenario}), {args.workers} workers\n")
    print("| backend | runs | wall s (incl. start-up) | runs/s | runs/s after start-up | start-up s |")
    print("|---|---|---|---|---|---|")
    for backend, n, wall, rps, rps_run, t_init in rows:
        print(f"| {backend} | {n} | {wall:.1f} | {rps:.2f} | {rps_run:.2f} | {t_init:.1f} |")
    print(f"\nray / local runs/s: {rows[1][3] / rows[0][3]:.2f}; identical trajectories: {same}")


if __name__ == "__main__":
    main()
