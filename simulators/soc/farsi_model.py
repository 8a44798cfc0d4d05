"""FARSI's evaluation semantics, replayed per design: the model behind ``formulation="farsi"``.

What FARSI does (read from its source, ``SIM_utils/components/perf_sim.py``,
``design_utils/components/krnel.py``, ``design.py``, with ArchGym's settings) and what this module
reproduces, step for step:

* **Kernels.**  Every task (FARSI's dummy ``souurce``/``siink``/``dummy_last`` included, on PE 0)
  is a kernel that launches when every parent has finished.  Its work W is in A53 instructions.
* **Serialised PEs** (``DMA_mode = "serialized_read_write"``): a PE runs one kernel at a time;
  the running kernel keeps it, then newly launched kernels (in task-table order), then those
  already waiting.
* **Phases and rates** (``sw_model = "gables_inspired_exact"``): in each phase a kernel's rate
  (instructions/s) is the smallest over the blocks it uses of ``peak × share / ratio``: its PE
  (``ratio`` 1, no sharing), and per direction (read from its parents' memories, write to its own)
  every bus on the route and the memory, where ``ratio`` is the bytes moved through that block per
  instruction.  A bus's capacity towards one next hop is split equally among the distinct masters
  (PEs or buses) whose running kernels use it, then among the kernels of one master in proportion
  to their transfer sizes; a memory's among its kernels in proportion to their transfer sizes
  (FARSI's "work units": bytes ÷ the task's dice factor).  A phase lasts until the first running
  kernel finishes; a kernel at ≥ 99 % of its work then counts as finished (FARSI's rule).
* **Latency** = completion time of the workload's last task.
* **Energy** = Σ phases (PE instructions ÷ instructions-per-joule + bytes read/written × CACTI's
  per-byte energy of the memory); buses cost no energy once CACTI corrects them.
* **Power** = max over collection windows of energy ÷ time: phases are grouped until one exceeds
  what is left of ``PCP = 0.01 s`` (``common_design_utils.slice_phases_with_PWP``, reproduced with
  its handling of zero-length phases).
* **Area** = A53s hosting a real task (0.65 mm² each) + IPs (area × unroll × 0.0374) + memories
  (CACTI area of the peak bytes held, rounded up to 256,000 B, × 0.07); buses are free.
* **Memory size**: a kernel's output bytes are allocated in its memory when it launches and freed
  when all its children have finished (FARSI's bookkeeping, reproduced literally).

The per-design loop is plain Python over lists: workloads have 8–18 kernels and a few dozen
phases, where numpy per-element work would be slower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archgym.errors import SimulatorError
from archgym.simulators.soc.farsi_db import FarsiWorkload, is_dummy

PCP_S = 0.01  # FARSI's power collection period
DONE_FRACTION = 0.99  # FARSI marks a kernel complete at 99 % progress
BURST_B = 1024  # ArchGym's burst_size_options[0]: sets the dice factor of transfer "work units"
IP_REF_HZ = 100e6  # clock of FARSI's IP cycle counts


@dataclass(frozen=True)
class Kernel:
    """Static per-task data: work, family transfers and their work units."""

    name: str
    work: float
    dummy: bool
    parents: tuple[tuple[int, float, int], ...]  # (parent kernel, bytes, work unit)
    children: tuple[tuple[int, float, int], ...]  # (child kernel, bytes, work unit)
    out_bytes: float  # bytes allocated in the task's memory at launch


def kernels_of(fw: FarsiWorkload) -> tuple[Kernel, ...]:
    """The workload's kernels in FARSI's order (rows of the data-movement table)."""
    idx = {t: i for i, t in enumerate(fw.tasks)}
    par: dict[str, list[tuple[str, float]]] = {t: [] for t in fw.tasks}
    chi: dict[str, list[tuple[str, float]]] = {t: [] for t in fw.tasks}
    for (s, d), b in fw.edges.items():
        chi[s].append((d, b))
        par[d].append((s, b))
    out = []
    for t in fw.tasks:
        w = fw.work(t)
        dice = _dice_factor(t, w, [b for _, b in par[t]], [b for _, b in chi[t]])
        out.append(Kernel(t, w, is_dummy(t), tuple((idx[p], b, int(b / dice)) for p, b in par[t]),
                          tuple((idx[c], b, int(b / dice)) for c, b in chi[t]),
                          sum(b for _, b in chi[t])))
    return tuple(out)


def _dice_factor(name: str, work: float, reads: list[float], writes: list[float]) -> int:
    """``Task.set_dice_factor``: splits transfers into bursts; work units are bytes ÷ this."""
    if "souurce" in name or "siink" in name:
        return 1
    smallest_read = min(reads) if reads else 0.0
    dice = math.floor(smallest_read / BURST_B)
    if dice == 0:
        return 1
    smallest_write = min(writes) if writes else 0.0
    if math.floor(smallest_write / dice) == 0 or math.floor(work / dice) == 0:
        return 1
    return dice


@dataclass(frozen=True)
class Design:
    """One FARSI design, resolved to numbers.

    ``pe_of``/``mem_of`` give each kernel's PE and (write) memory; PE ``p`` runs ``pe_peak[p]``
    instructions/s at ``pe_ipj[p]`` instructions per joule (an IP runs only its own task), sits on bus
    ``pe_bus[p]`` and costs ``pe_area[p]`` m² when it hosts a real task.  Buses form a chain
    (bus j links bus j-1); memories have a peak (B/s), a bus, a subtype (sram/dram).
    """

    pe_of: tuple[int, ...]
    mem_of: tuple[int, ...]  # -1: the kernel writes nowhere (FARSI's siink/dummy_last)
    pe_peak: tuple[float, ...]
    pe_ipj: tuple[float, ...]
    pe_bus: tuple[int, ...]
    pe_area: tuple[float, ...]
    bus_peak: tuple[float, ...]
    mem_peak: tuple[float, ...]
    mem_bus: tuple[int, ...]
    mem_dram: tuple[bool, ...]


def _route(a: int, b: int) -> list[int]:
    """Buses from bus ``a`` to bus ``b`` along the chain, both included."""
    step = 1 if b >= a else -1
    return list(range(a, b + step, step))


class _Plan:
    """Per-design static routing.  For every kernel: ``cons[k]``, one ``(peak ÷ ratio, cluster,
    pipe, work units)`` per cluster it uses (``ratio`` = bytes through that block and direction per
    instruction; the kernel enters the cluster through ``pipe`` with those work units); ``wu[k]``, its work units on every
    pipe; ``mem_io[k]``, ``(memory, is_read, ratio)``.  Pipes and clusters are small integers;
    ``master[pipe]`` is the block the pipe comes from."""

    __slots__ = ("cons", "wu", "mem_io", "master", "n_pipes", "n_clusters", "bus_bytes")

    def __init__(self, ks: tuple[Kernel, ...], d: Design):
        n = len(ks)
        self.cons: list[list[tuple[float, int, int, int]]] = [[] for _ in range(n)]
        self.wu: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.mem_io: list[list[tuple[int, bool, float]]] = [[] for _ in range(n)]
        self.bus_bytes = [0.0] * len(d.bus_peak)  # bytes every bus carries over the workload
        pipe_id: dict[tuple, int] = {}
        cluster_id: dict[tuple, int] = {}
        master: list[tuple] = []
        n_pe = len(d.pe_peak)
        for k, kr in enumerate(ks):
            if kr.dummy or kr.work <= 0:
                continue
            p = d.pe_of[k]
            pbus = d.pe_bus[p]
            ratio: dict[tuple, float] = {}
            clusters: dict[tuple, int] = {}  # cluster key -> pipe
            wu: dict[int, int] = {}
            # families sharing a memory share the route: aggregate bytes and work units per memory
            per_mem: dict[tuple[bool, int], list[float]] = {}
            for is_read, fams in ((True, kr.parents), (False, kr.children)):
                for fam, nbytes, unit in fams:
                    m = d.mem_of[fam] if is_read else d.mem_of[k]
                    if m >= 0:
                        acc = per_mem.setdefault((is_read, m), [0.0, 0])
                        acc[0] += nbytes
                        acc[1] += unit
            for (is_read, m), (nbytes, unit) in per_mem.items():
                hops = [p] + [n_pe + x for x in _route(pbus, d.mem_bus[m])] + [-1 - m]
                last = len(hops) - 1
                for i in range(1, len(hops)):
                    blk = hops[i]
                    ratio[(blk, is_read)] = ratio.get((blk, is_read), 0.0) + nbytes
                    key = (hops[i - 1], blk, is_read)
                    pipe = pipe_id.get(key)
                    if pipe is None:
                        pipe = pipe_id[key] = len(master)
                        master.append((hops[i - 1], blk))
                    wu[pipe] = wu.get(pipe, 0) + unit
                    clusters.setdefault((blk, is_read, hops[i + 1] if i < last else None), pipe)
            for (blk, is_read), nbytes in ratio.items():
                if blk >= n_pe:
                    self.bus_bytes[blk - n_pe] += nbytes
                elif blk < 0:
                    self.mem_io[k].append((-1 - blk, is_read, nbytes / kr.work))
            for key, pipe in clusters.items():
                blk = key[0]
                peak = d.bus_peak[blk - n_pe] if blk >= 0 else d.mem_peak[-1 - blk]
                cl = cluster_id.setdefault(key, len(cluster_id))
                self.cons[k].append((peak * kr.work / ratio[(blk, key[1])], cl, pipe, wu[pipe]))
            self.wu[k] = list(wu.items())
        self.master = [m[0] for m in master]
        self.n_pipes = len(master)
        self.n_clusters = len(cluster_id)


def simulate(fw: FarsiWorkload, ks: tuple[Kernel, ...], d: Design, cacti) -> dict[str, float]:
    """Replay FARSI's phase simulation of design ``d``; returns latency_s, energy_J, power_W,
    area_m2, mem_bytes, per-block areas and bus_utilization (busiest bus: bytes ÷ (peak × latency)).  ``cacti(dram, bytes) -> (read J/B, write J/B, m²)``."""
    n = len(ks)
    plan = _Plan(ks, d)
    pe_of = d.pe_of
    left = [kr.work for kr in ks]
    rate = [0.0] * n
    done = [False] * n
    launched = [False] * n
    finish = [0.0] * n
    scheduled: list[int] = []
    waiting: list[int] = []
    n_mem = len(d.mem_peak)
    live = [0.0] * n_mem
    peak_bytes = [0.0] * n_mem
    completed_for_sizing: list[int] = []
    phase_dt: list[float] = []
    phase_pe_J: list[float] = []
    phase_rd: list[list[float]] = []  # bytes read per memory
    phase_wr: list[list[float]] = []
    mem_io = plan.mem_io
    missing = [len(kr.parents) for kr in ks]  # parents that have not delivered yet
    clock = old = 0.0
    hosting = set()
    while True:
        dt = clock - old
        # --- step the running kernels by dt ---
        pe_J = 0.0
        rd = [0.0] * n_mem
        wr = [0.0] * n_mem
        for k in scheduled:
            kr = ks[k]
            if kr.work > 0:
                w = rate[k] * dt
                left[k] -= w
                if not kr.dummy:
                    pe_J += w / d.pe_ipj[pe_of[k]]
                    for m, is_read, r in mem_io[k]:
                        (rd if is_read else wr)[m] += w * r
                progress = 1.0 - left[k] / kr.work
            else:
                progress = 1.0
            if progress >= DONE_FRACTION:
                done[k] = True
                finish[k] = clock
        phase_dt.append(dt)
        phase_pe_J.append(pe_J)
        phase_rd.append(rd)
        phase_wr.append(wr)
        # --- retire finished kernels: tokens to children, free parents' buffers ---
        for k in list(scheduled):
            if not done[k]:
                continue
            scheduled.remove(k)
            completed_for_sizing.append(k)
            for c, _, _ in ks[k].children:
                missing[c] -= 1
            for p, _, _ in ks[k].parents:
                kids = [c for c, _, _ in ks[p].children]
                if all(c in completed_for_sizing for c in kids):
                    _resize(ks, d, p, -1.0, live, peak_bytes)
                    for c in kids:
                        completed_for_sizing.remove(c)
        # --- launch kernels whose parents have all delivered (task-table order) ---
        for k in range(n):
            if launched[k] or missing[k]:
                continue
            launched[k] = True
            left[k] = ks[k].work
            scheduled.append(k)
            _resize(ks, d, k, 1.0, live, peak_bytes)
            hosting.add(pe_of[k])
        # --- one kernel per PE: running ones keep it, then new ones, then the waiting ones ---
        busy: set[int] = set()
        run: list[int] = []
        wait: list[int] = []
        for k in scheduled + waiting:
            (wait if pe_of[k] in busy else run).append(k)
            busy.add(pe_of[k])
        scheduled, waiting = run, wait
        old = clock
        if not scheduled and all(launched):
            break
        if not scheduled:  # nothing can run: a kernel waits for a parent that never ran
            raise SimulatorError("FARSI replay stalled: a task waits for a parent that never ran")
        _rates(ks, d, plan, scheduled, rate)
        clock += min((left[k] / rate[k]) if ks[k].work > 0 else 0.0 for k in scheduled)
    out = _metrics(fw, ks, d, cacti, finish, phase_dt, phase_pe_J, phase_rd, phase_wr, peak_bytes, hosting)
    lat = out["latency_s"]
    out["bus_utilization"] = max((b / (p * lat) for b, p in zip(plan.bus_bytes, d.bus_peak, strict=True)),
                                 default=0.0) if lat > 0 else 0.0
    return out


def _resize(ks, d: Design, k: int, sign: float, live: list[float], peak_bytes: list[float]) -> None:
    """``Kernel.update_mem_size``: a task's output bytes live in its memory between its launch and
    the completion of all its children (``siink`` allocates nothing, ``souurce`` is never freed)."""
    kr = ks[k]
    m = d.mem_of[k]
    if m < 0 or ("souurce" in kr.name and sign < 0) or ("siink" in kr.name and sign > 0):
        return
    live[m] += sign * kr.out_bytes
    peak_bytes[m] = max(peak_bytes[m], live[m])


def _rates(ks, d: Design, plan: _Plan, scheduled: list[int], rate: list[float]) -> None:
    """Each running kernel's rate (instructions/s) for the next phase."""
    # work units of the running kernels on every pipe, and the masters using every cluster
    total = [0] * plan.n_pipes
    masters: list[set] = [set() for _ in range(plan.n_clusters)]
    master = plan.master
    for j in scheduled:
        for pipe, u in plan.wu[j]:
            total[pipe] += u
        for _, cl, pipe, _ in plan.cons[j]:
            masters[cl].add(master[pipe])
    for k in scheduled:
        kr = ks[k]
        if kr.dummy or kr.work <= 0:
            rate[k] = 1.0
            continue
        r = d.pe_peak[d.pe_of[k]]
        for peak_per_ratio, cl, pipe, own in plan.cons[k]:
            t = total[pipe]
            x = peak_per_ratio * (own / t if t else 1.0) / len(masters[cl])
            if x < r:
                r = x
        rate[k] = r


