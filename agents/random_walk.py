"""Random walk: local moves through the neighbourhood of :meth:`DesignSpace.neighbors`, with restarts.

ArchGym's "random walk" was i.i.d. random search under another name.  This one really walks: it
steps to a random neighbour of the current design (one parameter moved to an adjacent value, or
another categorical choice — the moves of ``DesignSpace.neighbors``, computed on the index view by
:func:`~archgym.agents.common.neighbor_indices`), keeps the move if it is not worse (or, with
probability ``p_accept_worse``, even if it is), and restarts from a fresh random design after
``patience`` proposals without improving on the walk's best.  That makes it the local-search
baseline that population methods and learners should beat on rugged spaces.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archgym.agent import Agent
from archgym.agents.common import Fitness, SeenSet, neighbor_indices
from archgym.constraints import Interval
from archgym.errors import InvalidParameterError


class RandomWalk(Agent):
    """Stochastic hill-climbing random walk with restarts.

    Args:
        seed: random seed.
        patience: proposals without improving the current walk's best before restarting from a
            random design (default 24; useful range 4–200).
        p_accept_worse: probability of moving to a worse neighbour anyway (default 0.0 = greedy
            hill climbing with sideways moves; range 0–1, 1 = pure random walk).
        unique: prefer neighbours not yet evaluated, so budget is not spent twice on one design.
    """

    name = "random_walk"
    test_config = {"patience": 4}
    parameter_constraints = {"patience": [Interval(int, 1)], "p_accept_worse": [Interval(float, 0, 1)],
                             "unique": [bool]}

    def __init__(self, seed: int | None = None, patience: int = 24, p_accept_worse: float = 0.0,
                 unique: bool = True):
        super().__init__(seed)
        self.patience = patience
        self.p_accept_worse = p_accept_worse
        self.unique = unique

    def setup(self, space, budget, objective=None) -> None:
        super().setup(space, budget, objective)
        if int(self.patience) < 1:
            raise InvalidParameterError(f"random_walk: patience must be >= 1, got {self.patience}")
        if not 0.0 <= float(self.p_accept_worse) <= 1.0:
            raise InvalidParameterError(f"random_walk: p_accept_worse must be in [0, 1], got {self.p_accept_worse}")
        self._fit = Fitness(objective)
        self._seen = SeenSet(space.size)
        self._current: np.ndarray | None = None
        self._current_fit = -np.inf
        self._walk_best = -np.inf
        self._stale = 0
        self._pending: np.ndarray | None = None

    def _random_indices(self) -> np.ndarray:
        for _ in range(64):
            idx = self.space.sample_indices(self.rng, 1)[0]
            if not self.unique or idx not in self._seen or self._seen.exhausted:
                break
        return idx

    def ask(self) -> dict[str, Any]:
        return self.space.decode_row(self.ask_indices(1)[0])

    def tell(self, design, reward, metrics) -> None:
        self.tell_indices(self.space.encode(dict(design))[None, :], np.array([reward]), None)

    def ask_indices(self, n: int = 1) -> np.ndarray:
        """One design: the next step of the walk depends on the last result."""
        if self._current is None:
            idx = self._random_indices()
        else:
            nbs = neighbor_indices(self.space, self._current)
            if self.unique:
                nbs = nbs[[i not in self._seen for i in nbs]] if len(nbs) else nbs
            if len(nbs):
                idx = nbs[int(self.rng.integers(len(nbs)))]
            else:  # a local optimum whose neighbourhood is spent: restart
                idx = self._random_indices()
                self._current = None
        self._seen.add(idx)
        self._pending = idx
        return idx[None, :]

    def tell_indices(self, indices: np.ndarray, rewards: np.ndarray, results: Any) -> None:
        proposed = self._pending if self._pending is not None else np.asarray(indices[0])
        self._pending = None
        f = self._fit.scalar(rewards[0])
        if self._current is None:  # start (or restart) of a walk
            self._current, self._current_fit, self._walk_best, self._stale = proposed, f, f, 0
            return
        if f >= self._current_fit or self.rng.random() < float(self.p_accept_worse):
            self._current, self._current_fit = proposed, f
        if f > self._walk_best:
            self._walk_best, self._stale = f, 0
        else:
            self._stale += 1
            if self._stale >= int(self.patience):
                self._current = None  # restart at the next ask
