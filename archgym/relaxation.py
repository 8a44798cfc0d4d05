"""The continuous relaxation of a design space: a ``Box(-1, 1)`` coordinate per knob, binned.

Continuous-control learners (SAC, DDPG, TD3) act in a box, while every archgym design space is a
product of finite choice lists.  ArchGym's ``macme_continuous`` and ``sa`` DRAM forms bridged the
two with a box in [-1, 1] per knob; this module is that bridge for *any* design space, with one
documented, deterministic mapping so that results from different continuous agents mean the same.

The binning, per knob with ``n`` choices:

* ``[-1, 1]`` is cut into ``n`` **equal-width bins**; coordinate ``x`` falls in bin
  ``i = floor((x + 1) / 2 · n)``, clipped to ``0 … n-1`` (so ``x = 1`` is the last bin and values
  outside the box are clipped to it first — a learner's squashing can overshoot by a rounding error).
* **Bin ``i`` is choice ``i``** of the knob, in the knob's own order (sorted sizes for numeric
  knobs), so neighbouring coordinates are neighbouring values where the knob has an order.
* The **bin centre** ``c_i = -1 + (2i + 1) / n`` is the canonical coordinate of choice ``i``;
  :meth:`BoxBinning.to_box` returns centres and ``to_indices(to_box(i)) == i`` for every design.

NaN coordinates are refused (a learner that produces NaN has diverged; silently picking a bin
would hide that).
"""

from __future__ import annotations

import numpy as np

from archgym.errors import InvalidParameterError
from archgym.spaces import DesignSpace


class BoxBinning:
    """Maps ``Box(-1, 1, (d,))`` points to index rows of a design space and back (bin centres).

    Args:
        space: the design space; coordinate ``j`` drives knob ``space.names[j]``.
    """

    low = -1.0
    high = 1.0

    def __init__(self, space: DesignSpace):
        self.space = space
        self.nvec = np.asarray(space.nvec, dtype=np.int64)

    @property
    def dim(self) -> int:
        return int(len(self.nvec))

    def to_gym(self):
        """The relaxed action space, ``Box(-1, 1, (d,), float32)``."""
        import gymnasium as gym

        return gym.spaces.Box(self.low, self.high, shape=(self.dim,), dtype=np.float32)

    def to_indices(self, x: np.ndarray) -> np.ndarray:
        """Box point(s), shape ``(d,)`` or ``(k, d)``, to index rows of the same leading shape."""
        a = np.asarray(x, dtype=np.float64)
        if a.shape[-1:] != (self.dim,):
            raise InvalidParameterError(f"box action has shape {a.shape}; expected (..., {self.dim}) for knobs "
                                        f"{list(self.space.names)}")
        if np.isnan(a).any():
            j = int(np.argwhere(np.isnan(a))[0][-1])
            raise InvalidParameterError(f"box action for knob {self.space.names[j]!r} is NaN; "
                                        "allowed: a number in [-1, 1]")
        a = np.clip(a, self.low, self.high)
        idx = np.floor((a - self.low) / (self.high - self.low) * self.nvec).astype(np.int64)
        return np.minimum(idx, self.nvec - 1)

    def to_box(self, indices: np.ndarray) -> np.ndarray:
        """Index row(s) to the bin centres (float64), the inverse of :meth:`to_indices` on designs."""
        idx = self.space.check_indices(np.asarray(indices, dtype=np.int64).reshape(-1, self.dim))
        centres = self.low + (2 * idx + 1) / self.nvec * (self.high - self.low) / 2
        return centres.reshape(np.shape(indices))
