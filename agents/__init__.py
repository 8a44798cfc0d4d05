"""Search agents behind one ask/tell protocol (:mod:`archgym.agents.base`).

Adding an agent is one module and one line in :data:`AGENTS`.  Agents are imported lazily, so
``import archgym`` never loads torch or optuna.
"""

from __future__ import annotations

from typing import Any

#: short name → "module:Class"
AGENTS: dict[str, str] = {
    "random": "archgym.agents.random_search:RandomSearch",
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
