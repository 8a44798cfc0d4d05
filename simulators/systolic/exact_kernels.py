"""Compiled kernels of the exact SCALE-Sim 3.0.0 memory replica (see :mod:`.exact_memory`).

Imported only when ``memory="exact"`` is used, because importing numba and loading the kernels
takes a second or two (the compiled code is cached on disk by numba, like ``.pyc`` files; the
very first use compiles it, 10–25 s).

Three kernels:

* :func:`build_stream` lays an operand's prefetch matrix out in SCALE-Sim's fetch order: how
  many real (non −1) words precede each position, and links between copies of an address.
* :func:`read_misses` walks one read buffer's demand, row by row, against its prefetch order and
  returns the rows at which the buffer had to prefetch, and how many times.  Whether a demand
  word hits depends only on the order of words, never on time, so this runs once per operand.
* :func:`timing` replays the rows in order with those prefetch events and the OFMAP write buffer,
  and accumulates SCALE-Sim's stall cycles, total cycles and OFMAP DRAM writes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DIAG = 0      # demand row = a contiguous piece of one anti-diagonal of the stacked prefetch matrix
ROWMAJOR = 1  # demand row = one whole row of the stacked prefetch matrix, rows in reverse per fold


@njit(cache=True)
def _in_window(line, s, A, N):
    d = line - s
    if d < 0:
        d += N
    return d < A


@njit(cache=True)
def _dup_hit(v, s, A, N, eps, V, prev, nxt):
    """Whether another copy of the word at valid position ``v`` (outside the window) lies in the
    window of lines [s, s + A) mod N; ``prev``/``nxt`` chain the copies of each address."""
    if s + A <= N:
        ws = s * eps
        we = (s + A) * eps
        if v >= we:
            u = prev[v]
            while u >= we:
                u = prev[u]
            return u >= ws
        u = nxt[v]
        while u >= 0 and u < ws:
            u = nxt[u]
        return u >= 0 and u < we
    ws = s * eps
    we = (s + A - N) * eps
    u = prev[v]
    while u >= we:
        u = prev[u]
    if u >= 0:
        return True
    u = nxt[v]
    while u >= 0 and u < ws:
        u = nxt[u]
    return u >= 0


@njit(cache=True)
def read_misses(pattern, n_fc, n_fr, cyc, block_is_fr, hb, pre, lanes, m_rows, diag_start,
                wn, width, r_arr, cv, eps, n_lines, a_lines, b_lines,
                has_dup, prev, nxt):
    """Rows (global demand row index) at which the buffer prefetched, and how often in that row.

    The window of the read buffer is ``a_lines`` hashed lines of ``eps`` words starting at line
    ``s``; each prefetch moves it ``b_lines`` further, modulo ``n_lines``.  A demand word hits if
    its own prefetch position or (im2col duplicates) any copy of its address lies in the window.
    ``cv[x]`` is the number of valid (non −1) prefetch entries before full position ``x``.
    """
    n_ev = 0
    ev_row = np.empty(64, np.int64)
    ev_cnt = np.empty(64, np.int64)
    V = cv[cv.shape[0] - 1]
    s = 0
    for fc in range(n_fc):
        for fr in range(n_fr):
            g0 = (fc * n_fr + fr) * cyc
            blk = fr if block_is_fr else fc
            t_end = cyc if pattern == DIAG else r_arr
            for t in range(t_end):
                if pattern == DIAG:
                    tp = t - pre
                    if tp < 0:
                        continue
                    c_lo = tp - hb + 1
                    if c_lo < 0:
                        c_lo = 0
                    c_hi = tp if tp < lanes - 1 else lanes - 1
                    if c_lo > c_hi:
                        continue
                    d = blk * hb + tp
                    top = d if d < m_rows - 1 else m_rows - 1
                    fa = diag_start[d] + top - d + c_lo
                    fb = fa + c_hi - c_lo + 1
                else:
                    w = fr * r_arr + r_arr - 1 - t
                    if w >= wn:
                        continue
                    fa = (blk * wn + w) * width
                    fb = fa + width
                v = cv[fa]
                vb = cv[fb]
                count = 0
                while v < vb:
                    line = v // eps
                    dl = line - s
                    if dl < 0:
                        dl += n_lines
                    if dl < a_lines:
                        jump = (line + a_lines - dl) * eps
                        v = jump if jump < vb else vb
                        continue
                    if has_dup and _dup_hit(v, s, a_lines, n_lines, eps, V, prev, nxt):
                        v += 1
                        continue
                    while True:
                        s = (s + b_lines) % n_lines
                        count += 1
                        if _in_window(line, s, a_lines, n_lines):
                            break
                        if has_dup and _dup_hit(v, s, a_lines, n_lines, eps, V, prev, nxt):
                            break
                    v += 1
                if count > 0:
                    if n_ev == ev_row.shape[0]:
                        ev_row = np.concatenate((ev_row, np.empty(n_ev, np.int64)))
                        ev_cnt = np.concatenate((ev_cnt, np.empty(n_ev, np.int64)))
                    ev_row[n_ev] = g0 + t
                    ev_cnt[n_ev] = count
                    n_ev += 1
    return ev_row[:n_ev], ev_cnt[:n_ev]


@njit(cache=True)
def _read_stall(cycle, count, last, step):
    """Offset of one read buffer's row after ``count`` prefetches (SCALE-Sim's accounting:
    a positive wait is added twice, a negative one pulls the row earlier); returns
    (stall = offset − hit latency, new last-prefetch cycle)."""
    offset = 1
    for _ in range(count):
        last += step
        p = last - (cycle + offset)
        offset += p
        if p > 0:
            offset += p
    return offset - 1, last


@njit(cache=True)
def _close_partial(part_idx, part_cnt, n_part, n_lines, fill):
    """Close a partly filled OFMAP line: remember its line number and word count (SCALE-Sim writes
    a partial line as a whole line of which only ``fill`` words count), growing the arrays."""
    if n_part == part_idx.shape[0]:
        part_idx = np.concatenate((part_idx, np.empty(n_part + 1, np.int64)))
        part_cnt = np.concatenate((part_cnt, np.empty(n_part + 1, np.int64)))
    part_idx[n_part] = n_lines
    part_cnt[n_part] = fill
    return part_idx, part_cnt, n_part + 1, n_lines + 1


@njit(cache=True)
def _drain(drain_start, n_lines, o_lines, o_bw, part_idx, part_cnt, part_head, n_part):
    """One drain of the write buffer from line ``drain_start``: lines written, DRAM words counted
    (a partial last line counts only its words) and the advanced partial-line cursor."""
    nl = n_lines - drain_start
    if nl > o_lines:
        nl = o_lines
    lastl = drain_start + nl - 1
    used = o_bw
    while part_head < n_part and part_idx[part_head] < lastl:
        part_head += 1
    if part_head < n_part and part_idx[part_head] == lastl:
        used = part_cnt[part_head]
    return nl, nl * o_bw - (o_bw - used), part_head


@njit(cache=True)
def timing(n_fc, n_fr, cyc, o_lo, o_hi, os_flow, o_extent, r_arr, c_arr, p_rows,
           ev_i_row, ev_i_cnt, step_i, ev_f_row, ev_f_cnt, step_f,
           o_total, o_active, o_bw, o_lines):
    """Replay all demand rows: returns (stall cycles, total cycles, OFMAP DRAM writes).

    OFMAP write buffer (SCALE-Sim ``write_buffer``): words fill ``o_bw``-wide lines; once the free
    space drops below the active half, the partial line is closed and the oldest ``o_lines`` lines
    drain, one per cycle; while a drain is running a full buffer stalls the row until it ends.
    A drain counts whole lines except the unused tail of its last line.
    """
    stall = 0
    free = o_total
    fill = 0
    n_lines = 0
    drain_start = 0
    drain_end = 0
    access = 0
    part_idx = np.empty(64, np.int64)
    part_cnt = np.empty(64, np.int64)
    n_part = 0
    part_head = 0
    last_i = -1
    last_f = -1
    ei = 0
    ef = 0
    out = 0
    g = 0
    last_g = -1
    for fc in range(n_fc):
        cv_fold = c_arr  # OFMAP columns used in this column fold
        if o_extent - fc * c_arr < cv_fold:
            cv_fold = o_extent - fc * c_arr
        for fr in range(n_fr):
            lo = o_lo
            if os_flow:
                rv = p_rows - fr * r_arr
                if rv < r_arr:
                    lo = o_lo + r_arr - rv
            t = 0
            while t < cyc:
                # fast-forward over rows where nothing can happen: no read prefetch, and either no
                # OFMAP word or a steady stream of them that crosses no write-buffer threshold
                nxt = cyc
                if ei < ev_i_row.shape[0] and ev_i_row[ei] - g + t < nxt:
                    nxt = ev_i_row[ei] - g + t
                if ef < ev_f_row.shape[0] and ev_f_row[ef] - g + t < nxt:
                    nxt = ev_f_row[ef] - g + t
                if nxt > t:
                    k = 0
                    if t < lo:
                        k = (lo if lo < nxt else nxt) - t
                    elif t > o_hi + cv_fold - 2:
                        k = nxt - t
                    elif t >= lo + cv_fold - 1 and t < o_hi and cv_fold > 0:
                        end = o_hi if o_hi < nxt else nxt
                        k = end - t
                        cycle = g + stall
                        if cycle < drain_end:
                            lim = drain_end - cycle
                            if lim < k:
                                k = lim
                            lim = (free - 1) // cv_fold if free >= 1 else 0
                        else:
                            lim = (free - o_active) // cv_fold if free >= o_active else 0
                        if lim < k:
                            k = lim
                        if k > 0:
                            free -= k * cv_fold
                            fill += k * cv_fold
                            n_lines += fill // o_bw
                            fill = fill % o_bw
                    if k > 0:
                        t += k
                        g += k
                        continue
                cycle = g + stall
                # words the array writes to the OFMAP SRAM this cycle
                c0 = t - o_hi + 1
                if c0 < 0:
                    c0 = 0
                c1 = t - lo
                if c1 > cv_fold - 1:
                    c1 = cv_fold - 1
                words = c1 - c0 + 1
                st = 0
                o_off = 0
                if words > 0:
                    cur = cycle
                    rem = words
                    while rem > 0:
                        if cur < drain_end:
                            j = free if free >= 1 else 1
                        else:
                            j = free - o_active + 1
                            if j < 1:
                                j = 1
                        if j > rem:
                            j = rem
                            event = False
                        else:
                            event = True
                        free -= j
                        fill += j
                        n_lines += fill // o_bw
                        fill = fill % o_bw
                        rem -= j
                        if not event:
                            break
                        if cur < drain_end:
                            o_off += drain_end - cur
                            cur = drain_end
                        else:
                            if fill > 0:
                                part_idx, part_cnt, n_part, n_lines = _close_partial(part_idx, part_cnt, n_part,
                                                                                     n_lines, fill)
                                fill = 0
                            nl, data, part_head = _drain(drain_start, n_lines, o_lines, o_bw, part_idx, part_cnt,
                                                         part_head, n_part)
                            access += data
                            free += data
                            drain_start += nl
                            drain_end = cur + nl - 1
                    st = o_off
                out = cycle + o_off
                if ei < ev_i_row.shape[0] and ev_i_row[ei] == g:
                    s_i, last_i = _read_stall(cycle, ev_i_cnt[ei], last_i, step_i)
                    ei += 1
                    if s_i > st:
                        st = s_i
                if ef < ev_f_row.shape[0] and ev_f_row[ef] == g:
                    s_f, last_f = _read_stall(cycle, ev_f_cnt[ef], last_f, step_f)
                    ef += 1
                    if s_f > st:
                        st = s_f
                stall += st
                last_g = g
                g += 1
                t += 1
    if last_g != g - 1:  # the last cycle wrote nothing and was fast-forwarded
        out = g - 1 + stall
    # final drain of everything still buffered (after the last cycle: no stall)
    if fill > 0:
        part_idx, part_cnt, n_part, n_lines = _close_partial(part_idx, part_cnt, n_part, n_lines, fill)
    while drain_start < n_lines:
        nl, data, part_head = _drain(drain_start, n_lines, o_lines, o_bw, part_idx, part_cnt, part_head, n_part)
        access += data
        drain_start += nl
    return stall, out, access


GEMM_IFMAP = 0  # source matrix kinds of build_stream
CONV_IFMAP = 1
FILTER = 2


@njit(cache=True)
def build_stream(diag, fold_rows, n, a, b, kind, geom, links, n_addr):
    """Prefetch order of an operand matrix cut into folds of ``n`` and stacked (``fold_rows``:
    row folds, each transposed; else column folds), read along anti-diagonals (``diag``) or row
    by row.  Returns ``cv`` (valid entries before each position) and, if ``links``, the previous
    and next valid position holding the same address (−1 if none).

    Addresses come from per-row and per-column tables (the im2col divisions are done once per
    output pixel and window entry, not once per entry)."""
    per = b if fold_rows else a  # stacked rows per fold
    m = ((a + n - 1) // n) * b if fold_rows else ((b + n - 1) // n) * a
    total = m * n
    # address(i, j) = row_base[i] + col_base[j] for the filter and GEMM IFMAP; for a conv IFMAP,
    # (ih, iw) = (oh·s + r, ow·s + s') is checked against the IFMAP first
    conv = kind == CONV_IFMAP
    H, W, S, C, st, ew = geom[0], geom[1], geom[3], geom[4], geom[5], geom[6]
    ih0 = np.zeros(a, np.int64)
    iw0 = np.zeros(a, np.int64)
    dr = np.zeros(b, np.int64)
    ds = np.zeros(b, np.int64)
    base_i = np.zeros(a, np.int64)
    base_j = np.zeros(b, np.int64)
    for i in range(a):
        if conv:
            ih0[i] = (i // ew) * st
            iw0[i] = (i % ew) * st
        elif kind == FILTER:
            base_i[i] = i
        else:
            base_i[i] = i * b
    for j in range(b):
        if conv:
            dr[j] = j // (S * C)
            ds[j] = (j % (S * C)) // C
            base_j[j] = j % C
        elif kind == FILTER:
            base_j[j] = j * a
        else:
            base_j[j] = j
    cv = np.empty(total + 1, np.int64)
    cv[0] = 0
    prev = np.empty(total if links else 0, np.int64)
    nxt = np.empty(total if links else 0, np.int64)
    last = np.full(n_addr if links else 0, -1, np.int64)
    pos = 0
    v = 0
    n_diag = m + n - 1 if diag else m
    for d in range(n_diag):
        if diag:
            top = d if d < m - 1 else m - 1
            bottom = d - n + 1 if d - n + 1 > 0 else 0
        else:
            top = d
            bottom = d
        f = top // per
        r = top - f * per
        for row in range(top, bottom - 1, -1):
            c_lo = d - row if diag else 0
            c_hi = c_lo if diag else n - 1
            for col in range(c_lo, c_hi + 1):
                k = f * n + col
                if fold_rows:
                    i, j, ok = k, r, k < a
                else:
                    i, j, ok = r, k, k < b
                addr = -1
                if ok:
                    if conv:
                        ih = ih0[i] + dr[j]
                        iw = iw0[i] + ds[j]
                        if ih < H and iw < W:
                            addr = (ih * W + iw) * C + base_j[j]
                    else:
                        addr = base_i[i] + base_j[j]
                if addr >= 0:
                    if links:
                        u = last[addr]
                        prev[v] = u
                        nxt[v] = -1
                        if u >= 0:
                            nxt[u] = v
                        last[addr] = v
                    v += 1
                pos += 1
                cv[pos] = v
            r -= 1
            if r < 0:
                r += per
                f -= 1
    return cv, prev[:v], nxt[:v]
