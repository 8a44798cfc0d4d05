"""Task-graph workloads: a ``networkx`` DAG of tasks with work, and edges carrying bytes.

A task has a *kind* (which fixed-function IP can run it, or ``"dnn"`` for a DNN layer run by a
systolic sub-accelerator), ``work`` in instructions of the reference core (FARSI: work =
A53 cycles · IPC), a bound on useful IP unrolling (FARSI's ``Task Itr Count``) and an optional
deadline.  Edges carry the bytes the consumer reads from the producer (FARSI's ``Task Data
Movement`` matrix).  DNN tasks also carry their layer as a GEMM (``P``, ``Wn``, ``K``,
``ifmap_words``; see :class:`archgym.simulators.systolic.Layer`).

Files are JSON: ``{"name", "seed", "generator", "budgets", "graph": <networkx node-link data>}``.
Bad inputs (a cycle, negative work, a missing field, an unknown kind) raise :class:`WorkloadError`
naming the task or edge at fault.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from archgym._text import load_json, read_text
from archgym.errors import UnknownNameError, WorkloadError, WorkloadNotFoundError
from archgym.simulators.soc.templates import DNN_KIND
from archgym.simulators.systolic.topology import check_layer_size

BUILTIN_WORKLOADS = ("audio_decoder", "edge_detection", "camera_pipeline", "multi_dnn")
#: Largest task graph accepted (the list scheduler is quadratic in tasks).
MAX_TASKS = 10_000


def _number(value: Any, field: str) -> float:
    """A finite JSON number (not a string or a boolean), or an error naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WorkloadError(f"{field} must be a number, got {value!r}")
    if not math.isfinite(value) or abs(value) > 1e300:
        raise WorkloadError(f"{field} must be finite, got {value!r}")
    return float(value)


def _integer(value: Any, field: str) -> int:
    """An integer JSON number (``2.0`` allowed, ``2.5`` and ``"2"`` refused), or an error naming ``field``."""
    v = _number(value, field)
    if v != int(v):
        raise WorkloadError(f"{field} must be an integer, got {value!r}")
    return int(value)
LAYER_KEYS = ("P", "Wn", "K", "ifmap_words")


@dataclass(frozen=True)
class Task:
    """One node of the task graph (see module docstring for the fields' meaning)."""

    name: str
    kind: str
    work: float
    max_unroll: int = 16
    deadline_ms: float | None = None
    layer: tuple[int, int, int, int] | None = None  # (P, Wn, K, ifmap_words) for DNN tasks


