"""Search agents behind one ask/tell protocol (:class:`archgym.agent.Agent`).

Adding an agent is one module here and one line in ``BUILTIN_AGENTS`` in :mod:`archgym.registry`
(or, from another package, :func:`archgym.register_agent` / the ``archgym.agents`` entry-point
group).  Agents are imported lazily, so ``import archgym`` never loads torch or optuna.  The names
below are re-exported from the registry for compatibility.
"""

from archgym.registry import AGENTS, agent_class, make_agent, register_agent

__all__ = ["AGENTS", "agent_class", "make_agent", "register_agent"]
