"""Proxy cost models: logged trajectories train a fast regressor that *is* a Simulator.

ArchGym's DRAMSys proxy lived in a notebook and its in-env hook loaded files that did not exist.
Here :func:`fit_proxy` turns any archgym dataset into a :class:`ProxySimulator`, a regular
:class:`~archgym.simulators.base.Simulator`, so every env, agent and the run loop work on it
unchanged (``gymnasium.make("archgym/DRAM-v0", backend="proxy:PATH")``).

Honest evaluation: rows are deduplicated by design and split *by design*, so no design is scored
that the model saw in training (agents revisit good designs; a row split would leak them).  The
saved model is the one that was scored.  A saved proxy carries its design space and metric
definitions, and refuses to stand in for a simulator with a different space or metric set.

Predictions outside the training data are flagged per design: ``proxy_extrapolating`` (a feature
outside the training range, e.g. a category never seen) always, and ``proxy_uncertainty`` (forest
tree spread or GP σ, relative) when :attr:`ProxySimulator.uncertainty` is on.  Both reach the env's
``info["extra"]``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import time
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym import datasets
from archgym.proxy_models import make_estimator, native_std, scores
from archgym.simulators.base import Metric, Simulator
from archgym.spaces import DesignSpace

FORMAT_VERSION = 1
#: key of the single model that predicts all metrics at once (``fit_proxy(..., multi_output=True)``)
JOINT = "*"


class ProxyError(ValueError):
    """A proxy cannot be trained, loaded, or used for the requested simulator (the message says why)."""


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
        Z = np.asarray(joint.predict(X), float).reshape(len(X), -1) if joint is not None else None
        S = native_std(joint, X) if joint is not None and self.uncertainty else None
        for j, m in enumerate(self.metrics):
            log, mu, sd = self.transforms[m.name]
            if Z is not None:
                z, s = Z[:, j], None if S is None else np.asarray(S).reshape(len(X), -1)[:, j]
            else:
                z = np.asarray(self.models[m.name].predict(X), float)
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
            feas = np.asarray(self.feasibility.predict(X)).astype(bool)
            out["feasible"] = feas
            out["reason"] = np.where(feas, "", "proxy predicts infeasible")
        return out

    # ---- persistence ------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        import sklearn

        return {"format": FORMAT_VERSION, "kind": "archgym-proxy", "space": self.space.to_dict(),
                "metrics": [m.to_dict() for m in self.metrics], "source": self.source, "data_hash": self.data_hash,
                "estimator": self.estimator, "version": self.version, "report": self.report,
                "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__}}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """One zip file: ``meta.json`` (readable without unpickling) + ``model.pkl``; written atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"models": self.models, "transforms": self.transforms, "x_range": self.x_range,
                 "feasibility": self.feasibility}
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("meta.json", json.dumps(self.metadata(), indent=1, default=_json_default))
                zf.writestr("model.pkl", pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    @staticmethod
    def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
        try:
            with zipfile.ZipFile(path) as zf:
                meta = json.loads(zf.read("meta.json"))
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise ProxyError(f"{path}: not a saved archgym proxy ({exc})") from exc
        if meta.get("kind") != "archgym-proxy" or meta.get("format") != FORMAT_VERSION:
            raise ProxyError(f"{path}: unsupported proxy format {meta.get('format')!r} (expected {FORMAT_VERSION})")
        return meta

    @classmethod
    def load(cls, path: str | os.PathLike[str], expect: Simulator | None = None,
             allow_subset: bool = False) -> ProxySimulator:
        """Load a saved proxy; with ``expect``, refuse it unless space and metric set match.

        Args:
            path: a file written by :meth:`save`.
            expect: the simulator the proxy will stand in for.
            allow_subset: accept a proxy of only some of ``expect``'s metrics (e.g. one trained on
                external data that measured fewer quantities); the env then observes only those,
                and its objective must use only those.

        Only load proxies you trust: the model part is a pickle.

        Raises:
            ProxyError: not a proxy file, or trained for a different design space / metric set.
        """
        import sklearn

        meta = cls.read_metadata(path)
        space = DesignSpace.from_dict(meta["space"])
        metrics = [Metric(**m) for m in meta["metrics"]]
        if expect is not None:
            check_compatible(path, space, [m.name for m in metrics], expect, allow_subset)
            trained_on = str(meta["source"].get("workload", ""))
            if expect.workload and trained_on and expect.workload != trained_on:
                warnings.warn(f"proxy {path} was trained on workload {trained_on!r}, not {expect.workload!r}; "
                              "it predicts the former", stacklevel=2)
        saved = meta.get("versions", {}).get("sklearn")
        if saved and saved != sklearn.__version__:
            warnings.warn(f"{path}: trained with scikit-learn {saved}, loading with {sklearn.__version__}; "
                          "predictions may differ — retrain with `archgym proxy train`", stacklevel=2)
        with zipfile.ZipFile(path) as zf:
            state = pickle.loads(zf.read("model.pkl"))
        return cls(space, metrics, state["models"], state["transforms"], state["x_range"], meta["source"],
                   meta["data_hash"], meta["estimator"], state["feasibility"], meta.get("report"))


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
        a, b = datasets._strip_docs(p.to_dict()), datasets._strip_docs(q.to_dict())
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


@dataclass
class ProxyReport:
    """Held-out accuracy per metric and batch prediction speed of a fitted proxy."""

    table: pd.DataFrame
    n_train: int
    n_test: int
    us_per_design: float
    us_per_design_model: float
    estimator: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"metrics": self.table.reset_index().to_dict("records"), "n_train": self.n_train,
                "n_test": self.n_test, "us_per_design": self.us_per_design,
                "us_per_design_model": self.us_per_design_model, "estimator": self.estimator, **self.extra}

    def to_markdown(self) -> str:
        """The report as a markdown table (what the experiment scripts and the CLI print)."""
        cols = ["rel_rmse_pct", "mape_pct", "r2", "kendall_tau", "rmse"]
        head = "| metric | rel. RMSE % | MAPE % | R² | Kendall τ | RMSE |\n|---|---|---|---|---|---|"
        lines = [head] + [f"| {name} | " + " | ".join(_fmt(row[c]) for c in cols) + " |"
                          for name, row in self.table.iterrows()]
        lines.append(f"\n{self.estimator}: {self.n_train} training / {self.n_test} held-out designs; "
                     f"batch prediction {self.us_per_design:.2f} µs/design end to end "
                     f"({self.us_per_design_model:.2f} µs model only)")
        return "\n".join(lines)


