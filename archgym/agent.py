"""The agent protocol: every search strategy behind one ask/tell interface.

scikit-learn style: the constructor *is* the configuration (seed and hyperparameters, stored as
given, no logic), :meth:`Agent.setup` binds the agent to a design space and budget, then the run
loop alternates :meth:`Agent.ask` (one design, a dict) and :meth:`Agent.tell` (its reward and
metrics).  Agents that must drive an environment themselves (stable-baselines3 PPO, multi-agent RL)
set ``drives_env = True`` and implement :meth:`Agent.optimize`; the run loop hands them an env
wrapper that counts and logs every simulator evaluation, so the budget means the same thing for
every agent.

The run loop's own currency is index rows (one integer per knob, the ``MultiDiscrete`` view): it
calls :meth:`Agent.ask_indices` and :meth:`Agent.tell_indices`, whose defaults bridge to
``ask``/``tell`` (validating the agent's dict once, where it enters).  Agents that think in indices
(random search, GA, ACO, random walk) override the index methods and skip every dict round trip;
those that can propose several designs before hearing back (random search, a GA generation)
return them together, so the simulator evaluates them as one batch.

Infeasible designs and unbounded objectives can produce non-finite rewards; :func:`finite_reward`
is the shared way to turn them into "worse than anything seen".
"""

from __future__ import annotations

import inspect
import math
from abc import ABC
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from archgym.spaces import DesignSpace


class Agent(ABC):  # noqa: B024  (abstract by convention: ask/tell or optimize, not both)
    """Base class of all agents.

    Subclasses declare hyperparameters as keyword arguments of ``__init__`` with documented
    defaults, store them unchanged as attributes of the same name, and pass ``seed`` up.
    """

    #: short registry name
    name: ClassVar[str] = "agent"
    #: True if the agent calls env.step itself (RL); it then implements optimize()
    drives_env: ClassVar[bool] = False
    #: True if the agent searches for a Pareto front when given a MultiObjective
    multiobjective: ClassVar[bool] = False
    #: a cheap configuration (small populations, short rollouts) that conformance checks use
    #: (:mod:`archgym.testing`), so a new agent needs no entry in any test file
    test_config: ClassVar[dict[str, Any]] = {}
    #: hyperparameter → allowed forms (``None``, ``bool``, ``str`` or :mod:`archgym.constraints`
    #: objects), checked by :meth:`check_params` before anything runs
    parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def __init__(self, seed: int | None = None):
        self.seed = seed

    # ---- configuration ------------------------------------------------------------------
    @classmethod
    def hyperparameters(cls) -> dict[str, Any]:
        """Hyperparameter names and defaults, read from the constructor signature."""
        sig = inspect.signature(cls.__init__)
        kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return {k: p.default for k, p in sig.parameters.items() if k not in ("self", "seed") and p.kind in kinds}

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> None:
        """Refuse hyperparameter values outside the declared constraints (naming the bad one)."""
        from archgym.constraints import check_params

        check_params(f"agent {cls.name!r}", params, cls.parameter_constraints)

    def get_params(self) -> dict[str, Any]:
        """Current hyperparameter values (JSON-able), as logged with every dataset row."""
        return {k: getattr(self, k) for k in self.hyperparameters()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args}, seed={self.seed!r})"

    # ---- lifecycle ----------------------------------------------------------------------
    def setup(self, space: DesignSpace, budget: int, objective: Any = None) -> None:
        """Bind to a design space and an evaluation budget; (re)initialise all search state."""
        self.check_params(self.get_params())
        self.space = space
        self.budget = int(budget)
        self.objective = objective
        self.rng = np.random.default_rng(self.seed)

    def ask(self) -> dict[str, Any]:
        """Propose the next design to evaluate (always inside ``self.space``)."""
        raise NotImplementedError(f"{type(self).__name__} drives the env itself; use optimize()")

    def tell(self, design: Mapping[str, Any], reward: float, metrics: Mapping[str, Any]) -> None:  # noqa: B027
        """Receive the result of a design returned by :meth:`ask`."""

    # ---- the run loop's index-level protocol (defaults bridge to ask/tell) ------------------
    def ask_indices(self, n: int = 1) -> np.ndarray:
        """Propose between 1 and ``n`` designs as an ``(k, d)`` index array, all of which can be
        evaluated before any result is told.  Default: one :meth:`ask`, encoded (and so validated)."""
        return self.space.encode(self.ask())[None, :]

    def tell_indices(self, indices: np.ndarray, rewards: np.ndarray, results: Mapping[str, np.ndarray]) -> None:
        """Receive the results of designs from :meth:`ask_indices`, in order (``results``: one
        array per metric, plus ``feasible`` and ``reason``).  Default: one :meth:`tell` each."""
        names = [k for k in results if k not in ("feasible", "reason")]
        for i, idx in enumerate(indices):
            metrics = {k: float(results[k][i]) for k in names}
            metrics["feasible"] = bool(results["feasible"][i])
            self.tell(self.space.decode_row(idx), float(rewards[i]), metrics)

    def optimize(self, env: Any, budget: int) -> None:
        """For ``drives_env`` agents: interact with ``env`` for exactly ``budget`` steps."""
        raise NotImplementedError(f"{type(self).__name__} is an ask/tell agent")

    # ---- persistence ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume the search (default: the instance dict; override for
        agents that hold unpicklable objects)."""
        return dict(self.__dict__)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.__dict__.update(state)


def finite_reward(reward: float, worst_seen: float, margin: float = 1.0) -> float:
    """Map a non-finite reward (infeasible design, ``-inf``/NaN) to just below the worst seen."""
    if math.isfinite(reward):
        return float(reward)
    base = worst_seen if math.isfinite(worst_seen) else 0.0
    return base - abs(margin) - abs(base) * 0.1
