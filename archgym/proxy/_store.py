"""The proxy file format, and why loading a proxy never runs code.

A proxy file is a zip with two entries: ``meta.json`` (design space, metrics, provenance — plain
JSON) and ``model.skops`` (the fitted regressors, in skops's format).  Pickle is not used: a pickle
is a program, and unpickling a crafted file runs whatever it says (``os.system`` included), and
proxies are files people share and download.  skops stores the object tree as a JSON schema plus
NumPy arrays and rebuilds it by calling only constructors of types the loader names as trusted.

What is trusted is an explicit allow-list, :data:`TRUSTED_TYPES`: exactly the classes a fitted
built-in estimator (:data:`archgym.proxy.ESTIMATORS`) and the feasibility classifier consist of
(``tests/test_proxy_files.py`` fits every one and checks the list is complete).  Before skops loads
anything, every type the file names is read from its schema and checked against the list; one
outside it refuses the whole file (skops then checks again, with the same list).  A proxy fitted
with another estimator (any scikit-learn regressor instance) loads only when its caller names the
extra types, ``ProxySimulator.load(path, trusted=[...])``.

Everything a load needs is checked at load, so a corrupt file fails there with one message naming
the file, not at the first step: the JSON, its keys and their types, a model and a target
transform for every metric, the feature range, and one trial prediction.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from archgym._text import json_object
from archgym.errors import ProxyError

FORMAT_VERSION = 2
META_ENTRY = "meta.json"
MODEL_ENTRY = "model.skops"
#: the entry of format-1 files (a pickle), which is refused
LEGACY_ENTRY = "model.pkl"
#: largest uncompressed entry sizes read (a zip bomb is refused before it is inflated)
MAX_BYTES = {META_ENTRY: 64 * 2**20, MODEL_ENTRY: 4 * 2**30}

_SKLEARN = [
    # the estimators of archgym.proxy.ESTIMATORS, the feasibility classifier, and their parts
    "sklearn.tree._classes.DecisionTreeRegressor", "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.ExtraTreeRegressor", "sklearn.tree._tree.Tree",
    "sklearn.ensemble._forest.RandomForestRegressor", "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.ExtraTreesRegressor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.loss.HalfSquaredError", "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn._loss.link.IdentityLink", "sklearn._loss.link.Interval",
    "sklearn.gaussian_process._gpr.GaussianProcessRegressor",
    "sklearn.gaussian_process.kernels.Sum", "sklearn.gaussian_process.kernels.Product",
    "sklearn.gaussian_process.kernels.ConstantKernel", "sklearn.gaussian_process.kernels.RBF",
    "sklearn.gaussian_process.kernels.WhiteKernel",
    "sklearn.neighbors._regression.KNeighborsRegressor", "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree", "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.linear_model._base.LinearRegression",
    "sklearn.pipeline.Pipeline", "sklearn.preprocessing._data.StandardScaler",
]
_BASIC = [
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int", "builtins.float",
    "builtins.bool", "numpy.ndarray", "numpy.float64", "numpy.int64", "numpy.uint64", "numpy.bool_",
    "numpy.random.mtrand.RandomState", "numpy.random._generator.Generator",
]
#: every type (``module.QualName``) a saved built-in proxy may contain; anything else is refused
TRUSTED_TYPES: frozenset[str] = frozenset(_SKLEARN + _BASIC)


def dumps_model(state: Mapping[str, Any]) -> bytes:
    """The model part of a proxy file (skops)."""
    import skops.io as sio

    return sio.dumps(dict(state), compression=zipfile.ZIP_DEFLATED)


def types_in(blob: bytes) -> set[str]:
    """Every ``module.Class`` a skops file names, read from its schema without building anything."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        schema = json.loads(zf.read("schema.json"))
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("__module__"), str) and isinstance(node.get("__class__"), str):
                found.add(f"{node['__module__']}.{node['__class__']}")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    return found


