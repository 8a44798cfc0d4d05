"""Genetic algorithm on the index view of the design space (numpy only).

ArchGym used a vendored scikit-opt GA whose real-valued genes were rounded into designs, so some
genes landed outside the space and the DRAM space grew to 28M points.  Here a gene is a parameter's
index (``0 .. nvec[j]-1``), so every child is a valid design by construction.  The loop is a
generational GA with elitism: tournament selection, uniform crossover, per-gene mutation (half of
mutations step an ordered parameter to an adjacent value, half resample it uniformly) and
de-duplication, so budget is not spent re-evaluating a design the GA has already seen.

With a :class:`~archgym.objectives.MultiObjective`, selection uses NSGA-II's crowded comparison
(Pareto rank, then crowding distance) on the objective vector, and the run's Pareto front is the
result.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archgym.agent import Agent
from archgym.agents.common import Fitness, SeenSet, fresh, mo_scores
from archgym.constraints import Interval
from archgym.errors import InvalidParameterError
from archgym.spaces import Categorical


class GeneticAlgorithm(Agent):
    """Generational GA with tournament selection, uniform crossover, mutation and elitism.

    Args:
        seed: random seed.
        population: individuals per generation (default 16; ArchGym swept 2–64).
        crossover: probability that a child is a uniform crossover of two parents rather than a
            copy of one (default 0.9; range 0–1).
        mutation: per-gene mutation probability (default 0.1; range 0.001–0.5; ArchGym swept
            0.001–0.05 on binary-encoded genes, which mutate far more designs per flip).
        elitism: best individuals copied unchanged into the next generation (default 2;
            0 .. population-1).
        tournament: tournament size for parent selection (default 3; 1 = uniform, larger = greedier).

    The number of generations follows from the budget: ``1 + (budget - population) /
    (population - elitism)`` (ArchGym's "iterations" 8–64).
    """

    name = "ga"
    test_config = {"population": 4, "elitism": 1}
    parameter_constraints = {"population": [Interval(int, 2)], "crossover": [Interval(float, 0, 1)],
                             "mutation": [Interval(float, 0, 1)], "elitism": [Interval(int, 0)],
                             "tournament": [Interval(int, 1)]}
    multiobjective = True

    def __init__(self, seed: int | None = None, population: int = 16, crossover: float = 0.9,
                 mutation: float = 0.1, elitism: int = 2, tournament: int = 3):
        super().__init__(seed)
        self.population = population
        self.crossover = crossover
        self.mutation = mutation
        self.elitism = elitism
        self.tournament = tournament

    def setup(self, space, budget, objective=None) -> None:
        super().setup(space, budget, objective)
        pop, elit = int(self.population), int(self.elitism)
        if pop < 2:
            raise InvalidParameterError(f"ga: population must be >= 2, got {self.population}")
        if not 0 <= elit < pop:
            raise InvalidParameterError(f"ga: elitism must be in [0, population-1] = [0, {pop - 1}], got {self.elitism}")
        if int(self.tournament) < 1:
            raise InvalidParameterError(f"ga: tournament must be >= 1, got {self.tournament}")
        for k in ("crossover", "mutation"):
            if not 0.0 <= float(getattr(self, k)) <= 1.0:
                raise InvalidParameterError(f"ga: {k} must be a probability in [0, 1], got {getattr(self, k)}")
        self._nvec = space.nvec
        self._ordered = np.array([not isinstance(p, Categorical) for p in space.params])
        self._fit = Fitness(objective, multi=True)
        self._seen = SeenSet(space.size)
        self._queue: list[np.ndarray] = []  # children to propose this generation
        self._told: list[tuple[np.ndarray, float, np.ndarray | None]] = []  # evaluated this generation
        self._parents: list[tuple[np.ndarray, float, np.ndarray | None]] = []
        self._asked: list[np.ndarray] = []
        self.generation = 0

    # ---- ask/tell -----------------------------------------------------------------------
    def ask(self) -> dict[str, Any]:
        return self.space.decode_row(self.ask_indices(1)[0])

    def tell(self, design, reward, metrics) -> None:
        self.tell_indices(self.space.encode(dict(design))[None, :], np.array([reward]),
                          {k: np.array([v]) for k, v in metrics.items()})

    def ask_indices(self, n: int = 1) -> np.ndarray:
        """Up to ``n`` children of the current generation: they are bred together, so all of them
        can be evaluated before any result comes back."""
        if not self._queue:
            self._queue = self._breed()
        out = []
        for _ in range(min(n, len(self._queue))):
            idx = fresh(self._queue.pop(0), self._seen, self._mutate_one)
            self._seen.add(idx)
            self._asked.append(idx)
            out.append(idx)
        return np.stack(out)

    def tell_indices(self, indices: np.ndarray, rewards: np.ndarray, results: Any) -> None:
        for i in range(len(indices)):
            idx = self._asked.pop(0) if self._asked else np.asarray(indices[i])
            vec = None
            if self._fit.multi:
                vec = self._fit.vector({k: results[k][i] for k in (*self.objective.metrics, "feasible")})
            self._told.append((idx, self._fit.scalar(rewards[i]), vec))

    # ---- evolution ----------------------------------------------------------------------
    def _scores(self, pool: list[tuple[np.ndarray, float, np.ndarray | None]]) -> np.ndarray:
        if self._fit.multi:
            return mo_scores(np.stack([v for _, _, v in pool]))
        return np.array([f for _, f, _ in pool])

    def _breed(self) -> list[np.ndarray]:
        pop, elit = int(self.population), int(self.elitism)
        if not self._told and not self._parents:  # generation 0: random individuals
            return [self.space.sample_indices(self.rng, 1)[0] for _ in range(pop)]
        # survivors: elites of the previous parents + everything evaluated since
        pool = self._told
        if self._parents and elit:
            prev = self._scores(self._parents)
            keep = np.argsort(-prev, kind="stable")[:elit]
            pool = [self._parents[i] for i in keep] + pool
        scores = self._scores(pool)
        order = np.argsort(-scores, kind="stable")[:pop]
        self._parents = [pool[i] for i in order]
        self._told = []
        self.generation += 1
        scores = self._scores(self._parents)
        genes = np.stack([g for g, _, _ in self._parents])
        children = []
        for _ in range(pop - elit):
            a = genes[self._select(scores)]
            if self.rng.random() < float(self.crossover):
                b = genes[self._select(scores)]
                child = np.where(self.rng.random(len(a)) < 0.5, a, b)
            else:
                child = a.copy()
            children.append(self._mutate(child))
        return children

    def _select(self, scores: np.ndarray) -> int:
        k = min(int(self.tournament), len(scores))
        cand = self.rng.choice(len(scores), size=k, replace=False)
        return int(cand[np.argmax(scores[cand])])

    def _mutate(self, child: np.ndarray) -> np.ndarray:
        hit = self.rng.random(len(child)) < float(self.mutation)
        for j in np.flatnonzero(hit):
            child[j] = self._new_gene(child[j], j)
        return child

    def _mutate_one(self, child: np.ndarray) -> np.ndarray:
        """Force one gene to change (used to turn an already-seen child into a new design)."""
        child = child.copy()
        movable = np.flatnonzero(self._nvec > 1)
        if len(movable):
            j = int(self.rng.choice(movable))
            child[j] = self._new_gene(child[j], j)
        return child

    def _new_gene(self, g: int, j: int) -> int:
        n = int(self._nvec[j])
        if n < 2:
            return int(g)
        if self._ordered[j] and self.rng.random() < 0.5:  # local step on ordered parameters
            step = 1 if (g == 0 or (g < n - 1 and self.rng.random() < 0.5)) else -1
            return int(g + step)
        v = int(self.rng.integers(n - 1))
        return v + (v >= g)  # uniform over the other values
