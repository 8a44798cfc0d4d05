"""Random search: uniform, independent samples of the design space.

The baseline every other agent must beat, and (as ArchGym found) a strong one on small budgets.
Sampling is uniform over the index view of the space, so each parameter value is equally likely.
"""

from __future__ import annotations

from typing import Any

from archgym.agent import Agent


class RandomSearch(Agent):
    """Uniform random search.

    Args:
        seed: random seed.
        unique: if True, never propose the same design twice (until the space is exhausted);
            worthwhile on small spaces, where repeats waste budget.
    """

    name = "random"
    parameter_constraints = {"unique": [bool]}
    multiobjective = True

    def __init__(self, seed: int | None = None, unique: bool = True):
        super().__init__(seed)
        self.unique = unique

    def setup(self, space, budget, objective=None) -> None:
        super().setup(space, budget, objective)
        self._seen: set[tuple[int, ...]] = set()

    def ask(self) -> dict[str, Any]:
        for _ in range(64 if self.unique else 1):
            idx = self.space.sample_indices(self.rng, 1)[0]
            key = tuple(int(i) for i in idx)
            if not self.unique or key not in self._seen or len(self._seen) >= self.space.size:
                break
        self._seen.add(key)
        return self.space.decode(idx)  # type: ignore[return-value]
