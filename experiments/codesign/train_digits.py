"""Tabulate the digits task: train every architecture of the digits CNN space, for real.

Writes ``data/codesign/digits_accuracy.csv`` (the table :func:`archgym.simulators.codesign.load_task`
ships) atomically after every architecture, so an interrupted run resumes where it stopped
(the provenance line must match, else the run refuses and says why).  Run it niced, one thread::

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python experiments/codesign/train_digits.py

Options: ``--out PATH`` (default: the packaged table), ``--limit N`` (stop after N new
architectures; for trying the script).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import sklearn
import torch

from archgym._files import atomic_write_text
from archgym.simulators.codesign import digits_train as dt
from archgym.simulators.codesign.digits_table import N_ARCHS, RADIX, format_table, read_table

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "data" / "codesign" / "digits_accuracy.csv"


def provenance() -> dict[str, str]:
    return {
        "script": "experiments/codesign/train_digits.py",
        "training_version": str(dt.TRAINING_VERSION),
        "seed": str(dt.SEED),
        "epochs": str(dt.EPOCHS),
        "batch": str(dt.BATCH),
        "lr": repr(dt.LR),
        "split": f"stratified-test{dt.TEST_FRACTION}-random_state{dt.SPLIT_SEED}",
        "torch": torch.__version__.split("+")[0],
        "sklearn": sklearn.__version__,
        "threads": "1",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    meta = provenance()
    results: dict[int, tuple[int, int]] = {}
    if args.out.exists():
        old_meta, results = read_table(args.out, complete=False)
        if old_meta != meta:
            raise SystemExit(f"{args.out} was made with {old_meta}, not {meta}: move it away to start over")
        print(f"resuming: {len(results)}/{N_ARCHS} done")
    data = dt.split()
    t_all, new = time.perf_counter(), 0
    for arch in range(N_ARCHS):
        if arch in results:
            continue
        if args.limit is not None and new >= args.limit:
            break
        knobs = tuple(int(i) for i in np.unravel_index(arch, RADIX))
        t0 = time.perf_counter()
        res = dt.train_architecture(knobs, data=data)
        results[arch] = (res.correct, res.n_test)
        atomic_write_text(args.out, format_table(meta, results))
        new += 1
        print(f"{arch:4d} {knobs} acc {res.accuracy:6.2f}% loss {res.final_loss:.4f} "
              f"{time.perf_counter() - t0:5.1f}s", flush=True)
    print(f"trained {new} architectures in {time.perf_counter() - t_all:.0f}s; "
          f"{len(results)}/{N_ARCHS} in {args.out}")


if __name__ == "__main__":
    main()
