"""The proxy model behind the Simulator protocol, and its file format.

:class:`ProxySimulator` is what :func:`archgym.proxy.fit_proxy` returns and what
``backend="proxy:PATH"`` loads.  It is kept apart from the fitting code so that loading a saved
proxy (e.g. inside an env worker) needs only this module.  A saved proxy carries its design space
and metric definitions, and refuses to stand in for a simulator with a different space or metric set.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archgym._files import atomic_write, plain
from archgym.datasets import strip_docs
from archgym.errors import ArchGymError, ProxyError
from archgym.proxy._models import fast_predict, native_std
from archgym.proxy._store import (
    FORMAT_VERSION,
    META_ENTRY,
    MODEL_ENTRY,
    check_state,
    dumps_model,
    loads_model,
    read_zip,
)
from archgym.simulator import Metric, Simulator
from archgym.spaces import DesignSpace

#: key of the single model that predicts all metrics at once (``fit_proxy(..., multi_output=True)``)
JOINT = "*"
_FEASIBILITY = "\0feasibility"  # key of the feasibility classifier among the compiled models


class ProxySimulator(Simulator):
    """A fitted regressor per metric behind the Simulator protocol.

    Attributes:
        source: ``describe()``-style facts of the simulator that produced the training data.
        data_hash: hash of the training rows (part of :attr:`version`).
        estimator: name or class of the regressor.
        report: held-out accuracy from :func:`fit_proxy` (per metric) and prediction speed.
        uncertainty: compute ``proxy_uncertainty`` (costs one predict per tree for forests).
    """

    name = "proxy"

    def __init__(self, space: DesignSpace, metrics: Sequence[Metric], models: Mapping[str, Any],
                 transforms: Mapping[str, tuple[bool, float, float]], x_range: tuple[np.ndarray, np.ndarray],
                 source: Mapping[str, Any], data_hash: str, estimator: str, feasibility: Any = None,
                 report: Mapping[str, Any] | None = None):
        self.space = space
        self.metrics = tuple(metrics)
        self.models = dict(models)
        self.transforms = {k: tuple(v) for k, v in transforms.items()}
        self.x_range = (np.asarray(x_range[0], float), np.asarray(x_range[1], float))
        self.source = dict(source)
        self.data_hash = data_hash
        self.estimator = estimator
        self.feasibility = feasibility
        self.report = dict(report or {})
        self.workload = str(self.source.get("workload", ""))
        self.version = f"{self.source.get('simulator', '?')}-{self.source.get('version', '?')}+{data_hash[:10]}"
        self.uncertainty = False
        self._flat: dict[str, Any] | None = None  # compiled forms of the models, built on first use

    #: the default objective of the simulator this proxy was loaded to stand in for
    reference_objective: dict[str, Any] | None = None

    def default_objective(self) -> dict[str, Any] | None:
        return self.reference_objective

    def config(self) -> dict[str, Any]:
        return {"workload": self.workload, "source": self.source.get("config_hash", ""), "data": self.data_hash,
                "estimator": self.estimator}

    def features(self, cols: Mapping[str, np.ndarray]) -> np.ndarray:
        """Model inputs of validated design columns (``DesignSpace.features`` without re-validating)."""
        return np.concatenate([p.features(cols[p.name]) for p in self.space.params], axis=1)

    def _evaluate(self, designs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        X = self.features(designs)
        out: dict[str, np.ndarray] = {}
        rel_std = []
        joint = self.models.get(JOINT)
        Z = np.asarray(self._predict(JOINT, X), float).reshape(len(X), -1) if joint is not None else None
        S = native_std(joint, X) if joint is not None and self.uncertainty else None
        for j, m in enumerate(self.metrics):
            log, mu, sd = self.transforms[m.name]
            if Z is not None:
                z, s = Z[:, j], None if S is None else np.asarray(S).reshape(len(X), -1)[:, j]
            else:
                z = np.asarray(self._predict(m.name, X), float)
                s = native_std(self.models[m.name], X) if self.uncertainty else None
            t = z * sd + mu
            out[m.name] = np.exp(t) if log else t
            if s is not None:
                s = s * sd
                rel_std.append(s if log else s / np.maximum(np.abs(out[m.name]), 1e-300))
        lo, hi = self.x_range
        tol = 1e-9 * np.maximum(1.0, np.abs(hi - lo))
        out["proxy_extrapolating"] = ((X < lo - tol) | (X > hi + tol)).any(axis=1)
        if rel_std:  # only models with a spread of their own report one (NaN would break info equality)
            out["proxy_uncertainty"] = np.max(rel_std, axis=0)
        if self.feasibility is not None:
            feas = np.asarray(self._predict(_FEASIBILITY, X)).astype(bool)
            out["feasible"] = feas
            out["reason"] = np.where(feas, "", "proxy predicts infeasible")
        return out

    def _predict(self, key: str, X: np.ndarray) -> np.ndarray:
        """``predict`` of one model: trees and forests through their flat compiled form (same bits,
        microseconds per design; :mod:`archgym.proxy._compiled`), anything else through scikit-learn."""
        from archgym.proxy._compiled import SMALL_BATCH, flatten

        if self._flat is None:
            models = {**self.models, _FEASIBILITY: self.feasibility} if self.feasibility is not None else self.models
            self._flat = {k: flatten(m) for k, m in models.items()}
        flat = self._flat[key]
        if flat is not None and len(X) <= SMALL_BATCH:
            return flat.predict(X)
        return fast_predict(self.feasibility if key == _FEASIBILITY else self.models[key], X)

    # ---- persistence ------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        import sklearn
        import skops

        return {"format": FORMAT_VERSION, "kind": "archgym-proxy", "space": self.space.to_dict(),
                "metrics": [m.to_dict() for m in self.metrics], "source": self.source, "data_hash": self.data_hash,
                "estimator": self.estimator, "version": self.version, "report": self.report,
                "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "skops": skops.__version__}}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """One zip file: ``meta.json`` + ``model.skops`` (no pickle; see ``archgym.proxy._store``); atomic."""
        path = Path(path)
        state = {"models": self.models, "transforms": {k: list(v) for k, v in self.transforms.items()},
                 "x_range": list(self.x_range), "feasibility": self.feasibility}
        meta = json.dumps(self.metadata(), indent=1, default=_json_default)
        blob = dumps_model(state)

        def write(tmp: str) -> None:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(META_ENTRY, meta)
                zf.writestr(MODEL_ENTRY, blob)

        atomic_write(path, write)
        return path

    @staticmethod
    def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
        """The checked ``meta.json`` of a proxy file (no model is loaded)."""
        return read_zip(path)[0]

    @classmethod
    def load(cls, path: str | os.PathLike[str], expect: Simulator | None = None,
             allow_subset: bool = False, trusted: Iterable[str] = ()) -> ProxySimulator:
        """Load a saved proxy; with ``expect``, refuse it unless space and metric set match.

        Args:
            path: a file written by :meth:`save`.
            expect: the simulator the proxy will stand in for.
            allow_subset: accept a proxy of only some of ``expect``'s metrics (e.g. one trained on
                external data that measured fewer quantities); the env then observes only those,
                and its objective must use only those.
            trusted: extra types (``module.Class``) to accept in the model, beyond the built-in
                estimators' (:data:`archgym.proxy._store.TRUSTED_TYPES`): only for a proxy you fitted
                yourself with another estimator.

        Loading never runs code from the file (no pickle; see :mod:`archgym.proxy._store`), and a
        corrupt file is refused here, not at its first prediction.

        Raises:
            ProxyError: not a proxy file, an old (pickle) proxy, an untrusted type, a corrupt or
                incomplete model, or trained for a different design space / metric set.
        """
        import sklearn

        meta, blob = read_zip(path)
        try:
            space = DesignSpace.from_dict(meta["space"])
            metrics = [Metric(**m) for m in meta["metrics"]]
        except (ArchGymError, TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ProxyError(f"{path}: {META_ENTRY} has an invalid space or metric ({type(exc).__name__}: {exc})"
                             ) from None
        state = _cached_state(path, blob, trusted)  # refuses untrusted types before anything else is believed
        if expect is not None:
            check_compatible(path, space, [m.name for m in metrics], expect, allow_subset)
            trained_on = str(meta["source"].get("workload", ""))
            if expect.workload and trained_on and expect.workload != trained_on:
                warnings.warn(f"proxy {path} was trained on workload {trained_on!r}, not {expect.workload!r}; "
                              "it predicts the former", stacklevel=2)
        versions = meta.get("versions")
        saved = versions.get("sklearn") if isinstance(versions, dict) else None
        if saved and saved != sklearn.__version__:
            warnings.warn(f"{path}: trained with scikit-learn {saved}, loading with {sklearn.__version__}; "
                          "predictions may differ — retrain with `archgym proxy train`", stacklevel=2)
        cols = space.decode_columns(np.zeros((1, len(space)), np.int64))
        n_features = sum(p.features(cols[p.name]).shape[1] for p in space.params)
        check_state(path, state, [m.name for m in metrics], n_features, JOINT)
        proxy = cls(space, metrics, state["models"], state["transforms"], state["x_range"], meta["source"],
                    meta["data_hash"], meta["estimator"], state.get("feasibility"), meta.get("report"))
        proxy._check_predicts(path)
        if expect is not None:  # the env's default objective is the one of the simulator it stands in for
            proxy.reference_objective = expect.default_objective()
        return proxy

    def _check_predicts(self, path: Any) -> None:
        """One trial prediction, so a model that cannot predict (wrong feature count, a broken
        record) is refused at load instead of at the env's first step."""
        try:
            out = self._evaluate(self.space.decode_columns(np.zeros((1, len(self.space)), np.int64)))
            bad = [m.name for m in self.metrics if np.shape(out[m.name]) != (1,)]
        except Exception as exc:
            raise ProxyError(f"{path}: its model cannot predict ({type(exc).__name__}: {exc})") from None
        if bad:
            raise ProxyError(f"{path}: its model predicts the wrong shape for metric(s) {bad}")


