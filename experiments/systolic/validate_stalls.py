"""Measure the systolic model's DRAM-traffic and stall error against the real SCALE-Sim.

Runs SCALE-Sim 3.0 (USER bandwidth mode, through the archgym SCALE-Sim backend) on small
bandwidth-bound layers across all three dataflows, compares stall cycles and per-operand DRAM
reads with :class:`archgym.simulators.systolic.SystolicSimulator`, and prints a markdown table.

Usage::

    ARCHGYM_SCALESIM_PYTHON=/path/to/venv/bin/python python experiments/systolic/validate_stalls.py \
        [--jobs 1] [--out measured.json] [--from measured.json]

``--from`` re-scores previously measured results without running SCALE-Sim (fast, used while
calibrating the model): ``measured_scalesim_3.0.json`` beside this script holds the 26 runs
(SCALE-Sim 3.0.0, numpy 1.26.4, 2 shared cores; ``wall_s`` is each run's wall time);
``tests/test_systolic_memory.py`` checks the exact memory mode against them.  The broader
validation set and its report are ``generate_validation.py`` and ``validate_memory.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np

from archgym.errors import SimulatorError
from archgym.simulators.systolic import SystolicSimulator, parse_topology
from archgym.simulators.systolic.scalesim_backend import ENV_VAR, measure_topology

LAYERS = {
    "gemm_128x64x256": "Layer, M, N, K,\ng, 128, 64, 256,\n",
    "gemm_256x128x128": "Layer, M, N, K,\ng, 256, 128, 128,\n",
    "gemm_64x256x512": "Layer, M, N, K,\ng, 64, 256, 512,\n",
    "conv_30x30x3x3x32x64": ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                             "Num Filter, Strides,\nc, 30, 30, 3, 3, 32, 64, 1,\n"),
    "conv_16x16x3x3x64x64": ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                             "Num Filter, Strides,\nc, 16, 16, 3, 3, 64, 64, 1,\n"),
    "conv_58x58x1x1x32x32": ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                             "Num Filter, Strides,\nc, 58, 58, 1, 1, 32, 32, 1,\n"),
}


def _d(r: int, c: int, df: str, sram: tuple[int, int, int], bw: int) -> dict[str, Any]:
    return {"rows": r, "cols": c, "dataflow": df, "ifmap_sram_kB": sram[0], "filter_sram_kB": sram[1],
            "ofmap_sram_kB": sram[2], "dram_bw": bw}


# (layer, design): small arrays, small SRAMs, 1–8 words/cycle, every dataflow
CASES: list[tuple[str, dict[str, Any]]] = [
    ("gemm_128x64x256", _d(32, 32, "ws", (8, 8, 8), 1)),
    ("gemm_128x64x256", _d(32, 32, "os", (8, 8, 8), 1)),
    ("gemm_128x64x256", _d(32, 32, "is", (8, 8, 8), 1)),
    ("gemm_128x64x256", _d(32, 32, "ws", (8, 8, 8), 4)),
    ("gemm_128x64x256", _d(32, 32, "os", (8, 8, 8), 4)),
    ("gemm_128x64x256", _d(16, 16, "is", (16, 16, 16), 2)),
    ("gemm_256x128x128", _d(16, 16, "ws", (16, 16, 16), 2)),
    ("gemm_256x128x128", _d(16, 16, "os", (16, 16, 16), 2)),
    ("gemm_256x128x128", _d(16, 16, "is", (16, 16, 16), 8)),
    ("gemm_256x128x128", _d(32, 32, "os", (64, 64, 64), 1)),
    ("gemm_64x256x512", _d(32, 32, "ws", (32, 32, 32), 2)),
    ("gemm_64x256x512", _d(32, 32, "os", (8, 8, 8), 8)),
    ("gemm_64x256x512", _d(16, 32, "is", (32, 8, 16), 4)),
    ("conv_30x30x3x3x32x64", _d(16, 16, "ws", (8, 8, 8), 1)),
    ("conv_30x30x3x3x32x64", _d(16, 16, "os", (8, 8, 8), 1)),
    ("conv_30x30x3x3x32x64", _d(16, 16, "is", (8, 8, 8), 2)),
    ("conv_30x30x3x3x32x64", _d(32, 32, "ws", (32, 32, 32), 4)),
    ("conv_30x30x3x3x32x64", _d(32, 32, "os", (64, 16, 8), 2)),
    ("conv_16x16x3x3x64x64", _d(8, 8, "ws", (8, 8, 8), 1)),
    ("conv_16x16x3x3x64x64", _d(16, 16, "os", (16, 16, 16), 1)),
    ("conv_16x16x3x3x64x64", _d(16, 16, "is", (16, 16, 16), 4)),
    ("conv_16x16x3x3x64x64", _d(32, 16, "ws", (64, 64, 64), 2)),
    ("conv_58x58x1x1x32x32", _d(16, 16, "ws", (8, 8, 8), 2)),
    ("conv_58x58x1x1x32x32", _d(16, 16, "os", (16, 16, 16), 1)),
    ("conv_58x58x1x1x32x32", _d(32, 32, "is", (8, 8, 8), 4)),
    ("conv_58x58x1x1x32x32", _d(8, 8, "ws", (32, 32, 32), 8)),
]

KEYS = ("compute_cycles", "stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def run_case(python: str, layer: str, design: dict[str, Any]) -> dict[str, Any]:
    """One SCALE-Sim run; returns the measured row (layer, design, counts, wall time)."""
    t0 = time.perf_counter()
    out = measure_topology(python, LAYERS[layer], design)
    row = {"layer": layer, **design, **{k: int(out[k][0]) for k in KEYS}}
    row["wall_s"] = round(time.perf_counter() - t0, 2)
    return row


def model_row(layer: str, design: dict[str, Any]) -> dict[str, float]:
    """The closed-form model's numbers for the same (layer, design)."""
    sim = SystolicSimulator(network=parse_topology(LAYERS[layer], layer))
    per = sim.layer_metrics([design])
    return {k: float(np.asarray(per[k])[0, 0]) for k in KEYS}


