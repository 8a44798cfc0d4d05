"""Ant colony optimisation over per-parameter-value pheromones (numpy only).

ArchGym vendored DeepSwarm, whose ants walk a one-node graph whose attributes are the knobs; in
effect each ant picks one value per knob with probability proportional to that value's
pheromone.  This module keeps exactly that model — a pheromone table ``tau[j][k]`` for value ``k``
of parameter ``j`` — and the same four hyperparameters (ants, evaporation, greediness, depth), in
the MAX-MIN ant system form: pheromones are bounded in ``[tau_min, tau_max]`` so the colony never
freezes on one design, and the best design so far deposits every colony (elitist ant).

``depth`` is the number of parameters an ant re-chooses, starting from the best design found so
far (DeepSwarm's path depth): small depths make ACO a pheromone-guided local search, ``None``
builds every design from scratch.

Cost per evaluation: once the colony has converged, most walks from the best design give designs
already evaluated, and an ant re-walks (up to 32 times) until it finds a new one, so the number of
walks per evaluation grows during a run.  Each walk is therefore kept cheap: the sampling
distribution of each parameter (its cumulative pheromone) and its highest-pheromone values only
change when the colony deposits, so they are computed there, once per colony, and a walk draws
from them with a binary search.  The random stream is consumed exactly as
``Generator.choice(n, p=...)`` consumes it (one double per choice), so trajectories are unchanged.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np

from archgym.agent import Agent
from archgym.agents.common import Fitness, SeenSet
from archgym.constraints import Interval
from archgym.errors import InvalidParameterError


class AntColony(Agent):
    """MAX-MIN ant system on the index view of the design space.

    Args:
        seed: random seed.
        ants: designs per colony, i.e. between pheromone updates (default 8; ArchGym swept 2–64).
        evaporation: fraction of pheromone that evaporates per colony (default 0.25; range 0.1–1).
        greediness: probability that an ant takes the highest-pheromone value of a parameter
            instead of sampling proportionally (default 0.5; range 0–1).
        depth: parameters each ant re-chooses starting from the best design so far (default 3;
            ArchGym swept 2–16); ``None`` or a value >= the number of parameters builds whole designs.
        tau_min: lower pheromone bound, relative to the initial pheromone 1 (default 0.1; > 0).
        tau_max: upper pheromone bound (default 10).
    """

    name = "aco"
    test_config = {"ants": 4}
    parameter_constraints = {"ants": [Interval(int, 1)], "evaporation": [Interval(float, 0, 1, "right")],
                             "greediness": [Interval(float, 0, 1)], "depth": [Interval(int, 1), None],
                             "tau_min": [Interval(float, 0, 1, "right")], "tau_max": [Interval(float, 1)]}

    def __init__(self, seed: int | None = None, ants: int = 8, evaporation: float = 0.25,
                 greediness: float = 0.5, depth: int | None = 3, tau_min: float = 0.1,
                 tau_max: float = 10.0):
        super().__init__(seed)
        self.ants = ants
        self.evaporation = evaporation
        self.greediness = greediness
        self.depth = depth
        self.tau_min = tau_min
        self.tau_max = tau_max

    def setup(self, space, budget, objective=None) -> None:
        super().setup(space, budget, objective)
        if int(self.ants) < 1:
            raise InvalidParameterError(f"aco: ants must be >= 1, got {self.ants}")
        if not 0.0 < float(self.evaporation) <= 1.0:
            raise InvalidParameterError(f"aco: evaporation must be in (0, 1], got {self.evaporation}")
        if not 0.0 <= float(self.greediness) <= 1.0:
            raise InvalidParameterError(f"aco: greediness must be in [0, 1], got {self.greediness}")
        if self.depth is not None and int(self.depth) < 1:
            raise InvalidParameterError(f"aco: depth must be >= 1 or None, got {self.depth}")
        if not 0.0 < float(self.tau_min) <= 1.0 <= float(self.tau_max):
            raise InvalidParameterError(f"aco: need 0 < tau_min <= 1 <= tau_max, got {self.tau_min}, {self.tau_max}")
        self._nvec = space.nvec
        self._tau = [np.ones(int(n)) for n in self._nvec]
        self._refresh_choices()
        self._fit = Fitness(objective)
        self._seen = SeenSet(space.size)
        self._colony: list[tuple[np.ndarray, float]] = []
        self._asked: list[np.ndarray] = []
        self._best: tuple[np.ndarray, float] | None = None

    def ask(self) -> dict[str, Any]:
        return self.space.decode_row(self.ask_indices(1)[0])

    def ask_indices(self, n: int = 1) -> np.ndarray:
        """One ant: each walk starts from the best design so far, which the last result may change."""
        idx = self._walk()
        for _ in range(32):
            if idx not in self._seen or self._seen.exhausted:
                break
            idx = self._walk(explore=True)
        self._seen.add(idx)
        self._asked.append(idx)
        return idx[None, :]

    def _walk(self, explore: bool = False) -> np.ndarray:
        d = len(self._nvec)
        if self._best is None:
            idx, knobs = np.zeros(d, np.int64), range(d)
        else:
            idx = self._best[0].copy()
            k = d if self.depth is None else min(int(self.depth), d)
            knobs = self.rng.choice(d, size=k, replace=False).tolist() if k < d else range(d)
        if explore:  # greediness 0: per knob, one draw for the (never taken) greedy test, one to sample
            u = self.rng.random(2 * len(knobs)).tolist()
            for i, j in enumerate(knobs):
                idx[j] = bisect.bisect_right(self._cdf[j], u[2 * i + 1])
            return idx
        greedy = float(self.greediness)
        for j in knobs:
            if self.rng.random() < greedy:
                top = self._top[j]
                idx[j] = int(top[0] if len(top) == 1 else self.rng.choice(top))  # random tie-break
            else:
                idx[j] = bisect.bisect_right(self._cdf[j], self.rng.random())
        return idx

    def _refresh_choices(self) -> None:
        """Per parameter: the normalised cumulative pheromone (what ``rng.choice(n, p=tau/sum)``
        searches) and the values of highest pheromone; they change only when pheromone does."""
        self._cdf: list[list[float]] = []
        self._top: list[np.ndarray] = []
        for tau in self._tau:
            cdf = (tau / tau.sum()).cumsum()
            cdf /= cdf[-1]
            self._cdf.append(cdf.tolist())
            self._top.append(np.flatnonzero(tau == tau.max()))

    def tell(self, design, reward, metrics) -> None:
        self.tell_indices(self.space.encode(dict(design))[None, :], np.array([reward]), None)

    def tell_indices(self, indices: np.ndarray, rewards: np.ndarray, results: Any) -> None:
        idx = self._asked.pop(0) if self._asked else np.asarray(indices[0])
        f = self._fit.scalar(rewards[0])
        if self._best is None or f > self._best[1]:
            self._best = (idx.copy(), f)
        self._colony.append((idx, f))
        if len(self._colony) >= int(self.ants):
            self._update()

    def _update(self) -> None:
        """Evaporate, then deposit by rank within the colony, plus the best-so-far design."""
        rho = float(self.evaporation)
        n = len(self._colony)
        order = np.argsort([-f for _, f in self._colony], kind="stable")
        for j in range(len(self._tau)):
            self._tau[j] *= 1.0 - rho
        for rank, i in enumerate(order):
            amount = (n - rank) / n
            for j, k in enumerate(self._colony[i][0]):
                self._tau[j][k] += amount
        if self._best is not None:
            for j, k in enumerate(self._best[0]):
                self._tau[j][k] += 1.0
        for j in range(len(self._tau)):
            np.clip(self._tau[j], float(self.tau_min), float(self.tau_max), out=self._tau[j])
        self._colony = []
        self._refresh_choices()
