"""Importer for FARSI's workload database (``specs/database_data/parsing/*.csv``).

FARSI (Meta's SoC design-space explorer) describes a workload as a handful of CSV tables sharing
a prefix, ``<workload>_database - <table>.csv``, next to a shared block library
``misc_database - <table>.csv``.  This module reads them the way FARSI's
``specs/parse_libraries/parse_library.py`` does, into a :class:`FarsiWorkload`:

* ``Task Data Movement``: bytes from the row task to the column task; it is also the DAG.  Self
  movement (a task to itself) is skipped, as FARSI does ("requires scratch pad").
* ``Task PE Performance``: cycles on the reference A53 (``A53`` column) and on the task's IP at
  the IP reference clock (``IP0``); FARSI's work = A53 cycles × IPC (instructions).
* ``Task PE Energy`` / ``Task PE Area``: the IP's energy per run (fJ) and area (µm²) at unroll 1
  (column ``IP0``; other columns are ignored, as FARSI ignores them).
* ``Task Itr Count``: loop iterations, the bound on IP unrolling (1 when absent).
* budgets (``misc_database - Budget.csv``, or the workload's own ``Budget.csv``), the workload's
  last task (``misc_database - Last Tasks.csv`` or ``<workload>_database - misc.csv``) and the
  block library (``misc_database - Block Characteristics.csv``).

FARSI's dummy tasks (``souurce``, ``siink``, ``dummy_last``) are kept in :class:`FarsiWorkload`
(the FARSI-semantics model needs the data that ``souurce`` provides), and dropped from the
:class:`TaskGraph` that the ``allocation``/``mapping`` formulations use.

A workload is named by the path of its database folder (when it holds one workload), of any of
its files, or ``<folder>/<workload>`` (FARSI's own prefix).  Malformed tables raise
:class:`~archgym.errors.WorkloadError` naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from archgym._text import read_text
from archgym.errors import WorkloadError

SEP = "_database - "
MAX_ITERATIONS = 2**31  # a task's "number of iterations" (its largest IP unroll factor)
DUMMY_NAMES = ("souurce", "siink", "dummy_last")
REQUIRED = ("Task Data Movement", "Task PE Performance", "Task PE Energy", "Task PE Area")
GPP_NAME = "A53"  # the reference general-purpose core of FARSI's library


def is_dummy(task: str) -> bool:
    """FARSI's test for its zero-work bookkeeping tasks (``Task.is_task_dummy``)."""
    return any(d in task for d in DUMMY_NAMES)


@dataclass(frozen=True)
class Block:
    """One row of FARSI's block library (``Block Characteristics.csv``)."""

    name: str
    type: str  # pe | mem | ic
    subtype: str  # gpp | ip | sram | dram | ic
    freq_Hz: float
    ipc: float = math.nan
    instr_per_J: float = math.nan
    area_m2: float = math.nan
    width_B: float = math.nan
    byte_per_J: float = math.nan


@dataclass(frozen=True)
class FarsiWorkload:
    """A FARSI workload as FARSI parses it (see module docstring).

    Attributes:
        tasks: all task names in the data-movement table's row order (dummies included).
        edges: ``(src, dst) -> bytes`` (self movement dropped).
        a53_cycles, ip_cycles, ip_energy_fJ, ip_area_um2, itr_count: per task.
        budgets: ``latency_s``, ``power_W``, ``area_m2`` (those the database gives).
        last_task: the task whose completion ends the workload (FARSI's latency).
        library: block library by name.
    """

    name: str
    folder: str
    tasks: tuple[str, ...]
    edges: Any
    a53_cycles: Any
    ip_cycles: Any
    ip_energy_fJ: Any
    ip_area_um2: Any
    itr_count: Any
    budgets: Any
    last_task: str
    library: Any = field(default_factory=dict)

    @cached_property
    def real_tasks(self) -> tuple[str, ...]:
        return tuple(t for t in self.tasks if not is_dummy(t))

    @property
    def gpp(self) -> Block:
        return self.library[GPP_NAME]

    def work(self, task: str) -> float:
        """FARSI's task work: A53 cycles × IPC (instructions of the reference core)."""
        return self.a53_cycles.get(task, 0.0) * self.gpp.ipc

    def unroll_options(self, task: str) -> tuple[int, ...]:
        """IP unroll factors FARSI's library spawns for ``task`` (ArchGym settings: geometric ×2,
        at most 17 factors, plus the full iteration count)."""
        n = int(self.itr_count.get(task, 1))
        if n <= 1:
            return (1,)
        opts = [2 ** k for k in range(int(math.log(n, 2)) + 1)]
        opts = opts[:16] if len(opts) > 17 else opts
        return tuple(sorted(set(opts) | {n}))


