"""archgym: a gym for machine-learning-driven design-space exploration of hardware accelerators.

``import archgym`` registers the envs with gymnasium (``archgym/DRAM-v0``, ``archgym/Systolic-v0``,
``archgym/SoC-v0``) and stays fast: simulators, pandas, torch, optuna and scikit-learn load only when
used.  Public API::

    archgym.run(env_or_id, agent, budget, seed, log_dir=None)   # one study → RunResult
    archgym.make_agent("ga", seed=0, population=16)             # agents by registry name
    archgym.make("archgym/DRAM-v0", workload="random")         # gymnasium.make, plugin envs included
    archgym.register_simulator(name, "pkg.mod:Class", ...)       # third-party envs and agents
    archgym.register_agent(name, "pkg.mod:Class")
    archgym.parallel_env("archgym/DRAM-v0")                     # PettingZoo multi-agent view
    archgym.datasets.load("runs/")                              # trajectories as a DataFrame
"""

from __future__ import annotations

import importlib
from typing import Any

import archgym._installed  # noqa: F401  (first: a clear error when archgym is not installed)
from archgym.errors import (
    ArchGymError,
    DatasetError,
    InvalidDesignError,
    InvalidParameterError,
    NotInstalledError,
    ProxyError,
    SimulatorError,
    StateError,
    SweepSpecError,
    UnknownNameError,
    UnknownParameterError,
    WorkloadError,
)
from archgym.objectives import (
    Budgets,
    Constrained,
    Maximize,
    Minimize,
    MultiObjective,
    Objective,
    Target,
    WeightedMean,
    WeightedSum,
    hypervolume,
    pareto_mask,
)
from archgym.registry import (
    AGENTS,
    ENVS,
    EnvEntry,
    make,
    make_agent,
    make_env,
    make_simulator,
    register_agent,
    register_builtin,
    register_simulator,
)
from archgym.spaces import Categorical, DesignSpace, Integer, Ordinal, Pow2, Real

__version__ = "0.1.0"

register_builtin()

_LAZY = {
    "run": ("archgym.runner", "run"),
    "RunResult": ("archgym.runner", "RunResult"),
    "parallel_env": ("archgym.parallel", "parallel_env"),
    "DesignParallelEnv": ("archgym.parallel", "DesignParallelEnv"),
    "DesignEnv": ("archgym.envs", "DesignEnv"),
    "datasets": ("archgym.datasets", None),
    "proxy": ("archgym.proxy", None),
    "wrappers": ("archgym.wrappers", None),
    "SequentialDesign": ("archgym.wrappers", "SequentialDesign"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'archgym' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    return mod if attr is None else getattr(mod, attr)


__all__ = [
    "ArchGymError", "DatasetError", "InvalidParameterError", "NotInstalledError", "ProxyError", "SimulatorError", "StateError",
    "SweepSpecError", "UnknownNameError", "UnknownParameterError", "WorkloadError",
    "Budgets", "Categorical", "Constrained", "DesignSpace", "ENVS", "Integer", "InvalidDesignError",
    "Maximize", "Minimize", "MultiObjective", "Objective", "Ordinal", "Pow2", "Real", "Target",
    "WeightedMean", "WeightedSum", "hypervolume", "make_env", "make_simulator", "pareto_mask", "AGENTS", "EnvEntry", "make",
    "make_agent", "register_agent", "register_simulator", *_LAZY,
]
