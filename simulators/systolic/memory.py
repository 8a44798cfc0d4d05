"""DRAM traffic and stall cycles for a double-buffered scratchpad with finite DRAM bandwidth.

Model (first order; its error against SCALE-Sim is measured in experiments/, not assumed):

* Each operand (IFMAP, filter, OFMAP) has its own SRAM, split in halves (double buffering), and its
  own DRAM channel of ``bw`` words/cycle, as in SCALE-Sim's ``double_buffered_scratchpad_mem``.
* DRAM reads of an operand equal its unique size when it fits in half its SRAM; otherwise the
  operand is re-fetched for every pass over it, i.e. DRAM reads = SRAM reads.
* OFMAP: WS/IS spill partial sums, so DRAM writes = SRAM writes; OS writes each output once.
* Stalls: the first fold's operands are fetched before compute starts (no overlap); later folds'
  fetches overlap compute, so the run takes ``max(compute, slowest channel's transfer time)``.
"""

from __future__ import annotations

import numpy as np

from archgym.simulators.systolic.compute import OS


def dram_traffic(c: dict[str, np.ndarray], ifmap_words: np.ndarray, df: np.ndarray,
                 sram_words: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """DRAM words per operand: ``dram_ifmap_reads``, ``dram_filter_reads``, ``dram_ofmap_writes``."""
    ifm_sram, fil_sram, _ = sram_words
    unique_ifmap = np.asarray(ifmap_words, dtype=np.int64)
    ifmap = np.where(unique_ifmap <= ifm_sram // 2, unique_ifmap, c["sram_ifmap_reads"])
    filt = np.where(c["filter_words"] <= fil_sram // 2, c["filter_words"], c["sram_filter_reads"])
    ofmap = np.where(np.asarray(df) == OS, c["ofmap_words"], c["sram_ofmap_writes"])
    return {"dram_ifmap_reads": ifmap, "dram_filter_reads": filt, "dram_ofmap_writes": ofmap}


def stall_cycles(c: dict[str, np.ndarray], traffic: dict[str, np.ndarray], bw: np.ndarray) -> np.ndarray:
    """Cycles the array waits for DRAM, given per-operand channels of ``bw`` words/cycle."""
    bw = np.asarray(bw, dtype=float)
    folds = c["folds"].astype(float)
    per_channel = np.stack([traffic[k] for k in ("dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")])
    transfer = per_channel.max(axis=0) / bw
    first_fill = (traffic["dram_ifmap_reads"] + traffic["dram_filter_reads"]) / folds / bw
    compute = c["compute_cycles"].astype(float)
    return np.ceil(np.maximum(transfer + first_fill - compute, 0.0))