# ---- CSV reading with located errors ----------------------------------------------------------
def _rows(path: Path) -> list[dict[str, str]]:
    text = read_text(path, "FARSI table")  # a byte that is not UTF-8: file, line and column
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return list(reader)
    except csv.Error as exc:
        raise WorkloadError(f"{path}, line {reader.line_num}: cannot read FARSI table ({exc})") from None


def _number(path: Path, row: int, column: str, value: str | None, *, allow_empty: bool = True) -> float | None:
    v = (value or "").strip()
    if v == "":
        if allow_empty:
            return None
        raise WorkloadError(f"{path}: row {row}, column {column!r}: empty; a number is required")
    try:
        x = float(v)
    except ValueError:
        raise WorkloadError(f"{path}: row {row}, column {column!r}: {v!r} is not a number") from None
    if not math.isfinite(x) or x < 0:
        raise WorkloadError(f"{path}: row {row}, column {column!r}: {v!r} must be a finite number >= 0")
    return x


def _task_column(path: Path, rows: list[dict[str, str]], key: str = "Task Name") -> None:
    if rows and key not in rows[0]:
        raise WorkloadError(f"{path}: row 1: no {key!r} column (columns: {list(rows[0])})")


def _per_task(path: Path, column: str, tasks: set[str], *, required: bool = False,
              integer_max: int | None = None) -> dict[str, float]:
    """One numeric column of a per-task table (``Task Name`` rows); rows of unknown tasks are
    ignored, as FARSI ignores them (hpvm_cava's iteration table names ``source``)."""
    rows = _rows(path)
    _task_column(path, rows)
    if rows and column not in rows[0]:
        raise WorkloadError(f"{path}: row 1: no {column!r} column (columns: {list(rows[0])})")
    out: dict[str, float] = {}
    for i, r in enumerate(rows, start=2):  # row 1 is the header
        name = (r.get("Task Name") or "").strip()
        if name not in tasks:
            continue
        x = _number(path, i, column, r.get(column), allow_empty=not required)
        if x is not None and integer_max is not None and (x != int(x) or x > integer_max):
            raise WorkloadError(f"{path}: row {i}, column {column!r}: {r.get(column)!r} must be an integer in "
                                f"[0, {integer_max:,}]")
        if x is not None:
            out[name] = x
    return out


def _data_movement(path: Path) -> tuple[tuple[str, ...], dict[tuple[str, str], float]]:
    rows = _rows(path)
    _task_column(path, rows)
    if not rows:
        raise WorkloadError(f"{path}: no tasks")
    columns = [c for c in rows[0] if c != "Task Name"]
    tasks = tuple((r.get("Task Name") or "").strip() for r in rows)
    for i, t in enumerate(tasks, start=2):
        if not t:
            raise WorkloadError(f"{path}: row {i}, column 'Task Name': empty task name")
    if len(set(tasks)) != len(tasks):
        dup = next(t for t in tasks if tasks.count(t) > 1)
        raise WorkloadError(f"{path}: task {dup!r} has more than one row")
    unknown = [c for c in columns if c not in tasks]
    if unknown:
        raise WorkloadError(f"{path}: row 1, column {unknown[0]!r}: not a task of the table's rows")
    edges: dict[tuple[str, str], float] = {}
    for i, r in enumerate(rows, start=2):
        src = tasks[i - 2]
        for c in columns:
            x = _number(path, i, c, r.get(c))
            if x is None or c == src:
                continue
            edges[(src, c)] = x
    return tasks, edges


