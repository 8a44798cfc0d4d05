"""``memory="closed"``: DRAM traffic and stalls of SCALE-Sim 3.0.0's scratchpads in closed form.

The exact replica (:mod:`.exact_memory`) documents what SCALE-Sim does.  This model keeps its
mechanism and replaces the word-by-word replay by counts, vectorised over (design, layer):

* **Window over a prefetch stream.**  A read operand of ``V`` real words streams through half the
  SRAM (``H`` words, the active window).  If ``V ≤ H`` it is read once (its whole prefetch
  matrix, −1 padding included, rounded up to ``bw``-wide lines) and never stalls.  Otherwise the
  window advances circularly by ``step = min(H, V − H)`` words per prefetch, each prefetch moving
  ``ceil(H / bw)`` lines in ``ceil(H / bw) + 1`` cycles.  Prefetches = window movement / step,
  with movement = ``(T − 1)·V + (V − H) + J·lap``: ``T`` in-order passes over the stream and
  ``J`` backward jumps, each of which sends the window once round the stream to the word just
  left behind (``lap = V`` when the window moves by its own size, one step when it moves less).
* **Passes and jumps per dataflow** (``F_r``, ``F_c`` row and column folds):

  - OS/WS IFMAP and IS filter (anti-diagonal streams of ``F_r`` fold blocks): ``T = F_c``; a
    jump at a fold boundary when a window end falls inside the ``≈R²`` words where the two
    folds' skewed diagonals interleave.  Block length and window size are mostly powers of two,
    so where window ends fall is periodic, not random: the boundaries hit are counted exactly
    (a floor sum over the boundaries of one pass).
  - WS filter and IS IFMAP (row-major streams demanded one ``R×C`` fold at a time, rows in
    reverse): ``T = 1``, a jump at every window end the pass crosses (it falls inside a fold,
    whose earlier rows are then behind the window).
  - OS filter (each column fold's block re-read by all ``F_r`` row folds): ``T = 1``, a jump
    for each re-read whose block start has left the window.

  When ``V − H < H`` the window moves less than its size, so a jump only costs one step and
  only happens if the jump reaches back past the overlap.
* **im2col copies.**  In convs with overlapping windows a word missing from the window is often
  found as a copy of itself elsewhere in it; jumps are scaled by fitted factors (OS 1.0, WS 0.25,
  reverse-row folds 0.75: in WS the neighbouring fold holds the copies).
* **OFMAP.**  WS/IS spill partial sums once per row fold (DRAM writes = SRAM writes), OS writes
  each output once.  The write buffer absorbs about one SRAM's worth; the rest drains at ``bw``.
* **Stalls.**  Each channel is busy for (prefetches × cycles per prefetch), or (writes beyond the
  buffer) / ``bw``; total cycles = max(compute, 1.15 × the busiest channel's time).  The 1.15
  (fitted) stands for SCALE-Sim's double-counted waits and for two channels near their limit
  stalling each other; scaling busy time, not the excess, keeps total cycles monotone in compute.

Fitted constants (``_FIT``) were calibrated on the generated SCALE-Sim 3.0.0 validation set
(``experiments/systolic/validation_scalesim_3.0.0.json``, 230 cases).  Measured there (in-sample):
stall error median 16.7 %, p90 57.6 % over the bandwidth-bound cases (held-out halves: 17–28 %,
55–62 %), total cycles median 0.06 %; details in ``experiments/systolic/README.md``, enforced by
``tests/test_systolic_memory.py``.

Known failure modes (see the validation report):

* Convs with overlapping windows (stall median 29 %, p90 70 %): how far the im2col copies carry
  the window is irregular — SCALE-Sim's IFMAP reads can *grow* with the SRAM (a 20×20×3×3×32 OS
  layer reads 0.66 M words at 8 kB, 0.20 M at 32 kB, 0.85 M at 64 kB) and a smooth model cannot
  follow that; such sweeps are where rank correlation with SCALE-Sim is lowest (8 of 26 sweeps
  below 0.95, min 0.58).  Large WS convs are under-predicted most (ResNet-18 conv2, 32×32 WS,
  16 kB, 1 word/cycle: a third of SCALE-Sim's stalls and IFMAP reads).
* Jumps after the first wrap-round (the window's phase after it) are averaged, not tracked:
  GEMMs whose blocks are an exact fraction of the window can be off by 2× in reads.
* Two channels both near their limit: SCALE-Sim stalls each cycle by the worse of the two and
  counts each wait twice; the 1.15 factor averages this, so such layers scatter both ways.
"""

