"""The env registry: one line per simulator, registered with gymnasium as ``archgym/<Name>-v0``.

Simulators are referenced by entry-point strings and imported only when an env is made, so
``import archgym`` stays fast.  Every env is the same :class:`~archgym.envs.DesignEnv` over a
different simulator; its docstring is the simulator class's docstring (Description, Design space,
Metrics, Objective, Version history).

``backend`` swaps the model behind an env without changing the env: ``"proxy:PATH"`` runs a saved
proxy model (:mod:`archgym.proxy`), and entries may list adapters for real external tools
(``"scalesim:/path/to/python"``, ``"dramsys:/path/to/DRAMSys"``, ``"farsi:/path/to/Project_FARSI"``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archgym.envs import DesignEnv
from archgym.objectives import Objective, as_objective


@dataclass(frozen=True)
class EnvEntry:
    """How to build one env.

    Attributes:
        name: env name; the gymnasium id is ``archgym/<name>-v0``.
        simulator: entry point ``"module:Class"`` of the default model.
        objective: default objective, as an ``objective_from_dict`` mapping (a simulator with a
            ``default_objective()`` method overrides it, e.g. with per-workload budgets).
        backends: backend name → entry point ``"module:Class"``; the class is built as
            ``Class(arg, **sim_kwargs)`` where ``arg`` is the text after ``name:``.
        summary: one line for ``archgym envs``.
    """

    name: str
    simulator: str
    objective: Mapping[str, Any]
    backends: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def id(self) -> str:
        return f"archgym/{self.name}-v0"


ENVS: dict[str, EnvEntry] = {}


def register(entry: EnvEntry) -> None:
    """Add an env to archgym's registry and to gymnasium's."""
    import gymnasium

    ENVS[entry.name] = entry
    if entry.id not in gymnasium.registry:
        gymnasium.register(id=entry.id, entry_point="archgym.registry:make_env", kwargs={"name": entry.name})


def load_entry_point(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def entry(name_or_id: str) -> EnvEntry:
    """Look up an env by name (``DRAM``) or id (``archgym/DRAM-v0``)."""
    name = name_or_id
    if name.startswith("archgym/"):
        name = name[len("archgym/"):]
    if name.endswith("-v0"):
        name = name[:-3]
    try:
        return ENVS[name]
    except KeyError:
        raise KeyError(f"unknown env {name_or_id!r}; registered: {sorted(e.id for e in ENVS.values())}") from None


def make_simulator(name: str, backend: str | None = None, **sim_kwargs: Any) -> Any:
    """Build the simulator behind env ``name`` (default model, a listed backend, or ``proxy:PATH``)."""
    e = entry(name)
    if backend is None or backend in ("model", "default"):
        return load_entry_point(e.simulator)(**sim_kwargs)
    kind, _, arg = backend.partition(":")
    if kind == "proxy":
        if not arg:
            raise ValueError("backend 'proxy:PATH' needs the path of a saved proxy")
        from archgym.proxy import ProxySimulator

        reference = load_entry_point(e.simulator)(**sim_kwargs)
        # A proxy trained on real-simulator data may model only the metrics that tool measured
        # (DRAMSys reports 5 of the model's 12).  Accept it: the env then observes those metrics,
        # and DesignEnv refuses, naming the missing metric, an objective that reads any other.
        return ProxySimulator.load(arg, expect=reference, allow_subset=True)
    if kind not in e.backends:
        allowed = ["model", "proxy:PATH"] + [f"{k}:ARG" for k in e.backends]
        raise ValueError(f"env {e.id} has no backend {kind!r}; allowed: {allowed}")
    return load_entry_point(e.backends[kind])(arg, **sim_kwargs) if arg else \
        load_entry_point(e.backends[kind])(**sim_kwargs)


def make_env(name: str, objective: Objective | Mapping[str, Any] | None = None, max_steps: int = 16,
             backend: str | None = None, render_mode: str | None = None, **sim_kwargs: Any) -> DesignEnv:
    """The gymnasium entry point of every archgym env.

    Args:
        name: env name (``"DRAM"``) or id.
        objective: an :class:`~archgym.objectives.Objective` or its dict form; default per env.
        max_steps: designs proposed per episode.
        backend: ``None``/``"model"`` (analytical model), ``"proxy:PATH"``, or a listed adapter.
        **sim_kwargs: workload/technology arguments of the simulator (e.g. ``trace=``, ``workload=``).
    """
    e = entry(name)
    sim = make_simulator(e.name, backend=backend, **sim_kwargs)
    # a model may tailor the default objective to its workload (e.g. the SoC's per-workload budgets)
    default = sim.default_objective() if hasattr(sim, "default_objective") else e.objective
    obj = as_objective(objective, default)
    env = DesignEnv(sim, obj, max_steps=max_steps, render_mode=render_mode, env_id=e.id)
    env.__doc__ = load_entry_point(e.simulator).__doc__  # the env's docs live with its model
    return env


def register_builtin() -> None:
    """Register the envs that ship with archgym (called on ``import archgym``)."""
    for e in BUILTIN:
        register(e)


BUILTIN: list[EnvEntry] = [
    EnvEntry(
        name="Systolic",
        simulator="archgym.simulators.systolic:SystolicSimulator",
        objective={"kind": "target", "targets": {"latency_ms": 2.0, "energy_mJ": 20.0, "area_mm2": 10.0},
                   "norm": "l2", "mode": "at_most"},
        # env kwargs: workload= (network name or topology CSV path)
        backends={"scalesim": "archgym.simulators.systolic.scalesim_backend:ScaleSimSimulator"},
        summary="systolic-array DNN accelerator (SCALE-Sim formulas) on a whole network",
    ),
    EnvEntry(
        name="DRAM",
        simulator="archgym.simulators.dram:DRAMSimulator",
        objective={"kind": "target", "targets": {"power_mW": 1000.0, "time_ns": 100000.0}, "norm": "l2"},
        # env kwargs: trace= (stream|random|cloud-1|cloud-2 or .stl path), memspec= (name or JSON path)
        backends={"dramsys": "archgym.simulators.dram.dramsys_backend:DRAMSysSimulator"},
        summary="DDR3 memory controller (DRAMSys semantics, DRAMPower energy) serving a request trace",
    ),
    EnvEntry(
        name="SoC",
        simulator="archgym.simulators.soc:SoCSimulator",
        objective={"kind": "target", "targets": {"latency_ms": 4.5, "power_mW": 80.0, "area_mm2": 5.5},
                   "norm": "l1", "mode": "at_most"},
        # env kwargs: workload= (audio_decoder, edge_detection, camera_pipeline, multi_dnn, a JSON
        # task graph or a FARSI workload), formulation= ("allocation", "mapping" or "farsi");
        # budgets are the audio decoder's
        backends={"farsi": "archgym.simulators.soc.farsi_backend:FarsiSimulator"},
        summary="heterogeneous SoC from templates (cores, IPs, systolic arrays) on a task graph, FARSI-style",
    ),
]
