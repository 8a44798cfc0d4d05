"""Objectives: higher is better, bounded distances, budgets, Pareto and hypervolume."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from archgym.objectives import (
    Budgets,
    Constrained,
    Maximize,
    Minimize,
    MultiObjective,
    Target,
    WeightedSum,
    hypervolume,
    objective_from_dict,
    pareto_mask,
)


def res(**cols):
    out = {k: np.asarray(v, dtype=float) for k, v in cols.items()}
    n = len(next(iter(out.values())))
    out.setdefault("feasible", np.ones(n, bool))
    return out


def test_target_is_one_at_target_and_bounded():
    t = Target({"power": 1.0, "latency": 0.1}, norm="l1")
    r = t(res(power=[1.0, 2.0, 0.0], latency=[0.1, 0.1, 0.2]))
    assert r[0] == 1.0
    assert r[1] == pytest.approx(1 / (1 + 1.0))
    assert r[2] == pytest.approx(1 / (1 + 1.0 + 1.0))
    assert np.all((r > 0) & (r <= 1))


@given(st.floats(0, 1e6), st.floats(0, 1e6))
def test_target_never_infinite(p, q):
    r = Target({"p": 1.0, "q": 2.0}, norm="l2")(res(p=[p], q=[q]))
    assert 0 < r[0] <= 1


def test_target_norms_differ_and_are_named():
    r = {n: Target({"a": 1, "b": 1}, norm=n)(res(a=[2.0], b=[3.0]))[0] for n in ("l1", "l2", "linf")}
    assert r["l1"] == pytest.approx(1 / 4)
    assert r["l2"] == pytest.approx(1 / (1 + math.sqrt(5)))
    assert r["linf"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="unknown norm"):
        Target({"a": 1}, norm="l3")  # type: ignore[arg-type]


def test_budgets_are_one_sided():
    b = Budgets({"power": 10.0, "area": 2.0})
    r = b(res(power=[5.0, 20.0], area=[1.0, 1.0]))
    assert r[0] == 1.0
    assert r[1] == pytest.approx(0.5)


def test_infeasible_ranks_below_everything():
    t = Target({"x": 1.0})
    r = t(res(x=[1e9, 1.0], feasible=[True, False]))
    assert r[1] == -1.0 < r[0]
    m = Minimize("x")
    assert m(res(x=[1.0], feasible=[False]))[0] == -math.inf


def test_minimize_maximize_weighted_signs():
    r = res(lat=[1.0, 2.0], thr=[5.0, 3.0])
    assert Minimize("lat")(r)[0] > Minimize("lat")(r)[1]
    assert Maximize("thr")(r)[0] > Maximize("thr")(r)[1]
    w = WeightedSum({"lat": 1.0, "thr": 1.0}, goals={"thr": "max"})
    np.testing.assert_allclose(w(r), [-1 + 5, -2 + 3])
    with pytest.raises(ValueError, match="goals"):
        WeightedSum({"lat": 1.0}, goals={"lat": "down"})


def test_constrained_orders_violators_below_and_by_violation():
    c = Constrained(Target({"lat": 1.0}), budgets={"power": 10.0})
    r = c(res(lat=[5.0, 1.0, 1.0], power=[5.0, 11.0, 20.0]))
    assert r[0] > 0 > r[1] > r[2]
    assert c(res(lat=[1.0], power=[1.0], feasible=[False]))[0] < r[2]


def test_missing_metric_is_a_clear_error():
    with pytest.raises(KeyError, match="needs metric 'power'"):
        Target({"power": 1.0})(res(energy=[1.0]))
    with pytest.raises(ValueError, match="needs metric"):
        Target({"power": 1.0}).check(("energy",))


def test_pareto_mask_and_hypervolume_exact():
    pts = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [1.0, 1.0], [np.nan, 5.0]])
    np.testing.assert_array_equal(pareto_mask(pts), [True, True, True, False, False])
    assert hypervolume(pts[:4], np.zeros(2)) == pytest.approx(3 + 2 + 1)  # staircase area
    assert hypervolume(np.array([[1.0, 1.0, 1.0], [2.0, 0.5, 0.5]]), np.zeros(3)) == pytest.approx(1 + 0.5 - 0.25)  # union of two boxes
    assert hypervolume(np.array([[-1.0, 1.0]]), np.zeros(2)) == 0.0


@given(st.lists(st.tuples(st.floats(0.01, 10), st.floats(0.01, 10), st.floats(0.01, 10)), min_size=1, max_size=12))
def test_hypervolume_3d_matches_monte_carlo_bounds(points):
    p = np.array(points)
    hv = hypervolume(p, np.zeros(3))
    assert max(np.prod(p, axis=1)) - 1e-9 <= hv <= np.prod(p.max(axis=0)) + 1e-9


def test_multiobjective_vector_and_hypervolume():
    mo = MultiObjective({"lat": "min", "thr": "max"}, ref_point={"lat": 10.0, "thr": 0.0})
    r = res(lat=[1.0, 5.0, 2.0], thr=[1.0, 4.0, 0.5], feasible=[True, True, False])
    v = mo.vector(r)
    assert np.isnan(v[2]).all()
    np.testing.assert_allclose(v[:2], [[-1, 1], [-5, 4]])
    # points relative to ref (-10, 0): (9, 1) and (5, 4) → 9*1 + 5*3 = 24
    assert mo.hypervolume(r) == pytest.approx(24.0)


@pytest.mark.parametrize("obj", [
    Target({"a": 1.0}, norm="linf", mode="at_most"),
    Minimize("a", scale=3.0),
    Maximize("a"),
    WeightedSum({"a": 1.0, "b": 2.0}, goals={"b": "max"}),
    Constrained(Target({"a": 1.0}), {"b": 2.0}),
    MultiObjective({"a": "min", "b": "max"}, {"a": 5.0, "b": 0.0}),
])
def test_dict_round_trip(obj):
    again = objective_from_dict(obj.to_dict())
    assert again == obj
    r = res(a=[0.5, 2.0], b=[1.0, 3.0])
    np.testing.assert_array_equal(again(r), obj(r))
