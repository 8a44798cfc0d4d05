"""The request-level recurrence of :mod:`~archgym.simulators.dram.timing`, compiled with numba.

One call simulates a batch of timing classes; each class walks the whole trace with its controller
state in scalars and small arrays (a few hundred bytes, so it stays in the L1 cache), one class after
the other.  The arithmetic is that of the numpy formulation this replaced (commit 5274585), operation
for operation and in the same order, so every result is bit-identical to it
(``tests/test_dram_tables.py`` compares all 576 classes on seven traces with values recorded from
it).  Two data-structure changes do not alter any value:

* the arbiter's outstanding responses (``MaxActiveTransactions`` of them) and the shared buffer's
  slots (``RequestBufferSize``) were arrays searched with ``argmin``; only the minimum and the
  multiset of values matter (the minimum is read, then replaced by a later time), so each is kept
  sorted in a circular buffer (:func:`_replace_min`);
* ``_slot`` returns ``ready`` at once when ``ready`` itself is legal: every other candidate is
  ``>= ready``, so the minimum over legal candidates is ``ready``.

This module imports numba at import time; :func:`~archgym.simulators.dram.timing.simulate` imports it
only when a trace's classes are simulated, so ``import archgym`` never loads numba.  Compiled code is
cached on disk by numba (``__pycache__`` beside this file, or numba's user cache directory, or
``NUMBA_CACHE_DIR``), so only the first process after an install (or a change of this file) pays the compilation
(a few seconds).
"""

from __future__ import annotations

import numba
import numpy as np

NEG = -1.0e18  # "long ago": finite so that differences never produce NaN

# indices into the ``tim`` vector of constants (all float64, clock cycles)
(T_BURST, T_RAS, T_RP, T_RC, T_RRD, T_FAW, T_CCD, T_RCD, T_CL, T_WL, T_WTR, T_PRE_RD, T_PRE_WR,
 C_PLAYER, C_HIT, C_PRE, C_ACT, C_RESP, N_CONSTANTS) = range(19)


def _jit(fn):
    """``numba.njit`` with an on-disk cache where one is writable (else compile per process)."""
    try:
        return numba.njit(cache=True, fastmath=False, error_model="numpy")(fn)
    except RuntimeError:  # no writable cache location: numba refuses cache=True
        return numba.njit(fastmath=False, error_model="numpy")(fn)


@_jit
def _mx(a: float, b: float) -> float:
    """``np.maximum`` of two non-NaN floats (the first when equal)."""
    return a if a >= b else b


@_jit
def _mn(a: float, b: float) -> float:
    """``np.minimum`` of two non-NaN floats (the first when equal)."""
    return a if a <= b else b


@_jit
def _legal(c: float, h: np.ndarray, gap: float, faw: float, use_faw: bool) -> bool:
    """At least ``gap`` from every time in ``h`` and, with tFAW, no window of ``faw`` holding five."""
    if not (abs(c - h[3]) >= gap and abs(c - h[2]) >= gap and abs(c - h[1]) >= gap and abs(c - h[0]) >= gap):
        return False
    if use_faw:
        return _mx(c, h[3]) - _mn(c, h[0]) >= faw
    return True


@_jit
def _slot(ready: float, h: np.ndarray, gap: float, faw: float, use_faw: bool) -> float:
    """Earliest legal time >= ``ready`` given the sorted history ``h`` (4 entries); see timing._slot."""
    if _legal(ready, h, gap, faw, use_faw):
        return ready
    best = np.inf
    for m in range(4):
        c = _mx(h[m] + gap, ready)
        if c < best and _legal(c, h, gap, faw, use_faw):
            best = c
    last = _mx(ready, h[3] + gap)
    if last < best and _legal(last, h, gap, faw, use_faw):
        best = last
    if use_faw:
        c = _mx(h[0] + faw, ready)
        if c < best and _legal(c, h, gap, faw, use_faw):
            best = c
        last2 = _mx(last, h[0] + faw)
        if last2 < best and _legal(last2, h, gap, faw, use_faw):
            best = last2
    return best


@_jit
def _push(h: np.ndarray, t: float) -> None:
    """Insert ``t`` into the sorted 4-entry history ``h``, dropping its smallest entry."""
    if t <= h[0]:
        return
    i = 0
    while i < 3 and h[i + 1] < t:
        h[i] = h[i + 1]
        i += 1
    h[i] = t


@_jit
def _replace_min(buf: np.ndarray, head: int, size: int, value: float) -> int:
    """Replace the smallest of ``size`` values with ``value``; returns the new head.

    The values sit sorted in the circular buffer ``buf[:size]`` from ``head``.  Response and CAS
    times arrive almost in order, so the insertion scan from the back usually stops at once (a
    binary heap would sift the new, largest value all the way down)."""
    head += 1
    if head == size:
        head = 0
    pos = head + size - 1  # logical slot size-1 (the one just freed)
    while pos > head:
        src = pos - 1
        prev = buf[src - size if src >= size else src]
        if not prev > value:
            break
        buf[pos - size if pos >= size else pos] = prev
        pos -= 1
    buf[pos - size if pos >= size else pos] = value
    return head


