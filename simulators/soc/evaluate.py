"""Batch evaluation of SoC designs: vectorised tables, then one list schedule per design.

Everything that does not depend on the schedule — per-(design, task, PE) execution times and
energies, memory placement and transfer times of every edge, area and leakage — is computed with
numpy over the whole batch.  Only the schedule itself runs per design (:mod:`.schedule`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from archgym.simulators.soc.schedule import list_schedule, peak_window_power
from archgym.simulators.soc.space import SA_SIZES
from archgym.simulators.soc.templates import dvfs_energy_scale
from archgym.simulators.systolic import DATAFLOWS

if TYPE_CHECKING:
    from archgym.simulators.soc.tables import SoCTables

MW_TO_PJ_PER_S = 1e9


def _pe_tables(sim: SoCTables, d: dict[str, np.ndarray], n: int):
    """Execution times (s) and dynamic energies (pJ) of every task on every PE slot, (n, T, P),
    and the per-slot allocation parameters (unrolls, systolic sizes)."""
    lib, g = sim.library, sim.graph
    T, C, K, S = len(g.tasks), sim.max_cores, len(sim.kinds), sim.n_sa
    work = sim.work[None, :]
    times = np.full((n, T, C + K + S), np.inf)
    epj = np.zeros((n, T, C + K + S))
    f_core = d["core_freq_MHz"].astype(float)[:, None]
    times[:, :, :C] = (work / (lib.core.ipc * f_core * 1e6))[:, :, None]
    epj[:, :, :C] = (work * lib.core.pJ_per_instr * dvfs_energy_scale(f_core, lib.core.nominal_MHz))[:, :, None]
    f_acc = d["accel_freq_MHz"].astype(float)[:, None]
    acc_scale = dvfs_energy_scale(f_acc, lib.accel_nominal_MHz)
    unroll = np.stack([d[f"ip_{kind}_unroll"] for kind in sim.kinds], axis=1).astype(float) if K else \
        np.zeros((n, 0))
    if K:
        ip = sim.ip_arrays
        tk = sim.task_kind  # IP index of every task, -1 for DNN tasks
        lanes = np.minimum(unroll[:, np.maximum(tk, 0)], sim.maxu[None, :])  # (n, T)
        ok = (tk >= 0)[None, :] & (lanes > 0)
        rate = ip["ops_per_cycle"][np.maximum(tk, 0)] * np.where(ok, lanes, 1.0) * f_acc * 1e6
        t_ip = np.where(ok, work / rate, np.inf)
        e_ip = np.where(ok, work * ip["pJ_per_op"][np.maximum(tk, 0)] * acc_scale, 0.0)
        own = sim.kind_onehot[None, :, :]  # (1, T, K): a task runs only on its own kind's IP
        times[:, :, C:C + K] = np.where(own, t_ip[:, :, None], np.inf)
        epj[:, :, C:C + K] = np.where(own, e_ip[:, :, None], 0.0)
    sizes = np.zeros((n, S))
    for j in range(S):
        size = d[f"sa{j}_size"].astype(np.int64)
        sizes[:, j] = size
        df = np.array([DATAFLOWS.index(x) for x in d[f"sa{j}_dataflow"].astype(str)], dtype=np.int64)
        cfg = np.searchsorted(np.array(SA_SIZES), size) * len(DATAFLOWS) + df
        on = size > 0
        cfg = np.where(on, cfg, 0)
        cyc = sim.sa_cycles[cfg]
        times[:, :, C + K + j] = np.where(on[:, None], cyc / (f_acc * 1e6), np.inf)
        epj[:, :, C + K + j] = np.where(on[:, None] & np.isfinite(cyc), sim.sa_pJ[cfg] * acc_scale, 0.0)
    return times, epj, unroll, sizes


def _mapping(sim: SoCTables, d: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Mapped PE slot of every task, (n, T); -1 for ``ip`` on a DNN task (no IP runs layers)."""
    C, K = sim.max_cores, len(sim.kinds)
    out = np.empty((n, len(sim.graph.tasks)), dtype=np.int64)
    for t, task in enumerate(sim.graph.tasks):
        lut = {f"core{j}": j for j in range(C)}
        lut["ip"] = -1 if task.kind not in sim.kinds else C + sim.kinds.index(task.kind)
        lut.update({f"sa{j}": C + K + j for j in range(sim.n_sa)})
        out[:, t] = [lut[v] for v in d[f"map_{task.name}"].astype(str)]
    return out


