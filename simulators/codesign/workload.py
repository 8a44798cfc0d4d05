"""Co-exploration workloads: which task networks run on the chip, their weights and the specs.

A workload names two or more tasks (each a network search space with an accuracy oracle, see
``task.py``), a weight per task for the mean accuracy, a latency spec per task, and chip-wide
energy and area specs, plus the global budgets the sub-accelerators share.  Built-in workloads
are in :data:`BUILTIN_WORKLOADS`; a custom one is a JSON or YAML file::

    name: pair
    tasks:
      - {label: cls, task: cifar10, weight: 2, latency: "1.5 ms"}
      - {label: dig, task: digits, latency: "20 us"}
    specs: {energy: "0.4 mJ", area: "6 mm2"}
    budgets: {pes: 4096, dram_bandwidth: "64 GB/s"}     # optional; these are the defaults

Every quantity carries its unit; a wrong or missing unit, an unknown field or task, a bad label
is a :class:`~archgym.errors.WorkloadError` naming the file, the field and what is allowed.  Files
are parsed with ``json`` or ``yaml.safe_load`` (no code runs).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archgym.errors import UnknownNameError, WorkloadError, WorkloadNotFoundError
from archgym.simulators.codesign.task import TASKS

TASK_NAMES = tuple(TASKS)
MAX_TASKS = 4
LABEL = re.compile(r"^[a-z][a-z0-9]{0,15}$")

#: quantity kind → unit → factor to the canonical unit (ms, mJ, mm², GB/s)
UNITS: dict[str, dict[str, float]] = {
    "latency": {"s": 1e3, "ms": 1.0, "us": 1e-3, "ns": 1e-6},
    "energy": {"J": 1e3, "mJ": 1.0, "uJ": 1e-3, "nJ": 1e-6},
    "area": {"mm2": 1.0, "um2": 1e-6, "cm2": 100.0},
    "dram_bandwidth": {"GB/s": 1.0, "MB/s": 1e-3, "TB/s": 1e3},
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ/0-9]+)\s*$")


@dataclass(frozen=True)
class TaskSpec:
    """One network on the chip: ``label`` prefixes its knobs and metrics."""

    label: str
    task: str
    latency_ms: float
    weight: float = 1.0


@dataclass(frozen=True)
class Workload:
    """Tasks, specs (latency per task, energy, area) and global budgets (PEs, DRAM bandwidth)."""

    name: str
    tasks: tuple[TaskSpec, ...]
    energy_mJ: float
    area_mm2: float
    pe_budget: int = 4096
    dram_GBps: float = 64.0

    def specs(self) -> dict[str, float]:
        """Metric name → spec (at most), as the default objective's budgets."""
        out = {f"latency_ms_{t.label}": t.latency_ms for t in self.tasks}
        return {**out, "energy_mJ": self.energy_mJ, "area_mm2": self.area_mm2}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tasks": [asdict(t) for t in self.tasks]}


# Default specs, chosen from the metric quantiles over 20,000 uniformly random designs
# (experiments/codesign/spec_fractions.py) so that both spec-meeting and violating designs are
# common: about 11 % of random designs meet all specs on either workload, 82 % are within budget.
# cifar10+digits: the most accurate pair meets the specs only on rare chips (0.05 % of random
# hardware), and the digits deadline forces it off the CIFAR-10 network's sub-accelerator.
# cifar10x2: the most accurate CIFAR-10 network needs >= 0.69 mJ on any chip, so two of them miss
# the 1 mJ energy spec on every chip; meeting it means choosing cheaper networks.
BUILTIN_WORKLOADS: dict[str, Workload] = {
    "cifar10+digits": Workload(
        "cifar10+digits",
        (TaskSpec("cifar10", "cifar10", latency_ms=1.0), TaskSpec("digits", "digits", latency_ms=0.2)),
        energy_mJ=0.8, area_mm2=4.0),
    "cifar10x2": Workload(
        "cifar10x2",
        (TaskSpec("fast", "cifar10", latency_ms=1.0), TaskSpec("slow", "cifar10", latency_ms=4.0)),
        energy_mJ=1.0, area_mm2=4.0),
}