def _library(path: Path) -> dict[str, Block]:
    rows = _rows(path)
    _task_column(path, rows, "Name")
    out = {}
    for i, r in enumerate(rows, start=2):
        typ, sub = (r.get("Type") or "").strip(), (r.get("Subtype") or "").strip()
        if typ not in ("pe", "mem", "ic"):
            raise WorkloadError(f"{path}: row {i}, column 'Type': {typ!r}; expected pe, mem or ic")

        def num(col: str, needed: bool, r: dict[str, str] = r, i: int = i, sub: str = sub) -> float:
            v = (r.get(col) or "").strip()
            if v in ("", "NA"):
                if needed:
                    raise WorkloadError(f"{path}: row {i}, column {col!r}: a number is required for a {sub}")
                return math.nan
            x = _number(path, i, col, v, allow_empty=False)
            return float(x)  # type: ignore[arg-type]

        gpp, mem_or_ic = sub == "gpp", typ in ("mem", "ic")
        out[r["Name"].strip()] = Block(r["Name"].strip(), typ, sub, num("Freq", True), num("dhrystone_IPC", gpp),
                                       num("Inst_per_joul", gpp), num("Gpp_area", gpp), num("BitWidth", mem_or_ic),
                                       num("Byte_per_joul", mem_or_ic))
    if GPP_NAME not in out:
        raise WorkloadError(f"{path}: no {GPP_NAME!r} row; FARSI's reference core is required")
    return out


def _budgets(folder: Path, name: str) -> dict[str, float]:
    for path in (folder / f"misc{SEP}Budget.csv", folder / f"{name}{SEP}Budget.csv"):
        if not path.is_file():
            continue
        rows = _rows(path)
        _task_column(path, rows, "Workload")
        for i, r in enumerate(rows, start=2):
            if (r.get("Workload") or "").strip() != name:
                continue
            out = {}
            for col, key in (("latency", "latency_s"), ("power", "power_W"), ("area", "area_m2")):
                x = _number(path, i, col, r.get(col))
                if x is not None:
                    out[key] = x
            return out
    return {}


def _last_task(folder: Path, name: str, tasks: tuple[str, ...]) -> str:
    for path, key in ((folder / f"misc{SEP}Last Tasks.csv", "workload"), (folder / f"{name}{SEP}misc.csv", "workload")):
        if not path.is_file():
            continue
        for i, r in enumerate(_rows(path), start=2):
            if (r.get(key) or "").strip() == name:
                last = (r.get("last_task") or "").strip()
                if last not in tasks:
                    raise WorkloadError(f"{path}: row {i}, column 'last_task': {last!r} is not a task of {name}")
                return last
    sinks = [t for t in tasks if not is_dummy(t)]
    return sinks[-1]  # FARSI needs one; the last real task of the table is the natural default


def workloads_in(folder: Path) -> list[str]:
    """Names of the workloads whose data-movement table is in ``folder``."""
    return sorted(p.name.split(SEP)[0] for p in folder.glob(f"*{SEP}Task Data Movement.csv"))


def resolve(path: str | Path) -> tuple[Path, str] | None:
    """``(database folder, workload name)`` if ``path`` names a FARSI workload, else None."""
    p = Path(path)
    if p.is_dir():
        names = [n for n in workloads_in(p) if n != "misc"]
        if not names:
            return None
        if len(names) > 1:
            raise WorkloadError(f"{p} holds {len(names)} FARSI workloads ({', '.join(names)}); name one as "
                                f"{p}/<workload>, e.g. {p / names[0]}")
        return p, names[0]
    if p.is_file() and SEP in p.name:
        return p.parent, p.name.split(SEP)[0]
    name = p.name[:-len("_database")] if p.name.endswith("_database") else p.name
    if p.parent.is_dir() and (p.parent / f"{name}{SEP}Task Data Movement.csv").is_file():
        return p.parent, name
    return None


def load(path: str | Path) -> FarsiWorkload:
    """Parse the FARSI workload that ``path`` names (see module docstring)."""
    found = resolve(path)
    if found is None:
        raise WorkloadError(f"{path} is not a FARSI workload: expected a database folder, one of its "
                            f"'<workload>{SEP}<table>.csv' files, or <folder>/<workload>")
    return _load(str(found[0].resolve()), found[1])


