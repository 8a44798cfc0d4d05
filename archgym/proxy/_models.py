"""Estimator choices and accuracy scores for proxy cost models.

Kept apart from :mod:`archgym.proxy` so the model zoo and the scoring rules can be read (and
extended) on one page.  Everything here imports scikit-learn lazily: ``import archgym`` must not.

Why these scores: RMSE and relative RMSE (RMSE / mean of the target, the form in which ArchGym's
"0.61%" was quoted) say how close a prediction is; MAPE says it per design, so a few huge designs
cannot hide large errors on small ones; R² compares with predicting the mean; Kendall τ says whether
the proxy *ranks* designs like the simulator, which is what a search on the proxy relies on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archgym.errors import InvalidParameterError
from archgym.lookup import Registry


def _tree(seed: int, n_features: int | None) -> Any:
    """one fully grown regression tree (CART): exact on discrete spaces whose metrics are lookups"""
    # Fully grown: DRAM-like simulators are table lookups over a few knob combinations plus
    # closed-form terms, so a tree that isolates each seen combination is near exact, and one
    # tree predicts in ~1 µs/design where 100-tree ensembles average the leaves (and blur them).
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(random_state=seed)


def _rf(seed: int, n_features: int | None) -> Any:
    """random forest (100 trees), the ArchGym proxy family"""
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=100, max_features=0.6, n_jobs=1, random_state=seed)


def _extra(seed: int, n_features: int | None) -> Any:
    """extremely randomised trees (100 trees)"""
    from sklearn.ensemble import ExtraTreesRegressor

    return ExtraTreesRegressor(n_estimators=100, max_features=0.8, n_jobs=1, random_state=seed)


def _hgb(seed: int, n_features: int | None) -> Any:
    """histogram gradient boosting (500 rounds of 31-leaf trees)"""
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=500, learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=5,
                                         l2_regularization=1e-3, early_stopping=False, random_state=seed)


def _gp(seed: int, n_features: int | None) -> Any:
    """Gaussian process, ARD RBF + white noise (O(n^3): keep n <= ~3000)"""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ls = np.ones(n_features) if n_features else 1.0
    kernel = ConstantKernel(1.0) * RBF(length_scale=ls, length_scale_bounds=(1e-2, 1e3)) + \
        WhiteKernel(1e-4, noise_level_bounds=(1e-9, 1e-1))
    return make_pipeline(StandardScaler(), GaussianProcessRegressor(kernel, normalize_y=True, random_state=seed,
                                                                    n_restarts_optimizer=0))


def _knn(seed: int, n_features: int | None) -> Any:
    """k-nearest neighbours (k=5, distance-weighted) on standardised features"""
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=5, weights="distance"))


def _mlp(seed: int, n_features: int | None) -> Any:
    """multi-layer perceptron (128-128, early stopping) on standardised features"""
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(128, 128), max_iter=1000,
                                                        early_stopping=True, n_iter_no_change=30, random_state=seed))


def _linear(seed: int, n_features: int | None) -> Any:
    """ordinary least squares on the features (baseline)"""
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LinearRegression())


#: built-in estimator name → factory ``(seed, n_features) -> unfitted regressor``; its docstring is
#: the one-line description (``archgym proxy train --estimator``).  Add one with ``ESTIMATORS.register``.
ESTIMATORS: Registry[Any] = Registry("estimator")
for _name, _factory in {"tree": _tree, "rf": _rf, "extra": _extra, "hgb": _hgb, "gp": _gp, "knn": _knn,
                        "mlp": _mlp, "linear": _linear}.items():
    ESTIMATORS.register(_name, _factory)


def make_estimator(spec: Any, seed: int = 0, n_features: int | None = None) -> Any:
    """An unfitted scikit-learn regressor from a registered name or an estimator instance.

    Args:
        spec: a name in :data:`ESTIMATORS`, or any object with ``fit``/``predict`` (it is cloned
            per metric, so one instance can be passed for all metrics).
        seed: random state for the estimators that have one.
        n_features: number of features (sets the GP's per-feature length scales).

    Raises:
        UnknownNameError: an unknown name (with suggestions and the registered ones).
    """
    from sklearn.base import clone

    if isinstance(spec, str):
        return ESTIMATORS.load(spec)(seed, n_features)
    if not (hasattr(spec, "fit") and hasattr(spec, "predict")):
        raise InvalidParameterError(f"estimator must be a name in {sorted(ESTIMATORS)} or a scikit-learn "
                                    f"regressor, got {type(spec).__name__}")
    return clone(spec)


_TREES = ("DecisionTreeRegressor", "ExtraTreeRegressor")
_FORESTS = ("RandomForestRegressor", "ExtraTreesRegressor")


def fast_predict(model: Any, X: np.ndarray) -> np.ndarray:
    """``model.predict(X)``, bit for bit, without scikit-learn's per-call input validation for trees
    and forests.

    Why: a proxy predicts one design per env step, one model per metric, and ``predict`` spent
    ~85 % of a 12-metric tree proxy's step validating a 1-row array (a dataframe check, dtype and
    finiteness checks).  Our features are a finite float array built by the proxy itself, so trees
    get the documented ``check_input=False`` path on float32 input (what ``predict`` converts to),
    and forests sum their trees in order and divide, as their ``predict`` does with ``n_jobs=1``.
    Other models, and subclasses, use ``predict``.
    """
    kind = type(model).__name__
    module = type(model).__module__
    if not module.startswith("sklearn.") or kind not in _TREES + _FORESTS:
        return model.predict(X)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    if kind in _TREES:
        return model.predict(X32, check_input=False)
    y_hat = np.zeros((X32.shape[0], model.n_outputs_) if model.n_outputs_ > 1 else X32.shape[0], dtype=np.float64)
    for tree in model.estimators_:
        y_hat += tree.predict(X32, check_input=False)
    y_hat /= len(model.estimators_)
    return y_hat


def native_std(model: Any, X: np.ndarray) -> np.ndarray | None:
    """The model's own predictive spread, where it has one (forest tree std, GP σ), else None.

    Forests cost one ``predict`` per tree, so callers ask for it only when they want it.
    """
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if hasattr(final, "estimators_") and isinstance(final.estimators_, list) and final.estimators_ \
            and hasattr(final.estimators_[0], "tree_"):
        per_tree = np.stack([t.predict(X) for t in final.estimators_])
        return per_tree.std(axis=0)
    if type(final).__name__ == "GaussianProcessRegressor":
        return np.asarray(model.predict(X, return_std=True)[1])
    return None


def kendall_tau(y: np.ndarray, p: np.ndarray) -> float:
    from scipy.stats import kendalltau

    if len(y) < 2 or np.ptp(y) == 0:
        return float("nan")
    return float(kendalltau(y, p).statistic)


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Accuracy of predictions ``p`` of targets ``y`` (held-out designs), in the report's units."""
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    err = p - y
    rmse = float(np.sqrt(np.mean(err ** 2)))
    mean = float(np.mean(y))
    nz = np.abs(y) > 0
    ss_tot = float(np.sum((y - mean) ** 2))
    return {
        "rmse": rmse,
        "rel_rmse_pct": 100.0 * rmse / abs(mean) if mean else float("nan"),
        "mape_pct": float(100.0 * np.mean(np.abs(err[nz] / y[nz]))) if nz.any() else float("nan"),
        "r2": 1.0 - float(np.sum(err ** 2)) / ss_tot if ss_tot > 0 else float("nan"),
        "kendall_tau": kendall_tau(y, p),
    }
