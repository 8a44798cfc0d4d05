"""Fitting proxies on logged evaluations, and scoring them honestly.

Rows are deduplicated by design and split *by design*, so no design is scored that the model saw
in training (agents revisit good designs; a row split would leak them).  The saved model is the one
that was scored.  :func:`split_designs` exposes the exact split :func:`fit_proxy` makes, so a model
can be chosen on the training designs alone (:func:`select_estimator`, a validation split inside
the training part) and the held-out designs are touched once, by the final report.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from archgym import datasets
from archgym.proxy._models import make_estimator, scores
from archgym.proxy._simulator import JOINT, ProxyError, ProxySimulator
from archgym.simulator import Metric, Simulator
from archgym.spaces import DesignSpace


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

    def to_markdown(self, reference_s: float | None = None) -> str:
        """The report as a markdown table (what the experiment scripts and the CLI print).

        Args:
            reference_s: the real simulator's seconds per design; adds the speed-up line.
        """
        cols = ["rel_rmse_pct", "mape_pct", "r2", "kendall_tau", "rmse"]
        head = "| metric | rel. RMSE % | MAPE % | R² | Kendall τ | RMSE |\n|---|---|---|---|---|---|"
        lines = [head] + [f"| {name} | " + " | ".join(format_score(row, c) for c in cols) + " |"
                          for name, row in self.table.iterrows()]
        lines.append(f"\n{self.estimator}: {self.n_train} training / {self.n_test} held-out designs; "
                     f"batch prediction {self.us_per_design:.2f} µs/design end to end "
                     f"({self.us_per_design_model:.2f} µs model only)")
        if reference_s:
            lines.append(f"speed-up vs {reference_s} s/design: {reference_s * 1e6 / self.us_per_design:,.0f}× "
                         f"end to end ({reference_s * 1e6 / self.us_per_design_model:,.0f}× model only)")
        return "\n".join(lines)


def format_score(row: Mapping[str, Any], col: str) -> str:
    """One cell of a proxy accuracy table, with the reason instead of ``nan`` where a score is
    undefined: R² and Kendall τ of a metric that is constant on the scored designs (e.g. refresh
    counts under ``NoRefresh``) are 0/0, τ of a constant prediction too, and relative errors of a
    metric whose values are all zero have no scale."""
    v = float(row[col])
    if np.isfinite(v):
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.3e}"
    constant = not np.isfinite(float(row["r2"])) and np.isfinite(float(row["rmse"]))
    if col in ("r2", "kendall_tau"):
        if constant:
            return "constant"
        return "constant prediction" if col == "kendall_tau" else "n/a"
    if col in ("rel_rmse_pct", "mape_pct") and np.isfinite(float(row["rmse"])):
        return "n/a (all 0)"
    return "n/a"


@dataclass
class _Data:
    """A dataset narrowed to one workload/version, deduplicated, with its space and metrics."""

    df: pd.DataFrame
    meta: dict[str, Any]
    space: DesignSpace
    metrics: list[Metric]
    design_cols: list[str]


def _prepare(dataset: Any, space: DesignSpace | None, metrics: Iterable[Any] | None, reference: Simulator | None,
             workload: str | None, simulator_version: str | None,
             metadata: Mapping[str, Any] | None = None) -> _Data:
    meta: dict[str, Any] = dict(metadata or {})
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
    df = datasets.dedupe(df.drop(columns=[c for c in datasets.design_columns(df) if c not in expected]),
                         per_objective=False)
    return _Data(df, meta, space, mets, expected)


def _split(n: int, test_size: float, seed: int) -> tuple[np.random.Generator, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_test = int(round(test_size * n)) if test_size > 0 else 0
    return rng, order[:n_test], order[n_test:]


def split_designs(dataset: Any, space: DesignSpace | None = None, *, test_size: float = 0.2, seed: int = 0,
                  reference: Simulator | None = None, workload: str | None = None,
                  simulator_version: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (training, held-out) unique designs that :func:`fit_proxy` with the same arguments uses.

    Model selection must not look at the held-out designs: pass the training frame to
    :func:`select_estimator` (or any CV), then call :func:`fit_proxy` on the full dataset.
    """
    data = _prepare(dataset, space, [], reference, workload, simulator_version)
    _, test_idx, train_idx = _split(len(data.df), test_size, seed)
    df = data.df
    return df.iloc[np.sort(train_idx)].reset_index(drop=True), df.iloc[np.sort(test_idx)].reset_index(drop=True)


#: the ``estimator`` value that picks one by validation (the CLI's default)
AUTO = "auto"
#: what ``auto`` chooses among: the tree family, which the compiled walk serves in ~µs per design
#: (boosting is left out: 500 rounds per metric make it 100x slower to fit for no gain on our data)
AUTO_CANDIDATES = ("tree", "rf", "extra")
#: among estimators whose worst-metric validation error is within this factor of the best one's,
#: ``auto`` takes the cheapest to predict (a proxy is for the search loop; equal accuracy, less time)
AUTO_TOLERANCE = 1.10
#: trees walked per design and metric: the prediction cost ``auto`` ranks by (a count, not a timing,
#: so the choice is the same on every run and machine)
AUTO_TREES = {"tree": 1, "rf": 100, "extra": 100}