from __future__ import annotations

import numpy as np

from archgym.simulators.systolic.compute import IS, OS, WS

# calibrated on the generated validation set (see the module docstring)
_FIT = {"boundary_span": 0.7, "fold_span": 1.0, "im2col_os": 1.0, "im2col_ws": 0.25, "im2col_rows": 0.75,
        "ofmap_absorb": 0.9, "stall": 1.15}


def _cdiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -(-a // b)


def floor_sum(n: np.ndarray, m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Σ_{j=0}^{n−1} floor((a·j + b) / m)`` for non-negative integers, vectorised.

    The classic Euclid-like reduction (O(log) steps), so counting which of thousands of fold
    boundaries meet a window end costs a few array operations, not a loop over boundaries.
    Entries that are finished drop out of the working arrays, so a batch costs little more than
    its slowest entry's few steps.
    """
    n, m, a, b = (np.array(x, dtype=np.int64).ravel() for x in np.broadcast_arrays(n, m, a, b))
    shape = np.broadcast_shapes(*(np.shape(x) for x in (n, m, a, b)))
    ans = np.zeros(n.size, dtype=np.int64)
    idx = np.flatnonzero(n > 0)
    n, m, a, b = n[idx], m[idx], a[idx], b[idx]
    while idx.size:
        qa, a = np.divmod(a, m)
        qb, b = np.divmod(b, m)
        ans[idx] += (n - 1) * n // 2 * qa + n * qb
        y = a * n + b
        go = y >= m
        idx, n, m, a, b = idx[go], y[go] // m[go], a[go], m[go], y[go] % m[go]
        keep = n > 0
        idx, n, m, a, b = idx[keep], n[keep], m[keep], a[keep], b[keep]
    return ans.reshape(shape)


def _boundary_hits(count: np.ndarray, block: np.ndarray, window: np.ndarray, span: np.ndarray,
                   where: np.ndarray) -> np.ndarray:
    """How many boundaries ``j·block`` (j = 1…count) have a window end (a multiple of
    ``window``) at most ``span`` words after them; computed only ``where`` asked (else 0)."""
    count, block, window, span, where = np.broadcast_arrays(count, block, window, span, where)
    out = np.zeros(count.shape, dtype=np.int64)
    sel = where & (count > 0)
    if sel.any():
        c, L, W = count[sel], block[sel], window[sel]
        Z = np.minimum(span[sel], W)
        both = floor_sum(np.concatenate((c, c)), np.concatenate((W, W)), np.concatenate((L, L)),
                         np.concatenate((L + Z, L)))
        out[sel] = both[:c.size] - both[c.size:]
    return out


def _design_groups(R: np.ndarray, df: np.ndarray, sram_words: tuple[np.ndarray, ...]
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Representative designs and each design's group, for designs (rows of (n, 1) columns)
    that agree on what the fold-boundary counts depend on: array rows, dataflow and the IFMAP
    and filter SRAM sizes.  A batch of thousands of designs has only a few hundred such groups,
    so the floor sums run on those only.  (None, None) when the inputs are not design columns."""
    cols = [np.asarray(x) for x in (R, df, sram_words[0], sram_words[1])]
    if any(c.ndim != 2 or c.shape[1] != 1 for c in cols):
        return None, None
    r, d, si, sf = (c[:, 0].astype(np.int64) for c in cols)
    if r.max(initial=0) >= 2**12 or si.max(initial=0) >= 2**22 or sf.max(initial=0) >= 2**22:
        return None, None
    key = (r << 46) | (d << 44) | (si << 22) | sf
    _, rep, inv = np.unique(key, return_index=True, return_inverse=True)
    return rep, inv


def _jump_prob(span: np.ndarray, V: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Chance that a backward jump of ``span`` words lands behind the window's start."""
    step = np.minimum(half, np.maximum(V - half, 1))
    return np.clip((span - (half - step)) / step, 0.0, 1.0)


def _window_ends(V: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Window ends the demand crosses in one pass over a stream of ``V`` words (the first
    window is filled before cycle 0)."""
    gap = np.maximum(V - half, 0).astype(float)
    return gap / np.maximum(np.minimum(half, gap), 1.0)


def _prefetches(V: np.ndarray, half: np.ndarray, passes: np.ndarray, jumps: np.ndarray) -> np.ndarray:
    """Window movement / step.  A backward jump needs the window to come round the stream to the
    word just left behind: a whole lap ``V`` when the window moves by its own size, one step
    (the gap ``V − H``) when it moves by less."""
    gap = np.maximum(V - half, 0).astype(float)
    step = np.maximum(np.minimum(half, gap), 1.0)
    lap = np.where(gap >= half, V, gap)
    return np.where(V > half, ((passes - 1) * V + gap + jumps * lap) / step, 0.0)


def memory_model(c: dict[str, np.ndarray], lay: dict[str, np.ndarray], df: np.ndarray, R: np.ndarray,
                 C: np.ndarray, sram_words: tuple[np.ndarray, np.ndarray, np.ndarray],
                 bw: np.ndarray) -> dict[str, np.ndarray]:
    """DRAM words per operand and stall cycles, broadcast over (design, layer).

    Args:
        c: output of :func:`~archgym.simulators.systolic.compute.compute`.
        lay: per-layer ``P``, ``Wn``, ``K``, ``ifmap_entries`` and ``im2col_copies`` arrays.
        df: dataflow codes.  R, C: array rows and columns.
        sram_words: IFMAP, filter and OFMAP SRAM sizes in words (1-byte words).
        bw: DRAM bandwidth per channel, words per cycle.

    Returns:
        ``dram_ifmap_reads``, ``dram_filter_reads``, ``dram_ofmap_writes`` (words) and
        ``stall_cycles``.
    """
    df = np.asarray(df)
    bw = np.asarray(bw, dtype=np.int64)
    P, Wn, K = lay["P"], lay["Wn"], lay["K"]
    R, C = np.asarray(R, dtype=np.int64), np.asarray(C, dtype=np.int64)
    Fr, Fc = c["folds_r"], c["folds_c"]
    os_, ws_, is_ = df == OS, df == WS, df == IS
    half = [_cdiv(s, 2) for s in sram_words]
    window = [_cdiv(h, _cdiv(s, 100)) * _cdiv(s, 100) for h, s in zip(half, sram_words, strict=True)]
    Rf = R.astype(float)
    diag_span = _FIT["boundary_span"] * Rf * (Rf - 1)

    # IFMAP: anti-diagonal fold blocks (OS, WS) or reverse-row folds (IS)
    Vi = np.broadcast_to(lay["ifmap_entries"], Fr.shape).astype(float)
    near = Vi - half[0] < half[0]
    rep, inv = _design_groups(R, df, sram_words)
    pick = (lambda a: a) if rep is None else (lambda a: np.broadcast_to(a, Fr.shape)[rep])  # noqa: E731
    hits = _boundary_hits(pick(Fr - 1), pick(np.where(os_, R * Wn, R * P)), pick(window[0]),
                          pick(np.round(diag_span).astype(np.int64)), pick(~is_ & ~near))
    hits = hits if inv is None else hits[inv]
    jumps = np.where(near, (Fr - 1) * _jump_prob(diag_span, Vi, half[0]), hits)
    copies = lay["im2col_copies"].astype(bool)
    jumps_i = np.where(is_, _FIT["fold_span"] * _window_ends(Vi, half[0]) * np.where(copies, _FIT["im2col_rows"], 1.0),
                       Fc * jumps * np.where(copies, np.where(os_, _FIT["im2col_os"], _FIT["im2col_ws"]), 1.0))
    pf_i = _prefetches(Vi, half[0], np.where(is_, 1, Fc), jumps_i)

    # filter: reverse-row folds (WS), re-read blocks (OS), anti-diagonal fold blocks (IS)
    Vf = np.broadcast_to(Wn * K, Fr.shape).astype(float)
    near = Vf - half[1] < half[1]
    hits = _boundary_hits(pick(Fr - 1), pick(R * K), pick(window[1]), pick(np.round(diag_span).astype(np.int64)),
                          pick(is_ & ~near))
    hits = hits if inv is None else hits[inv]
    jumps = np.where(near, (Fr - 1) * _jump_prob(diag_span, Vf, half[1]), hits)
    jumps_f = np.select([os_, ws_], [Fc * (Fr - 1) * _jump_prob((Wn * C).astype(float), Vf, half[1]),
                                     _FIT["fold_span"] * _window_ends(Vf, half[1])], Fc * jumps)
    pf_f = _prefetches(Vf, half[1], np.where(is_, Fc, 1), jumps_f)

    lines = [_cdiv(sram_words[k] - half[k], bw) for k in range(3)]
    full_i = np.select([os_, ws_], [Fr * R * Wn, Fr * R * P], Fc * C * Wn)
    full_f = np.where(is_, Fr * R * K, Fc * C * Wn)
    reads_i = (np.minimum(_cdiv(half[0], bw), _cdiv(full_i, bw)) + pf_i * lines[0]) * bw
    reads_f = (np.minimum(_cdiv(half[1], bw), _cdiv(full_f, bw)) + pf_f * lines[1]) * bw
    writes = np.where(os_, c["ofmap_words"], c["sram_ofmap_writes"])

    busy = np.maximum(np.maximum(pf_i * (lines[0] + 1), pf_f * (lines[1] + 1)),
                      np.maximum(writes - _FIT["ofmap_absorb"] * sram_words[2], 0) / bw)
    stall = np.round(np.maximum(_FIT["stall"] * busy - c["compute_cycles"], 0.0))
    return {"dram_ifmap_reads": np.ceil(reads_i).astype(np.int64), "dram_filter_reads": np.ceil(reads_f).astype(np.int64),
            "dram_ofmap_writes": writes, "stall_cycles": stall}



def layer_cases(layers: list, R: np.ndarray, C: np.ndarray, df: np.ndarray, sram_kB: tuple[np.ndarray, ...],
                bw: np.ndarray) -> dict[str, np.ndarray]:
    """The closed form on a list of single-layer cases (one layer and one design each), without
    checking the designs against the env's space (validation covers ``dram_bw`` = 128).

    Returns the :func:`memory_model` arrays plus ``compute_cycles`` and ``total_cycles``.
    """
    from archgym.simulators.systolic.compute import compute

    per = {k: np.array([getattr(x, k) for x in layers], dtype=np.int64)
           for k in ("P", "Wn", "K", "ifmap_entries", "im2col_copies")}
    R, C, bw = (np.asarray(x, dtype=np.int64) for x in (R, C, bw))
    c = compute(per["P"], per["Wn"], per["K"], R, C, df)
    out = memory_model(c, per, df, R, C, tuple(np.asarray(s, dtype=np.int64) * 1024 for s in sram_kB), bw)
    return {**out, "compute_cycles": c["compute_cycles"], "total_cycles": c["compute_cycles"] + out["stall_cycles"]}