def _fmt(v: float) -> str:
    return "nan" if not np.isfinite(v) else (f"{v:.4g}" if abs(v) < 1e4 else f"{v:.3e}")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _resolve_metrics(metrics: Iterable[Any] | None, reference: Simulator | None, meta: Mapping[str, Any],
                     df: pd.DataFrame) -> list[Metric]:
    known: dict[str, Metric] = {m["name"]: Metric(**m) for m in meta.get("metrics", [])}
    if reference is not None:
        known.update({m.name: m for m in reference.metrics})
    if metrics is None:
        names = list(reference.metric_names) if reference is not None else \
            [c[len(datasets.METRIC_PREFIX):] for c in datasets.metric_columns(df)]
    else:
        names = [m.name if isinstance(m, Metric) else str(m) for m in metrics]
        known.update({m.name: m for m in metrics if isinstance(m, Metric)})
    missing = [n for n in names if datasets.METRIC_PREFIX + n not in df.columns]
    if missing:
        raise ProxyError(f"the dataset has no column for metric(s) {missing}; it has "
                         f"{[c[len(datasets.METRIC_PREFIX):] for c in datasets.metric_columns(df)]}")
    return [known.get(n, Metric(n, "")) for n in names]


def _single(df: pd.DataFrame, col: str, wanted: str | None) -> pd.DataFrame:
    if col not in df or df.empty:
        return df
    if wanted is not None:
        df = df[df[col].astype(str) == wanted]
        if df.empty:
            raise ProxyError(f"no rows with {col} == {wanted!r}")
        return df
    values = sorted(df[col].astype(str).unique())
    if len(values) > 1:
        raise ProxyError(f"the dataset mixes {col}s {values}; a proxy models one — pass {col}=... to pick one")
    return df


