"""The MARL study in one command: run the sweeps (resuming), then analyse.

    nice -n 19 python experiments/marl/run.py                 # dram, then systolic, then soc
    python experiments/marl/run.py dram                       # one env
    python experiments/marl/run.py --backend ray --address auto
    python experiments/marl/run.py --analyze-only             # re-render from finished runs

Runs go to ``runs/marl/<env>/`` through :func:`archgym.sweep.run_sweep`, so finished runs are
kept and an interrupted call resumes.  Within an env the sweep is run **seed by seed** (every
agent and scenario at seed 0, then seed 1, …), so a study stopped early has complete, paired
seeds for every agent rather than some agents without any; the analysis uses only seeds that
every agent of a scenario has finished.  Default: one worker process (the study is sized to run
beside other work, under ``nice``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from make_specs import PARTS  # noqa: E402

from archgym.sweep import load_spec, run_sweep  # noqa: E402

ENVS = ("dram", "systolic", "soc", "dram_1000", "codesign")


def run_env(env: str, workers: int, backend: str, address: str | None) -> None:
    sweeps = [load_spec(HERE / f"{part}.yaml") for part in PARTS.get(env, [env])]
    for seed in sorted({r.seed for sw in sweeps for r in sw.runs}):
        for sw in sweeps:
            keep = [i for i, r in enumerate(sw.runs) if r.seed == seed]
            sub = dataclasses.replace(sw, runs=tuple(sw.runs[i] for i in keep), ids=tuple(sw.ids[i] for i in keep))
            t0 = time.process_time()
            rep = run_sweep(sub, workers=workers, backend=backend, address=address)
            print(f"{sw.name} seed {seed}: {len(rep.done)} runs done, {len(rep.failed)} failed, {rep.skipped} "
                  f"already finished, {rep.wall_s:.0f} s wall, {time.process_time() - t0:.0f} s CPU", flush=True)
            if rep.failed:
                raise SystemExit(f"{len(rep.failed)} runs failed (see {sw.out}/failed/); rerun to retry")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("envs", nargs="*", default=[e for e in ENVS if e in PARTS], choices=ENVS)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--backend", default="local", choices=["local", "ray"])
    ap.add_argument("--address", default=None)
    ap.add_argument("--analyze-only", action="store_true")
    args = ap.parse_args()
    for env in args.envs:
        if not args.analyze_only:
            run_env(env, args.workers, args.backend, args.address)
        import analyze  # imported late: a long study picks up the newest analysis

        analyze.main(["--env", env])


if __name__ == "__main__":
    main()
