"""Registries: envs (simulators), agents, objective kinds and proxy estimators, one pattern for all.

A :class:`Registry` maps a name to a target — an object, or an entry-point string
``"module:attr"`` imported only when first used, so ``import archgym`` never loads a simulator,
torch, optuna or scikit-learn.  An unknown name raises :class:`~archgym.errors.UnknownNameError`
with "did you mean" suggestions.  Third-party packages add envs and agents without forking, in
either of two ways:

* in code: ``archgym.register_simulator("MyAccel", "mypkg.sim:MySimulator", objective={...})`` and
  ``archgym.register_agent("mysearch", "mypkg.search:MySearch")`` (then
  ``gymnasium.make("mypkg:archgym/MyAccel-v0")`` imports ``mypkg`` first, the Gymnasium way);
* declaratively, as package entry points, found the first time a name is missing or a registry is
  listed (so ``archgym envs``, sweeps and ``archgym.make`` see them without an import)::

      [project.entry-points."archgym.envs"]
      MyAccel = "mypkg.sim:MySimulator"       # objective: MySimulator.default_objective()
      [project.entry-points."archgym.agents"]
      mysearch = "mypkg.search:MySearch"

Every env is the same :class:`~archgym.envs.DesignEnv` over a different simulator; its docstring
is the simulator class's docstring.  ``backend`` swaps the model behind an env: ``"proxy:PATH"``
runs a saved proxy model (:mod:`archgym.proxy`), and entries may list adapters for real external
tools (``"scalesim:/path/to/python"``, ``"dramsys:/path/to/DRAMSys"``, ``"farsi:/path/to/Project_FARSI"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archgym.errors import InvalidParameterError, UnknownNameError, UnknownParameterError
from archgym.lookup import Registry, load_entry_point


# ---- envs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EnvEntry:
    """How to build one env.

    Attributes:
        name: env name; the gymnasium id is ``archgym/<name>-v0``.
        simulator: the default model, a :class:`~archgym.simulator.Simulator` class or its entry
            point ``"module:Class"``.
        objective: default objective as an ``objective_from_dict`` mapping; ``None`` leaves it to
            the simulator's :meth:`~archgym.simulator.Simulator.default_objective`, which also
            overrides it where the model tailors it to a workload (the SoC's budgets).
        backends: backend name → entry point ``"module:Class"``; the class is built as
            ``Class(arg, **sim_kwargs)`` where ``arg`` is the text after ``name:``.
        summary: one line for ``archgym envs``.
    """

    name: str
    simulator: str | type
    objective: Mapping[str, Any] | None = None
    backends: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def id(self) -> str:
        return f"archgym/{self.name}-v0"


def _register_with_gymnasium(name: str, e: EnvEntry) -> None:
    import gymnasium

    if e.id not in gymnasium.registry:
        gymnasium.register(id=e.id, entry_point="archgym.registry:make_env", kwargs={"name": e.name})


ENVS: Registry[EnvEntry] = Registry("env", group="archgym.envs", on_register=_register_with_gymnasium,
                                    from_entry_point=lambda name, value: EnvEntry(name, value))


def register_simulator(name: str, simulator: str | type, *, objective: Mapping[str, Any] | None = None,
                       backends: Mapping[str, str] | None = None, summary: str = "", replace: bool = False) -> str:
    """Register a simulator as the env ``archgym/<name>-v0`` and return that id.

    The env then works everywhere an archgym env does: ``gymnasium.make``, ``archgym.run``, sweeps,
    the CLI, proxies and the conformance checks in :mod:`archgym.testing`.
    """
    entry_ = EnvEntry(name, simulator, objective, dict(backends or {}), summary)
    ENVS.register(name, entry_, replace=replace)
    return entry_.id


def entry(name_or_id: str) -> EnvEntry:
    """Look up an env by name (``DRAM``) or id (``archgym/DRAM-v0``)."""
    if not isinstance(name_or_id, str):
        raise InvalidParameterError(f"an env id must be a string like 'archgym/DRAM-v0', got {name_or_id!r}")
    name = name_or_id.split(":", 1)[-1]
    name = name.removeprefix("archgym/").removesuffix("-v0")
    if name not in ENVS:
        raise UnknownNameError("env", name_or_id, [e.id for e in ENVS.values()])
    return ENVS[name]


def simulator_class(name: str) -> type:
    """The default simulator class of env ``name`` (imported on first use)."""
    return _simulator_class(entry(name))


def _simulator_class(e: EnvEntry) -> type:
    return load_entry_point(e.simulator) if isinstance(e.simulator, str) else e.simulator


def make_simulator(name: str, backend: str | None = None, **sim_kwargs: Any) -> Any:
    """Build the simulator behind env ``name`` (default model, a listed backend, or ``proxy:PATH``)."""
    e = entry(name)
    if backend is None or backend in ("model", "default"):
        cls = _simulator_class(e)
        check_kwargs(cls, sim_kwargs, e.id)
        return cls(**sim_kwargs)
    if not isinstance(backend, str):
        raise InvalidParameterError(f"backend must be a string such as 'proxy:PATH', got {backend!r}")
    kind, _, arg = backend.partition(":")
    if kind == "proxy":
        if not arg:
            raise InvalidParameterError("backend 'proxy:PATH' needs the path of a saved proxy")
        from archgym.proxy import ProxySimulator

        check_kwargs(_simulator_class(e), sim_kwargs, e.id)
        reference = _simulator_class(e)(**sim_kwargs)
        # A proxy trained on real-simulator data may model only the metrics that tool measured
        # (DRAMSys reports 5 of the model's 12).  Accept it: the env then observes those metrics,
        # and DesignEnv refuses, naming the missing metric, an objective that reads any other.
        return ProxySimulator.load(arg, expect=reference, allow_subset=True)
    if kind not in e.backends:
        raise UnknownNameError("backend", backend, ["model", "proxy:PATH"] + [f"{k}:ARG" for k in e.backends],
                               hint=f"env {e.id} has no backend {kind!r}")
    cls = load_entry_point(e.backends[kind])
    check_kwargs(cls, sim_kwargs, f"{e.id} (backend {kind!r})")
    return cls(arg, **sim_kwargs) if arg else cls(**sim_kwargs)


#: keyword arguments every env takes besides its simulator's (see :func:`make_env`)
ENV_KWARGS = ("objective", "max_steps", "backend", "render_mode")


def check_kwargs(cls: type, kwargs: Mapping[str, Any], env_id: str) -> None:
    """Refuse keyword arguments the simulator class does not take, naming them with a suggestion
    (a misspelt ``worklaod=`` must not surface as a ``TypeError`` from deep inside gymnasium)."""
    import inspect

    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    takes = [n for n, p in params.items() if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                         inspect.Parameter.KEYWORD_ONLY)]
    allowed = [*takes, *ENV_KWARGS]
    unknown = [k for k in kwargs if k not in takes]
    if unknown:
        from archgym.errors import suggest

        hints = [f"{k!r} (did you mean {suggest(k, allowed)}?)" if suggest(k, allowed) else repr(k) for k in unknown]
        raise UnknownParameterError(f"env {env_id} has no keyword argument(s) {', '.join(hints)}; it takes "
                                    f"{', '.join(allowed)}")


def default_objective(e: EnvEntry, simulator: Any) -> Mapping[str, Any]:
    """The env's default objective: the simulator's own (per workload) if it has one, else the entry's."""
    own = simulator.default_objective() if hasattr(simulator, "default_objective") else None
    if own is not None:
        return own
    if e.objective is None:
        raise InvalidParameterError(f"env {e.id} has no default objective; pass objective=")
    return e.objective


def make_env(name: str, objective: Any = None, max_steps: int = 16, backend: str | None = None,
             render_mode: str | None = None, **sim_kwargs: Any) -> Any:
    """The gymnasium entry point of every archgym env.

    Args:
        name: env name (``"DRAM"``) or id.
        objective: an :class:`~archgym.objectives.Objective` or its dict form; default per env.
        max_steps: designs proposed per episode.
        backend: ``None``/``"model"`` (analytical model), ``"proxy:PATH"``, or a listed adapter.
        **sim_kwargs: workload/technology arguments of the simulator (e.g. ``workload=``).
    """
    from archgym.envs import DesignEnv
    from archgym.objectives import as_objective

    e = entry(name)
    sim = make_simulator(e.name, backend=backend, **sim_kwargs)
    obj = as_objective(objective, default_objective(e, sim))
    env = DesignEnv(sim, obj, max_steps=max_steps, render_mode=render_mode, env_id=e.id)
    env.__doc__ = _simulator_class(e).__doc__  # the env's docs live with its model
    return env


def make(env_id: str, **kwargs: Any) -> Any:
    """``gymnasium.make`` for an archgym env id, finding plugin envs first (no import needed)."""
    import gymnasium

    e = entry(env_id)
    return gymnasium.make(e.id, **kwargs)


# ---- agents ------------------------------------------------------------------------------------
AGENTS: Registry[Any] = Registry("agent", group="archgym.agents")


def register_agent(name: str, agent: str | type, *, replace: bool = False) -> None:
    """Register an agent class (or its entry point ``"module:Class"``) under a short name."""
    AGENTS.register(name, agent, replace=replace)


def agent_class(name: str) -> type:
    return AGENTS.load(name)


def make_agent(name: str, seed: int | None = None, **hyperparameters: Any) -> Any:
    """Build a registered agent; unknown hyperparameters are a clear error."""
    cls = agent_class(name)
    allowed = cls.hyperparameters()
    unknown = [k for k in hyperparameters if k not in allowed]
    if unknown:
        from archgym.errors import suggest

        hints = [f"{k!r} (did you mean {suggest(k, allowed)}?)" if suggest(k, allowed) else repr(k) for k in unknown]
        raise UnknownParameterError(f"agent {name!r} has no hyperparameter(s) {', '.join(hints)}; it takes "
                                    f"{sorted(allowed)}")
    cls.check_params(hyperparameters)
    return cls(seed=seed, **hyperparameters)


# ---- built-ins: one line each --------------------------------------------------------------------
BUILTIN_ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        name="Systolic",
        simulator="archgym.simulators.systolic:SystolicSimulator",
        objective={"kind": "target", "targets": {"latency_ms": 2.0, "energy_mJ": 20.0, "area_mm2": 10.0},
                   "norm": "l2", "mode": "at_most"},
        backends={"scalesim": "archgym.simulators.systolic.scalesim_backend:ScaleSimSimulator"},
        summary="systolic-array DNN accelerator (SCALE-Sim formulas) on a whole network",
    ),
    EnvEntry(
        name="DRAM",
        simulator="archgym.simulators.dram:DRAMSimulator",
        objective={"kind": "target", "targets": {"power_mW": 1000.0, "time_ns": 100000.0}, "norm": "l2"},
        backends={"dramsys": "archgym.simulators.dram.dramsys_backend:DRAMSysSimulator"},
        summary="DDR3 memory controller (DRAMSys semantics, DRAMPower energy) serving a request trace",
    ),
    EnvEntry(
        name="SoC",
        simulator="archgym.simulators.soc:SoCSimulator",
        objective=None,  # the workload's own budgets (SoCSimulator.default_objective)
        # env kwargs: workload= (audio_decoder, edge_detection, camera_pipeline, multi_dnn, a JSON
        # task graph or a FARSI workload), formulation= ("allocation", "mapping" or "farsi")
        backends={"farsi": "archgym.simulators.soc.farsi_backend:FarsiSimulator"},
        summary="heterogeneous SoC from templates (cores, IPs, systolic arrays) on a task graph, FARSI-style",
    ),
    EnvEntry(
        name="CoDesign",
        simulator="archgym.simulators.codesign:CoDesignSimulator",
        objective=None,  # NASAIC's form on the workload's specs (CoDesignSimulator.default_objective)
        # env kwargs: workload= (cifar10+digits, cifar10x2 or a JSON/YAML workload file)
        summary="task networks with real accuracy tables + a heterogeneous ASIC of dataflow sub-accelerators, "
                "searched together (NASAIC)",
    ),
)

BUILTIN_AGENTS: dict[str, str] = {
    "random": "archgym.agents.random_search:RandomSearch",
    "random_walk": "archgym.agents.random_walk:RandomWalk",
    "ga": "archgym.agents.ga:GeneticAlgorithm",
    "aco": "archgym.agents.aco:AntColony",
    "bo": "archgym.agents.bo:TPEAgent",
    "gp": "archgym.agents.gp:GPAgent",
    "nsga2": "archgym.agents.nsga2:NSGA2Agent",
    "ppo": "archgym.agents.ppo:PPOAgent",
    "marl": "archgym.agents.marl:MARLAgent",
    "marl_shared": "archgym.agents.marl_torch:SharedMARLAgent",
    "mappo": "archgym.agents.marl_torch:MAPPOAgent",
    "sac": "archgym.agents.sac:SACAgent",
}


def register_builtin() -> None:
    """Register the envs and agents that ship with archgym (called on ``import archgym``)."""
    for e in BUILTIN_ENVS:
        ENVS.register(e.name, e, replace=True)
    for name, target in BUILTIN_AGENTS.items():
        AGENTS.register(name, target, replace=True)
