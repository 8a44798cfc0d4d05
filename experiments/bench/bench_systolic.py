"""Benchmark: the closed-form systolic model vs the real SCALE-Sim, and batch throughput.

Two measurements, printed as markdown tables:

1. Side by side on the same small layers and designs: SCALE-Sim 3.0 wall time and child CPU
   time per (layer, design) — one subprocess per run, its interpreter start-up CPU subtracted —
   against the closed form's time per (layer, design), both for a single call (latency) and
   inside a batch, and against the exact mode's CPU time (kernels already loaded).
2. Batch throughput of ``SystolicSimulator.evaluate`` over ResNet-18 (21 layers) in designs/s
   and (layer, design) evaluations/s (the default closed-form memory model).
3. ``memory="exact"`` (the SCALE-Sim 3.0.0 replica): CPU time per whole ResNet-18 design.

SCALE-Sim runs only when ``ARCHGYM_SCALESIM_PYTHON`` names an interpreter with scalesim and
numpy<2; otherwise only the model's numbers are printed, and the script says so.

Usage::

    python experiments/bench/bench_systolic.py [--designs 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import time

import numpy as np

from archgym.simulators.systolic import SystolicSimulator, parse_topology
from archgym.simulators.systolic.compute import dataflow_code
from archgym.simulators.systolic.scalesim_backend import ENV_VAR, measure_topology

LAYERS = {
    "GEMM 128×64×256": "Layer, M, N, K,\ng, 128, 64, 256,\n",
    "Conv 16²×3²×16→32": ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                          "Num Filter, Strides,\nc, 16, 16, 3, 3, 16, 32, 1,\n"),
    "Conv 30²×7²×3→16 /2": ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                            "Num Filter, Strides,\nc, 30, 30, 7, 7, 3, 16, 2,\n"),
}
DESIGNS = [
    {"rows": 32, "cols": 32, "dataflow": "ws", "ifmap_sram_kB": 64, "filter_sram_kB": 64, "ofmap_sram_kB": 64,
     "dram_bw": 8},
    {"rows": 16, "cols": 16, "dataflow": "os", "ifmap_sram_kB": 16, "filter_sram_kB": 16, "ofmap_sram_kB": 16,
     "dram_bw": 2},
]


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_scalesim(python: str, topo: str, design: dict) -> tuple[float, float]:
    """(wall s, CPU s) of one SCALE-Sim run of one layer, interpreter start-up included."""
    c0, t0 = _child_cpu(), time.perf_counter()
    measure_topology(python, topo, design)
    return time.perf_counter() - t0, _child_cpu() - c0


def time_model(topo: str, design: dict, repeat: int) -> tuple[float, float]:
    """(single-call s, per-pair s in a 10,000-design batch) of the model on one layer."""
    sim = SystolicSimulator(network=parse_topology(topo, "layer"))
    sim.layer_metrics([design])
    single = min(_timeit(lambda: sim.layer_metrics([design]), 200) for _ in range(repeat))
    batch = [design] * 10_000
    cols = sim.space.to_columns(batch)
    per_pair = min(_timeit(lambda: sim.layer_metrics(cols), 1) for _ in range(repeat)) / len(batch)
    return single, per_pair


def _timeit(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def throughput(n: int, repeat: int) -> tuple[float, float, int]:
    """(designs/s, (layer, design)/s, layers) of evaluate() over ResNet-18 on n random designs."""
    sim = SystolicSimulator("resnet18")
    idx = sim.space.sample_indices(np.random.default_rng(0), n)
    sim.evaluate(idx[:100])
    best = min(_timeit(lambda: sim.evaluate(idx), 1) for _ in range(repeat))
    L = len(sim.network.layers)
    return n / best, n * L / best, L


def startup_cpu(python: str) -> float:
    """CPU time of starting the interpreter and importing scalesim (paid once per run)."""
    c0 = _child_cpu()
    subprocess.run([python, "-c", "import scalesim.scale_sim"], check=True, capture_output=True)
    return _child_cpu() - c0


def exact_cpu(topo: str, design: dict, repeat: int) -> float:
    """CPU seconds of one exact-mode evaluation of one layer (kernels already loaded)."""
    from archgym.simulators.systolic.exact_memory import layer_memory

    layer = parse_topology(topo, "layer").layers[0]
    args = (layer, design["rows"], design["cols"], int(dataflow_code(np.array([design["dataflow"]]))[0]),
            (design["ifmap_sram_kB"], design["filter_sram_kB"], design["ofmap_sram_kB"]), design["dram_bw"])
    layer_memory(*args)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        layer_memory(*args)
        best = min(best, time.process_time() - t0)
    return best


def resnet18_exact(n: int) -> tuple[float, list[float], list[float]]:
    """(first call s incl. kernel load, CPU s per design cold, CPU s per design warm) over n random
    ResNet-18 designs; "warm" re-evaluates each with other SRAM sizes and bandwidth, so its
    prefetch streams (which depend on the array and dataflow only) are already built."""
    sim = SystolicSimulator("resnet18", memory="exact")
    rng = np.random.default_rng(1)
    idx = sim.space.sample_indices(rng, n + 1)
    t0 = time.perf_counter()
    sim.evaluate(idx[:1])
    first = time.perf_counter() - t0
    designs = sim.space.to_columns(idx[1:])
    cold, warm = [], []
    for i in range(n):
        one = {k: v[i:i + 1] for k, v in designs.items()}
        c0 = time.process_time()
        sim.evaluate(one)
        cold.append(time.process_time() - c0)
        other = dict(one, ifmap_sram_kB=one["filter_sram_kB"], filter_sram_kB=one["ofmap_sram_kB"],
                     ofmap_sram_kB=one["ifmap_sram_kB"], dram_bw=np.maximum(one["dram_bw"] // 2, 1))
        c0 = time.process_time()
        sim.evaluate(other)
        warm.append(time.process_time() - c0)
    return first, cold, warm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--resnet-designs", type=int, default=10, help="random designs for the exact-mode timing")
    args = ap.parse_args()
    python = os.environ.get(ENV_VAR)
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}\n")
    if python:
        start = startup_cpu(python)
        print(f"SCALE-Sim interpreter start-up + import: {start:.2f} s CPU per run (subtracted below)\n")
    else:
        start = 0.0
        print(f"{ENV_VAR} is not set: SCALE-Sim columns are omitted, only the models were timed.\n")
    print("| layer | design | SCALE-Sim wall s | SCALE-Sim CPU s | closed form µs (one call) | closed form µs "
          "per (layer, design) in batch | exact mode CPU ms | SCALE-Sim CPU / exact CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for name, topo in LAYERS.items():
        for d in DESIGNS:
            tag = f"{d['rows']}×{d['cols']} {d['dataflow']} {d['ifmap_sram_kB']} kB bw {d['dram_bw']}"
            single, pair = time_model(topo, d, args.repeat)
            ex = exact_cpu(topo, d, args.repeat)
            if python:
                wall, cpu = time_scalesim(python, topo, d)
                ss = cpu - start
                print(f"| {name} | {tag} | {wall:.1f} | {ss:.2f} | {single * 1e6:.0f} | {pair * 1e6:.3f} | "
                      f"{ex * 1e3:.2f} | {ss / ex:,.0f}× |")
            else:
                print(f"| {name} | {tag} | – | – | {single * 1e6:.0f} | {pair * 1e6:.3f} | {ex * 1e3:.2f} | – |")
    dps, pps, L = throughput(args.designs, args.repeat)
    print(f"\nBatch throughput (closed form), ResNet-18 ({L} layers), {args.designs:,} random designs: "
          f"{dps:,.0f} designs/s = {pps:,.0f} (layer, design) evaluations/s")
    first, cold, warm = resnet18_exact(args.resnet_designs)
    print(f"\nResNet-18, memory=\"exact\", {args.resnet_designs} random designs, CPU s per design: "
          f"new array/dataflow median {np.median(cold):.2f} (min {min(cold):.2f}, max {max(cold):.2f}); "
          f"array/dataflow seen before median {np.median(warm):.2f} (max {max(warm):.2f}); "
          f"{np.mean(np.array(cold) < 1):.0%} and {np.mean(np.array(warm) < 1):.0%} under 1 s; first call "
          f"{first:.1f} s wall (loads or compiles the numba kernels)")


if __name__ == "__main__":
    main()