def loads_model(path: Any, blob: bytes, trusted: Iterable[str] = ()) -> dict[str, Any]:
    """The model part of ``path``, refused unless every type in it is trusted.

    Raises:
        ProxyError: the part is not a skops file, names an untrusted type, or fails to load.
    """
    import skops.io as sio

    allowed = TRUSTED_TYPES | set(trusted)
    try:
        named = types_in(blob)
        untrusted = set(sio.get_untrusted_types(data=blob))
    except Exception as exc:  # not a zip, no schema, bad JSON: skops and zipfile raise many kinds
        raise ProxyError(f"{path}: its {MODEL_ENTRY} is not a valid skops file ({type(exc).__name__}: {exc})"
                         ) from None
    refused = sorted((named | untrusted) - allowed)
    if refused:
        raise ProxyError(f"{path}: refused to load: its model names types archgym does not trust: "
                         f"{', '.join(refused)}.  A proxy saved by archgym from a built-in estimator holds only "
                         f"scikit-learn tree, forest, boosting, GP, k-NN, MLP and linear models; if you made this "
                         f"file yourself with another estimator, load it with ProxySimulator.load(path, "
                         f"trusted=[...those types...])")
    try:
        state = sio.loads(blob, trusted=sorted(untrusted))
    except Exception as exc:
        raise ProxyError(f"{path}: its {MODEL_ENTRY} could not be loaded ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict):
        raise ProxyError(f"{path}: its {MODEL_ENTRY} holds a {type(state).__name__}, not the model record")
    return state


def read_zip(path: Any) -> tuple[dict[str, Any], bytes]:
    """``(metadata, model bytes)`` of a proxy file, with the metadata checked (:func:`check_meta`)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            for name, limit in MAX_BYTES.items():
                if name in names and zf.getinfo(name).file_size > limit:
                    raise ProxyError(f"{path}: its {name} inflates to {zf.getinfo(name).file_size:,} bytes, more than "
                                     f"the {limit:,} archgym reads")
            raw_meta = zf.read(META_ENTRY) if META_ENTRY in names else None
            blob = zf.read(MODEL_ENTRY) if MODEL_ENTRY in names else None
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, ValueError) as exc:
        raise ProxyError(f"{path}: not a saved archgym proxy ({type(exc).__name__}: {exc})") from None
    if raw_meta is None:
        raise ProxyError(f"{path}: not a saved archgym proxy (no {META_ENTRY} in it)")
    meta = parse_meta(path, raw_meta)
    if meta.get("format") == 1 or (blob is None and LEGACY_ENTRY in names):
        raise ProxyError(f"{path}: a proxy saved by an older archgym (format 1), whose model is a pickle; archgym no "
                         f"longer loads pickles, because loading one can run any code.  Retrain it from its "
                         f"dataset: archgym proxy train DATASET --env ENV_ID --out NEW_FILE (or fit_proxy(...).save)")
    check_meta(path, meta)
    if blob is None:
        raise ProxyError(f"{path}: no {MODEL_ENTRY} in it (a truncated or foreign file)")
    return meta, blob


def parse_meta(path: Any, raw: bytes) -> dict[str, Any]:
    return json_object(raw, f"{path}: its {META_ENTRY}", ProxyError)


#: key of the metadata → (type, description) a loadable proxy needs
_META_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "space": (dict, "an object (the design space)"), "metrics": (list, "a list of metric objects"),
    "source": (dict, "an object"), "data_hash": (str, "a string"), "estimator": (str, "a string"),
}


def check_meta(path: Any, meta: Mapping[str, Any]) -> None:
    """Refuse metadata that is not this format, lacks a key or has one of the wrong type."""
    if meta.get("kind") != "archgym-proxy":
        raise ProxyError(f"{path}: not a saved archgym proxy ({META_ENTRY} has kind {meta.get('kind')!r})")
    if meta.get("format") != FORMAT_VERSION:
        raise ProxyError(f"{path}: unsupported proxy format {meta.get('format')!r} (this archgym reads "
                         f"{FORMAT_VERSION}); retrain it with `archgym proxy train`")
    for key, (kind, what) in _META_KEYS.items():
        if key not in meta:
            raise ProxyError(f"{path}: {META_ENTRY} has no {key!r}")
        if not isinstance(meta[key], kind):
            raise ProxyError(f"{path}: {META_ENTRY} {key!r} must be {what}, got {type(meta[key]).__name__}")
    if not meta["metrics"] or not all(isinstance(m, dict) and isinstance(m.get("name"), str) for m in meta["metrics"]):
        raise ProxyError(f"{path}: {META_ENTRY} 'metrics' must be a non-empty list of objects with a 'name'")
    if meta.get("report") is not None and not isinstance(meta["report"], dict):
        raise ProxyError(f"{path}: {META_ENTRY} 'report' must be an object, got {type(meta['report']).__name__}")


def check_state(path: Any, state: Mapping[str, Any], metric_names: list[str], n_features: int,
                joint_key: str) -> None:
    """Refuse a model record that could not predict every metric (checked before the first step)."""
    for key in ("models", "transforms", "x_range"):
        if key not in state:
            raise ProxyError(f"{path}: its model record has no {key!r}")
    models, transforms = state["models"], state["transforms"]
    if not isinstance(models, dict) or not isinstance(transforms, dict):
        raise ProxyError(f"{path}: its 'models' and 'transforms' must be dicts")
    missing = [m for m in metric_names if m not in models] if joint_key not in models else []
    if missing:
        raise ProxyError(f"{path}: no model for metric(s) {missing} listed in its {META_ENTRY}")
    for name, model in models.items():
        if not callable(getattr(model, "predict", None)):
            raise ProxyError(f"{path}: model {name!r} is a {type(model).__name__}, which cannot predict")
    for m in metric_names:
        t = transforms.get(m)
        ok = isinstance(t, list | tuple) and len(t) == 3 and isinstance(t[0], bool | np.bool_) and \
            all(isinstance(v, int | float | np.floating) and np.isfinite(v) for v in t[1:])
        if not ok:
            raise ProxyError(f"{path}: target transform of metric {m!r} must be (log: bool, mean, scale) with finite "
                             f"numbers, got {t!r}")
    xr = state["x_range"]
    try:
        ok = isinstance(xr, list | tuple) and len(xr) == 2 and \
            all(np.asarray(a, dtype=float).shape == (n_features,) for a in xr)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ProxyError(f"{path}: 'x_range' must be two arrays of {n_features} feature bounds")
    feas = state.get("feasibility")
    if feas is not None and not callable(getattr(feas, "predict", None)):
        raise ProxyError(f"{path}: its feasibility model is a {type(feas).__name__}, which cannot predict")