def _metrics(fw, ks, d: Design, cacti, finish, phase_dt, phase_pe_J, phase_rd, phase_wr, peak_bytes, hosting):
    n_mem = len(d.mem_peak)
    used = [any(m == i for m in d.mem_of) for i in range(n_mem)]
    costs = [cacti(d.mem_dram[i], peak_bytes[i]) if used[i] else (0.0, 0.0, 0.0) for i in range(n_mem)]
    energy = []
    for pe_J, rd, wr in zip(phase_pe_J, phase_rd, phase_wr, strict=True):
        e = pe_J
        for i in range(n_mem):
            if rd[i] or wr[i]:
                e += rd[i] * costs[i][0] + wr[i] * costs[i][1]
        energy.append(e)
    names: dict[int, list[str]] = {}
    for i, k in enumerate(ks):
        names.setdefault(d.pe_of[i], []).append(k.name)
    area_pe = sum(d.pe_area[p] for p in hosting if _pe_has_area(names[p]))
    area_mem = sum(c[2] for c in costs)
    last = next(i for i, k in enumerate(ks) if k.name == fw.last_task)
    return {"latency_s": finish[last], "energy_J": sum(energy), "power_W": window_power(phase_dt, energy),
            "area_m2": area_pe + area_mem, "area_pe_m2": area_pe, "area_mem_m2": area_mem,
            "mem_bytes": float(sum(math.ceil(b) for b, u in zip(peak_bytes, used, strict=True) if u)),
            "phases": float(len(phase_dt))}