def evaluate_batch(sim: SoCTables, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    lib, g = sim.library, sim.graph
    n = len(d["core_freq_MHz"])
    T, C, K, S = len(g.tasks), sim.max_cores, len(sim.kinds), sim.n_sa
    P = C + K + S
    times, epj, unroll, sizes = _pe_tables(sim, d, n)
    reason = np.full(n, "", dtype=object)
    mapping = None
    if sim.formulation == "allocation":
        alloc = np.concatenate([np.arange(C)[None, :] < d["n_cores"][:, None], unroll > 0, sizes > 0], axis=1)
        times = np.where(alloc[:, None, :], times, np.inf)
        runnable = np.isfinite(times).any(axis=2)
        for i in np.flatnonzero(~runnable.all(axis=1)):
            t = int(np.flatnonzero(~runnable[i])[0])
            reason[i] = (f"no allocated PE can run task {g.tasks[t].name!r} (kind {g.tasks[t].kind!r}): "
                         "allocate a core or a matching IP/systolic array")
    else:
        mapping = _mapping(sim, d, n)
        alloc = np.zeros((n, P), bool)
        for p in range(P):
            alloc[:, p] = (mapping == p).any(axis=1)
        safe = np.maximum(mapping, 0)
        mapped_t = np.take_along_axis(times, safe[:, :, None], axis=2)[:, :, 0]
        bad = (mapping < 0) | ~np.isfinite(mapped_t)
        for i in np.flatnonzero(bad.any(axis=1)):
            t = int(np.flatnonzero(bad[i])[0])
            task = g.tasks[t]
            reason[i] = (f"task {task.name!r} (kind {task.kind!r}) is mapped to "
                         f"{d[f'map_{task.name}'][i]!r}, which cannot run it")
    unroll = np.where(alloc[:, C:C + K], unroll, 0.0)
    sizes = np.where(alloc[:, C + K:], sizes, 0.0)
    n_cores = alloc[:, :C].sum(axis=1)

    # memories and bus: placement, bandwidth and energy of every edge
    mem, bus = lib.memory, lib.bus
    kB = d["sram_kB"].astype(float)
    dram_w = d["dram_width_B"].astype(float)
    bus_bps = d["bus_width_B"] * d["bus_freq_MHz"] * 1e6
    nbytes = sim.bytes[None, :]
    in_sram = (kB[:, None] > 0) & (nbytes <= kB[:, None] * 1024)
    in_dram = ~in_sram & (dram_w[:, None] > 0)
    mem_bps = np.where(in_sram, (d["sram_width_B"] * d["bus_freq_MHz"] * 1e6)[:, None],
                       (dram_w * mem.dram_MTps * 1e6)[:, None])
    bw = np.minimum(bus_bps[:, None], np.where(in_sram | in_dram, mem_bps, 1.0))
    xfer = nbytes / bw
    sram_pJ = mem.sram_pJ_per_byte(kB, lib.systolic.tech)[:, None]
    edge_pJ = nbytes * (bus.pJ_per_byte + 2 * np.where(in_sram, sram_pJ, mem.dram_pJ_per_byte))
    unplaced = ~(in_sram | in_dram)
    for i in np.flatnonzero(unplaced.any(axis=1)):
        if (kB[i] == 0) and (dram_w[i] == 0):
            reason[i] = "no memory allocated (sram_kB=0 and dram_width_B=0): task data needs a buffer"
        else:
            e = int(np.flatnonzero(unplaced[i])[0])
            s, t, b = g.edges[e]
            reason[i] = (f"edge {g.tasks[s].name!r} -> {g.tasks[t].name!r} needs {b / 1024:.0f} kB but "
                         f"sram_kB={kB[i]:.0f} and there is no DRAM")

    # area (mm²) and static power (mW) of the allocated blocks
    sa_t = lib.systolic.tech
    sa_sram = 3 * lib.systolic.sram_kB
    ip = sim.ip_arrays
    area = (n_cores * lib.core.area_mm2
            + (np.where(unroll > 0, ip["base_area_mm2"] + ip["lane_area_mm2"] * unroll, 0.0)).sum(axis=1)
            + (np.where(sizes > 0, sizes ** 2 * sa_t.pe_area_um2 * 1e-6 + sa_sram * sa_t.sram_area_mm2_per_kB, 0)
               ).sum(axis=1)
            + kB * mem.sram_area_mm2_per_kB + np.where(dram_w > 0, mem.dram_ctrl_area_mm2 + dram_w
                                                         * mem.dram_area_mm2_per_B, 0)
            + d["bus_width_B"] * bus.area_mm2_per_B)
    leak_mW = (n_cores * lib.core.leak_mW
               + (ip["lane_leak_mW"] * unroll).sum(axis=1)
               + (np.where(sizes > 0, sizes ** 2 * sa_t.pe_leak_mW + sa_sram * sa_t.sram_leak_mW_per_kB, 0)
                  ).sum(axis=1)
               + kB * mem.sram_leak_mW_per_kB + np.where(dram_w > 0, mem.dram_background_mW, 0)
               + d["bus_width_B"] * bus.leak_mW_per_B)

    # infeasible designs keep their (well-defined) area; schedule-derived costs are +inf, which is
    # "worse than anything" and, unlike NaN, compares equal to itself in logged trajectories
    out = {m: np.full(n, np.inf) for m in sim.metrics}
    out["area_mm2"] = area
    out["bus_utilization"] = np.zeros(n)
    src = np.array([s for s, _, _ in g.edges], dtype=np.int64)
    dst = np.array([t for _, t, _ in g.edges], dtype=np.int64)
    tasks = np.arange(T)
    for i in np.flatnonzero(reason == ""):
        start, finish, pe, xs = list_schedule(sim.order, sim.preds, times[i].tolist(), xfer[i].tolist(), P,
                                              None if mapping is None else mapping[i].tolist())
        pe_a = np.array(pe)
        st, fi, xs_a = np.array(start), np.array(finish), np.array(xs)
        cross = pe_a[src] != pe_a[dst]
        task_e = epj[i, tasks, pe_a]
        e_e = np.where(cross, edge_pJ[i], 0.0)
        moved = xs_a >= 0
        makespan = float(fi.max())
        dyn = float(task_e.sum() + e_e.sum())
        energy = dyn + leak_mW[i] * MW_TO_PJ_PER_S * makespan
        peak = peak_window_power(np.concatenate([st, xs_a[moved]]), np.concatenate([fi, xs_a[moved] + xfer[i][moved]]),
                                 np.concatenate([task_e, e_e[moved]]), makespan)
        out["latency_ms"][i] = makespan * 1e3
        out["energy_mJ"][i] = energy * 1e-9
        out["power_mW"][i] = energy / makespan / MW_TO_PJ_PER_S if makespan > 0 else leak_mW[i]
        out["peak_power_mW"][i] = peak / MW_TO_PJ_PER_S + leak_mW[i]
        out["deadlines_missed"][i] = float((fi > sim.deadline * 1e-3).sum())
        out["bus_utilization"][i] = 100.0 * xfer[i][moved].sum() / makespan if makespan > 0 else 0.0
    out["feasible"] = reason == ""
    out["reason"] = reason
    return out
