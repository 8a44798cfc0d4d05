"""DRAM traffic and stall cycles of SCALE-Sim's double-buffered scratchpads, in closed form.

How SCALE-Sim (3.0, USER bandwidth mode) behaves — ``memory/read_buffer.py``,
``write_buffer.py``, ``double_buffered_scratchpad_mem.py`` — and what this model keeps of it:

* **Fetch stream.**  Each read operand (IFMAP, filter) is fetched from DRAM in a fixed order, its
  *fetch stream* of ``S`` words: the operand matrix the array consumes, fold by fold, including
  im2col duplicates (``S = P·Wn`` for the IFMAP, ``Wn·K`` for the filter).
* **Circular window.**  Half of the SRAM (``H`` words) is the active buffer, a window over the
  stream; on a miss the window advances by another half-buffer, fetched at ``bw`` words/cycle.
  The window only moves forward, modulo the stream.  The first fill is issued "before cycle 0",
  so it costs no stall.
* **Laps.**  If the stream fits (``S ≤ H``) it is read once.  Otherwise every half-buffer of
  demand tends to end with a word the window has already passed (the skewed, diagonal order
  inside a fold straddles window boundaries), and the window must go a full lap round the
  stream to find it.  The model charges one lap of ``S`` words per half-buffer of demand
  ``D/H`` (``D`` = SRAM reads), at most one lap per fold and at least the unavoidable re-reads
  (one lap per column fold for the WS/OS IFMAP), i.e. reads = ``S · clip(D/H, laps_min, folds)``.
  This matches SCALE-Sim on GEMMs of every dataflow (conv layers: see the failure modes).
* **OFMAP.**  WS/IS spill partial sums once per row fold, so DRAM writes = SRAM writes
  (``P·K·F_r``); OS writes each output once (``P·K``, without SCALE-Sim's per-fold SRAM quirk).
  The last half-buffer drains after the last compute cycle, outside the reported total.
* **Stalls.**  Every channel is its own DRAM port of ``bw`` words/cycle.  SCALE-Sim prefetches
  back to back on each channel's own timeline, so idle channel time is banked and a layer
  stalls by how much its slowest channel's busy time exceeds compute:
  ``stall = max(0, max_ch (traffic_ch − H_ch)/bw − compute)`` (the free first fill, or the
  untimed final drain, is the ``H_ch`` term).

Measured error (26 single-layer USER-mode cases, experiments/systolic/validate_stalls.py, stored
in tests/test_systolic_stalls.py): stall cycles median 11 % (GEMMs 1.6 %), IFMAP reads median
10 %, filter reads median 0 %, OFMAP writes exact.  The stall formula itself is near exact —
fed SCALE-Sim's own DRAM counts it is within 5 % on 25 of the 26 cases (median 0.6 %), 37 % off
on the last (see below) — so almost all the error is in predicting re-reads.

Known failure modes:

* Conv layers: im2col duplicates let the window hit a copy of a word instead of lapping, so
  re-reads are far fewer than the GEMM rule says; the model uses the geometric mean of the
  unavoidable laps and ``D/(H·dup)`` (``dup = S / unique``), a coarse fit (±50 %, IS convs
  under-predicted by ~2–5×).
* Fold sections much longer than half the SRAM (e.g. 1×1 convs with few row folds) lap only once
  per column fold; the ``D/H`` rule over-predicts those by 2–6×, and predicts stalls where
  SCALE-Sim has none when the whole layer is barely bandwidth bound.
* IS with many row folds on a small filter SRAM (one case: 16×32 IS, 8 kB) laps far less than
  ``D/H``; when two channels are both near their limit, SCALE-Sim's per-row ``max`` of channel
  stalls and its double-counted miss stall (``offset += 2·p`` in ``read_buffer.service_reads``)
  add up to ~50 % more stall than the slowest-channel rule.
"""

from __future__ import annotations

import numpy as np

from archgym.simulators.systolic.compute import IS, OS


def _laps(stream: np.ndarray, demand: np.ndarray, half: np.ndarray, folds: np.ndarray,
          dup: np.ndarray, min_laps: np.ndarray) -> np.ndarray:
    """Passes over a fetch stream (see the module docstring).

    1 if the stream fits in half the SRAM; else one lap per half-buffer of demand, ``D/H``
    (capped at one per fold), or for streams with im2col duplicates (``dup > 1``) the geometric
    mean of the unavoidable laps and ``D/(H·dup)``.
    """
    g = demand / half
    dup_g = np.sqrt(min_laps * g / dup)
    laps = np.where(dup > 1.0, dup_g, g)
    laps = np.clip(laps, np.minimum(min_laps, folds), folds)
    return np.where(stream <= half, 1.0, np.maximum(laps, 1.0))


def dram_traffic(c: dict[str, np.ndarray], ifmap_words: np.ndarray, df: np.ndarray,
                 sram_words: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """DRAM words per operand: ``dram_ifmap_reads``, ``dram_filter_reads``, ``dram_ofmap_writes``.

    Args:
        c: output of :func:`~archgym.simulators.systolic.compute.compute`.
        ifmap_words: distinct IFMAP words per layer (H·W·C, or M·K for a GEMM).
        df: dataflow codes.
        sram_words: IFMAP, filter and OFMAP SRAM sizes in words (1-byte words).
    """
    ifm_sram, fil_sram, _ = sram_words
    df = np.asarray(df)
    ifm_half = np.maximum(ifm_sram // 2, 1).astype(float)
    fil_half = np.maximum(fil_sram // 2, 1).astype(float)
    stream_i = (c["sram_ifmap_reads"] // np.where(df == IS, 1, c["folds_c"])).astype(float)  # P·Wn
    stream_f = c["filter_words"].astype(float)
    unique_i = np.minimum(np.asarray(ifmap_words, dtype=float), stream_i)
    dup = np.maximum(stream_i / unique_i, 1.0)  # im2col duplication; 1 for GEMMs
    folds = c["folds"].astype(float)
    # IFMAP re-reads per column fold (WS/OS) cannot be avoided by duplicates
    min_laps_i = np.where(df == IS, 1.0, c["folds_c"].astype(float))
    laps_i = _laps(stream_i, c["sram_ifmap_reads"].astype(float), ifm_half, folds, dup, min_laps_i)
    laps_f = _laps(stream_f, c["sram_filter_reads"].astype(float), fil_half, folds, np.ones_like(dup), 1.0)
    ifmap = np.ceil(stream_i * laps_i).astype(np.int64)
    filt = np.ceil(stream_f * laps_f).astype(np.int64)
    ofmap = np.where(df == OS, c["ofmap_words"], c["sram_ofmap_writes"])
    return {"dram_ifmap_reads": ifmap, "dram_filter_reads": filt, "dram_ofmap_writes": ofmap}


def stall_cycles(c: dict[str, np.ndarray], traffic: dict[str, np.ndarray], bw: np.ndarray,
                 sram_words: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Cycles the array waits for DRAM, given per-operand channels of ``bw`` words/cycle.

    The free first fill (reads) or untimed last drain (OFMAP) of half of each SRAM is taken off
    that channel's traffic; the slowest channel sets the pace (see the module docstring).
    """
    bw = np.asarray(bw, dtype=float)
    busy = [np.maximum(traffic[k] - np.minimum(s // 2, traffic[k]), 0) / bw
            for k, s in zip(("dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes"), sram_words, strict=True)]
    slowest = np.maximum(np.maximum(busy[0], busy[1]), busy[2])
    return np.ceil(np.maximum(slowest - c["compute_cycles"], 0.0))