@dataclass(frozen=True)
class TaskGraph:
    """A validated workload: tasks, edges ``(src, dst, bytes)`` by task index, and budgets."""

    name: str
    tasks: tuple[Task, ...]
    edges: tuple[tuple[int, int, float], ...]
    budgets: Mapping[str, float] = field(default_factory=dict)
    seed: int | None = None
    generator: str = ""

    def __post_init__(self) -> None:
        _validate(self)

    # ---- conversions -------------------------------------------------------------------
    @property
    def kinds(self) -> tuple[str, ...]:
        """Non-DNN task kinds in order of first appearance (one IP template each)."""
        seen: dict[str, None] = {}
        for t in self.tasks:
            if t.kind != DNN_KIND:
                seen.setdefault(t.kind, None)
        return tuple(seen)

    @property
    def has_dnn(self) -> bool:
        return any(t.kind == DNN_KIND for t in self.tasks)

    def to_networkx(self) -> nx.DiGraph:
        g = nx.DiGraph(name=self.name)
        for t in self.tasks:
            attrs: dict[str, Any] = {"kind": t.kind, "work": t.work, "max_unroll": t.max_unroll}
            if t.deadline_ms is not None:
                attrs["deadline_ms"] = t.deadline_ms
            if t.layer is not None:
                attrs["layer"] = dict(zip(LAYER_KEYS, t.layer, strict=True))
            g.add_node(t.name, **attrs)
        for s, d, b in self.edges:
            g.add_edge(self.tasks[s].name, self.tasks[d].name, bytes=b)
        return g

    @classmethod
    def from_networkx(cls, g: nx.DiGraph, name: str | None = None, budgets: Mapping[str, float] | None = None,
                      seed: int | None = None, generator: str = "") -> TaskGraph:
        """Build from a DiGraph whose nodes carry ``kind``, ``work`` (and optional fields)."""
        if not isinstance(g, nx.DiGraph) or g.is_multigraph():
            raise WorkloadError(f"a task graph must be a networkx DiGraph, got {type(g).__name__}")
        if not nx.is_directed_acyclic_graph(g):
            cycle = " -> ".join(str(u) for u, _ in nx.find_cycle(g))
            raise WorkloadError(f"task graph {name or g.name!r} has a cycle ({cycle}); tasks must form a DAG")
        if g.number_of_nodes() > MAX_TASKS:
            raise WorkloadError(f"task graph {name or g.name!r} has {g.number_of_nodes():,} tasks; the limit is "
                                f"{MAX_TASKS:,}")
        tasks = []
        for node, a in g.nodes(data=True):
            for key in ("kind", "work"):
                if key not in a:
                    raise WorkloadError(f"task {node!r} has no {key!r} attribute")
            layer = a.get("layer")
            if layer is not None:
                if not isinstance(layer, Mapping):
                    raise WorkloadError(f"task {node!r}: layer must be an object {{{', '.join(LAYER_KEYS)}}}, "
                                        f"got {layer!r}")
                missing = [k for k in LAYER_KEYS if k not in layer]
                if missing:
                    raise WorkloadError(f"task {node!r}: layer lacks {missing}; need {list(LAYER_KEYS)}")
                layer = tuple(_integer(layer[k], f"task {node!r}: layer {k}") for k in LAYER_KEYS)
                check_layer_size(str(node), *layer)
            deadline = a.get("deadline_ms")
            if not isinstance(a["kind"], str):
                raise WorkloadError(f"task {node!r}: kind must be a string, got {a['kind']!r}")
            tasks.append(Task(str(node), a["kind"], _number(a["work"], f"task {node!r}: work"),
                              _integer(a.get("max_unroll", 16), f"task {node!r}: max_unroll"),
                              None if deadline is None else _number(deadline, f"task {node!r}: deadline_ms"), layer))
        index = {str(n): i for i, n in enumerate(g.nodes)}
        edges = []
        for u, v, a in g.edges(data=True):
            if "bytes" not in a:
                raise WorkloadError(f"edge {u!r} -> {v!r} has no 'bytes' attribute")
            edges.append((index[str(u)], index[str(v)], _number(a["bytes"], f"edge {u!r} -> {v!r}: bytes")))
        return cls(str(name or g.graph.get("name") or "taskgraph"), tuple(tasks), tuple(edges),
                   dict(budgets or {}), seed, generator)

    def to_json(self) -> dict[str, Any]:
        data = nx.node_link_data(self.to_networkx(), edges="edges")
        return {"name": self.name, "seed": self.seed, "generator": self.generator,
                "budgets": dict(self.budgets), "graph": data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "<dict>") -> TaskGraph:
        if not isinstance(data, Mapping):
            raise WorkloadError(f"{source}: expected a JSON object {{'name', 'budgets', 'graph'}}, "
                                f"got {type(data).__name__}")
        if "graph" not in data:
            raise WorkloadError(f"{source}: no 'graph' key; expected {{'name', 'budgets', 'graph': node-link}}")
        try:
            g = nx.node_link_graph(data["graph"], directed=True, multigraph=False, edges="edges")
        except (KeyError, TypeError, AttributeError, ValueError, IndexError, nx.NetworkXError) as exc:
            raise WorkloadError(f"{source}: 'graph' is not networkx node-link data ({type(exc).__name__}: {exc})") from None
        budgets = data.get("budgets") or {}
        if not isinstance(budgets, Mapping):
            raise WorkloadError(f"{source}: 'budgets' must be an object of metric -> budget, got {budgets!r}")
        budgets = {str(k): _number(v, f"{source}: budget {k!r}") for k, v in budgets.items()}
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise WorkloadError(f"{source}: 'seed' must be an integer or null, got {seed!r}")
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            raise WorkloadError(f"{source}: 'name' must be a string, got {name!r}")
        try:
            return cls.from_networkx(g, name, budgets, seed, str(data.get("generator", "")))
        except WorkloadError as exc:
            raise WorkloadError(f"{source}: {exc}") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n")


