"""Shared pieces of the numpy agents: turning rewards into fitness, Pareto ranking, de-duplication.

Why here and not in each agent: every population or local-search agent needs the same three
answers — "how good was this design, as a finite number", "which of these designs are better when
there are several objectives", and "have I already spent budget on this design" — and they must be
answered identically so that agents differ only in their search strategy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from archgym.agent import finite_reward
from archgym.constraints import Satisfies
from archgym.errors import InvalidParameterError
from archgym.objectives import MultiObjective, pareto_mask

#: largest joint action space of one group agent (a categorical over the product of its knobs)
MAX_GROUP_ACTIONS = 4096

#: the ``groups`` hyperparameter of the multi-agent learners
GROUPS_CONSTRAINT = [None, Satisfies(lambda g: isinstance(g, list | tuple | dict) and len(g) > 0,
                                     "a list of knob-name lists or a mapping name -> knob names")]


def group_shapes(agent: str, space: Any, groups: Any) -> tuple[dict[str, list[int]], dict[str, tuple[int, ...]]]:
    """Knob positions and choice counts of each group agent (one per knob when ``groups`` is None).

    Raises:
        InvalidParameterError: a group whose joint action space exceeds :data:`MAX_GROUP_ACTIONS`.
    """
    from archgym.parallel import resolve_groups

    slices = resolve_groups(space.names, groups)
    shapes = {a: tuple(int(space.nvec[i]) for i in ix) for a, ix in slices.items()}
    big = {a: math.prod(s) for a, s in shapes.items() if math.prod(s) > MAX_GROUP_ACTIONS}
    if big:
        raise InvalidParameterError(f"{agent}: group(s) {big} have more than {MAX_GROUP_ACTIONS} joint actions; "
                                    "split them into smaller groups")
    return slices, shapes


class Fitness:
    """Scores told designs: a finite scalar reward, or a maximisation vector for multi-objective runs.

    Infeasible designs and non-finite rewards (``-inf`` under ``Minimize``) map to "just below the
    worst finite reward seen so far" (:func:`~archgym.agent.finite_reward`), so comparisons
    and arithmetic never see ``inf``/``NaN``.

    Args:
        objective: the run's objective (from ``Agent.setup``); a :class:`MultiObjective` switches
            on vector scoring when ``multi`` is True.
        multi: whether the agent wants the vector view (agents with ``multiobjective = True``).
    """

    def __init__(self, objective: Any = None, multi: bool = False):
        self.objective = objective
        self.multi = bool(multi) and isinstance(objective, MultiObjective)
        self.worst = math.inf

    def scalar(self, reward: float) -> float:
        r = float(reward)
        if math.isfinite(r):
            self.worst = min(self.worst, r)
        return finite_reward(r, self.worst)

    def vector(self, metrics: Mapping[str, Any]) -> np.ndarray:
        """Maximisation vector of one design; NaN row when infeasible."""
        res = {k: np.array([float(metrics[k])]) for k in self.objective.metrics}
        res["feasible"] = np.array([bool(metrics.get("feasible", True))])
        return self.objective.vector(res)[0]


def nondominated_ranks(points: np.ndarray) -> np.ndarray:
    """Pareto rank of each row (0 = non-dominated front), maximisation; NaN rows get the last rank."""
    p = np.asarray(points, dtype=float)
    n = p.shape[0]
    ranks = np.full(n, n, dtype=np.int64)
    left = ~np.isnan(p).any(axis=1)
    r = 0
    while left.any():
        sub = np.flatnonzero(left)
        front = sub[pareto_mask(p[sub])]
        ranks[front] = r
        left[front] = False
        r += 1
    ranks[ranks == n] = r
    return ranks


def crowding(points: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance within one set of points (larger = more isolated); inf at the edges."""
    p = np.asarray(points, dtype=float)
    n, k = p.shape
    d = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(p[:, j], kind="stable")
        span = p[order[-1], j] - p[order[0], j]
        d[order[0]] = d[order[-1]] = np.inf
        if span > 0:
            d[order[1:-1]] += (p[order[2:], j] - p[order[:-2], j]) / span
    return d


def mo_scores(points: np.ndarray) -> np.ndarray:
    """Scalar scores for multi-objective selection: better Pareto rank first, then more crowding.

    Score = ``-rank + c`` with ``c`` in [0, 0.5] from the crowding distance within the rank, so any
    design of a better front beats any design of a worse one (NSGA-II's crowded comparison).
    """
    p = np.asarray(points, dtype=float)
    ranks = nondominated_ranks(p)
    score = -ranks.astype(float)
    for r in np.unique(ranks):
        idx = np.flatnonzero(ranks == r)
        rows = p[idx]
        if np.isnan(rows).any():
            continue
        c = crowding(rows)
        finite = np.isfinite(c)
        cmax = c[finite].max() if finite.any() and c[finite].max() > 0 else 1.0
        score[idx] += np.where(finite, 0.4 * c / cmax, 0.5)
    return score


class SeenSet:
    """Index-view designs already proposed, so budget is not spent twice on the same design."""

    def __init__(self, size: int):
        self.size = int(size)
        self._seen: set[tuple[int, ...]] = set()

    @staticmethod
    def _key(idx: np.ndarray) -> tuple[int, ...]:
        return tuple(np.asarray(idx, np.int64).tolist())

    def __contains__(self, idx: np.ndarray) -> bool:
        return self._key(idx) in self._seen

    def add(self, idx: np.ndarray) -> None:
        self._seen.add(self._key(idx))

    @property
    def exhausted(self) -> bool:
        return len(self._seen) >= self.size

    def __len__(self) -> int:
        return len(self._seen)


def fresh(candidate: np.ndarray, seen: SeenSet, perturb: Any, tries: int = 32) -> np.ndarray:
    """Return ``candidate`` or, if already seen, up to ``tries`` perturbations of it until one is new.

    Falls back to the last candidate (a repeat) when the neighbourhood is exhausted, so an agent
    never stalls on a small space.
    """
    c = candidate
    for _ in range(tries):
        if c not in seen or seen.exhausted:
            return c
        c = perturb(c)
    return c


def neighbor_indices(space: Any, idx: np.ndarray) -> np.ndarray:
    """Neighbours of an index vector, shape (m, d): :meth:`DesignSpace.neighbor_indices`."""
    return space.neighbor_indices(idx)