def quantity(value: Any, kind: str, where: str) -> float:
    """``"2.5 ms"`` → 2.5 in the canonical unit of ``kind``; errors name ``where`` and the units."""
    units = UNITS[kind]
    allowed = ", ".join(units)
    if isinstance(value, bool) or not isinstance(value, str):
        raise WorkloadError(f"{where}: {value!r} needs a unit, e.g. '{1} {next(iter(units))}' "
                            f"(allowed units: {allowed})")
    m = _QUANTITY.match(value)
    if not m:
        raise WorkloadError(f"{where}: cannot read {value!r} as '<number> <unit>' (allowed units: {allowed})")
    number, unit = float(m.group(1)), m.group(2).replace("µ", "u")
    if unit not in units:
        raise WorkloadError(f"{where}: unit {m.group(2)!r} is not a unit of {kind}; allowed units: {allowed}")
    if not (math.isfinite(number) and number > 0):
        raise WorkloadError(f"{where}: {value!r} must be positive and finite")
    return number * units[unit]


def _keys(d: Any, allowed: tuple[str, ...], required: tuple[str, ...], where: str) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        raise WorkloadError(f"{where}: expected a mapping with fields {list(allowed)}, got {type(d).__name__}")
    unknown = [k for k in d if k not in allowed]
    if unknown:
        raise WorkloadError(f"{where}: unknown field(s) {unknown}; allowed: {list(allowed)}")
    missing = [k for k in required if k not in d]
    if missing:
        raise WorkloadError(f"{where}: missing field(s) {missing}")
    return d


def parse_workload(data: Any, source: str = "<workload>") -> Workload:
    """Validate a workload's dict form (from a file); ``source`` names it in errors."""
    top = _keys(data, ("name", "tasks", "specs", "budgets"), ("tasks", "specs"), source)
    name = top.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise WorkloadError(f"{source}: field 'name' must be a non-empty string, got {name!r}")
    tasks_raw = top["tasks"]
    if not isinstance(tasks_raw, list) or not 1 <= len(tasks_raw) <= MAX_TASKS:
        raise WorkloadError(f"{source}: field 'tasks' must be a list of 1 to {MAX_TASKS} tasks, got {tasks_raw!r}")
    tasks = []
    for i, t in enumerate(tasks_raw):
        where = f"{source}: tasks[{i}]"
        t = _keys(t, ("label", "task", "weight", "latency"), ("label", "task", "latency"), where)
        label = t["label"]
        if not isinstance(label, str) or not LABEL.match(label):
            raise WorkloadError(f"{where}.label: {label!r} must be 1-16 lower-case letters or digits, "
                                "starting with a letter")
        if label in {x.label for x in tasks}:
            raise WorkloadError(f"{where}.label: {label!r} is used by another task; labels must be unique")
        if t["task"] not in TASK_NAMES:
            raise WorkloadError(f"{where}.task: unknown task {t['task']!r}; allowed: {', '.join(TASK_NAMES)}")
        weight = t.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not (math.isfinite(weight) and weight > 0):
            raise WorkloadError(f"{where}.weight: {weight!r} must be a positive number")
        tasks.append(TaskSpec(label, t["task"], quantity(t["latency"], "latency", f"{where}.latency"), float(weight)))
    specs = _keys(top["specs"], ("energy", "area"), ("energy", "area"), f"{source}: specs")
    budgets = _keys(top.get("budgets", {}), ("pes", "dram_bandwidth"), (), f"{source}: budgets")
    pes = budgets.get("pes", 4096)
    if isinstance(pes, bool) or not isinstance(pes, int) or pes < 64:
        raise WorkloadError(f"{source}: budgets.pes: {pes!r} must be an integer number of PEs >= 64")
    bw = quantity(budgets["dram_bandwidth"], "dram_bandwidth", f"{source}: budgets.dram_bandwidth") \
        if "dram_bandwidth" in budgets else 64.0
    return Workload(name, tuple(tasks), quantity(specs["energy"], "energy", f"{source}: specs.energy"),
                    quantity(specs["area"], "area", f"{source}: specs.area"), pes, bw)


def load_workload(workload: str | Path | Workload) -> Workload:
    """A built-in workload by name, a JSON/YAML file, or a :class:`Workload` as is."""
    if isinstance(workload, Workload):
        return workload
    if not isinstance(workload, str | Path):
        raise WorkloadError(f"workload must be a name, a path or a Workload, got {type(workload).__name__}")
    if isinstance(workload, str) and workload in BUILTIN_WORKLOADS:
        return BUILTIN_WORKLOADS[workload]
    path = Path(workload)
    if path.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise UnknownNameError("workload", str(workload), list(BUILTIN_WORKLOADS),
                               hint="or the path of a .json/.yaml workload file")
    if not path.is_file():
        raise WorkloadNotFoundError(f"workload file {str(path)!r} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorkloadError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}: " if mark is not None else ""
            raise WorkloadError(f"{path}: {line}invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_workload(data, str(path))
