"""Fitted scikit-learn trees and forests flattened into arrays and walked by one compiled loop.

Why: a proxy stands in for a simulator inside the search loop, one design per step.  scikit-learn's
``predict`` pays input validation and a Python-level loop over the trees on every call — about
10–40 ms per design for a 100-tree forest per metric, slower than the DRAM model it replaces.  The
same trees as flat arrays, walked by a numba kernel, cost microseconds per design.

The results are **bit-identical** to scikit-learn's ``predict``/``predict_proba``: features are cast
to float32 as scikit-learn does before comparing them with the float64 thresholds, a forest sums its
trees' outputs in tree order and then divides by their number (``_accumulate_prediction`` with one
job), and a classifier's leaf counts are normalised per tree as ``predict_proba`` does.  Models that
are not trees or forests (pipelines, GP, k-NN, MLP, boosting) are left to scikit-learn.

Only small batches take this path (:data:`SMALL_BATCH`): on large batches scikit-learn's own
tree-by-tree Cython loop is about twice as fast as this kernel (measured in
``experiments/bench/bench_proxy.py``), and its per-call overhead no longer matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: largest batch predicted by the compiled walk; larger batches go to scikit-learn (same results)
SMALL_BATCH = 512


@dataclass(frozen=True)
class FlatForest:
    """All trees of one model, their nodes concatenated.

    ``value[node]`` has one entry per output (regression) or class (classification); ``roots`` are
    the first node of each tree; children are absolute node numbers (-1 at leaves).
    """

    feature: np.ndarray  # int64 (nodes,)
    threshold: np.ndarray  # float64 (nodes,)
    left: np.ndarray  # int64 (nodes,)
    right: np.ndarray  # int64 (nodes,)
    value: np.ndarray  # float64 (nodes, k)
    roots: np.ndarray  # int64 (trees,)
    average: bool  # a forest (mean of trees) rather than one tree
    classes: np.ndarray | None  # classifier's classes_, None for regressors
    n_outputs: int
    n_features: int  # the width of the rows the model was fitted on

    def predict(self, X: np.ndarray) -> np.ndarray:
        """What the scikit-learn model's ``predict`` returns, for rows of float features ``X``."""
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[-1]} features, but the model was fitted on {self.n_features}")
        out = _walk(np.ascontiguousarray(X, dtype=np.float32), self)
        if self.classes is not None:
            return self.classes.take(np.argmax(out, axis=1), axis=0)
        return out[:, 0] if self.n_outputs == 1 else out


def flatten(model: Any) -> FlatForest | None:
    """The flat form of a fitted tree or forest (regressor, or single-output classifier), else None."""
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    forests = (RandomForestRegressor, ExtraTreesRegressor, RandomForestClassifier, ExtraTreesClassifier)
    if type(model) in forests:
        trees, average = list(model.estimators_), True
    elif type(model) in (DecisionTreeRegressor, DecisionTreeClassifier):
        trees, average = [model], False
    else:
        return None
    classifier = hasattr(model, "classes_")
    if classifier and (getattr(model, "n_outputs_", 1) != 1 or not trees):
        return None
    parts, roots, offset = [], [], 0
    for t in trees:
        tr = t.tree_
        v = np.asarray(tr.value, dtype=np.float64)
        if classifier:
            v = v[:, 0, :]
            norm = v.sum(axis=1, keepdims=True)
            norm[norm == 0.0] = 1.0
            v = v / norm  # per-tree predict_proba
        else:
            v = v[:, :, 0]
        left = np.where(tr.children_left >= 0, tr.children_left + offset, -1)
        right = np.where(tr.children_right >= 0, tr.children_right + offset, -1)
        parts.append((tr.feature.astype(np.int64), tr.threshold.astype(np.float64), left.astype(np.int64),
                      right.astype(np.int64), v))
        roots.append(offset)
        offset += tr.node_count
    cat = [np.concatenate([p[i] for p in parts]) for i in range(5)]
    return FlatForest(feature=cat[0], threshold=cat[1], left=cat[2], right=cat[3],
                      value=np.ascontiguousarray(cat[4]), roots=np.asarray(roots, np.int64), average=average,
                      classes=np.asarray(model.classes_) if classifier else None,
                      n_outputs=1 if classifier else int(model.n_outputs_), n_features=int(model.n_features_in_))


def _walk(X: np.ndarray, f: FlatForest) -> np.ndarray:
    kernel = _kernel()
    return kernel(X, f.feature, f.threshold, f.left, f.right, f.value, f.roots, f.average)


_KERNEL: Any = None


def _kernel() -> Any:
    """Compile (or load from numba's cache) the tree walk on first use: numba is not imported before."""
    global _KERNEL
    if _KERNEL is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def walk(X, feature, threshold, left, right, value, roots, average):  # pragma: no cover (compiled)
            n, k, trees = X.shape[0], value.shape[1], roots.shape[0]
            out = np.zeros((n, k))
            # tree by tree (one tree stays in cache over the whole batch); per design the sum still
            # runs in tree order, so the result is the same as scikit-learn's accumulation
            for t in range(trees):
                root = roots[t]
                for i in range(n):
                    node = root
                    while left[node] >= 0:
                        # float32 feature vs float64 threshold, as scikit-learn's tree compares them
                        if np.float64(X[i, feature[node]]) <= threshold[node]:
                            node = left[node]
                        else:
                            node = right[node]
                    for j in range(k):
                        out[i, j] += value[node, j]
            if average:
                for i in range(n):
                    for j in range(k):
                        out[i, j] /= trees
            return out

        _KERNEL = walk
    return _KERNEL
