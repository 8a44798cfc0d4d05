"""Evaluations per second of ``archgym/SoC-v0`` for every default workload and formulation.

Two rates per row: *batch* (``simulator.evaluate`` on N random designs at once, as the run loop
and population-based agents call it) and *single* (one design per call, as a gymnasium ``step``
does).  Each is the best of ``--repeats`` timings, so background load inflates it least.

    python experiments/bench/bench_soc.py [--n 2000] [--single 300] [--repeats 3] [--json out.json]
        [--farsi-db ../shared/farsi/database] [--farsi ../farsi/src/Project_FARSI --per-workload 5]

FARSI's workloads (``--farsi-db``, default ``../shared/farsi/database`` when present) run in every
formulation, ``farsi`` included.  With ``--farsi`` (a FARSI checkout, or ``ARCHGYM_FARSI``) the
bench also times FARSI itself side by side: for the first ``--per-workload`` reference designs of
each workload (``calibration.csv`` beside the database) it runs them in one warm FARSI process
through the ``farsi:`` backend, which reports the CPU seconds FARSI spent building and evaluating
(``eval_design``) each design, and the ``farsi`` formulation on the same designs, one design per
call, and prints the ratio.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import time
from pathlib import Path

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


FARSI_WORKLOADS = ("audio_decoder", "edge_detection", "hpvm_cava")
DEFAULT_DB = Path(__file__).resolve().parents[2].parent / "shared" / "farsi" / "database"


def bench(n: int, single: int, repeats: int, farsi_db: Path | None = None) -> list[dict]:
    rows = []
    cases = [(w, f) for w in BUILTIN_WORKLOADS for f in FORMULATIONS if f != "farsi"]
    if farsi_db is not None:
        cases += [(str(farsi_db / w), f) for w in FARSI_WORKLOADS for f in FORMULATIONS]
    for workload, formulation in cases:
        sim = make_simulator("SoC", workload=workload, formulation=formulation)
        idx = sim.space.sample_indices(np.random.default_rng(0), n)
        feasible = float(sim.evaluate(idx)["feasible"].mean())
        batch = rate(lambda s=sim, x=idx: s.evaluate(x), n, repeats)
        one = rate(lambda s=sim, x=idx: [s.evaluate(x[i:i + 1]) for i in range(single)], single, repeats)
        rows.append({"workload": Path(workload).name, "formulation": formulation, "tasks": len(sim.graph.tasks),
                     "edges": len(sim.graph.edges), "feasible_fraction": round(feasible, 3),
                     "batch_per_s": round(batch), "single_per_s": round(one)})
    return rows


def versus_farsi(farsi: str, db: Path, per_workload: int, repeats: int) -> list[dict]:
    """CPU seconds per design on the same reference designs: FARSI's ``eval_design`` (and design
    build) in one warm FARSI process — the first design of the batch is run twice and its first
    run dropped, so database parsing and CACTI's first calls are excluded, as in an exploration —
    and the ``farsi`` formulation, one design per call."""
    from archgym.simulators.soc.farsi import design_from_reference
    from archgym.simulators.soc.farsi_backend import FarsiSimulator

    rows = list(csv.DictReader((db.parent / "calibration.csv").open()))
    out = []
    for w in FARSI_WORKLOADS:
        picked = [r for r in rows if r["workload"] == w][:per_workload]
        designs = [design_from_reference(r, db) for r in picked]
        kwargs = designs[0][0]
        model = make_simulator("SoC", **kwargs)
        real = FarsiSimulator(farsi, timeout_s=3600, **kwargs)
        valid = [model.space.validate(d) for _, d in designs]
        farsi_runs = real.run_batch(valid[:1] + valid)[1:]
        model_cpu = []
        for d in valid:
            best = float("inf")
            for _ in range(repeats):
                t = time.process_time()
                for _ in range(20):
                    model.evaluate([d])
                best = min(best, (time.process_time() - t) / 20)
            model_cpu.append(best)
        med = statistics.median
        ev, bu, mo = (med(r["sim_cpu_s"] for r in farsi_runs), med(r["build_cpu_s"] for r in farsi_runs),
                      med(model_cpu))
        out.append({"workload": w, "designs": len(valid), "farsi_eval_ms": round(ev * 1e3, 2),
                    "farsi_build_ms": round(bu * 1e3, 2), "model_ms": round(mo * 1e3, 3),
                    "speedup_vs_eval": round(ev / mo), "speedup_vs_build_and_eval": round((ev + bu) / mo)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="designs per batch")
    ap.add_argument("--single", type=int, default=300, help="designs evaluated one per call")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the rows to this JSON file")
    ap.add_argument("--farsi-db", default=str(DEFAULT_DB) if DEFAULT_DB.is_dir() else "",
                    help="FARSI's database folder (adds FARSI's workloads); empty to skip")
    ap.add_argument("--farsi", default=os.environ.get("ARCHGYM_FARSI", ""),
                    help="a FARSI checkout (Project_FARSI) to time side by side; empty to skip")
    ap.add_argument("--per-workload", type=int, default=5, help="reference designs per workload timed on FARSI")
    args = ap.parse_args()
    db = Path(args.farsi_db) if args.farsi_db else None
    rows = bench(args.n, args.single, args.repeats, db)
    print(f"# SoC-v0 evaluations/s ({platform.processor() or platform.machine()}, Python {platform.python_version()})")
    print("| workload | formulation | tasks | edges | feasible | batch designs/s | single designs/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workload']} | {r['formulation']} | {r['tasks']} | {r['edges']} | {r['feasible_fraction']:.2f} "
              f"| {r['batch_per_s']:,} | {r['single_per_s']:,} |")
    result: dict = {"rates": rows}
    if args.farsi and db is not None:
        vs = versus_farsi(args.farsi, db, args.per_workload, args.repeats)
        result["versus_farsi"] = vs
        print("\n# CPU per design, same designs, one run: FARSI (ArchGym's copy) vs the farsi formulation")
        print("| workload | designs | FARSI eval_design ms | FARSI build ms | model ms | × vs eval | × vs build+eval |")
        print("|---|---|---|---|---|---|---|")
        for r in vs:
            print(f"| {r['workload']} | {r['designs']} | {r['farsi_eval_ms']} | {r['farsi_build_ms']} | {r['model_ms']} "
                  f"| {r['speedup_vs_eval']:,} | {r['speedup_vs_build_and_eval']:,} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