def _validate(tg: TaskGraph) -> None:
    names = [t.name for t in tg.tasks]
    if not names:
        raise WorkloadError(f"task graph {tg.name!r} has no tasks")
    if len(set(names)) != len(names):
        raise WorkloadError(f"task graph {tg.name!r} has duplicate task names")
    for t in tg.tasks:
        if not math.isfinite(t.work) or t.work < 0:
            raise WorkloadError(f"task {t.name!r}: work must be a finite number >= 0, got {t.work}")
        if t.max_unroll < 1:
            raise WorkloadError(f"task {t.name!r}: max_unroll must be >= 1, got {t.max_unroll}")
        if t.deadline_ms is not None and not t.deadline_ms > 0:
            raise WorkloadError(f"task {t.name!r}: deadline_ms must be > 0, got {t.deadline_ms}")
        if t.kind == DNN_KIND and t.layer is None:
            raise WorkloadError(f"task {t.name!r} is a {DNN_KIND!r} task but has no 'layer' "
                                f"{{{', '.join(LAYER_KEYS)}}}")
        if t.layer is not None and min(t.layer) < 1:
            raise WorkloadError(f"task {t.name!r}: layer dimensions must be >= 1, got {t.layer}")
    n = len(names)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for s, d, b in tg.edges:
        if not (0 <= s < n and 0 <= d < n):
            raise WorkloadError(f"edge ({s}, {d}) refers to a task index outside 0..{n - 1}")
        if not math.isfinite(b) or b < 0:
            raise WorkloadError(f"edge {names[s]!r} -> {names[d]!r}: bytes must be finite and >= 0, got {b}")
        if g.has_edge(s, d):
            raise WorkloadError(f"duplicate edge {names[s]!r} -> {names[d]!r}")
        g.add_edge(s, d)
    if not nx.is_directed_acyclic_graph(g):
        cycle = " -> ".join(names[u] for u, _ in nx.find_cycle(g))
        raise WorkloadError(f"task graph {tg.name!r} has a cycle ({cycle}); tasks must form a DAG")


def check_kinds(tg: TaskGraph, ip_kinds: Iterable[str]) -> None:
    """Every non-DNN task kind must name an IP template of the library."""
    known = set(ip_kinds)
    for t in tg.tasks:
        if t.kind != DNN_KIND and t.kind not in known:
            raise WorkloadError(f"task {t.name!r} has unknown template kind {t.kind!r}; known kinds: "
                                f"{', '.join(sorted(known))}, or {DNN_KIND!r} for DNN layers")


def load_workload(workload: str | Path | TaskGraph | nx.DiGraph) -> TaskGraph:
    """A built-in workload by name, a JSON file by path, a :class:`TaskGraph` or a DiGraph."""
    if isinstance(workload, TaskGraph):
        return workload
    if isinstance(workload, nx.DiGraph):
        return TaskGraph.from_networkx(workload)
    if not isinstance(workload, str | Path):
        raise WorkloadError(f"workload must be a built-in name, a path, a TaskGraph or a DiGraph, got "
                            f"{type(workload).__name__} {workload!r}")
    p = Path(workload)
    if p.suffix == ".json" or p.exists():
        if not p.is_file():
            raise WorkloadNotFoundError(f"workload file {p} does not exist")
        return TaskGraph.from_json(load_json(read_text(p, "task graph"), str(p)), str(p))
    if workload not in BUILTIN_WORKLOADS:
        raise UnknownNameError("workload", workload, BUILTIN_WORKLOADS,
                               hint="or give the path of a task-graph JSON file")
    res = resources.files("archgym.data").joinpath("soc", f"{workload}.json")
    return TaskGraph.from_json(json.loads(res.read_text()), f"soc/{workload}.json")