@_jit
def simulate_classes(ts: np.ndarray, bank: np.ndarray, wr: np.ndarray, has_prev: np.ndarray,
                     same_row: np.ndarray, prev_wr: np.ndarray, count: np.ndarray, n_last: int,
                     n_banks: int, policy: np.ndarray, bankwise: np.ndarray, rbs: np.ndarray,
                     fifo: np.ndarray, mat: np.ndarray, tim: np.ndarray) -> np.ndarray:
    """Simulate every class of the batch; returns (D, 4): end, n_act, n_pre, lat_sum (cycles)."""
    n = ts.shape[0]
    out = np.empty((policy.shape[0], 4))
    burst, RAS, RP, RC = tim[T_BURST], tim[T_RAS], tim[T_RP], tim[T_RC]
    RRD, FAW, CCD, RCD = tim[T_RRD], tim[T_FAW], tim[T_CCD], tim[T_RCD]
    CL, WL, WTR = tim[T_CL], tim[T_WL], tim[T_WTR]
    player, c_hit, c_pre, c_act, c_resp = tim[C_PLAYER], tim[C_HIT], tim[C_PRE], tim[C_ACT], tim[C_RESP]
    slots = np.empty(8)
    ring = np.zeros((n_banks, 8))
    resp = np.empty(max(1, mat.max()) if mat.shape[0] else 1)
    bank_act = np.empty(n_banks)
    bank_cas = np.empty(n_banks)
    act_hist = np.empty(4)
    cas_hist = np.empty(4)
    for d in range(policy.shape[0]):
        closed = policy[d] == 2
        cadapt = policy[d] == 3
        oadapt = policy[d] == 1
        bw = bankwise[d]
        ff = fifo[d]
        nrbs = rbs[d]
        nmat = mat[d]
        slots[:] = 0.0
        slot_head = 0
        resp_head = 0
        ring[:, :] = 0.0
        resp[:] = NEG
        bank_act[:] = NEG
        bank_cas[:] = NEG
        act_hist[:] = NEG
        cas_hist[:] = NEG
        last_rd = NEG
        last_wr = NEG
        e_prev = NEG
        a_prev = NEG
        n_act = 0.0
        n_pre = 0.0
        lat = 0.0
        end = 0.0
        for j in range(n):
            b = bank[j]
            w = wr[j]
            issue = _mx(ts[j], e_prev + player)
            if j > 0:
                g = _mx(issue, resp[resp_head])
                arrive = _mx(g, a_prev + player) if ff else issue
                n_in = count[j - 1] + 1
                bw_free = ring[bank[j - 1], (n_in - nrbs) & 7] if n_in >= nrbs else NEG
            else:
                g = issue
                arrive = issue
                bw_free = NEG
            space = bw_free if bw else slots[slot_head]
            a = _mx(arrive, space)
            e_prev = g if ff else a
            a_prev = a
            if has_prev[j]:
                act_p = bank_act[b]
                cas_p = bank_cas[b]
                buffered = a < cas_p  # arrived before the CAS: the policy saw it
                sr = same_row[j]
                if sr:
                    shut = closed or (cadapt and not buffered)
                else:
                    shut = closed or cadapt or (oadapt and buffered)
                pre_auto = _mx(cas_p + (tim[T_PRE_WR] if prev_wr[j] else tim[T_PRE_RD]), act_p + RAS)
                hit = sr and not shut
                pre_t = _mx(a + c_pre, pre_auto)
                act_ready = _mx(a + c_act, pre_auto + RP) if shut else pre_t + RP
                act_ready = _mx(act_ready, act_p + RC)
                if not hit:
                    n_pre += 1.0
                hit_ready = _mx(a + c_hit, cas_p + CCD)
            else:
                act_p = NEG
                hit = False
                act_ready = a + c_act
                hit_ready = act_ready
            t_act = act_p  # a row hit issues no ACT (its slot search would be discarded)
            if not hit:
                t_act = _slot(act_ready, act_hist, RRD, FAW, FAW != 0.0)
                _push(act_hist, t_act)
                n_act += 1.0
            cas_ready = hit_ready if hit else t_act + RCD
            if w:
                cas_ready = _mx(cas_ready, last_rd + CL + burst + 2.0 - WL)
            else:
                cas_ready = _mx(cas_ready, last_wr + WL + burst + WTR)
            t_cas = _slot(cas_ready, cas_hist, CCD, 0.0, False)
            _push(cas_hist, t_cas)
            if w:
                last_wr = _mx(last_wr, t_cas)
            else:
                last_rd = _mx(last_rd, t_cas)
            bank_act[b] = t_act
            bank_cas[b] = t_cas
            if not bw:
                slot_head = _replace_min(slots, slot_head, nrbs, t_cas)
            ring[b, count[j] & 7] = t_cas
            done = t_cas + (WL if w else CL) + burst + c_resp
            resp_head = _replace_min(resp, resp_head, nmat, done)
            end = _mx(end, done)
            lat += done - issue
        # rows left open at the end stay open; closing policies auto-precharged after each bank's last access
        if closed or cadapt:
            n_pre += n_last
        out[d, 0] = end
        out[d, 1] = n_act
        out[d, 2] = n_pre
        out[d, 3] = lat
    return out