def rel_err(model: float, ref: float) -> float:
    """|model − ref| / max(ref, 1): relative error, defined for a reference of zero."""
    return abs(model - ref) / max(abs(ref), 1.0)


def score(rows: list[dict[str, Any]]) -> str:
    """Markdown table of measured vs modelled stalls and DRAM reads, with a summary."""
    lines = ["| layer | array | df | SRAM kB | bw | stall (SCALE-Sim) | stall (model) | err | "
             "DRAM rd ifmap S/M | DRAM rd filter S/M |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    errs: dict[str, list[float]] = {"stall": [], "ifmap": [], "filter": [], "ofmap": []}
    for r in rows:
        design = {k: r[k] for k in ("rows", "cols", "dataflow", "ifmap_sram_kB", "filter_sram_kB",
                                    "ofmap_sram_kB", "dram_bw")}
        m = model_row(r["layer"], design)
        e = rel_err(m["stall_cycles"], r["stall_cycles"])
        errs["stall"].append(e)
        errs["ifmap"].append(rel_err(m["dram_ifmap_reads"], r["dram_ifmap_reads"]))
        errs["filter"].append(rel_err(m["dram_filter_reads"], r["dram_filter_reads"]))
        errs["ofmap"].append(rel_err(m["dram_ofmap_writes"], r["dram_ofmap_writes"]))
        lines.append(f"| {r['layer']} | {r['rows']}×{r['cols']} | {r['dataflow']} | {r['ifmap_sram_kB']}/"
                     f"{r['filter_sram_kB']}/{r['ofmap_sram_kB']} | {r['dram_bw']} | {r['stall_cycles']:,} | "
                     f"{m['stall_cycles']:,.0f} | {100 * e:.1f}% | {r['dram_ifmap_reads']:,}/"
                     f"{m['dram_ifmap_reads']:,.0f} | {r['dram_filter_reads']:,}/{m['dram_filter_reads']:,.0f} |")
    lines.append("")
    lines.append(f"{len(rows)} cases. Relative error |model − SCALE-Sim| / max(SCALE-Sim, 1) (a case where "
                 "SCALE-Sim has 0 stalls and the model predicts some shows as a huge max):")
    lines.append("")
    lines.append("| quantity | median | P90 | max |")
    lines.append("|---|---|---|---|")
    for k, v in errs.items():
        a = 100 * np.asarray(v)
        name = "stall cycles" if k == "stall" else f"DRAM {k} {'writes' if k == 'ofmap' else 'reads'}"
        lines.append(f"| {name} | {np.median(a):.1f}% | {np.percentile(a, 90):.1f}% | {a.max():.1f}% |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1, help="parallel SCALE-Sim runs")
    ap.add_argument("--out", help="write measured rows as JSON")
    ap.add_argument("--from", dest="src", help="score measured rows from this JSON instead of running")
    args = ap.parse_args()
    if args.src:
        with open(args.src) as f:
            rows = json.load(f)
    else:
        python = os.environ.get(ENV_VAR)
        if not python:
            sys.exit(f"set {ENV_VAR} to a Python with scalesim and numpy<2 installed (or use --from)")
        rows = []
        with ProcessPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(run_case, python, layer, design): (layer, design) for layer, design in CASES}
            for fut in as_completed(futures):
                try:
                    rows.append(fut.result())
                except SimulatorError as exc:  # report and keep the other cases
                    print(f"SCALE-Sim failed on {futures[fut]}: {exc}", file=sys.stderr)
                    continue
                print(f"measured {rows[-1]}", file=sys.stderr, flush=True)
                if args.out:  # rewrite after every case, so an interrupted run keeps its results
                    with open(args.out, "w") as f:
                        json.dump(rows, f, indent=1)
    print(score(rows))


if __name__ == "__main__":
    main()