def choose_estimator(train: pd.DataFrame, metrics: Sequence[str], *, space: DesignSpace | None = None,
                     reference: Simulator | None = None, seed: int = 0, log_target: bool | str = "auto",
                     candidates: Sequence[str] = AUTO_CANDIDATES) -> tuple[str, pd.DataFrame]:
    """``estimator="auto"``: validate :data:`AUTO_CANDIDATES` on a split of the training designs and
    take the cheapest to predict (fewest trees, :data:`AUTO_TREES`; then the more accurate) of those
    within :data:`AUTO_TOLERANCE` of the most accurate (worst-metric relative RMSE).  Returns the name
    and the validation table (with a ``chosen`` column)."""
    _, table = select_estimator(train, list(candidates), metrics=metrics, reference=reference, space=space,
                                seed=seed + 1, log_target=log_target)
    best = float(table["worst"].min())
    near = table[table["worst"] <= best * AUTO_TOLERANCE + 1e-12]
    near = near.assign(trees=near["estimator"].map(AUTO_TREES))
    name = str(near.sort_values(["trees", "worst"], kind="stable").iloc[0]["estimator"])
    table = table.assign(chosen=table["estimator"] == name)
    return name, table


def select_estimator(train: pd.DataFrame, candidates: Sequence[Any], *, metrics: Sequence[str],
                     reference: Simulator | None = None, space: DesignSpace | None = None, val_size: float = 0.25,
                     seed: int = 1, log_target: bool | str = "auto") -> tuple[Any, pd.DataFrame]:
    """Pick the estimator with the lowest worst-metric relative RMSE on a validation split of ``train``.

    Args:
        train: the training designs only (e.g. the first frame of :func:`split_designs`).
        candidates: estimator names or scikit-learn regressors.
        metrics: the metrics whose accuracy decides.
        val_size: fraction of ``train``'s designs used for validation.
        seed: validation-split seed.

    Returns:
        The winning candidate and a table (one row per candidate: validation rel. RMSE % per metric,
        worst of them, µs/design in batch for ``metrics``, fit seconds).
    """
    rows = []
    for cand in candidates:
        t0 = time.perf_counter()
        _, rep = fit_proxy(train, space, list(metrics), estimator=cand, reference=reference, test_size=val_size,
                           seed=seed, log_target=log_target, timing_batch=2000)
        name = cand if isinstance(cand, str) else type(cand).__name__
        row = {"estimator": name, **{m: float(rep.table.loc[m, "rel_rmse_pct"]) for m in metrics}}
        row.update(worst=max(row[m] for m in metrics), us_per_design=rep.us_per_design,
                   fit_s=time.perf_counter() - t0)
        rows.append(row)
    table = pd.DataFrame(rows)
    return candidates[int(np.argmin(table["worst"].to_numpy()))], table


