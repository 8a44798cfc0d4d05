"""Generators of the default workloads in ``data/soc/`` (our own numbers, FARSI-shaped graphs).

Each generator fixes a graph *shape* by hand — modelled on the published FARSI workloads (an MP3-
style audio decoder of 16 tasks and 23 edges, an edge-detection image pipeline, a camera (CAVA)
pipeline) and on NASAIC's multi-DNN workloads — and draws task work and edge bytes around stated
means with a recorded seed (log-normal, σ = 0.15).  Each workload's budgets (latency, power,
area) were set so that about 1–3 % of uniformly random allocation-formulation designs meet all
three: attainable, not trivial.  DNN layers are exact layer shapes; a core
runs them at ``CoreTemplate.dnn_macs_per_instr`` MACs per instruction.

The audio decoder is sized like FARSI's: ≈12.5 M reference instructions (≈6.3 ms on one A53 at
2e9 instructions/s) and ≈3 MB of traffic.  Regenerate the data files with
``python -m archgym.simulators.soc.generators DIR`` (a test checks they match).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from archgym.simulators.soc.templates import DNN_KIND, CoreTemplate
from archgym.simulators.soc.workload import Task, TaskGraph
from archgym.simulators.systolic import Layer

SIGMA = 0.15
NodeSpec = tuple[str, str, float, int]  # name, kind, mean work (M instructions), max_unroll
EdgeSpec = tuple[str, str, float]  # src, dst, mean kB


def _build(name: str, seed: int, nodes: Sequence[NodeSpec], edges: Sequence[EdgeSpec],
           budgets: dict[str, float], deadlines: dict[str, float] | None = None,
           layers: dict[str, Layer] | None = None) -> TaskGraph:
    rng = np.random.default_rng(seed)
    layers = layers or {}
    deadlines = deadlines or {}
    index = {n[0]: i for i, n in enumerate(nodes)}
    macs_per_instr = CoreTemplate().dnn_macs_per_instr
    tasks = []
    for tname, kind, work_M, unroll in nodes:
        if kind == DNN_KIND:
            lay = layers[tname]
            tasks.append(Task(tname, kind, float(np.ceil(lay.macs / macs_per_instr)), unroll,
                              deadlines.get(tname), (lay.P, lay.Wn, lay.K, lay.ifmap_words)))
        else:
            work = round(work_M * 1e6 * float(np.exp(rng.normal(0.0, SIGMA))))
            tasks.append(Task(tname, kind, float(work), unroll, deadlines.get(tname)))
    out = []
    for src, dst, kB in edges:
        if src in layers:  # a layer's output feature map, 1 byte per word
            nbytes = layers[src].ofmap_words
        else:
            nbytes = round(kB * 1024 * float(np.exp(rng.normal(0.0, SIGMA))))
        out.append((index[src], index[dst], float(nbytes)))
    return TaskGraph(name, tuple(tasks), tuple(out), budgets, seed, f"archgym.simulators.soc.generators:{name}")


def audio_decoder(seed: int = 1) -> TaskGraph:
    """MP3-style decoder of one stereo frame: 16 tasks, 23 edges."""
    nodes: list[NodeSpec] = [("parse", "bitstream", 0.5, 2)]
    for ch in "LR":
        nodes += [(f"huffman_{ch}", "huffman", 1.2, 4), (f"dequant_{ch}", "dequant", 0.6, 16)]
    nodes += [("stereo", "dequant", 0.5, 16)]
    for ch in "LR":
        nodes += [(f"reorder_{ch}", "shuffle", 0.3, 16), (f"antialias_{ch}", "shuffle", 0.4, 8),
                  (f"imdct_{ch}", "imdct", 1.6, 16), (f"freqinv_{ch}", "shuffle", 0.3, 16)]
    nodes += [("synthesis", "filterbank", 2.2, 16), ("pcm_out", "filterbank", 0.3, 4)]
    edges: list[EdgeSpec] = [("parse", "stereo", 4), ("parse", "synthesis", 4)]
    for ch in "LR":
        edges += [("parse", f"huffman_{ch}", 120), (f"huffman_{ch}", f"dequant_{ch}", 150),
                  (f"dequant_{ch}", "stereo", 150), ("stereo", f"reorder_{ch}", 150),
                  (f"reorder_{ch}", f"antialias_{ch}", 150), (f"antialias_{ch}", f"imdct_{ch}", 150),
                  ("parse", f"imdct_{ch}", 4), (f"imdct_{ch}", f"freqinv_{ch}", 150),
                  (f"freqinv_{ch}", "synthesis", 150)]
    edges += [("stereo", "synthesis", 8), ("parse", "pcm_out", 2), ("synthesis", "pcm_out", 200)]
    return _build("audio_decoder", seed, nodes, edges,
                  {"latency_ms": 4.5, "power_mW": 80.0, "area_mm2": 5.5})


def edge_detection(seed: int = 2) -> TaskGraph:
    """Canny-style edge detection of a 640×480 frame split in four tiles: 14 tasks."""
    nodes: list[NodeSpec] = [("read", "io", 0.3, 2), ("grayscale", "color", 0.9, 16)]
    nodes += [(f"gauss_{i}", "conv2d", 1.5, 16) for i in range(4)]
    nodes += [(f"sobel_{i}", "conv2d", 2.0, 16) for i in range(4)]
    nodes += [("magnitude", "magnitude", 1.2, 16), ("nms", "magnitude", 1.5, 8),
              ("threshold", "threshold", 0.5, 16), ("hysteresis", "threshold", 1.5, 4)]
    edges: list[EdgeSpec] = [("read", "grayscale", 900)]
    for i in range(4):
        edges += [("grayscale", f"gauss_{i}", 75), (f"gauss_{i}", f"sobel_{i}", 75),
                  (f"sobel_{i}", "magnitude", 150)]
    edges += [("magnitude", "nms", 600), ("nms", "threshold", 300), ("threshold", "hysteresis", 300)]
    return _build("edge_detection", seed, nodes, edges, {"latency_ms": 5.0, "power_mW": 70.0, "area_mm2": 5.0})


def camera_pipeline(seed: int = 3) -> TaskGraph:
    """CAVA-style camera pipeline (raw → RGB → tone-mapped output), two tiles: 11 tasks."""
    nodes: list[NodeSpec] = [("raw_in", "io", 0.3, 2), ("scale", "scale", 1.0, 16)]
    nodes += [(f"demosaic_{i}", "demosaic", 2.5, 16) for i in range(2)]
    nodes += [(f"denoise_{i}", "denoise", 4.0, 16) for i in range(2)]
    nodes += [("transform", "color", 1.5, 16), ("gamut", "color", 2.0, 16), ("tonemap", "color", 1.2, 16),
              ("descale", "scale", 0.8, 16), ("write_out", "io", 0.3, 2)]
    edges: list[EdgeSpec] = [("raw_in", "scale", 600)]
    for i in range(2):
        edges += [("scale", f"demosaic_{i}", 300), (f"demosaic_{i}", f"denoise_{i}", 900),
                  (f"denoise_{i}", "transform", 900)]
    edges += [("transform", "gamut", 1800), ("gamut", "tonemap", 1800), ("tonemap", "descale", 1800),
              ("descale", "write_out", 600), ("scale", "transform", 4)]
    return _build("camera_pipeline", seed, nodes, edges, {"latency_ms": 8.0, "power_mW": 110.0, "area_mm2": 5.0})


def multi_dnn(seed: int = 4) -> TaskGraph:
    """Two DNNs sharing the SoC (NASAIC-style): a small CNN detector and a keyword spotter."""
    layers = {
        "conv1": Layer.conv("conv1", 130, 130, 3, 3, 3, 16, 2),
        "conv2": Layer.conv("conv2", 66, 66, 3, 3, 16, 32, 1),
        "conv3": Layer.conv("conv3", 66, 66, 3, 3, 32, 64, 2),
        "conv4": Layer.conv("conv4", 34, 34, 3, 3, 64, 64, 1),
        "conv5": Layer.conv("conv5", 34, 34, 3, 3, 64, 128, 2),
        "det_head": Layer.gemm("det_head", 256, 32, 128),
        "kws_fc1": Layer.gemm("kws_fc1", 49, 128, 40),
        "kws_fc2": Layer.gemm("kws_fc2", 49, 128, 128),
        "kws_fc3": Layer.gemm("kws_fc3", 1, 12, 6272),
    }
    nodes: list[NodeSpec] = [("cam_in", "io", 0.2, 2), ("resize", "resize", 1.5, 16)]
    nodes += [(n, DNN_KIND, 0.0, 1) for n in ("conv1", "conv2", "conv3", "conv4", "conv5", "det_head")]
    nodes += [("nms", "postproc", 0.6, 4), ("mic_in", "io", 0.1, 2), ("mfcc", "mfcc", 1.0, 16)]
    nodes += [(n, DNN_KIND, 0.0, 1) for n in ("kws_fc1", "kws_fc2", "kws_fc3")]
    nodes += [("kws_out", "postproc", 0.05, 1)]
    chain = ["cam_in", "resize", "conv1", "conv2", "conv3", "conv4", "conv5", "det_head", "nms"]
    kws = ["mic_in", "mfcc", "kws_fc1", "kws_fc2", "kws_fc3", "kws_out"]
    means = {"cam_in": 600, "resize": 50, "mic_in": 32, "mfcc": 2, "det_head": 0, "kws_fc3": 0}
    edges: list[EdgeSpec] = [(a, b, means.get(a, 0.0)) for path in (chain, kws) for a, b in zip(path, path[1:], strict=False)]
    return _build("multi_dnn", seed, nodes, edges, {"latency_ms": 3.0, "power_mW": 90.0, "area_mm2": 8.0},
                  deadlines={"kws_out": 2.0}, layers=layers)


GENERATORS: dict[str, Callable[[], TaskGraph]] = {
    "audio_decoder": audio_decoder, "edge_detection": edge_detection,
    "camera_pipeline": camera_pipeline, "multi_dnn": multi_dnn,
}


def write_defaults(directory: str | Path) -> list[Path]:
    """Write every default workload as ``<directory>/<name>.json``; returns the paths."""
    out = []
    for name, gen in GENERATORS.items():
        path = Path(directory) / f"{name}.json"
        gen().save(path)
        out.append(path)
    return out


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    for p in write_defaults(sys.argv[1] if len(sys.argv) > 1 else "data/soc"):
        print(p)