def _pe_has_area(names: list[str]) -> bool:
    """``Block.only_dummy_tasks``: a PE hosting just ``souurce`` and/or ``siink`` costs no area
    (one hosting three dummies, as audio_decoder's PE 0 may, does)."""
    if len(names) == 2:
        return not (any("souurce" in n for n in names) and any("siink" in n for n in names))
    if len(names) == 1:
        return not ("souurce" in names[0] or "siink" in names[0])
    return True


def window_power(phase_dt: list[float], phase_J: list[float]) -> float:
    """FARSI's power: max over collection windows of E/T (``calc_SOC_power`` with
    ``slice_phases_with_PWP``, whose bounds skip zero-length phases without advancing)."""
    bounds = []
    lo = hi = 0
    budget = PCP_S
    for dt in phase_dt:
        if dt == 0:
            continue
        if dt > budget:
            budget = PCP_S
            bounds.append((lo, hi + 1))
            lo = hi + 1
        else:
            budget -= dt
        hi += 1
    n = len(phase_dt)
    if not bounds:
        bounds.append((0, n))
    elif bounds[-1][1] != n:
        bounds.append((bounds[-1][1], n))
    best = 0.0
    for a, b in bounds:
        t = sum(phase_dt[a:b])
        p = sum(phase_J[a:b]) / t if t > 0 else 0.0
        best = max(best, p)
    return best
