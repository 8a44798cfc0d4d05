"""``memory="exact"``: a replica of SCALE-Sim 3.0.0's USER-bandwidth memory system.

It gives SCALE-Sim's stall cycles, total cycles and DRAM read/write counts *exactly* (checked on
every case of ``experiments/systolic/validation_scalesim_3.0.0.json``), without simulating it the
way SCALE-Sim does.  What SCALE-Sim does (``memory/read_buffer.py``, ``write_buffer.py``,
``double_buffered_scratchpad_mem.py``, ``compute/systolic_compute_{os,ws,is}.py``), re-derived
here and implemented independently:

* **Prefetch order.**  Each read operand's *prefetch matrix* is its operand matrix cut into
  array-wide folds and stacked; OS/WS IFMAP, OS filter and IS filter are then read along
  anti-diagonals (the skew of the array), WS filter and IS IFMAP row by row.  Entries of −1
  (the unused lanes of a partial fold, and im2col window positions that fall off the IFMAP when
  the stride does not divide it) take room in DRAM lines but are never looked up.
* **Hashed lines and the window.**  The valid entries are grouped in *lines* of
  ``ceil(SRAM words / 100)`` entries.  The active half of the buffer is a window of
  ``ceil(half / line)`` lines; a demand word misses when neither its own entry nor (im2col
  duplicates) any other copy of its address lies in the window, and each miss moves the window
  on by the prefetch half, circularly over all lines, until the word is in it.
* **Demand.**  Every demand row (one cycle) of a read buffer is a contiguous run of its prefetch
  order, so a row is checked in O(1) plus one step per miss, not one step per word; only words
  outside the window whose address has copies elsewhere are checked one by one.  Hits and misses
  depend on the order of words only, so they are found once per operand, before any timing.
* **Timing.**  DRAM starts with the first ``ceil(half / bw)`` lines of ``bw`` words, placed
  before cycle 0 (free); each prefetch then takes ``ceil(half / bw) + 1`` cycles after the
  previous one.  In a row with misses the row's offset starts at the hit latency (1) and each
  prefetch adds ``p = done − (cycle + offset)`` to it, and a positive ``p`` once more (SCALE-Sim
  adds it twice); a negative ``p`` pulls the row earlier.  The OFMAP write buffer fills
  ``bw``-wide lines and drains half a buffer at a time, one line per cycle, stalling the row when
  it is full during a drain.  Each row stalls by the largest of the three buffers' stalls.
* **Counts.**  DRAM reads = (first fill + prefetches · prefetch lines) · ``bw`` words, including
  the −1 entries; OFMAP writes count whole drained lines except the unused tail of each drain's
  last line.

Why numba: the replay is sequential (each row's stall shifts every later row, the window state is
carried from word to word), which numpy cannot vectorise; compiled, it costs nanoseconds per
cycle.  numba is imported (and the kernels compiled, then cached on disk) only when the exact
mode is first used, so ``import archgym`` and the default closed form do not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.simulators.systolic.compute import OS, WS
from archgym.simulators.systolic.topology import Layer

RESULT_KEYS = ("stall_cycles", "total_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def _kernels():
    from archgym.simulators.systolic import exact_kernels  # numba: imported on first use only

    return exact_kernels


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def ifmap_matrix(layer: Layer) -> np.ndarray:
    """The ``P × Wn`` IFMAP operand matrix of addresses (−1 where a window leaves the IFMAP)."""
    P, Wn = layer.P, layer.Wn
    if layer.geometry is None:  # an abstract GEMM: every operand word distinct
        return np.arange(P * Wn, dtype=np.int64).reshape(P, Wn)
    H, W, R, S, C, st = layer.geometry
    ew = (W - S + st + st - 1) // st
    oh, ow = np.divmod(np.arange(P, dtype=np.int64), ew)
    r, rest = np.divmod(np.arange(Wn, dtype=np.int64), S * C)
    s, ch = np.divmod(rest, C)
    ih = oh[:, None] * st + r[None, :]
    iw = ow[:, None] * st + s[None, :]
    addr = (ih * W + iw) * C + ch[None, :]
    return np.where((ih < H) & (iw < W), addr, -1)


def _fold_rows(mat: np.ndarray, n: int) -> np.ndarray:
    """Cut the rows into folds of ``n`` (−1 padded) and stack each fold's transpose."""
    a, b = mat.shape
    f = _ceil(a, n)
    pad = np.full((f * n, b), -1, dtype=np.int64)
    pad[:a] = mat
    return pad.reshape(f, n, b).transpose(0, 2, 1).reshape(f * b, n)


