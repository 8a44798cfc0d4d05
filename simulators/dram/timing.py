"""Request-level memory-controller recurrence, vectorised across a batch of controller configurations.

Why this shape: DRAMSys spends its time on cycle-accurate TLM events.  The outputs that matter (total
time, command counts) are fixed by a handful of per-bank and per-rank timing rules applied to the
requests in arrival order, so the model walks the trace once and keeps, for every configuration of
the batch at the same time, numpy arrays of shape (n_configs,) or (n_configs, n_banks) holding:

* the front end: trace player (next request after END_REQ, never before its timestamp), the Simple
  arbiter (one request at a time) or the Fifo/Reorder arbiter (at most ``MaxActiveTransactions``
  outstanding, a new one waits for an old response);
* admission: the scheduler buffer (``Shared``: ``RequestBufferSize`` entries; ``Bankwise``: that many
  per bank, checked - as DRAMSys 4.0 does - against the bank of the previously stored request);
  a request leaves the buffer when its RD/WR is issued;
* per bank: last ACT and CAS times, and whether the row is still open, decided by the page policy
  (Closed: auto-precharge; ClosedAdaptive: unless the next request to the bank is already buffered
  and hits; OpenAdaptive: only if that next request is buffered and misses);
* per rank: the last four ACTs (tRRD, tFAW) and the last four CAS commands (tCCD on the data bus),
  searched for the earliest legal slot so a younger request can overtake a blocked older one, as the
  per-bank schedulers and the oldest-first command multiplexer of DRAMSys do.

Every quantity is a count of clock cycles held in float64; all operations are element-wise over the
batch, so a configuration's result never depends on what else is in the batch.  Refresh is applied
afterwards in closed form (see ``model.py``): its effect is under 2 % and it keeps the loop short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archgym.simulators.dram.memspec import MemSpec
from archgym.simulators.dram.trace import Trace, wrap_addresses

NEG = -1.0e18  # "long ago": finite so that differences never produce NaN
POLICIES = ("Open", "OpenAdaptive", "Closed", "ClosedAdaptive")
RESP_RING = 128  # >= the largest MaxActiveTransactions


@dataclass(frozen=True)
class ServiceConstants:
    """Controller overheads in clock cycles, fitted once to the sweep rows of the DRAMSys data.

    Attributes:
        player: END_REQ of one request -> the next request reaching the controller (Simple path).
        hit: request in the buffer -> its RD/WR, when the row is open.
        pre: request in the buffer -> the PRE of a row conflict.
        act: request in the buffer -> the ACT on a precharged bank.
        resp: end of the data burst -> response at the initiator.
    """

    player: float = 0.5
    hit: float = 0.0
    pre: float = 0.5
    act: float = 2.5
    resp: float = 0.0


@dataclass(frozen=True)
class Prepared:
    """Per-trace preprocessing, done once and reused for every configuration."""

    ts: np.ndarray          # request timestamps in memory clock cycles
    bank: np.ndarray
    is_write: np.ndarray
    prev_same_bank: np.ndarray  # index of the previous request to the same bank, -1 if none
    same_row: np.ndarray    # same row as that previous request
    bank_count: np.ndarray  # requests to this bank before this one
    is_last_in_bank: np.ndarray
    n_banks: int

    @property
    def n(self) -> int:
        return len(self.ts)


def prepare(trace: Trace, spec: MemSpec) -> Prepared:
    """Map addresses to (bank, row) with the row-bank-column mapping and find the row-hit structure."""
    byte_b, col_b, bank_b, row_b = spec.address_bits()
    addr = wrap_addresses(trace.address.astype(np.uint64), spec.capacity_bytes, trace.name)
    bank = ((addr >> np.uint64(byte_b + col_b)) & np.uint64(spec.banks - 1)).astype(np.int64)
    row = (addr >> np.uint64(byte_b + col_b + bank_b)).astype(np.int64)
    n = len(addr)
    prev = np.full(n, -1, np.int64)
    count = np.zeros(n, np.int64)
    last_seen = np.full(spec.banks, -1, np.int64)
    seen = np.zeros(spec.banks, np.int64)
    for i, b in enumerate(bank.tolist()):
        prev[i] = last_seen[b]
        count[i] = seen[b]
        last_seen[b] = i
        seen[b] += 1
    same_row = np.zeros(n, bool)
    has = prev >= 0
    same_row[has] = row[has] == row[prev[has]]
    is_last = np.zeros(n, bool)
    is_last[last_seen[last_seen >= 0]] = True
    ts = np.ceil(trace.cycle.astype(float) * spec.clk_mhz / trace.clk_mhz)
    return Prepared(ts, bank, trace.is_write.astype(bool), prev, same_row, count, is_last, spec.banks)


def _slot(ready: np.ndarray, hist: np.ndarray, gap: float, faw: float = 0.0) -> np.ndarray:
    """Earliest time >= ready at least ``gap`` from every time in ``hist`` (and, with ``faw``, no
    tFAW window holding five commands).  A fallback after all of ``hist`` is always legal."""
    hmax = hist.max(axis=1)
    hmin = hist.min(axis=1)
    last = np.maximum(ready, hmax + gap)
    parts = [ready[:, None], hist + gap, last[:, None]]
    if faw:
        last = np.maximum(last, hmin + faw)
        parts += [(hmin + faw)[:, None], last[:, None]]
    cand = np.maximum(np.concatenate(parts, axis=1), ready[:, None])
    ok = (np.abs(cand[:, :, None] - hist[:, None, :]) >= gap).all(axis=2)
    if faw:
        span = np.maximum(cand, hmax[:, None]) - np.minimum(cand, hmin[:, None])
        ok &= span >= faw
    return np.where(ok, cand, np.inf).min(axis=1)


def _push(hist: np.ndarray, t: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Add ``t`` to each history row (dropping its oldest entry) where ``keep`` is False."""
    new = np.sort(np.concatenate([hist, t[:, None]], axis=1), axis=1)[:, 1:]
    return np.where(keep[:, None], hist, new)


