"""The per-design hot loop: list scheduling with a shared bus, and peak-window power.

Model (documented in the simulator's docstring):

* Tasks are taken in a fixed priority order (decreasing HEFT upward rank on reference-core times,
  ties broken topologically).  In the allocation formulation each task goes to the PE that gives
  it the earliest finish time (HEFT without insertion); in the mapping formulation to its mapped PE.
* A PE runs one task at a time (tasks sharing a PE serialise).
* An edge whose producer ran on another PE is a transfer over the single shared bus, at
  ``min(bus, memory)`` bandwidth; transfers serialise on the bus in scheduling order (FIFO), each
  starting when its data is produced and the bus is free.  Same-PE edges reuse the data in the
  PE's local buffer and cost nothing; zero-time transfers do not occupy the bus.

Plain Python lists in the loop: for ~16–40 tasks this is far faster than numpy per-element work.
"""

from __future__ import annotations

import math

import numpy as np

N_WINDOWS = 16  # peak power = max over N_WINDOWS equal windows of the makespan
INF = math.inf


def list_schedule(order: list[int], preds: list[list[tuple[int, int]]], times: list[list[float]],
                  xfer: list[float], n_pe: int, mapping: list[int] | None
                  ) -> tuple[list[float], list[float], list[int], list[float]]:
    """Schedule one design.

    Args:
        order: task indices in priority (and topological) order.
        preds: per task, ``(producer, edge index)`` pairs.
        times: per task, execution time (s) on every PE slot; ``inf`` where it cannot run.
        xfer: per edge, transfer time (s) if it crosses PEs.
        n_pe: number of PE slots.
        mapping: per task, its PE slot (mapping formulation), or ``None`` to choose by EFT.

    Returns:
        ``(start, finish, pe, xfer_start)``: per-task start/finish times and PE slot, and per-edge
        transfer start (``-1`` for edges that need no bus transfer).
    """
    n = len(times)
    pe_free = [0.0] * n_pe
    start = [0.0] * n
    finish = [0.0] * n
    where = [-1] * n
    xstart = [-1.0] * len(xfer)
    bus_free = 0.0
    all_pes = range(n_pe)
    for t in order:
        row = times[t]
        pr = preds[t]
        best_f = INF
        best_p = -1
        best_s = 0.0
        for p in (all_pes if mapping is None else (mapping[t],)):
            et = row[p]
            if et == INF:
                continue
            ready = 0.0
            bf = bus_free
            for u, e in pr:
                fu = finish[u]
                if where[u] != p:
                    d = xfer[e]
                    if d > 0.0:
                        bf = (fu if fu > bf else bf) + d
                        fu = bf
                if fu > ready:
                    ready = fu
            pf = pe_free[p]
            s = pf if pf > ready else ready
            f = s + et
            if f < best_f:
                best_f, best_p, best_s = f, p, s
        for u, e in pr:  # commit the chosen PE's transfers on the bus
            if where[u] != best_p:
                d = xfer[e]
                if d > 0.0:
                    fu = finish[u]
                    s = fu if fu > bus_free else bus_free
                    xstart[e] = s
                    bus_free = s + d
        start[t] = best_s
        finish[t] = best_f
        where[t] = best_p
        pe_free[best_p] = best_f
    return start, finish, where, xstart


def peak_window_power(starts: np.ndarray, ends: np.ndarray, energy_pJ: np.ndarray, makespan_s: float) -> float:
    """Max over ``N_WINDOWS`` equal windows of the dynamic energy in the window / window length.

    Each activity's energy is spread uniformly over its interval (a zero-length activity puts its
    energy in the window containing it).  Returns pJ/s.
    """
    if makespan_s <= 0.0 or energy_pJ.size == 0:
        return 0.0
    w = makespan_s / N_WINDOWS
    lo = np.arange(N_WINDOWS) * w
    hi = lo + w
    dur = ends - starts
    ov = np.clip(np.minimum(ends[:, None], hi) - np.maximum(starts[:, None], lo), 0.0, None)
    pos = dur > 0
    frac = np.zeros_like(ov)
    frac[pos] = ov[pos] / dur[pos, None]
    if not pos.all():
        k = np.minimum((starts[~pos] / w).astype(np.int64), N_WINDOWS - 1)
        frac[np.flatnonzero(~pos), k] = 1.0
    return float((energy_pJ @ frac).max() / w)