@lru_cache(maxsize=32)
def _load(folder_s: str, name: str) -> FarsiWorkload:
    folder = Path(folder_s)
    for table in REQUIRED:
        if not (folder / f"{name}{SEP}{table}.csv").is_file():
            raise WorkloadError(f"{folder}: FARSI workload {name!r} lacks its {table!r} table "
                                f"({name}{SEP}{table}.csv)")
    lib_path = folder / f"misc{SEP}Block Characteristics.csv"
    if not lib_path.is_file():
        raise WorkloadError(f"{folder}: no block library (misc{SEP}Block Characteristics.csv)")
    library = _library(lib_path)
    tasks, edges = _data_movement(folder / f"{name}{SEP}Task Data Movement.csv")
    known = set(tasks)
    perf_path = folder / f"{name}{SEP}Task PE Performance.csv"
    a53 = _per_task(perf_path, GPP_NAME, known)
    ip_cycles = _per_task(perf_path, "IP0", known)
    energy = _per_task(folder / f"{name}{SEP}Task PE Energy.csv", "IP0", known)
    area = _per_task(folder / f"{name}{SEP}Task PE Area.csv", "IP0", known)
    itr_path = folder / f"{name}{SEP}Task Itr Count.csv"
    # iterations bound the IP unroll factors, which become design values (int64): at most 2**31
    itr = _per_task(itr_path, "number of iterations", known, integer_max=MAX_ITERATIONS) if itr_path.is_file() else {}
    for t in tasks:
        if is_dummy(t):
            continue
        if t not in a53:
            raise WorkloadError(f"{perf_path}: task {t!r} has no {GPP_NAME!r} cycles (column {GPP_NAME!r})")
        for table, d in (("Task PE Performance", ip_cycles), ("Task PE Energy", energy), ("Task PE Area", area)):
            if t not in d or (table == "Task PE Performance" and d[t] <= 0):
                raise WorkloadError(f"{folder / f'{name}{SEP}{table}.csv'}: task {t!r}: column 'IP0' needs a "
                                    "number > 0 (the task's IP)")
    _check_dag(folder / f"{name}{SEP}Task Data Movement.csv", tasks, edges)
    freeze = MappingProxyType
    return FarsiWorkload(name, str(folder), tasks, freeze(edges), freeze(a53), freeze(ip_cycles), freeze(energy),
                         freeze(area), freeze({t: int(v) for t, v in itr.items()}), freeze(_budgets(folder, name)),
                         _last_task(folder, name, tasks), freeze(library))


def _check_dag(path: Path, tasks: tuple[str, ...], edges: dict[tuple[str, str], float]) -> None:
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(tasks)
    g.add_edges_from(edges)
    if not nx.is_directed_acyclic_graph(g):
        cycle = " -> ".join(u for u, _ in nx.find_cycle(g))
        raise WorkloadError(f"{path}: the data movement has a cycle ({cycle}); tasks must form a DAG")


def to_taskgraph(fw: FarsiWorkload):
    """The workload as a :class:`TaskGraph` of its real tasks (dummy tasks and their edges dropped;
    each task is its own IP kind; budgets in the env's units)."""
    from archgym.simulators.soc.workload import Task, TaskGraph

    real = fw.real_tasks
    index = {t: i for i, t in enumerate(real)}
    tasks = tuple(Task(t, t, fw.work(t), max(1, int(fw.itr_count.get(t, 1)))) for t in real)
    edges = tuple((index[s], index[d], b) for (s, d), b in fw.edges.items() if s in index and d in index)
    units = {"latency_s": ("latency_ms", 1e3), "power_W": ("power_mW", 1e3), "area_m2": ("area_mm2", 1e6)}
    budgets = {units[k][0]: v * units[k][1] for k, v in fw.budgets.items()}
    return TaskGraph(fw.name, tasks, edges, budgets, None, f"farsi:{fw.folder}")


def library_of(fw: FarsiWorkload):
    """Block templates for running a FARSI workload in the ``allocation``/``mapping`` formulations:
    the default library with one IP per task from FARSI's tables — an IP lane retires
    ``work ÷ IP cycles`` instructions per cycle, costs FARSI's energy per run (× ArchGym's 0.064
    energy scaling) spread over the task's work and FARSI's area (× 0.0374) per lane.  Those
    formulations keep their own semantics (list scheduling, DVFS, leakage); only ``farsi`` replays
    FARSI's."""
    from archgym.simulators.soc.templates import DEFAULT_LIBRARY, IPTemplate, Library

    ips = {}
    for t in fw.real_tasks:
        w = fw.work(t)
        ips[t] = IPTemplate(t, ops_per_cycle=w / fw.ip_cycles[t],
                            pJ_per_op=0.064 * fw.ip_energy_fJ[t] * 1e-3 / w if w > 0 else 0.0,
                            lane_area_mm2=0.0374 * fw.ip_area_um2[t] * 1e-6, base_area_mm2=0.0, lane_leak_mW=0.0)
    base = DEFAULT_LIBRARY
    return Library(base.core, ips, base.systolic, base.memory, base.bus, base.accel_nominal_MHz)