def simulate(p: Prepared, spec: MemSpec, policy: np.ndarray, bankwise: np.ndarray, rbs: np.ndarray,
             fifo_arbiter: np.ndarray, mat: np.ndarray, c: ServiceConstants) -> dict[str, np.ndarray]:
    """Run the recurrence for a batch of configurations (refresh excluded).

    Args:
        policy: page-policy index into :data:`POLICIES`, shape (D,).
        bankwise: SchedulerBuffer is Bankwise (else one shared buffer), shape (D,).
        rbs: RequestBufferSize, shape (D,).
        fifo_arbiter: Arbiter is Fifo or Reorder (else Simple), shape (D,).
        mat: MaxActiveTransactions (used only with ``fifo_arbiter``), shape (D,).

    Returns:
        ``end`` (cycle of the last response), ``n_act``, ``n_pre``, ``lat_sum`` (sum over requests of
        response time minus issue time, cycles), each shape (D,).
    """
    D, NB = len(policy), p.n_banks
    ar = np.arange(D)
    burst = float(spec.burst_cycles)
    closed = policy == 2
    cadapt = policy == 3
    oadapt = policy == 1
    rbs_i = rbs.astype(np.int64)
    mat_i = mat.astype(np.int64)
    slots = np.where(np.arange(8)[None, :] < rbs_i[:, None], 0.0, np.inf)
    ring = np.zeros((D, NB, 8))
    # arbiter: one slot per allowed outstanding transaction, freed when its response completes
    resp = np.where(np.arange(RESP_RING)[None, :] < mat_i[:, None], NEG, np.inf)
    bank_act = np.full((D, NB), NEG)
    bank_cas = np.full((D, NB), NEG)
    act_hist = np.full((D, 4), NEG)
    cas_hist = np.full((D, 4), NEG)
    last_rd = np.full(D, NEG)
    last_wr = np.full(D, NEG)
    e_prev = np.full(D, NEG)
    a_prev = np.full(D, NEG)
    n_act = np.zeros(D)
    n_pre = np.zeros(D)
    lat = np.zeros(D)
    end = np.zeros(D)
    pre_after_cas = {False: float(spec.RTP), True: float(spec.WL + spec.burst_cycles + spec.WR)}
    ts, bank, wr = p.ts.tolist(), p.bank.tolist(), p.is_write.tolist()
    prev_sb, same_row, count = p.prev_same_bank.tolist(), p.same_row.tolist(), p.bank_count.tolist()
    for j in range(p.n):
        b, w = bank[j], wr[j]
        kr = resp.argmin(axis=1)
        issue = np.maximum(ts[j], e_prev + c.player)
        if j:
            g = np.maximum(issue, resp[ar, kr])
            arrive = np.where(fifo_arbiter, np.maximum(g, a_prev + c.player), issue)
            bp = bank[j - 1]
            n_in = count[j - 1] + 1
            bw_free = np.where(n_in >= rbs_i, ring[ar, bp, (n_in - rbs_i) % 8], NEG)
        else:
            g = arrive = issue
            bw_free = np.full(D, NEG)
        k = slots.argmin(axis=1)
        space = np.where(bankwise, bw_free, slots[ar, k])
        a = np.maximum(arrive, space)
        e_prev = np.where(fifo_arbiter, g, a)
        a_prev = a
        if prev_sb[j] >= 0:
            act_p, cas_p = bank_act[:, b], bank_cas[:, b]
            buffered = a < cas_p  # arrived before the CAS: the policy saw it
            sr = same_row[j]
            if sr:
                shut = closed | (cadapt & ~buffered)
            else:
                shut = closed | cadapt | (oadapt & buffered)
            pre_auto = np.maximum(cas_p + pre_after_cas[wr[prev_sb[j]]], act_p + spec.RAS)
            hit = ~shut if sr else np.zeros(D, bool)
            pre_t = np.maximum(a + c.pre, pre_auto)
            act_ready = np.where(shut, np.maximum(a + c.act, pre_auto + spec.RP), pre_t + spec.RP)
            act_ready = np.maximum(act_ready, act_p + spec.RC)
            n_pre += ~hit
            hit_ready = np.maximum(a + c.hit, cas_p + spec.CCD)
        else:
            act_p = np.full(D, NEG)
            hit = np.zeros(D, bool)
            act_ready = a + c.act
            hit_ready = act_ready
        t_act = _slot(act_ready, act_hist, spec.RRD, spec.FAW)
        act_hist = _push(act_hist, t_act, hit)
        n_act += ~hit
        cas_ready = np.where(hit, hit_ready, t_act + spec.RCD)
        if w:
            cas_ready = np.maximum(cas_ready, last_rd + spec.CL + burst + 2 - spec.WL)
        else:
            cas_ready = np.maximum(cas_ready, last_wr + spec.WL + burst + spec.WTR)
        t_cas = _slot(cas_ready, cas_hist, spec.CCD)
        cas_hist = _push(cas_hist, t_cas, np.zeros(D, bool))
        if w:
            last_wr = np.maximum(last_wr, t_cas)
        else:
            last_rd = np.maximum(last_rd, t_cas)
        bank_act[:, b] = np.where(hit, act_p, t_act)
        bank_cas[:, b] = t_cas
        slots[ar, k] = np.where(bankwise, slots[ar, k], t_cas)
        ring[:, b, count[j] % 8] = t_cas
        done = t_cas + (spec.WL if w else spec.CL) + burst + c.resp
        resp[ar, kr] = done
        end = np.maximum(end, done)
        lat += done - issue
    # rows left open at the end stay open (DRAMSys does not close them); closing policies
    # auto-precharged after the last access of each bank.
    n_pre += np.count_nonzero(p.is_last_in_bank) * (closed | cadapt)
    return {"end": end, "n_act": n_act, "n_pre": n_pre, "lat_sum": lat}
