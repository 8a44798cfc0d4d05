"""Compiled trees and forests predict exactly what scikit-learn predicts (archgym.proxy._compiled)."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.proxy._compiled import flatten


def _data(seed: int = 0, n: int = 400, outputs: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 7, size=(n, 6)).astype(float) * rng.choice([1.0, 0.37, 1e3], size=6)
    y = np.sin(X[:, 0]) * X[:, 1] + np.log1p(X[:, 2]) + rng.normal(0, 0.1, n)
    Y = np.stack([y * (k + 1) + k for k in range(outputs)], axis=1) if outputs > 1 else y
    X_new = rng.integers(-1, 8, size=(300, 6)).astype(float) * rng.choice([1.0, 0.37, 1e3], size=6) + 0.013
    return X, Y, X_new


@pytest.mark.parametrize("kind", ["tree", "rf", "extra"])
@pytest.mark.parametrize("outputs", [1, 3])
def test_regressors_are_bit_identical(kind, outputs):
    from archgym.proxy import make_estimator

    X, Y, X_new = _data(outputs=outputs)
    model = make_estimator(kind, seed=3).fit(X, Y)
    flat = flatten(model)
    assert flat is not None
    for Q in (X, X_new):
        want, got = model.predict(Q), flat.predict(Q)
        assert got.shape == want.shape
        assert np.array_equal(got, want), np.max(np.abs(got - want))


def test_feasibility_classifier_is_identical():
    from sklearn.ensemble import RandomForestClassifier

    X, y, X_new = _data(seed=1)
    labels = y > np.median(y)
    clf = RandomForestClassifier(n_estimators=50, n_jobs=1, random_state=0).fit(X, labels)
    flat = flatten(clf)
    assert np.array_equal(flat.predict(X_new), clf.predict(X_new))
    assert np.array_equal(flat.predict(X), clf.predict(X))


def test_other_models_are_left_to_scikit_learn():
    from archgym.proxy import make_estimator

    X, y, _ = _data()
    assert flatten(make_estimator("knn").fit(X, y)) is None
    assert flatten(make_estimator("linear").fit(X, y)) is None


def test_proxy_env_steps_match_the_uncompiled_models(tmp_path):
    """A saved DRAM proxy, reloaded, gives the same metrics through the compiled path as through
    each model's own ``predict``."""
    import archgym
    from archgym.proxy import ProxySimulator, fit_proxy

    res = archgym.run("archgym/DRAM-v0", "random", 300, seed=0, env_kwargs={"trace": "stream"},
                      log_dir=str(tmp_path / "runs"))
    proxy, _ = fit_proxy(res.trajectory, reference=archgym.make_simulator("DRAM", trace="stream"))
    path = proxy.save(tmp_path / "p.agproxy")
    loaded = ProxySimulator.load(path)
    designs = loaded.space.sample(np.random.default_rng(1), 200)
    fast = loaded.evaluate(designs)
    cols = loaded.space.to_columns(designs)
    X = loaded.features(cols)
    for m in loaded.metrics:
        log, mu, sd = loaded.transforms[m.name]
        t = np.asarray(loaded.models[m.name].predict(X), float) * sd + mu
        assert np.array_equal(fast[m.name], np.exp(t) if log else t)