#: models loaded in this process, by content (sha256 of the model entry): a sweep on a proxy
#: backend makes one env per run, and rebuilding a 100-tree forest per metric from skops takes
#: seconds.  Fitted models are only read (predict), so envs can share them.
_STATE_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}
_CACHE_SIZE = 2


def _cached_state(path: Any, blob: bytes, trusted: Iterable[str]) -> dict[str, Any]:
    import hashlib

    key = (len(blob), hashlib.sha256(blob).digest(), frozenset(trusted))
    state = _STATE_CACHE.get(key)
    if state is None:
        state = loads_model(path, blob, trusted)
        while len(_STATE_CACHE) >= _CACHE_SIZE:
            _STATE_CACHE.pop(next(iter(_STATE_CACHE)))
        _STATE_CACHE[key] = state
    return dict(state)


def check_compatible(path: Any, space: DesignSpace, metric_names: Sequence[str], expect: Simulator,
                     allow_subset: bool = False) -> None:
    """Raise :class:`ProxyError` naming the first difference between a proxy and a simulator."""
    where = f"proxy {path} cannot stand in for {expect.name!r}"
    mine, theirs = list(space.names), list(expect.space.names)
    if mine != theirs:
        raise ProxyError(f"{where}: design parameters differ (proxy has {mine}, simulator has {theirs}; "
                         f"only in proxy: {sorted(set(mine) - set(theirs))}, "
                         f"only in simulator: {sorted(set(theirs) - set(mine))})")
    for p, q in zip(space.params, expect.space.params, strict=True):
        a, b = strip_docs(p.to_dict()), strip_docs(q.to_dict())
        if a != b:
            raise ProxyError(f"{where}: parameter {p.name!r} differs (proxy: {a}, simulator: {b})")
    extra = [m for m in metric_names if m not in expect.metric_names]
    if allow_subset and not extra:
        return
    if list(metric_names) != list(expect.metric_names):
        raise ProxyError(f"{where}: metric sets differ (proxy: {list(metric_names)}, simulator: "
                         f"{list(expect.metric_names)}; missing in proxy: "
                         f"{[m for m in expect.metric_names if m not in metric_names]}, unknown to simulator: "
                         f"{extra}); train the proxy on all of the simulator's metrics, or load it with "
                         "allow_subset=True if the objective needs only the proxy's metrics")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    value = plain(obj)
    return value if value is not obj else str(obj)

