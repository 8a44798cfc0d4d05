"""Search agents behind one ask/tell protocol (:mod:`archgym.agent`).

Adding an agent is one module and one line in :data:`AGENTS`.  Agents are imported lazily, so
``import archgym`` never loads torch or optuna.
"""

from __future__ import annotations

from typing import Any

#: short name → "module:Class"
AGENTS: dict[str, str] = {
    "random": "archgym.agents.random_search:RandomSearch",
    "random_walk": "archgym.agents.random_walk:RandomWalk",
    "ga": "archgym.agents.ga:GeneticAlgorithm",
    "aco": "archgym.agents.aco:AntColony",
    "bo": "archgym.agents.bo:TPEAgent",
    "gp": "archgym.agents.gp:GPAgent",
    "nsga2": "archgym.agents.nsga2:NSGA2Agent",
    "ppo": "archgym.agents.ppo:PPOAgent",
    "marl": "archgym.agents.marl:MARLAgent",
}


def agent_class(name: str) -> type:
    from archgym.registry import load_entry_point

    try:
        return load_entry_point(AGENTS[name])
    except KeyError:
        raise KeyError(f"unknown agent {name!r}; registered: {sorted(AGENTS)}") from None


def make_agent(name: str, seed: int | None = None, **hyperparameters: Any) -> Any:
    """Build a registered agent; unknown hyperparameters are a clear error."""
    cls = agent_class(name)
    allowed = cls.hyperparameters()
    unknown = [k for k in hyperparameters if k not in allowed]
    if unknown:
        raise TypeError(f"agent {name!r} has no hyperparameter(s) {unknown}; it takes {sorted(allowed)}")
    return cls(seed=seed, **hyperparameters)
