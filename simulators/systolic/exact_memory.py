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

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.simulators.systolic.compute import IS, OS, WS
from archgym.simulators.systolic.topology import Layer

RESULT_KEYS = ("stall_cycles", "total_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def _kernels():
    from archgym.simulators.systolic import exact_kernels  # numba: imported on first use only

    return exact_kernels


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _diag_starts(m: int, n: int) -> np.ndarray:
    d = np.arange(m + n - 1, dtype=np.int64)
    length = np.minimum(d, m - 1) - np.maximum(0, d - n + 1) + 1
    return np.concatenate(([0], np.cumsum(length)))


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
    prev: np.ndarray  # previous / next valid position with the same address (−1: none)
    nxt: np.ndarray


def _stream(layer: Layer, operand: str, fold_rows: bool, n: int, diag: bool, pattern: int,
            block_is_fr: bool, hb: int, pre: int, lanes: int) -> Stream:
    k = _kernels()
    if operand == "filter":
        a, b, kind, geom, links, n_addr = layer.Wn, layer.K, k.FILTER, np.zeros(7, np.int64), False, 0
    else:
        a, b = layer.P, layer.Wn
        g = layer.geometry
        # im2col copies exist only when windows overlap
        overlap = g is not None and (g[2] > g[5] or g[3] > g[5])
        if g is None or not overlap:
            kind, geom = k.GEMM_IFMAP, np.zeros(7, np.int64)
            if g is not None:
                kind = k.CONV_IFMAP
        else:
            kind = k.CONV_IFMAP
        if g is not None:
            H, W, R, S, C, st = g
            geom = np.array([H, W, R, S, C, st, (W - S + st + st - 1) // st], dtype=np.int64)
        links, n_addr = overlap, layer.ifmap_words
    m = (-(-a // n)) * b if fold_rows else (-(-b // n)) * a
    cv, prev, nxt = k.build_stream(diag, fold_rows, n, a, b, kind, geom, links, n_addr)
    has_dup = bool(links and (prev >= 0).any())
    starts = _diag_starts(m, n) if diag else np.zeros(1, np.int64)
    if m * n < 2**31:  # halve what a kept stream costs
        cv, prev, nxt = cv.astype(np.int32), prev.astype(np.int32), nxt.astype(np.int32)
    if not has_dup:
        prev = nxt = np.zeros(0, dtype=cv.dtype)
    return Stream(pattern, block_is_fr, hb, pre, lanes, starts, m, m * n, cv, has_dup, prev, nxt)


def stream(layer: Layer, operand: str, R: int, C: int, df: int) -> Stream:
    """The ``"ifmap"`` or ``"filter"`` stream of a layer on an ``R × C`` array (dataflow ``df``).

    Prefetch matrices: OS stacks the IFMAP's row folds (transposed) and the filter's column folds,
    both read along anti-diagonals; WS stacks the IFMAP's column folds (anti-diagonals) and the
    filter's column folds (row by row); IS stacks the IFMAP's row folds (row by row) and the
    filter's row folds (transposed, anti-diagonals).
    """
    k = _kernels()
    P, Wn, K = layer.P, layer.Wn, layer.K
    if operand == "ifmap":
        if df == OS:
            return _stream(layer, "ifmap", True, R, True, k.DIAG, True, Wn, 0, R)
        if df == WS:
            return _stream(layer, "ifmap", False, R, True, k.DIAG, True, P, R, R)
        return _stream(layer, "ifmap", True, C, False, k.ROWMAJOR, False, 0, 0, C)
    if df == OS:
        return _stream(layer, "filter", False, C, True, k.DIAG, False, Wn, 0, C)
    if df == WS:
        return _stream(layer, "filter", False, C, False, k.ROWMAJOR, False, 0, 0, C)
    return _stream(layer, "filter", True, R, True, k.DIAG, True, K, R, R)


def _prefetch_size(layer: Layer, operand: str, R: int, C: int, df: int) -> tuple[int, int]:
    """(real words V, prefetch-matrix entries with −1 padding) of an operand's stream."""
    P, Wn, K = layer.P, layer.Wn, layer.K
    if operand == "ifmap":
        full = (_ceil(P, R) * R * Wn if df == OS else _ceil(Wn, R) * R * P if df == WS else _ceil(P, C) * C * Wn)
        return layer.ifmap_entries, full
    return Wn * K, (_ceil(Wn, R) * R * K if df == IS else _ceil(K, C) * C * Wn)


def _read_buffer(layer: Layer, operand: str, R: int, C: int, df: int, n_fc: int, n_fr: int, cyc: int,
                 kB: int, bw: int, cache: dict[Any, Stream] | None) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(event rows, prefetches per event row, cycles per prefetch, DRAM words read)."""
    total = kB * 1024
    active = _ceil(total, 2)
    half = total - active
    eps = _ceil(total, 100)
    V, full = _prefetch_size(layer, operand, R, C, df)
    n_lines = V // eps + 1
    a_lines = min(_ceil(active, eps), n_lines)
    b_lines = min(_ceil(half, eps), n_lines - a_lines)
    first = min(_ceil(active, bw), _ceil(full, bw))
    per = _ceil(half, bw)
    if a_lines == n_lines:  # the whole stream fits in the window: no prefetch, no stream needed
        return _NONE, _NONE, per + 1, first * bw
    # the stream depends on one array dimension only: the fold width of that operand
    fold = R if (operand == "ifmap") != (df == IS) else C
    key = (layer, operand, fold, df)
    s = cache.get(key) if cache is not None else None
    if s is None:
        s = stream(layer, operand, R, C, df)
        if cache is not None:
            cache[key] = s
    rows, cnt = _kernels().read_misses(s.pattern, n_fc, n_fr, cyc, s.block_is_fr, s.hb, s.pre, s.lanes,
                                       s.m_rows, s.diag_start, layer.Wn, C, R, s.cv, eps, n_lines, a_lines,
                                       b_lines, s.has_dup, s.prev, s.nxt)
    return rows, cnt, per + 1, (first + int(cnt.sum()) * per) * bw


_NONE = np.zeros(0, dtype=np.int64)


def layer_memory(layer: Layer, R: int, C: int, df: int, sram_kB: tuple[int, int, int], bw: int,
                 cache: StreamCache | dict[Any, Stream] | None = None) -> dict[str, int]:
    """SCALE-Sim 3.0.0's stall cycles, total cycles and DRAM counts for one layer and design.

    Args:
        layer: the layer (its ``geometry`` gives the im2col addresses; none means a plain GEMM).
        R, C: array rows and columns.  df: dataflow code (0 os, 1 ws, 2 is).
        sram_kB: IFMAP, filter and OFMAP SRAM sizes in kB (1-byte words).
        bw: DRAM bandwidth of every channel, words per cycle (any positive integer).
        cache: optional :class:`StreamCache` (or dict) that keeps prefetch streams across calls.
    """
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
    ev_i, cnt_i, step_i, rd_i = _read_buffer(layer, "ifmap", R, C, df, n_fc, n_fr, cyc, sram_kB[0], bw, cache)
    ev_f, cnt_f, step_f, rd_f = _read_buffer(layer, "filter", R, C, df, n_fc, n_fr, cyc, sram_kB[1], bw, cache)
    o_total = sram_kB[2] * 1024
    o_active = _ceil(o_total, 2)
    stall, total, writes = _kernels().timing(n_fc, n_fr, cyc, o_lo, o_hi, df == OS, o_ext, R, C, P,
                                             ev_i, cnt_i, step_i, ev_f, cnt_f, step_f,
                                             o_total, o_active, bw, _ceil(o_total - o_active, bw))
    return {"stall_cycles": int(stall), "total_cycles": int(total), "dram_ifmap_reads": rd_i,
            "dram_filter_reads": rd_f, "dram_ofmap_writes": int(writes)}


class StreamCache:
    """Prefetch streams kept across evaluations, least recently used first out, within a byte
    budget.  A stream depends only on (layer, operand, fold width, dataflow), so a search that
    revisits array sizes and dataflows reuses them; results never depend on the cache."""

    def __init__(self, max_bytes: int = 768 * 2**20):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Any, Stream] = OrderedDict()
        self._bytes = 0

    @staticmethod
    def _size(s: Stream) -> int:
        return s.cv.nbytes + s.prev.nbytes + s.nxt.nbytes + s.diag_start.nbytes

    def get(self, key: Any) -> Stream | None:
        s = self._items.get(key)
        if s is not None:
            self._items.move_to_end(key)
        return s

    def __setitem__(self, key: Any, s: Stream) -> None:
        size = self._size(s)
        if size > self.max_bytes:
            return
        self._items[key] = s
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self._bytes -= self._size(old)


def network_memory(layers: tuple[Layer, ...], d: dict[str, np.ndarray],
                   cache: StreamCache | None = None) -> dict[str, np.ndarray]:
    """:func:`layer_memory` for every (design, layer): arrays of shape (designs, layers).

    ``d`` holds design columns (``rows``, ``cols``, ``dataflow``, the three ``*_sram_kB`` and
    ``dram_bw``).  Designs are visited grouped by (rows, cols, dataflow), so designs that differ
    only in SRAM sizes and bandwidth share their prefetch streams.
    """
    cache = cache if cache is not None else StreamCache()
    from archgym.simulators.systolic.compute import dataflow_code

    n, L = len(d["rows"]), len(layers)
    out = {k: np.zeros((n, L), dtype=np.int64) for k in RESULT_KEYS}
    df = dataflow_code(d["dataflow"])
    keys = np.stack([np.asarray(d["rows"], dtype=np.int64), np.asarray(d["cols"], dtype=np.int64), df], axis=1)
    _, group = np.unique(keys, axis=0, return_inverse=True)
    for g in np.unique(group):
        for i in np.flatnonzero(group == g):
            R, C, f = (int(v) for v in keys[i])
            sram = tuple(int(d[k][i]) for k in ("ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB"))
            for j, layer in enumerate(layers):
                res = layer_memory(layer, R, C, f, sram, int(d["dram_bw"][i]), cache)  # type: ignore[arg-type]
                for k in RESULT_KEYS:
                    out[k][i, j] = res[k]
    return out
