"""FARSI's hardware rules outside the phase simulation: its graph pruning of buses and its CACTI
memory costs (see :mod:`.farsi_model` for the simulation itself)."""

from __future__ import annotations

import math

CACTI_UNIT_B = 256_000  # config.min_mem_size: CACTI sizes are multiples of this
CACTI_MIN_B = 2048  # config.cacti_min_memory_size_in_bytes
CACTI_B_PER_ACCESS = 16  # design.py divides CACTI's per-access energy by 16 bytes
TECH = {"energy_non_gpp": 0.064, "area_ip": 0.0374, "area_mem": 0.07}  # ArchGym's tech_node_SF


def cacti_costs(table: dict[tuple[bool, int], tuple[float, float, float]]):
    """A ``cacti(dram, bytes)`` function over a tabulated CACTI (see ``data/soc/farsi_cacti.csv``):
    per-byte read/write energy (J) and area (m²) with ArchGym's technology scaling.  Sizes between
    tabulated ones interpolate linearly; beyond the table they extrapolate from its last two."""
    import bisect

    sizes = {dram: sorted(s for dr, s in table if dr == dram) for dram in (False, True)}
    scale = (TECH["energy_non_gpp"] * 1e-9 / CACTI_B_PER_ACCESS,) * 2 + (1e-6 * TECH["area_mem"],)

    def cost(dram: bool, nbytes: float) -> tuple[float, float, float]:
        size = math.ceil(max(math.ceil(nbytes), CACTI_MIN_B) / CACTI_UNIT_B) * CACTI_UNIT_B
        grid = sizes[dram]
        if (dram, size) in table:
            raw = table[(dram, size)]
        else:
            i = min(max(bisect.bisect_left(grid, size), 1), len(grid) - 1)
            lo, hi = grid[i - 1], grid[i]
            a, b = table[(dram, lo)], table[(dram, hi)]
            f = (size - lo) / (hi - lo)
            raw = tuple(a[j] + f * (b[j] - a[j]) for j in range(3))
        return raw[0] * scale[0], raw[1] * scale[1], raw[2] * scale[2]

    return cost


def prune_buses(pe_bus: list[int], mem_bus: list[int], n_bus: int) -> tuple[list[int], list[int]]:
    """FARSI's ``HardwareGraph.prune_unnecessary_nodes`` on a chain of buses (bus j links bus j-1):
    a bus with no memory and one neighbouring bus hands its PEs to that bus; one with no PE and one
    neighbouring bus hands it its memories; such buses (and those with neither) leave the chain.
    Blocks are visited depth-first from PE 0, neighbours in the order ArchGym connects them (PEs,
    then buses, then memories), as FARSI does."""
    pe_bus, mem_bus = list(pe_bus), list(mem_bus)
    links = {b: [] for b in range(n_bus)}
    for b in range(1, n_bus):  # ArchGym: ics[b].connect(ics[b - 1])
        links[b].append(b - 1)
        links[b - 1].append(b)
    order: list[int] = []

    def visit(b: int) -> None:
        if b in order:
            return
        order.append(b)
        for nb in list(links[b]):
            visit(nb)

    visit(pe_bus[0])
    for b in order:
        pes = [p for p, x in enumerate(pe_bus) if x == b]
        mems = [m for m, x in enumerate(mem_bus) if x == b]
        ics = links[b]
        no_mem_one_ic = not mems and len(ics) == 1
        no_pe_one_ic = not pes and len(ics) == 1
        if no_mem_one_ic:
            for p in pes:
                pe_bus[p] = ics[0]
        elif no_pe_one_ic:
            for m in mems:
                mem_bus[m] = ics[0]
        if no_mem_one_ic or no_pe_one_ic or (not pes and not mems):
            first = ics[0] if ics else None
            for nb in list(ics):
                links[nb].remove(b)
                if first is not None and nb != first and first not in links[nb]:
                    links[nb].append(first)
                    links[first].append(nb)
            links[b] = []
    return pe_bus, mem_bus