def _fold_cols(mat: np.ndarray, n: int) -> np.ndarray:
    """Cut the columns into folds of ``n`` (−1 padded) and stack the folds vertically."""
    a, b = mat.shape
    f = _ceil(b, n)
    pad = np.full((a, f * n), -1, dtype=np.int64)
    pad[:, :b] = mat
    return pad.reshape(a, f, n).transpose(1, 0, 2).reshape(f * a, n)


def _diag_starts(m: int, n: int) -> np.ndarray:
    d = np.arange(m + n - 1, dtype=np.int64)
    length = np.minimum(d, m - 1) - np.maximum(0, d - n + 1) + 1
    return np.concatenate(([0], np.cumsum(length)))


def _diag_order(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Entries of ``x`` along anti-diagonals, each from its bottom row up (SCALE-Sim's order)."""
    m, n = x.shape
    r = np.arange(m, dtype=np.int64)[:, None]
    d = r + np.arange(n, dtype=np.int64)[None, :]
    pos = starts[d] + np.minimum(d, m - 1) - r
    out = np.empty(m * n, dtype=np.int64)
    out[pos.ravel()] = x.ravel()
    return out


@dataclass
class Stream:
    """One read operand: its demand pattern and the prefetch order it is checked against."""

    pattern: int
    block_is_fr: bool
    hb: int           # stacked rows per fold block (DIAG)
    pre: int          # idle rows before a fold's first demand (DIAG)
    lanes: int        # array lanes the operand enters on (DIAG)
    diag_start: np.ndarray
    m_rows: int
    full: int         # prefetch matrix size, −1 entries included
    cv: np.ndarray    # valid entries before each full position
    has_dup: bool
    addr: np.ndarray  # address of each valid entry
    occ_start: np.ndarray
    occ: np.ndarray   # valid positions of each address, by address


def _stream(order: np.ndarray, pattern: int, x: np.ndarray, block_is_fr: bool, hb: int, pre: int,
            lanes: int, starts: np.ndarray, check_dup: bool) -> Stream:
    valid = order >= 0
    cv = np.zeros(order.size + 1, dtype=np.int64)
    np.cumsum(valid, out=cv[1:])
    addr = order[valid]
    empty = np.zeros(1, dtype=np.int64)
    occ_start, occ, has_dup = empty, empty, False
    if check_dup and addr.size:
        counts = np.bincount(addr)
        if counts.max() > 1:
            has_dup = True
            occ_start = np.concatenate(([0], np.cumsum(counts)))
            occ = _kernels().positions_by_address(addr, occ_start)
    return Stream(pattern, block_is_fr, hb, pre, lanes, starts, x.shape[0], order.size, cv, has_dup,
                  addr if has_dup else empty, occ_start, occ)


def streams(layer: Layer, R: int, C: int, df: int) -> tuple[Stream, Stream]:
    """(IFMAP, filter) streams of a layer on an ``R × C`` array with dataflow code ``df``."""
    k = _kernels()
    ifm = ifmap_matrix(layer)
    fil = (np.arange(layer.K, dtype=np.int64)[None, :] * layer.Wn
           + np.arange(layer.Wn, dtype=np.int64)[:, None])
    conv = layer.geometry is not None
    if df == OS:
        xi, xf = _fold_rows(ifm, R), _fold_cols(fil, C)
        si, sf = _diag_starts(*xi.shape), _diag_starts(*xf.shape)
        return (_stream(_diag_order(xi, si), k.DIAG, xi, True, layer.Wn, 0, R, si, conv),
                _stream(_diag_order(xf, sf), k.DIAG, xf, False, layer.Wn, 0, C, sf, False))
    if df == WS:
        xi, xf = _fold_cols(ifm, R), _fold_cols(fil, C)
        si = _diag_starts(*xi.shape)
        return (_stream(_diag_order(xi, si), k.DIAG, xi, True, layer.P, R, R, si, conv),
                _stream(xf.ravel(), k.ROWMAJOR, xf, False, 0, 0, C, si[:1], False))
    xi, xf = _fold_rows(ifm, C), _fold_rows(fil, R)
    sf = _diag_starts(*xf.shape)
    return (_stream(xi.ravel(), k.ROWMAJOR, xi, False, 0, 0, C, sf[:1], conv),
            _stream(_diag_order(xf, sf), k.DIAG, xf, True, layer.K, R, R, sf, False))


def _read_buffer(s: Stream, n_fc: int, n_fr: int, cyc: int, R: int, C: int, Wn: int, kB: int,
                 bw: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(event rows, prefetches per event row, cycles per prefetch, DRAM words read)."""
    total = kB * 1024
    active = _ceil(total, 2)
    half = total - active
    eps = _ceil(total, 100)
    V = int(s.cv[-1])
    n_lines = V // eps + 1
    a_lines = min(_ceil(active, eps), n_lines)
    b_lines = min(_ceil(half, eps), n_lines - a_lines)
    rows, cnt = _kernels().read_misses(s.pattern, n_fc, n_fr, cyc, s.block_is_fr, s.hb, s.pre, s.lanes,
                                       s.m_rows, s.diag_start, Wn, C, R, s.cv, eps, n_lines, a_lines,
                                       b_lines, s.has_dup, s.addr, s.occ_start, s.occ)
    first = min(_ceil(active, bw), _ceil(s.full, bw))
    per = _ceil(half, bw)
    return rows, cnt, per + 1, (first + int(cnt.sum()) * per) * bw


def layer_memory(layer: Layer, R: int, C: int, df: int, sram_kB: tuple[int, int, int], bw: int,
                 cache: dict[Any, tuple[Stream, Stream]] | None = None) -> dict[str, int]:
    """SCALE-Sim 3.0.0's stall cycles, total cycles and DRAM counts for one layer and design.

    Args:
        layer: the layer (its ``geometry`` gives the im2col addresses; none means a plain GEMM).
        R, C: array rows and columns.  df: dataflow code (0 os, 1 ws, 2 is).
        sram_kB: IFMAP, filter and OFMAP SRAM sizes in kB (1-byte words).
        bw: DRAM bandwidth of every channel, words per cycle (any positive integer).
        cache: optional dict reused across calls to keep the prefetch streams of (layer, R, C, df).
    """
    key = (layer, R, C, df)
    if cache is not None and key in cache:
        si, sf = cache[key]
    else:
        si, sf = streams(layer, R, C, df)
        if cache is not None:
            cache[key] = (si, sf)
    P, Wn, K = layer.P, layer.Wn, layer.K
    if df == OS:
        n_fr, n_fc, cyc = _ceil(P, R), _ceil(K, C), Wn + R + C - 2
        o_lo, o_hi, o_ext = Wn - 1, Wn - 1 + R, K
    elif df == WS:
        n_fr, n_fc, cyc = _ceil(Wn, R), _ceil(K, C), 2 * R + C + P - 2
        o_lo, o_hi, o_ext = 2 * R - 1, 2 * R - 1 + P, K
    else:
        n_fr, n_fc, cyc = _ceil(Wn, R), _ceil(P, C), 2 * R + C + K - 2
        o_lo, o_hi, o_ext = 2 * R - 1, 2 * R - 1 + K, P
    ev_i, cnt_i, step_i, rd_i = _read_buffer(si, n_fc, n_fr, cyc, R, C, Wn, sram_kB[0], bw)
    ev_f, cnt_f, step_f, rd_f = _read_buffer(sf, n_fc, n_fr, cyc, R, C, Wn, sram_kB[1], bw)
    o_total = sram_kB[2] * 1024
    o_active = _ceil(o_total, 2)
    stall, total, writes = _kernels().timing(n_fc, n_fr, cyc, o_lo, o_hi, df == OS, o_ext, R, C, P,
                                             ev_i, cnt_i, step_i, ev_f, cnt_f, step_f,
                                             o_total, o_active, bw, _ceil(o_total - o_active, bw))
    return {"stall_cycles": int(stall), "total_cycles": int(total), "dram_ifmap_reads": rd_i,
            "dram_filter_reads": rd_f, "dram_ofmap_writes": int(writes)}


def network_memory(layers: tuple[Layer, ...], d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`layer_memory` for every (design, layer): arrays of shape (designs, layers).

    ``d`` holds design columns (``rows``, ``cols``, ``dataflow``, the three ``*_sram_kB`` and
    ``dram_bw``).  Designs are visited grouped by (rows, cols, dataflow), whose prefetch streams
    are built once and dropped when the group is done (they can take tens of MB per layer).
    """
    from archgym.simulators.systolic.compute import dataflow_code

    n, L = len(d["rows"]), len(layers)
    out = {k: np.zeros((n, L), dtype=np.int64) for k in RESULT_KEYS}
    df = dataflow_code(d["dataflow"])
    keys = np.stack([np.asarray(d["rows"], dtype=np.int64), np.asarray(d["cols"], dtype=np.int64), df], axis=1)
    _, group = np.unique(keys, axis=0, return_inverse=True)
    for g in np.unique(group):
        cache: dict[Any, tuple[Stream, Stream]] = {}
        for i in np.flatnonzero(group == g):
            R, C, f = (int(v) for v in keys[i])
            sram = tuple(int(d[k][i]) for k in ("ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB"))
            for j, layer in enumerate(layers):
                res = layer_memory(layer, R, C, f, sram, int(d["dram_bw"][i]), cache)  # type: ignore[arg-type]
                for k in RESULT_KEYS:
                    out[k][i, j] = res[k]
    return out