def fit_proxy(dataset: Any, space: DesignSpace | None = None, metrics: Iterable[Any] | None = None,
              estimator: Any = "rf", *, log_target: bool | str = "auto", test_size: float = 0.2, seed: int = 0,
              reference: Simulator | None = None, workload: str | None = None,
              simulator_version: str | None = None, max_train: int | None = None, multi_output: bool = False,
              timing_batch: int = 10_000, metadata: Mapping[str, Any] | None = None
              ) -> tuple[ProxySimulator, ProxyReport]:
    """Train a proxy on logged evaluations and score it on held-out designs.

    Args:
        dataset: a DataFrame in the dataset schema, or file(s)/directory/glob of dataset files.
        space: the design space; default that of ``reference`` or of the files' metadata.
        metrics: metric names (or :class:`Metric`) to model; default all of ``reference``'s, else all
            metric columns.  To serve as an env backend a proxy must model the metrics its
            objective reads (all of the simulator's, unless loaded with ``allow_subset``).
        estimator: a name from :data:`archgym.proxy.ESTIMATORS`, a scikit-learn regressor, or
            ``"auto"`` (:func:`choose_estimator`: validated on the training designs only).
        log_target: fit log(metric) (``"auto"``: where all training values are positive); costs
            and times span decades, and relative error is what matters.
        test_size: fraction of unique designs held out for the report (0: no report, all used).
        seed: split and estimator seed.
        reference: the simulator the proxy stands in for (space, metric units/goals, provenance).
        workload: pick one when the dataset mixes several.
        simulator_version: pick one when the dataset mixes several.
        max_train: keep at most this many training designs (learning-curve experiments).
        multi_output: one model predicts all (standardised) metrics: one forest walk instead of one
            per metric, so prediction is several times faster; needs a natively multi-output
            estimator (tree, rf, extra, knn, mlp, linear).
        timing_batch: designs per batch when timing prediction.
        metadata: the files' metadata when ``dataset`` is a DataFrame already loaded with
            :func:`archgym.datasets.load_with_metadata` (space, metric units and goals, simulator).

    Returns:
        The fitted :class:`ProxySimulator` (trained on the training split only, so the report
        describes exactly the saved model) and its :class:`ProxyReport`.
    """
    data = _prepare(dataset, space, metrics, reference, workload, simulator_version, metadata)
    df, space, mets, expected = data.df, data.space, data.metrics, data.design_cols
    feasible = df["feasible"].to_numpy(bool) if "feasible" in df else np.ones(len(df), bool)
    targets = np.stack([df[datasets.METRIC_PREFIX + m.name].to_numpy(float) for m in mets], axis=1)
    usable = feasible & np.isfinite(targets).all(axis=1) if len(df) else feasible
    D_all = space.encode(datasets.designs_of(df)[list(space.names)]).reshape(len(df), len(space))
    X_all = space.features(D_all)
    rng, test_idx, train_idx = _split(len(df), test_size, seed)
    if max_train is not None:
        train_idx = train_idx[:max_train]
    tr = train_idx[usable[train_idx]]
    if len(tr) < 2:
        raise ProxyError(f"only {len(tr)} feasible training designs with finite metrics; need at least 2")
    selection = None
    if isinstance(estimator, str) and estimator == AUTO:
        # chosen on the training designs alone, so the held-out report still scores an unseen split
        estimator, selection = choose_estimator(df.iloc[np.sort(train_idx)], [m.name for m in mets], space=space,
                                                reference=reference, seed=seed, log_target=log_target)
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
    if (~feasible[train_idx]).any() and feasible[train_idx].any():
        from sklearn.ensemble import RandomForestClassifier

        clf = RandomForestClassifier(n_estimators=50, n_jobs=1, random_state=seed).fit(X_all[train_idx],
                                                                                        feasible[train_idx])
    source = _source(reference, data.meta, df)
    blob = pd.util.hash_pandas_object(df.iloc[np.sort(train_idx)][expected + [datasets.METRIC_PREFIX + m.name
                                                                              for m in mets]], index=False)
    data_hash = hashlib.sha256(blob.to_numpy().tobytes()).hexdigest()[:16]
    est_name = estimator if isinstance(estimator, str) else type(estimator).__name__
    proxy = ProxySimulator(space, mets, models, transforms, (X.min(axis=0), X.max(axis=0)), source, data_hash,
                           est_name, clf)
    report = _report(proxy, X_all, D_all, targets, test_idx, usable, feasible, len(tr), mets, rng, timing_batch)
    if selection is not None:
        report.extra["selection"] = selection.to_dict("records")
    proxy.report = report.to_dict()
    return proxy, report


def _resolve_metrics(metrics: Iterable[Any] | None, reference: Simulator | None, meta: Mapping[str, Any],
                     df: pd.DataFrame) -> list[Metric]:
    known: dict[str, Metric] = {m["name"]: Metric(**m) for m in meta.get("metrics", [])}
    if reference is not None:
        known.update({m.name: m for m in reference.metrics})
    if metrics is None:
        names = list(reference.metric_names) if reference is not None else \
            [c[len(datasets.METRIC_PREFIX):] for c in datasets.metric_columns(df)]
    else:
        metrics = list(metrics)
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


def single_workload(df: pd.DataFrame, meta: Mapping[str, Any], wanted: str | None, *, where: str = "the dataset",
                    option: str = "workload=") -> str | None:
    """The one workload a proxy on these rows models: ``wanted`` if given (it must occur), else the
    data's own (the rows' ``workload`` column, or the files' metadata) — never an env default.

    Raises:
        ProxyError: the rows mix workloads and none was picked (naming them and how to pick), or
            ``wanted`` does not occur.
    """
    found = sorted(df["workload"].astype(str).unique()) if "workload" in df and len(df) else []
    if wanted is not None:
        if found and wanted not in found:
            raise ProxyError(f"{where} has no rows with workload {wanted!r}; its workloads are {found}")
        return wanted
    if len(found) > 1:
        raise ProxyError(f"{where} mixes {len(found)} workloads {found}: a proxy models one workload; "
                         f"pick one with {option}{found[0]} (or train on a directory of one workload's runs)")
    if found:
        return found[0] or None
    return str(meta.get("workload") or "") or None


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


def evaluate_proxy(proxy: ProxySimulator, dataset: Any, workload: str | None = None) -> pd.DataFrame:
    """Score a fitted proxy on other logged evaluations (e.g. a fresh run, or real-simulator data).

    Rows must be feasible with finite metrics; designs outside the proxy's space are an error.
    """
    df = dataset if isinstance(dataset, pd.DataFrame) else datasets.load(dataset)
    df = datasets.dedupe(_single(df, "workload", workload), per_objective=False)
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
