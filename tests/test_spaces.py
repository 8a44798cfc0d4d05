"""DesignSpace: derived views agree, round trips hold, bad designs get clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.spaces import (
    Categorical,
    DesignSpace,
    Integer,
    InvalidDesignError,
    Ordinal,
    Pow2,
    Real,
    parameter_from_dict,
)

SPACE = DesignSpace((
    Categorical("policy", choices=("Open", "Closed", "Adaptive")),
    Pow2("mat", 1, 128),
    Integer("depth", low=1, high=8),
    Integer("even", low=0, high=10, step=2),
    Ordinal("freq", values=(0.5, 1.0, 1.5)),
    Real("volt", low=0.6, high=1.2, num=7),
    Categorical("flag", choices=(True, False)),
))


def index_vectors():
    return st.lists(st.integers(0, 10_000), min_size=len(SPACE), max_size=len(SPACE)).map(
        lambda xs: np.array([x % n for x, n in zip(xs, SPACE.nvec, strict=True)], dtype=np.int64))


@given(index_vectors())
def test_index_dict_index_round_trip(idx):
    design = SPACE.decode(idx)
    assert SPACE.validate(design) == design
    np.testing.assert_array_equal(SPACE.encode(design), idx)


@given(st.lists(index_vectors(), min_size=1, max_size=20))
def test_vectorised_encode_decode_match_one_by_one(rows):
    idx = np.stack(rows)
    designs = SPACE.decode(idx)
    np.testing.assert_array_equal(SPACE.encode(designs), idx)
    assert designs == [SPACE.decode(r) for r in idx]
    cols = SPACE.to_columns(designs)
    np.testing.assert_array_equal(SPACE.encode(cols), idx)


@settings(max_examples=30)
@given(index_vectors())
def test_gym_and_optuna_views_agree(idx):
    import optuna

    gym_space = SPACE.to_gym()
    assert gym_space.contains(idx)
    design = SPACE.decode(idx)
    for ordered in (True, False):
        dists = SPACE.to_optuna(ordered=ordered)
        assert list(dists) == list(SPACE.names)
        params = SPACE.optuna_params(design, ordered=ordered)
        assert SPACE.from_optuna(params, ordered=ordered) == design
        for p, (name, dist) in zip(SPACE.params, dists.items(), strict=True):
            value = params[name]
            if isinstance(dist, optuna.distributions.CategoricalDistribution):
                assert value in dist.choices and not (ordered and isinstance(p, Ordinal))
            else:
                assert dist._contains(dist.to_internal_repr(value))


def test_to_optuna_keeps_ordered_knobs_ordered():
    """Ordinals (powers of two …) are an IntDistribution over their index by default, so TPE/GP see
    the order; the unordered categorical view stays available (``ordered=False``)."""
    import optuna

    ordinals = [p for p in SPACE.params if isinstance(p, Ordinal)]
    assert ordinals
    for p in ordinals:
        assert SPACE.to_optuna()[p.name] == optuna.distributions.IntDistribution(0, p.n - 1)
        assert SPACE.to_optuna(ordered=False)[p.name] == optuna.distributions.CategoricalDistribution(list(p.values))
    # a study sampling the ordered view only ever yields designs of the space
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=3))
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    for _ in range(8):
        trial = study.ask(SPACE.to_optuna())
        design = SPACE.from_optuna(trial.params)
        assert SPACE.validate(design) == design
        study.tell(trial, float(SPACE.encode(design).sum()))


def test_size_nvec_and_describe():
    assert SPACE.nvec.tolist() == [3, 8, 8, 6, 3, 7, 2]
    assert SPACE.size == 3 * 8 * 8 * 6 * 3 * 7 * 2
    assert "size:" in SPACE.describe()


def test_serialisation_round_trip():
    d = json.loads(json.dumps(SPACE.to_dict()))
    assert DesignSpace.from_dict(d) == SPACE
    with pytest.raises(ValueError, match="unknown parameter kind"):
        parameter_from_dict({"kind": "weird", "name": "x"})


def test_features_one_hot_and_log():
    designs = SPACE.decode(np.array([[0, 0, 0, 0, 0, 0, 0], [2, 7, 7, 5, 2, 6, 1]]))
    f = SPACE.features(designs)
    names = SPACE.feature_names()
    assert f.shape == (2, len(names))
    assert names[:3] == ["policy=Open", "policy=Closed", "policy=Adaptive"]
    np.testing.assert_array_equal(f[:, :3], [[1, 0, 0], [0, 0, 1]])
    assert f[1, names.index("mat")] == 7.0  # log2(128)


def test_neighbors_are_one_step_and_valid():
    design = SPACE.decode(np.array([1, 0, 3, 5, 1, 3, 0]))
    nbs = SPACE.neighbors(design)
    base = SPACE.encode(design)
    for nb in nbs:
        diff = SPACE.encode(nb) != base
        assert diff.sum() == 1
    # categorical: all other choices; ordinal at the low edge: one neighbour
    assert sum(1 for nb in nbs if nb["policy"] != design["policy"]) == 2
    assert sum(1 for nb in nbs if nb["mat"] != design["mat"]) == 1


def test_sample_is_seeded_and_valid():
    a = SPACE.sample(np.random.default_rng(5), 50)
    b = SPACE.sample(np.random.default_rng(5), 50)
    assert a == b
    for d in a:
        SPACE.validate(d)


@pytest.mark.parametrize("design, match", [
    ({"policy": "Shut"}, "unknown parameter|missing"),
    ({**SPACE.decode(np.zeros(7, np.int64)), "policy": "Shut"}, r"'policy' = 'Shut'.*one of 'Open'"),
    ({**SPACE.decode(np.zeros(7, np.int64)), "mat": 3}, r"'mat' = 3 .*one of 1, 2, 4"),
    ({**SPACE.decode(np.zeros(7, np.int64)), "depth": 9}, r"'depth' = 9 .*integer in \[1, 8\]"),
    ({**SPACE.decode(np.zeros(7, np.int64)), "depth": "3"}, r"'depth' = '3'"),
    ({**SPACE.decode(np.zeros(7, np.int64)), "even": 3}, r"steps of 2"),
    ({**SPACE.decode(np.zeros(7, np.int64)), "volt": 2.0}, r"real number in \[0.6, 1.2\]"),
    ({**SPACE.decode(np.zeros(7, np.int64)), "flag": 1}, r"'flag' = 1"),
    ({**SPACE.decode(np.zeros(7, np.int64)), "extra": 1}, r"unknown parameter"),
])
def test_invalid_designs_name_parameter_value_and_allowed(design, match):
    with pytest.raises(InvalidDesignError, match=match):
        SPACE.validate(design)


def test_index_errors():
    with pytest.raises(InvalidDesignError, match="out of range"):
        SPACE.decode(np.array([3, 0, 0, 0, 0, 0, 0]))
    with pytest.raises(InvalidDesignError, match="shape"):
        SPACE.decode(np.array([0, 0]))
    with pytest.raises(InvalidDesignError, match="not a mapping|mapping"):
        SPACE.validate([1, 2, 3])  # type: ignore[arg-type]


def test_bad_parameter_definitions():
    with pytest.raises(ValueError, match="powers of two"):
        Pow2("x", 3, 8)
    with pytest.raises(ValueError, match="strictly increasing"):
        Ordinal("x", values=(2, 1))
    with pytest.raises(ValueError, match="duplicate"):
        Categorical("x", choices=("a", "a"))
    with pytest.raises(ValueError, match="duplicate parameter"):
        DesignSpace((Integer("a", low=0, high=1), Integer("a", low=0, high=1)))


def test_real_snaps_to_grid_in_index_view():
    p = SPACE["volt"]
    assert SPACE.encode({**SPACE.decode(np.zeros(7, np.int64)), "volt": 0.69})[5] == 1  # grid 0.6, 0.7, ...
    assert p.check(np.array([0.65]))[0]  # real values inside the interval are valid designs