def fit_proxy(dataset: Any, space: DesignSpace | None = None, metrics: Iterable[Any] | None = None,
              estimator: Any = "rf", *, log_target: bool | str = "auto", test_size: float = 0.2, seed: int = 0,
              reference: Simulator | None = None, workload: str | None = None,
              simulator_version: str | None = None, max_train: int | None = None, multi_output: bool = False,
              timing_batch: int = 10_000) -> tuple[ProxySimulator, ProxyReport]:
    """Train a proxy on logged evaluations and score it on held-out designs.

    Args:
        dataset: a DataFrame in the dataset schema, or file(s)/directory/glob of dataset files.
        space: the design space; default that of ``reference`` or of the files' metadata.
        metrics: metric names (or :class:`Metric`) to model; default all of ``reference``'s, else all
            metric columns.  To serve as an env backend a proxy must model all of the simulator's.
        estimator: a name from :data:`archgym.proxy_models.ESTIMATORS` or a scikit-learn regressor.
        log_target: fit log(metric) (``"auto"``: where all training values are positive); costs
            and times span decades, and relative error is what matters.
        test_size: fraction of unique designs held out for the report (0: no report, all used).
        seed: split and estimator seed.
        reference: the simulator the proxy stands in for (space, metric units/goals, provenance).
        workload, simulator_version: pick one when the dataset mixes several.
        max_train: keep at most this many training designs (learning-curve experiments).
        multi_output: one model predicts all (standardised) metrics: one forest walk instead of one
            per metric, so prediction is several times faster; needs a natively multi-output
            estimator (rf, extra, knn, mlp, linear).
        timing_batch: designs per batch when timing prediction.

    Returns:
        The fitted :class:`ProxySimulator` (trained on the training split only, so the report
        describes exactly the saved model) and its :class:`ProxyReport`.
    """
    meta: dict[str, Any] = {}
    if isinstance(dataset, pd.DataFrame):
        df = dataset
    else:
        df, meta = datasets.load_with_metadata(dataset)
    if space is None:
        space = reference.space if reference is not None else DesignSpace.from_dict(meta["space"]) \
            if "space" in meta else None
    if space is None:
        raise ProxyError("pass space= (or reference=, or dataset files whose metadata holds the space)")
    df = _single(_single(df, "workload", workload), "simulator_version", simulator_version)
    mets = _resolve_metrics(metrics, reference, meta, df)
    expected = [datasets.DESIGN_PREFIX + n for n in space.names]
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise ProxyError(f"the dataset has no design column(s) {missing}; is it from another design space?")
    df = datasets.dedupe(df.drop(columns=[c for c in datasets.design_columns(df) if c not in expected]))
    feasible = df["feasible"].to_numpy(bool) if "feasible" in df else np.ones(len(df), bool)
    targets = np.stack([df[datasets.METRIC_PREFIX + m.name].to_numpy(float) for m in mets], axis=1)
    usable = feasible & np.isfinite(targets).all(axis=1) if len(df) else feasible
    D_all = space.encode(datasets.designs_of(df)[list(space.names)]).reshape(len(df), len(space))
    X_all = space.features(D_all)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(df))
    n_test = int(round(test_size * len(df))) if test_size > 0 else 0
    test_idx, train_idx = order[:n_test], order[n_test:]
    if max_train is not None:
        train_idx = train_idx[:max_train]
    tr = train_idx[usable[train_idx]]
    if len(tr) < 2:
        raise ProxyError(f"only {len(tr)} feasible training designs with finite metrics; need at least 2")
    X, Y = X_all[tr], targets[tr]
    models: dict[str, Any] = {}
    transforms: dict[str, tuple[bool, float, float]] = {}
    Zs = []
    for j, m in enumerate(mets):
        y = Y[:, j]
        log = bool(np.all(y > 0)) if log_target == "auto" else bool(log_target)
        if log and not np.all(y > 0):
            raise ProxyError(f"log_target=True but metric {m.name!r} has values <= 0; use log_target='auto'")
        t = np.log(y) if log else y
        mu, sd = float(t.mean()), float(t.std()) or 1.0
        transforms[m.name] = (log, mu, sd)
        Zs.append((t - mu) / sd)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        if multi_output:
            models[JOINT] = make_estimator(estimator, seed=seed, n_features=X.shape[1]).fit(X, np.stack(Zs, axis=1))
        else:
            for m, z in zip(mets, Zs, strict=True):
                models[m.name] = make_estimator(estimator, seed=seed, n_features=X.shape[1]).fit(X, z)
    clf = None
    all_tr = train_idx
    if (~feasible[all_tr]).any() and feasible[all_tr].any():
        from sklearn.ensemble import RandomForestClassifier

        clf = RandomForestClassifier(n_estimators=50, n_jobs=1, random_state=seed).fit(X_all[all_tr], feasible[all_tr])
    source = _source(reference, meta, df)
    blob = pd.util.hash_pandas_object(df.iloc[np.sort(all_tr)][expected + [datasets.METRIC_PREFIX + m.name
                                                                            for m in mets]], index=False)
    data_hash = hashlib.sha256(blob.to_numpy().tobytes()).hexdigest()[:16]
    est_name = estimator if isinstance(estimator, str) else type(estimator).__name__
    proxy = ProxySimulator(space, mets, models, transforms, (X.min(axis=0), X.max(axis=0)), source, data_hash,
                           est_name, clf)
    report = _report(proxy, X_all, D_all, targets, test_idx, usable, feasible, len(tr), mets, rng, timing_batch)
    proxy.report = report.to_dict()
    return proxy, report


