"""Random search: uniform, independent samples of the design space.

The baseline every other agent must beat, and (as ArchGym found) a strong one on small budgets.
Sampling is uniform over the index view of the space, so each parameter value is equally likely.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
        self._rows = np.zeros((0, len(space)), np.int64)  # drawn, not yet used (see _next_row)
        self._pos = 0

    def ask_indices(self, n: int = 1) -> np.ndarray:
        """``n`` designs at once (none depends on a result), drawn one at a time so the random
        stream — and so the trajectory — is the same whatever the batch size."""
        size = self.space.size
        out = []
        for _ in range(n):
            for _ in range(64 if self.unique else 1):
                idx = self._next_row()
                key = tuple(idx.tolist())
                if not self.unique or key not in self._seen or len(self._seen) >= size:
                    break
            self._seen.add(key)
            out.append(idx)
        return np.stack(out)

    def _next_row(self) -> np.ndarray:
        """The next uniform index row of the seeded stream.  numpy draws array-bounded integers
        element by element, so a block of rows is the same stream as one row per call; rows are
        drawn 256 at a time and kept until used, so the sequence never depends on batch sizes."""
        if self._pos == len(self._rows):
            self._rows, self._pos = self.space.sample_indices(self.rng, 256), 0
        self._pos += 1
        return self._rows[self._pos - 1]

    def tell_indices(self, indices: np.ndarray, rewards: np.ndarray, results: Any) -> None:
        """Random search learns nothing from results."""

    def ask(self) -> dict[str, Any]:
        return self.space.decode_row(self.ask_indices(1)[0])
