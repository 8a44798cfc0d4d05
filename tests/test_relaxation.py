"""The box relaxation SAC acts in: every box point is a valid design, bin centres round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.errors import InvalidParameterError
from archgym.relaxation import BoxBinning
from archgym.spaces import Categorical, DesignSpace, Integer, Pow2


@pytest.fixture
def space() -> DesignSpace:
    return DesignSpace((Categorical("df", choices=("os", "ws", "is")), Pow2("k", 1, 128),
                        Integer("n", low=1, high=5), Categorical("flag", choices=("a", "b"))))


def test_every_box_point_maps_to_a_valid_design(space):
    b = BoxBinning(space)
    rng = np.random.default_rng(0)
    pts = np.vstack([rng.uniform(-1, 1, (5000, b.dim)),
                     np.full((1, b.dim), -1.0), np.full((1, b.dim), 1.0),  # both box corners
                     rng.uniform(-3, 3, (200, b.dim))])                     # overshoot is clipped
    idx = b.to_indices(pts)
    assert idx.shape == pts.shape and idx.dtype == np.int64
    space.check_indices(idx)  # raises on any out-of-range index
    assert len(space.decode(idx)) == len(pts)
    assert (b.to_indices(np.full(b.dim, 1.0)) == space.nvec - 1).all()
    assert (b.to_indices(np.full(b.dim, -1.0)) == 0).all()


def test_bins_are_equal_width_and_ordered(space):
    b = BoxBinning(space)
    x = np.linspace(-1, 1, 100_001)
    for j, n in enumerate(space.nvec):
        pts = np.zeros((len(x), b.dim))
        pts[:, j] = x
        col = b.to_indices(pts)[:, j]
        assert (np.diff(col) >= 0).all(), "bins follow the knob's order"
        counts = np.bincount(col, minlength=n)
        assert counts.min() > 0 and counts.max() - counts.min() <= 2, "equal-width bins"


def test_grid_points_round_trip(space):
    b = BoxBinning(space)
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in space.nvec], indexing="ij"), -1).reshape(-1, b.dim)
    centres = b.to_box(grid)
    assert (np.abs(centres) < 1).all()
    assert (b.to_indices(centres) == grid).all()
    assert (b.to_box(grid[3]) == centres[3]).all()  # one row keeps its shape
    # the centre of choice i of an n-choice knob is -1 + (2i + 1) / n
    assert np.allclose(centres[:, 0], -1 + (2 * grid[:, 0] + 1) / 3)


def test_bad_box_actions_name_the_problem(space):
    b = BoxBinning(space)
    with pytest.raises(InvalidParameterError, match="'k'.*NaN"):
        b.to_indices(np.array([0.0, np.nan, 0.0, 0.0]))
    with pytest.raises(InvalidParameterError, match="shape"):
        b.to_indices(np.zeros(3))


def test_box_space_matches(space):
    box = BoxBinning(space).to_gym()
    assert box.shape == (4,) and float(box.low.min()) == -1.0 and float(box.high.max()) == 1.0