def _source(reference: Simulator | None, meta: Mapping[str, Any], df: pd.DataFrame) -> dict[str, Any]:
    if reference is not None:
        d = reference.describe()
        return {k: d[k] for k in ("simulator", "version", "workload", "config_hash")}
    first = df.iloc[0] if len(df) else {}
    return {"simulator": str(meta.get("simulator", first.get("simulator", "?"))),
            "version": str(meta.get("version", first.get("simulator_version", "?"))),
            "workload": str(first.get("workload", meta.get("workload", ""))),
            "config_hash": str(meta.get("config_hash", ""))}


def _report(proxy: ProxySimulator, X_all: np.ndarray, D_all: np.ndarray, targets: np.ndarray, test_idx: np.ndarray,
            usable: np.ndarray, feasible: np.ndarray, n_train: int, mets: Sequence[Metric],
            rng: np.random.Generator, timing_batch: int) -> ProxyReport:
    te = test_idx[usable[test_idx]]
    rows = {}
    if len(te):
        pred = proxy._evaluate(proxy.space.decode_columns(D_all[te]))
        for j, m in enumerate(mets):
            rows[m.name] = scores(targets[te, j], pred[m.name])
    table = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["rmse", "rel_rmse_pct", "mape_pct", "r2", "kendall_tau"])
    table.index.name = "metric"
    batch = proxy.space.sample_indices(rng, timing_batch)
    us_total, us_model = time_prediction(proxy, batch)
    extra: dict[str, Any] = {}
    if proxy.feasibility is not None and len(test_idx):
        acc = float(np.mean(proxy.feasibility.predict(X_all[test_idx]).astype(bool) == feasible[test_idx]))
        extra["feasibility_accuracy"] = acc
    return ProxyReport(table, n_train, int(len(te)), us_total, us_model, proxy.estimator, extra)


def time_prediction(proxy: ProxySimulator, batch: np.ndarray, repeats: int = 3) -> tuple[float, float]:
    """Best-of-``repeats`` µs per design for ``proxy.evaluate(batch)`` and for the models alone."""
    cols = proxy.space.decode_columns(batch)
    X = proxy.features(cols)
    best_total = best_model = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        proxy.evaluate(batch)
        t1 = time.perf_counter()
        for model in proxy.models.values():
            model.predict(X)
        t2 = time.perf_counter()
        best_total, best_model = min(best_total, t1 - t0), min(best_model, t2 - t1)
    n = max(len(batch), 1)
    return 1e6 * best_total / n, 1e6 * best_model / n


def load_proxy(path: str | os.PathLike[str], expect: Simulator | None = None) -> ProxySimulator:
    """Shorthand for :meth:`ProxySimulator.load`."""
    return ProxySimulator.load(path, expect=expect)


def predict_frame(proxy: ProxySimulator, designs: Any) -> pd.DataFrame:
    """Predictions as a DataFrame (one row per design), handy in notebooks."""
    res = proxy.evaluate(designs)
    return pd.DataFrame({k: np.asarray(v) for k, v in res.items()})



def evaluate_proxy(proxy: ProxySimulator, dataset: Any, workload: str | None = None) -> pd.DataFrame:
    """Score a fitted proxy on other logged evaluations (e.g. a fresh run, or real-simulator data).

    Rows must be feasible with finite metrics; designs outside the proxy's space are an error.
    """
    df = dataset if isinstance(dataset, pd.DataFrame) else datasets.load(dataset)
    df = datasets.dedupe(_single(df, "workload", workload))
    names = [m for m in proxy.metric_names if datasets.METRIC_PREFIX + m in df.columns]
    if not names:
        raise ProxyError(f"the dataset has none of the proxy's metrics {list(proxy.metric_names)}")
    Y = np.stack([df[datasets.METRIC_PREFIX + m].to_numpy(float) for m in names], axis=1)
    ok = df["feasible"].to_numpy(bool) & np.isfinite(Y).all(axis=1)
    pred = proxy.evaluate(datasets.designs_of(df[ok])[list(proxy.space.names)])
    table = pd.DataFrame.from_dict({m: scores(Y[ok, j], pred[m]) for j, m in enumerate(names)}, orient="index")
    table.index.name = "metric"
    table["n"] = int(ok.sum())
    return table
