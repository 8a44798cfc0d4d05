"""The ``farsi`` formulation of SoC-v0: FARSI's block library and design knobs, FARSI's semantics.

Why a formulation of its own: FARSI designs place every accelerated task on its own IP (with an
unroll factor and a clock), hang PEs and memories off a chain of buses, and map each task's output
buffer to a memory — none of which the ``allocation``/``mapping`` formulations can express.  This
formulation's knobs are exactly the choices ArchGym's ``FARSIEnv.step`` makes, over FARSI's block
library (``misc_database - Block Characteristics.csv`` and the workload's IP tables), and its
designs are evaluated by :mod:`.farsi_model`, a replay of FARSI's own simulation.

Knobs (``G`` = ``max_cores`` A53s, ``B`` = ``max_buses``, ``M`` = ``max_memories``):

* ``n_gpp`` — A53s allocated (1…G); a task mapped to ``gpp<j>`` with j ≥ n_gpp allocates it too.
  ``gpp0`` always exists: FARSI's bookkeeping tasks run on it.
* ``gpp<j>_bus`` — the bus A53 j hangs off.
* per task ``<t>``: ``pe_<t>`` ∈ {gpp0…, ip}; ``ip_<t>_unroll`` (FARSI's geometric unroll
  factors up to the task's iteration count), ``ip_<t>_freq_MHz`` ∈ {100, 400, 600, 800},
  ``ip_<t>_bus``; ``mem_<t>`` — the memory holding the task's output (``mem_souurce``: the input).
* per bus k: ``bus<k>_width_B`` ∈ {4…128}, ``bus<k>_freq_MHz``; buses form a chain (k links k-1).
* per memory k: ``mem<k>_type`` ∈ {sram, dram}, ``mem<k>_width_B``, ``mem<k>_freq_MHz``,
  ``mem<k>_bus``.  A memory exists when some task's output is mapped to it.

:func:`design_from_reference` turns one row of FARSI's reference runs (``../shared/farsi/
calibration.csv``) into ``(env_kwargs, design)`` of this formulation.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import InvalidParameterError, WorkloadError
from archgym.simulators.soc import farsi_db, farsi_hw, farsi_model
from archgym.simulators.soc.farsi_db import FarsiWorkload
from archgym.spaces import Categorical, DesignSpace, Integer, Ordinal, Parameter

FREQ_MULTS = (1, 4, 6, 8)  # ArchGym's freq_range for IPs, memories and buses
WIDTHS_B = (4, 8, 16, 32, 64, 128)  # LMEM/GMEM/LMEM_ic BitWidth of FARSI's library
SOURCE = "souurce"


@dataclass(frozen=True)
class FarsiTables:
    """What the ``farsi`` evaluation needs, fixed at construction (an explicit input, not the
    simulator's attributes)."""

    workload: FarsiWorkload
    kernels: tuple[farsi_model.Kernel, ...]
    max_cores: int
    max_buses: int
    max_memories: int

    @cached_property
    def consts(self) -> dict[str, Any]:
        """Per-task knob names and FARSI numbers, computed once (the per-design loop is hot)."""
        fw = self.workload
        gpp = fw.gpp
        ip_ref = fw.library["IP"].freq_Hz if "IP" in fw.library else farsi_model.IP_REF_HZ
        tasks = []
        for t in fw.real_tasks:
            w = fw.work(t)
            tasks.append((t, f"pe_{t}", f"ip_{t}_unroll", f"ip_{t}_freq_MHz", f"ip_{t}_bus",
                          w * ip_ref / fw.ip_cycles[t] / 100.0,  # instructions/s per unroll per MHz
                          w / (farsi_hw.TECH["energy_non_gpp"] * fw.ip_energy_fJ[t] * 1e-15),  # ÷ unroll
                          farsi_hw.TECH["area_ip"] * fw.ip_area_um2[t] * 1e-12))  # × unroll
        names = [k.name for k in self.kernels]
        return {"tasks": tasks, "gpp": (gpp.freq_Hz * gpp.ipc, gpp.instr_per_J, gpp.area_m2),
                "mem_ref": _ref_freq(fw, "mem") / 100.0, "bus_ref": _ref_freq(fw, "ic") / 100.0,
                "kernel_index": {n: i for i, n in enumerate(names)},
                "writers": [(t, f"mem_{t}") for t in fw.tasks if t == SOURCE or t in fw.real_tasks],
                "gpp_bus": [f"gpp{j}_bus" for j in range(self.max_cores)],
                "bus": [(f"bus{k}_width_B", f"bus{k}_freq_MHz") for k in range(self.max_buses)],
                "mem": [(f"mem{k}_width_B", f"mem{k}_freq_MHz", f"mem{k}_bus", f"mem{k}_type")
                        for k in range(self.max_memories)]}


def build_farsi_space(fw: FarsiWorkload, max_cores: int, max_buses: int, max_memories: int) -> DesignSpace:
    if min(max_cores, max_buses, max_memories) < 1:
        raise InvalidParameterError(f"max_cores, max_buses and max_memories must be >= 1, got "
                                    f"{max_cores}, {max_buses}, {max_memories}")
    freqs = tuple(100 * f for f in FREQ_MULTS)
    bus = dict(low=0, high=max_buses - 1)
    params: list[Parameter] = [Integer("n_gpp", low=1, high=max_cores, doc="A53 cores allocated")]
    params += [Integer(f"gpp{j}_bus", doc=f"bus of A53 {j}", **bus) for j in range(max_cores)]
    pes = tuple(f"gpp{j}" for j in range(max_cores)) + ("ip",)
    for t in fw.real_tasks:
        params += [Categorical(f"pe_{t}", choices=pes, doc=f"PE running {t!r}: an A53 or its own IP"),
                   Ordinal(f"ip_{t}_unroll", values=fw.unroll_options(t), doc=f"unroll of {t!r}'s IP"),
                   Ordinal(f"ip_{t}_freq_MHz", values=freqs, doc=f"clock of {t!r}'s IP"),
                   Integer(f"ip_{t}_bus", doc=f"bus of {t!r}'s IP", **bus)]
    for k in range(max_buses):
        params += [Ordinal(f"bus{k}_width_B", values=WIDTHS_B, doc=f"width of bus {k}"),
                   Ordinal(f"bus{k}_freq_MHz", values=freqs, doc=f"clock of bus {k}")]
    for k in range(max_memories):
        params += [Categorical(f"mem{k}_type", choices=("sram", "dram"), doc=f"memory {k}: SRAM or DRAM"),
                   Ordinal(f"mem{k}_width_B", values=WIDTHS_B, doc=f"width of memory {k}"),
                   Ordinal(f"mem{k}_freq_MHz", values=freqs, doc=f"clock of memory {k}"),
                   Integer(f"mem{k}_bus", doc=f"bus of memory {k}", **bus)]
    mems = tuple(f"mem{k}" for k in range(max_memories))
    writers = ((SOURCE,) if SOURCE in fw.tasks else ()) + fw.real_tasks
    params += [Categorical(f"mem_{t}", choices=mems, doc=f"memory holding {t!r}'s output") for t in writers]
    return DesignSpace(tuple(params))


def compile_design(tb: FarsiTables, d: Mapping[str, Any]) -> farsi_model.Design:
    """One design (a mapping of knob values) as numbers for :func:`farsi_model.simulate`."""
    c = tb.consts
    n_k = len(tb.kernels)
    kidx = c["kernel_index"]
    n_gpp = int(d["n_gpp"])
    for _t, pe_key, *_ in c["tasks"]:
        v = d[pe_key]
        if v != "ip" and int(v[3:]) >= n_gpp:
            n_gpp = int(v[3:]) + 1
    peak_gpp, ipj_gpp, area_gpp = c["gpp"]
    pe_peak = [peak_gpp] * n_gpp
    pe_ipj = [ipj_gpp] * n_gpp
    pe_area = [area_gpp] * n_gpp
    pe_bus = [int(d[key]) for key in c["gpp_bus"][:n_gpp]]
    pe_of = [0] * n_k  # FARSI's dummy tasks run on PE 0
    for t, pe_key, u_key, f_key, b_key, rate, ipj, area in c["tasks"]:
        v = d[pe_key]
        if v != "ip":
            pe_of[kidx[t]] = int(v[3:])
            continue
        u = int(d[u_key])
        pe_of[kidx[t]] = len(pe_peak)
        pe_peak.append(rate * u * int(d[f_key]))
        pe_ipj.append(ipj / u)
        pe_area.append(area * u)
        pe_bus.append(int(d[b_key]))
    bus_peak = [int(d[w]) * int(d[f]) * c["bus_ref"] for w, f in c["bus"]]
    mem_peak = [int(d[w]) * int(d[f]) * c["mem_ref"] for w, f, _, _ in c["mem"]]
    mem_bus = [int(d[b]) for _, _, b, _ in c["mem"]]
    mem_dram = [d[ty] == "dram" for _, _, _, ty in c["mem"]]
    mem_of = [-1] * n_k
    for t, key in c["writers"]:
        mem_of[kidx[t]] = int(d[key][3:])
    # unused memories are not built: they neither hold data nor keep a bus alive
    used = sorted({m for m in mem_of if m >= 0})
    pe_bus, used_bus = farsi_hw.prune_buses(pe_bus, [mem_bus[m] for m in used], tb.max_buses)
    for m, b in zip(used, used_bus, strict=True):
        mem_bus[m] = b
    return farsi_model.Design(tuple(pe_of), tuple(mem_of), tuple(pe_peak), tuple(pe_ipj), tuple(pe_bus),
                              tuple(pe_area), tuple(bus_peak), tuple(mem_peak), tuple(mem_bus), tuple(mem_dram))


def _ref_freq(fw: FarsiWorkload, typ: str) -> float:
    """Reference clock of FARSI's memories or buses (100 MHz in its library)."""
    return next((b.freq_Hz for b in fw.library.values() if b.type == typ), 100e6)


@lru_cache(maxsize=1)
def cacti():
    """FARSI's CACTI, tabulated (``data/soc/farsi_cacti.csv``, made by experiments/soc/cacti_table.py)."""
    text = resources.files("archgym.data").joinpath("soc", "farsi_cacti.csv").read_text()
    table = {(r["mem_subtype"] == "dram", int(r["mem_bytes"])): (float(r["read_energy_nJ"]),
             float(r["write_energy_nJ"]), float(r["area_mm2"])) for r in csv.DictReader(text.splitlines())}
    return farsi_hw.cacti_costs(table)


def evaluate_batch(tb: FarsiTables, d: dict[str, np.ndarray], metric_names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """SoC-v0 metrics of every design, each replayed through FARSI's semantics."""
    n = len(d["n_gpp"])
    out = {m: np.full(n, np.inf) for m in metric_names}
    out["deadlines_missed"] = np.zeros(n)
    cost = cacti()
    cols = {k: v.tolist() for k, v in d.items()}
    for i in range(n):
        design = compile_design(tb, {k: v[i] for k, v in cols.items()})
        r = farsi_model.simulate(tb.workload, tb.kernels, design, cost)
        out["latency_ms"][i] = r["latency_s"] * 1e3
        out["energy_mJ"][i] = r["energy_J"] * 1e3
        out["power_mW"][i] = r["power_W"] * 1e3
        out["peak_power_mW"][i] = r["power_W"] * 1e3
        out["area_mm2"][i] = r["area_m2"] * 1e6
        out["bus_utilization"][i] = r["bus_utilization"] * 100.0
    finite = np.all([np.isfinite(out[m]) for m in metric_names], axis=0)
    out["feasible"] = finite
    out["reason"] = np.where(finite, "", "non-finite result (an unreachable task or a zero-bandwidth block)")
    return out


# ---- FARSI's reference runs → designs of this formulation -------------------------------------------
_PE = re.compile(r"pe(\d+)\((gpp|ip)\)->ic(\d+)$")
_IP = re.compile(r"x(\d+)@(\d+)MHz$")
_IC = re.compile(r"ic(\d+):(\d+)B@(\d+)MHz$")
_MEM = re.compile(r"m(\d+):(sram|dram):(\d+)B@(\d+)MHz:on_ic(\d+)$")


def _pairs(row: Mapping[str, str], column: str) -> dict[str, str]:
    text = str(row.get(column) or "")
    out = {}
    for item in filter(None, text.split(";")):
        key, sep, value = item.rpartition(":") if column != "ip_blocks" else item.partition(":")
        if not sep:
            raise WorkloadError(f"column {column!r}: item {item!r} is not 'name:value'")
        out[key] = value
    return out


def _match(pattern: re.Pattern, text: str, column: str) -> re.Match:
    m = pattern.match(text.strip())
    if m is None:
        raise WorkloadError(f"column {column!r}: cannot read {text!r} (expected like {pattern.pattern!r})")
    return m


def design_from_reference(row: Mapping[str, Any], database: str | Path, max_cores: int = 4, max_buses: int = 2,
                          max_memories: int = 2) -> tuple[dict[str, Any], dict[str, Any]]:
    """Map one row of FARSI's reference runs onto SoC-v0's ``farsi`` formulation.

    Args:
        row: a row of ``calibration.csv`` (``workload``, ``n_gpp``, ``ip_blocks``, ``ic_blocks``,
            ``mem_blocks``, ``pe_to_ic``, ``task_to_pe``, ``task_to_mem``; see its README).
        database: FARSI's database folder holding the row's workload.

    Returns:
        ``(env_kwargs, design)``: ``gymnasium.make("archgym/SoC-v0", **env_kwargs)`` builds the
        env, and ``design`` is a complete design of its space.
    """
    name = str(row.get("workload", ""))
    fw = farsi_db.load(Path(database) / name)
    env_kwargs = {"workload": str(Path(database) / name), "formulation": "farsi", "max_cores": max_cores,
                  "max_buses": max_buses, "max_memories": max_memories}
    space = build_farsi_space(fw, max_cores, max_buses, max_memories)
    design: dict[str, Any] = {p.name: p.values[0] if hasattr(p, "values") else (
        p.choices[0] if hasattr(p, "choices") else p.low) for p in space.params}  # type: ignore[attr-defined]
    pes = [_match(_PE, x, "pe_to_ic") for x in filter(None, str(row["pe_to_ic"]).split(";"))]
    kind = {int(m[1]): m[2] for m in pes}
    pe_bus = {int(m[1]): int(m[3]) for m in pes}
    n_gpp = int(row["n_gpp"])
    if n_gpp > max_cores or n_gpp < 1:
        raise WorkloadError(f"column 'n_gpp': {n_gpp} A53s, the formulation allows 1..{max_cores} (max_cores)")
    design["n_gpp"] = n_gpp
    for j in range(n_gpp):
        design[f"gpp{j}_bus"] = pe_bus[j]
    ips = {t: _match(_IP, v, "ip_blocks") for t, v in _pairs(row, "ip_blocks").items()}
    for t, pe in _pairs(row, "task_to_pe").items():
        if t not in fw.real_tasks:
            raise WorkloadError(f"column 'task_to_pe': {t!r} is not a task of {name}")
        k = int(pe[2:])
        if kind[k] == "gpp":
            design[f"pe_{t}"] = f"gpp{k}"
        else:
            design.update({f"pe_{t}": "ip", f"ip_{t}_unroll": int(ips[t][1]),
                           f"ip_{t}_freq_MHz": int(ips[t][2]), f"ip_{t}_bus": pe_bus[k]})
    for x in filter(None, str(row["ic_blocks"]).split(";")):
        m = _match(_IC, x, "ic_blocks")
        design[f"bus{m[1]}_width_B"], design[f"bus{m[1]}_freq_MHz"] = int(m[2]), int(m[3])
    for x in filter(None, str(row["mem_blocks"]).split(";")):
        m = _match(_MEM, x, "mem_blocks")
        design.update({f"mem{m[1]}_type": m[2], f"mem{m[1]}_width_B": int(m[3]),
                       f"mem{m[1]}_freq_MHz": int(m[4]), f"mem{m[1]}_bus": int(m[5])})
    for t, mem in _pairs(row, "task_to_mem").items():
        design[f"mem_{t}"] = f"mem{int(mem[1:])}"
    return env_kwargs, space.validate(design)
