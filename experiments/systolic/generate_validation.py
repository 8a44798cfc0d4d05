"""Generate the systolic memory-model validation set with the real SCALE-Sim 3.0.0.

One command regenerates every case (resumable: results are written to the output JSON after
every SCALE-Sim run, and runs already in it are skipped)::

    experiments/systolic/make_scalesim_venv.sh            # once: .venv-scalesim/ (numpy 1.26)
    ARCHGYM_SCALESIM_PYTHON=$PWD/.venv-scalesim/bin/python \\
        nice -n 10 .venv/bin/python experiments/systolic/generate_validation.py

The set (``build_cases``) is single-layer runs of small conv and GEMM layers (strides 1–4,
partial windows that SCALE-Sim pads with −1, 1×1 and 7×7 filters), every dataflow, arrays 4–256
(square and not), SRAM 8 kB–2 MB (operands from far larger than half the SRAM — thrashing — to
fitting), and DRAM bandwidth 1–128 words/cycle.  Most cases belong to a *one-knob sweep* (a base
design with one knob varied), so that the model's ordering can be checked sweep by sweep; the
rest are random designs.  Layer sizes are chosen so that the whole set costs well under an hour
of CPU (SCALE-Sim simulates every cycle in Python).

Every GEMM is written as the conv layer SCALE-Sim lowers it to (``M×K`` IFMAP, ``1×K`` filter,
one channel, ``N`` filters), so that conv and GEMM cases share one topology format.  SCALE-Sim's
configuration is the SCALE-Sim backend's (``scalesim_backend.config_text``: USER bandwidth, the
design's ``dram_bw`` on all three channels, one SRAM bank).

The output (``validation_scalesim_3.0.0.json`` beside this script) holds numbers only: per case
the layer, the design, the sweep it belongs to, SCALE-Sim's total and stall cycles and its three
DRAM counts, and the run's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import SimulatorError
from archgym.simulators.systolic.compute import compute, dataflow_code
from archgym.simulators.systolic.scalesim_backend import ENV_VAR, ScaleSimSimulator
from archgym.simulators.systolic.topology import Layer

OUT = Path(__file__).with_name("validation_scalesim_3.0.0.json")
CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
               "Num Filter, Strides,")

# name -> (kind, dims): conv (H, W, R, S, C, K, stride) or gemm (M, N, K)
LAYERS: dict[str, tuple[str, tuple[int, ...]]] = {
    "g_64x64x128": ("gemm", (64, 64, 128)),
    "g_96x40x72": ("gemm", (96, 40, 72)),
    "g_200x24x160": ("gemm", (200, 24, 160)),
    "g_32x128x256": ("gemm", (32, 128, 256)),
    "c_12x3x16x32s1": ("conv", (12, 12, 3, 3, 16, 32, 1)),
    "c_24x3x8x16s2": ("conv", (24, 24, 3, 3, 8, 16, 2)),      # partial last window (−1 padding)
    "c_14x1x32x48s1": ("conv", (14, 14, 1, 1, 32, 48, 1)),
    "c_19x5x4x24s3": ("conv", (19, 19, 5, 5, 4, 24, 3)),      # partial last window
    "c_30x7x3x16s2": ("conv", (30, 30, 7, 7, 3, 16, 2)),      # conv1-like, partial last window
    "c_20x3x32x32s1": ("conv", (20, 20, 3, 3, 32, 32, 1)),
    "c_20x3x16x16s1": ("conv", (20, 20, 3, 3, 16, 16, 1)),
    "c_20x3x16x16s2": ("conv", (20, 20, 3, 3, 16, 16, 2)),
    "c_20x3x16x16s3": ("conv", (20, 20, 3, 3, 16, 16, 3)),
    "c_20x3x16x16s4": ("conv", (20, 20, 3, 3, 16, 16, 4)),
}

KNOBS = ("rows", "cols", "dataflow", "ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB", "dram_bw")
MEASURED = ("total_cycles", "stall_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def layer_object(name: str) -> Layer:
    """The archgym Layer of a named validation layer (GEMMs in their conv form)."""
    kind, dims = LAYERS[name]
    if kind == "gemm":
        m, n, k = dims
        return Layer.conv(name, m, k, 1, k, 1, n, 1)
    return Layer.conv(name, *dims)


def topology_row(name: str) -> str:
    kind, dims = LAYERS[name]
    if kind == "gemm":
        m, n, k = dims
        dims = (m, k, 1, k, 1, n, 1)
    return f"{name}, " + ", ".join(str(v) for v in dims) + ","


def design(rows: int, cols: int, df: str, sram: tuple[int, int, int], bw: int) -> dict[str, Any]:
    return dict(zip(KNOBS, (rows, cols, df, *sram, bw), strict=True))


def build_cases() -> list[dict[str, Any]]:
    """Every (layer, design) of the set, each tagged with its sweep (or "random")."""
    cases: list[dict[str, Any]] = []

    def sweep(tag: str, layer: str, base: dict[str, Any], knob: str, values: list[Any]) -> None:
        for v in values:
            d = dict(base)
            if knob == "sram_kB":
                d.update(ifmap_sram_kB=v, filter_sram_kB=v, ofmap_sram_kB=v)
            else:
                d[knob] = v
            cases.append({"layer": layer, "design": d, "sweep": f"{tag}:{layer}:{base['dataflow']}:{knob}"})

    bws = [1, 2, 4, 8, 16, 32, 64, 128]
    for layer, df in [("g_64x64x128", "os"), ("g_96x40x72", "ws"), ("g_32x128x256", "is"),
                      ("c_12x3x16x32s1", "ws"), ("c_30x7x3x16s2", "os"), ("c_24x3x8x16s2", "is")]:
        sweep("bw", layer, design(16, 16, df, (8, 8, 8), 4), "dram_bw", bws)
    srams = [8, 16, 32, 64, 128, 256, 512, 1024, 2048]
    for layer, df in [("g_200x24x160", "ws"), ("g_64x64x128", "is"), ("g_32x128x256", "os"),
                      ("c_20x3x32x32s1", "os"), ("c_12x3x16x32s1", "is"), ("c_19x5x4x24s3", "ws")]:
        sweep("sram", layer, design(16, 16, df, (8, 8, 8), 4), "sram_kB", srams)
    for layer, df, knob in [("c_20x3x32x32s1", "ws", "ifmap_sram_kB"), ("g_32x128x256", "is", "filter_sram_kB"),
                            ("g_200x24x160", "os", "ofmap_sram_kB")]:
        sweep("sram1", layer, design(16, 16, df, (8, 8, 8), 2), knob, [8, 16, 32, 64, 128, 256, 512])
    sizes = [4, 8, 16, 32, 64, 128, 256]
    for layer, df in [("g_64x64x128", "ws"), ("g_96x40x72", "os"), ("c_14x1x32x48s1", "is"),
                      ("c_12x3x16x32s1", "os"), ("c_30x7x3x16s2", "ws")]:
        base = design(16, 16, df, (16, 16, 16), 4)
        for s in sizes:
            d = dict(base, rows=s, cols=s)
            cases.append({"layer": layer, "design": d, "sweep": f"array:{layer}:{df}:rows=cols"})
    for layer, df, knob, fixed in [("g_32x128x256", "ws", "rows", 16), ("c_12x3x16x32s1", "is", "rows", 16),
                                   ("g_200x24x160", "os", "cols", 16), ("c_24x3x8x16s2", "ws", "cols", 8)]:
        base = design(fixed, fixed, df, (16, 16, 16), 4)
        sweep("shape", layer, base, knob, [4, 8, 16, 32, 64, 128])
    for df in ("os", "ws"):
        for s in (1, 2, 3, 4):
            cases.append({"layer": f"c_20x3x16x16s{s}", "design": design(16, 16, df, (8, 8, 8), 2),
                          "sweep": f"stride:c_20x3x16x16:{df}:stride"})
    # random designs, kept small enough to simulate (≤ 15,000 cycles)
    rng = random.Random(15)
    names = sorted(LAYERS)
    n_random = 0
    while n_random < 40:
        d = design(rng.choice([4, 8, 16, 32, 64, 128]), rng.choice([4, 8, 16, 32, 64, 128]),
                   rng.choice(["os", "ws", "is"]),
                   tuple(rng.choice([8, 8, 16, 16, 32, 64, 128, 512, 2048]) for _ in range(3)),
                   rng.choice([1, 2, 4, 8, 16, 32, 64, 128]))
        layer = rng.choice(names)
        if demand_rows(layer, d) > 15_000:
            continue
        cases.append({"layer": layer, "design": d, "sweep": "random"})
        n_random += 1
    for i, c in enumerate(cases):
        c["id"] = i
    return cases


def demand_rows(layer: str, d: dict[str, Any]) -> int:
    """Cycles SCALE-Sim simulates one by one for this case (its cost driver)."""
    lay = layer_object(layer)
    c = compute(lay.P, lay.Wn, lay.K, d["rows"], d["cols"], dataflow_code(np.array([d["dataflow"]]))[0])
    return int(c["compute_cycles"]) + 1


def run_scalesim(python: str, topology_csv: str, d: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per-layer SCALE-Sim results for one design.  The design is not checked against the env's
    space: the validation set also covers ``dram_bw`` = 128, beyond the env's 64."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "layers.csv")
        path.write_text(topology_csv)
        return ScaleSimSimulator(python, workload=path, timeout_s=3600).run_layers(d)


def run_key(d: dict[str, Any]) -> str:
    return ",".join(str(d[k]) for k in KNOBS)


def load(path: Path) -> dict[str, Any]:
    if path.is_file():
        return json.loads(path.read_text())
    return {"tool": "scalesim==3.0.0 numpy==1.26.4 (USER bandwidth mode)", "cases": []}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--dry-run", action="store_true", help="print the number of cases and cycles only")
    ap.add_argument("--limit", type=int, default=0, help="stop after this many SCALE-Sim runs (0: all)")
    args = ap.parse_args()
    cases = build_cases()
    if args.dry_run:
        rows = [demand_rows(c["layer"], c["design"]) for c in cases]
        print(f"{len(cases)} cases, {len(set(run_key(c['design']) for c in cases))} SCALE-Sim runs, "
              f"{sum(rows):,} simulated cycles (max {max(rows):,})")
        return
    python = os.environ.get(ENV_VAR)
    if not python:
        sys.exit(f"set {ENV_VAR} to the SCALE-Sim interpreter (experiments/systolic/make_scalesim_venv.sh)")
    data = load(args.out)
    measured = {(r["layer"], run_key(r)): r for r in data["cases"]}
    runs: dict[str, list[dict[str, Any]]] = {}
    for c in cases:
        if (c["layer"], run_key(c["design"])) not in measured:
            runs.setdefault(run_key(c["design"]), []).append(c)
    print(f"{len(cases)} cases; {len(runs)} SCALE-Sim runs to do", flush=True)
    for n, (key, group) in enumerate(runs.items()):
        if args.limit and n >= args.limit:
            break
        layers = sorted({c["layer"] for c in group})
        topo = CONV_HEADER + "\n" + "\n".join(topology_row(name) for name in layers) + "\n"
        t0 = time.perf_counter()
        try:
            out = run_scalesim(python, topo, group[0]["design"])
        except SimulatorError as exc:
            print(f"run {key} failed: {exc}", file=sys.stderr, flush=True)
            continue
        wall = time.perf_counter() - t0
        for c in group:
            i = layers.index(c["layer"])
            measured[(c["layer"], key)] = {**{k: int(out[k][i]) for k in MEASURED},
                                           "wall_s": round(wall / len(layers), 2)}
        save(args.out, data, cases, measured)
        print(f"[{n + 1}/{len(runs)}] {key} {layers}: {wall:.1f} s", flush=True)
    save(args.out, data, cases, measured)


def save(path: Path, data: dict[str, Any], cases: list[dict[str, Any]],
         measured: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Write the measured cases of the current set, in set order (atomically: resumable)."""
    rows = []
    for c in cases:
        m = measured.get((c["layer"], run_key(c["design"])))
        if m is not None:
            rows.append({"id": c["id"], "layer": c["layer"], "kind": LAYERS[c["layer"]][0],
                         "dims": list(LAYERS[c["layer"]][1]), **c["design"], "sweep": c["sweep"],
                         **{k: m[k] for k in (*MEASURED, "wall_s")}})
    head = json.dumps({k: v for k, v in data.items() if k != "cases"})[:-1]
    body = ",\n".join(json.dumps(r) for r in rows)  # one case per line: small, diff-friendly
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f'{head}, "cases": [\n{body}\n]}}\n')
    tmp.replace(path)


if __name__ == "__main__":
    main()
