"""One command for every lottery figure and table: run the sweeps (resuming), analyse, rank.

    python experiments/lottery/reproduce.py                 # dram, systolic and soc
    python experiments/lottery/reproduce.py systolic soc    # the smaller studies only (minutes)
    python experiments/lottery/reproduce.py --backend ray --address auto

Sweeps resume: finished runs in ``runs/lottery/<study>`` are kept, so an interrupted call picks up
where it stopped and a finished study only re-renders.  Targets are fixed in the specs; the
scripts that derived them (dram_targets.py, budget_targets.py) need not be rerun.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import analyze  # noqa: E402
import leaderboard  # noqa: E402

from archgym.sweep import load_spec, run_sweep  # noqa: E402

STUDIES = {
    "dram": {"title": "DRAM-v0", "optimum": 1.0},
    "systolic": {"title": "Systolic-v0", "optimum": None},
    "soc": {"title": "SoC-v0", "optimum": None},
}


def reproduce(study: str, workers: int | None, backend: str, address: str | None) -> None:
    for spec in (HERE / f"{study}.yaml", HERE / f"{study}_seeds.yaml"):
        sw = load_spec(spec)
        rep = run_sweep(sw, workers=workers, backend=backend, address=address, progress=True)
        print(f"{spec.name}: {len(rep.done)} runs done now, {len(rep.failed)} failed, {rep.skipped} already "
              f"finished, {rep.wall_s:.0f} s ({rep.runs_per_s:.2f} runs/s)")
        if rep.failed:
            raise SystemExit(f"{len(rep.failed)} runs failed (see {sw.out}/failed/); rerun to retry")
    cfg = STUDIES[study]
    argv = ["--lottery", str(HERE / f"{study}.yaml"), "--seeds", str(HERE / f"{study}_seeds.yaml"),
            "--name", study, "--title", cfg["title"], "--random-reference", str(HERE / f"{study}_targets.json")]
    if cfg["optimum"] is not None:
        argv += ["--optimum", str(cfg["optimum"])]
    analyze.main(argv)


def plan(study: str) -> None:
    """``--dry-run``: what :func:`reproduce` would do for ``study``, without running or writing anything."""
    from archgym.sweep import pending

    for spec in (HERE / f"{study}.yaml", HERE / f"{study}_seeds.yaml"):
        sw = load_spec(spec)
        todo = len(pending(sw, sw.out))
        print(f"{spec.name}: {len(sw)} runs into {sw.out}, {len(sw) - todo} finished, {todo} to run")
    print(f"then: analyze.py --name {study} (results_{study}.md, figures/{study}_*.png)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # no `choices` with nargs="*": argparse checks a list default against the choices as one value
    # and refuses it ("invalid choice: [...]"), so `make studies` (no arguments) failed at once
    ap.add_argument("studies", nargs="*", metavar="STUDY", help=f"any of {', '.join(STUDIES)} (default: all)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--backend", default="local", choices=["local", "ray"])
    ap.add_argument("--address", default=None)
    ap.add_argument("--dry-run", action="store_true", help="list the runs to do and finished, run nothing")
    args = ap.parse_args(argv)
    unknown = [s for s in args.studies if s not in STUDIES]
    if unknown:
        ap.error(f"unknown study {unknown[0]!r}; choose from {', '.join(STUDIES)}")
    studies = args.studies or list(STUDIES)
    for study in studies:
        if args.dry_run:
            plan(study)
        else:
            reproduce(study, args.workers, args.backend, args.address)
    if args.dry_run:
        print("then: leaderboard.py (experiments/LEADERBOARD.md)")
        return
    leaderboard.main()


if __name__ == "__main__":
    main()
