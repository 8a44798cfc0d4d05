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

Every quantity is a count of clock cycles held in float64, and each configuration is simulated on its
own, so its result never depends on what else is in the batch.  Refresh is applied afterwards in
closed form (see ``model.py``): its effect is under 2 % and it keeps the loop short.

Why compiled (numba, :mod:`~archgym.simulators.dram.kernel`) and not numpy: the recurrence is
sequential over requests, so numpy can only vectorise across configurations.  That formulation
(until commit 5274585) paid ~80 numpy calls per request whatever the batch size: ~0.6 s CPU for one
class on a 10,000-request trace and ~4 s for all 576, nearly all of it call overhead on arrays of
shape (576,) or smaller.  A compiled scalar loop over (class, request) does the same float64
operations in the same order (results are bit-identical; ``tests/test_dram_tables.py``) in ~0.1 µs
per class and request: ~1 ms for one class, ~0.3 s for the whole table.  numba is a maintained
LLVM JIT that installs from wheels next to our pinned numpy, needs no build step and no C toolchain,
and is imported only when a table is computed, so ``import archgym`` stays light.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archgym.errors import InvalidParameterError
from archgym.simulators.dram.memspec import MemSpec
from archgym.simulators.dram.trace import Trace, wrap_addresses

POLICIES = ("Open", "OpenAdaptive", "Closed", "ClosedAdaptive")


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
    # group requests by bank, keeping arrival order within a bank: the previous request to the same
    # bank is the previous entry of the group, and the rank within the group counts the earlier ones
    order = np.argsort(bank, kind="stable")
    grouped = bank[order]
    first = np.ones(n, bool)
    first[1:] = grouped[1:] != grouped[:-1]
    starts = np.flatnonzero(first)
    prev = np.full(n, -1, np.int64)
    prev[order[~first]] = order[np.flatnonzero(~first) - 1]
    count = np.empty(n, np.int64)
    count[order] = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    same_row = np.zeros(n, bool)
    has = prev >= 0
    same_row[has] = row[has] == row[prev[has]]
    is_last = np.zeros(n, bool)
    is_last[order[np.append(starts[1:], n) - 1]] = True
    ts = np.ceil(trace.cycle.astype(float) * spec.clk_mhz / trace.clk_mhz)
    return Prepared(ts, bank, trace.is_write.astype(bool), prev, same_row, count, is_last, spec.banks)


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
    from archgym.simulators.dram import kernel  # numba: loaded on first use, never by `import archgym`

    rbs_i = np.asarray(rbs).astype(np.int64)
    mat_i = np.asarray(mat).astype(np.int64)
    if rbs_i.size and not (1 <= rbs_i.min() and rbs_i.max() <= 8 and mat_i.min() >= 1):
        # the kernel's buffers hold 8 slots per bank; out-of-range values would index past them
        raise InvalidParameterError("RequestBufferSize must lie in 1..8 and MaxActiveTransactions be >= 1, got "
                                    f"{sorted(set(rbs_i.tolist()))} and {sorted(set(mat_i.tolist()))}")
    tim = np.zeros(kernel.N_CONSTANTS)
    tim[[kernel.T_BURST, kernel.T_RAS, kernel.T_RP, kernel.T_RC, kernel.T_RRD, kernel.T_FAW, kernel.T_CCD,
         kernel.T_RCD, kernel.T_CL, kernel.T_WL, kernel.T_WTR]] = [
        spec.burst_cycles, spec.RAS, spec.RP, spec.RC, spec.RRD, spec.FAW, spec.CCD, spec.RCD, spec.CL, spec.WL,
        spec.WTR]
    tim[kernel.T_PRE_RD] = float(spec.RTP)  # CAS -> earliest auto-precharge after a read ...
    tim[kernel.T_PRE_WR] = float(spec.WL + spec.burst_cycles + spec.WR)  # ... and after a write
    tim[[kernel.C_PLAYER, kernel.C_HIT, kernel.C_PRE, kernel.C_ACT, kernel.C_RESP]] = [
        c.player, c.hit, c.pre, c.act, c.resp]
    has_prev = p.prev_same_bank >= 0
    prev_wr = np.zeros(p.n, bool)
    prev_wr[has_prev] = p.is_write[p.prev_same_bank[has_prev]]
    out = kernel.simulate_classes(
        np.ascontiguousarray(p.ts, np.float64), p.bank, p.is_write, has_prev, p.same_row, prev_wr, p.bank_count,
        int(np.count_nonzero(p.is_last_in_bank)), int(p.n_banks), np.asarray(policy).astype(np.int64),
        np.asarray(bankwise).astype(bool), rbs_i, np.asarray(fifo_arbiter).astype(bool), mat_i, tim)
    return {"end": out[:, 0].copy(), "n_act": out[:, 1].copy(), "n_pre": out[:, 2].copy(),
            "lat_sum": out[:, 3].copy()}
