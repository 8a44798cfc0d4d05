"""Trajectory datasets: one row per simulator evaluation, one Parquet file per run, one schema.

ArchGym wrote headerless CSVs whose columns differed per agent.  Here every agent, env and run
writes the same columns:

=====================  ==========  ==========================================================
column                 type        meaning
=====================  ==========  ==========================================================
run_id                 string      stable id of the run (hash of its configuration)
env_id                 string      e.g. ``archgym/DRAM-v0``
simulator              string      simulator name
simulator_version      string      model version (results change ⇒ version changes)
workload               string      workload / trace / network id
agent                  string      agent registry name
hparams                string      agent hyperparameters, JSON
seed                   int64       run seed
step                   int64       0-based evaluation index within the run
design.<param>         per param   one column per design parameter (str, int64, float64, bool)
metric.<name>          float64     one column per simulator metric (NaN when infeasible)
reward                 float64     objective value, higher is better
feasible               bool        the design could be built
reason                 string      why not, when infeasible
wall_time_s            float64     wall time of this evaluation (incl. agent overhead)
=====================  ==========  ==========================================================

File-level metadata (key ``archgym``, JSON) holds the schema version, the design space
definition, metric names/units/goals, simulator name and version, workload, config hash, objective
and the agent with its hyperparameters, so a file is self-describing.

Writes are atomic: a run is written to a hidden temporary file in the target directory and renamed
into place, so a reader never sees a half-written file and concurrent writers never collide.

Beyond reading and writing runs: :func:`validate` checks files against the schema (naming the file
and column at fault), :func:`merge` deduplicates identical evaluations across runs,
:func:`export_csv` and :func:`export_minari` convert on demand (Minari's own collector is far too
slow for one-step evaluations, so the Parquet is the source of truth), and :func:`import_csv`
brings in another simulator's results (e.g. DRAMSys reference runs) against a design space.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym.errors import DatasetError

SCHEMA_VERSION = 1
META_KEY = b"archgym"
DESIGN_PREFIX = "design."
METRIC_PREFIX = "metric."
ID_COLUMNS = ("run_id", "env_id", "simulator", "simulator_version", "workload", "agent", "hparams", "seed", "step")
TAIL_COLUMNS = ("reward", "feasible", "reason", "wall_time_s")


def design_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith(DESIGN_PREFIX)]


def metric_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith(METRIC_PREFIX)]


def designs_of(df: pd.DataFrame) -> pd.DataFrame:
    """The design-parameter columns with their plain names (ready for ``DesignSpace.to_columns``)."""
    cols = design_columns(df)
    return df[cols].rename(columns={c: c[len(DESIGN_PREFIX):] for c in cols})


def metrics_of(df: pd.DataFrame) -> pd.DataFrame:
    cols = metric_columns(df)
    return df[cols].rename(columns={c: c[len(METRIC_PREFIX):] for c in cols})


def to_table(df: pd.DataFrame, metadata: Mapping[str, Any]) -> Any:
    """DataFrame → pyarrow Table with archgym metadata attached."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[META_KEY] = json.dumps({"schema_version": SCHEMA_VERSION, **metadata}, default=str).encode()
    return table.replace_schema_metadata(meta)


def write_parquet_atomic(table: Any, path: str | os.PathLike[str]) -> Path:
    """Write a pyarrow table to ``path`` atomically (temp file in the same directory + rename)."""
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_run(df: pd.DataFrame, directory: str | os.PathLike[str], run_id: str,
              metadata: Mapping[str, Any]) -> Path:
    """Write one run's rows as ``<directory>/<run_id>.parquet`` (atomic)."""
    return write_parquet_atomic(to_table(df, metadata), Path(directory) / f"{run_id}.parquet")


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The archgym metadata of one Parquet file."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception as exc:  # pyarrow raises several types for truncated/garbage files
        raise DatasetError(f"{path}: not a readable Parquet file ({exc})") from exc
    if META_KEY not in meta:
        raise DatasetError(f"{path}: no archgym metadata (not written by archgym?)")
    return json.loads(meta[META_KEY])


def resolve_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files, directories (recursively) and globs into Parquet files, sorted.

    Hidden files (temporary files of writers in progress or killed) are skipped with a warning.
    """
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    out: list[Path] = []
    for item in items:
        s = str(item)
        if any(ch in s for ch in "*?["):
            matches = [Path(m) for m in glob.glob(s, recursive=True)]
        elif Path(s).is_dir():
            matches = [p for p in Path(s).rglob("*") if p.is_file()]
        elif Path(s).is_file():
            matches = [Path(s)]
        else:
            raise DatasetError(f"{s}: no such file or directory")
        for m in matches:
            if m.name.startswith("."):
                if m.name.endswith(".tmp"):
                    warnings.warn(f"ignoring incomplete dataset file {m} (a writer is running or was killed)",
                                  stacklevel=3)
                continue
            if m.suffix == ".parquet":
                out.append(m)
    return sorted(set(out))


def load(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *, strict: bool = False) -> pd.DataFrame:
    """Load one file, a directory or a glob of run files into one DataFrame.

    Unreadable files (e.g. truncated by a killed process that bypassed the atomic writer) are
    skipped with a warning, or raise :class:`DatasetError` with ``strict=True``.
    """
    import pyarrow.parquet as pq

    files = resolve_paths(paths)
    frames = []
    for f in files:
        try:
            frames.append(pq.read_table(f).to_pandas())
        except Exception as exc:
            if strict:
                raise DatasetError(f"{f}: unreadable Parquet file ({exc})") from exc
            warnings.warn(f"ignoring unreadable dataset file {f}: {exc}", stacklevel=2)
    if not frames:
        return pd.DataFrame(columns=list(ID_COLUMNS + TAIL_COLUMNS))
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return df


def rows_frame(rows: list[dict[str, Any]], param_dtypes: Mapping[str, str]) -> pd.DataFrame:
    """Build a run's DataFrame from row dicts with the schema's column order and dtypes."""
    df = pd.DataFrame(rows)
    for name, dtype in param_dtypes.items():
        col = DESIGN_PREFIX + name
        if col in df:
            df[col] = df[col].astype({"str": "string", "int": "int64", "float": "float64", "bool": "bool"}[dtype])
    for c in ("run_id", "env_id", "simulator", "simulator_version", "workload", "agent", "hparams", "reason"):
        if c in df:
            df[c] = df[c].astype("string")
    for c in ("seed", "step"):
        if c in df:
            df[c] = df[c].astype("int64")
    for c in metric_columns(df) + ["reward", "wall_time_s"]:
        if c in df:
            df[c] = df[c].astype("float64")
    if "feasible" in df:
        df["feasible"] = df["feasible"].astype(bool)
    order = [c for c in ID_COLUMNS if c in df] + design_columns(df) + metric_columns(df) + \
        [c for c in TAIL_COLUMNS if c in df]
    return df[order]


def best_so_far(rewards: Iterable[float]) -> np.ndarray:
    """Running maximum of rewards (non-finite treated as -inf)."""
    r = np.asarray(list(rewards), dtype=float)
    r = np.where(np.isfinite(r), r, -np.inf)
    return np.maximum.accumulate(r) if r.size else r


# validate, merge, export and import live in archgym.dataset_tools; re-exported here.
from archgym.dataset_tools import (  # noqa: E402, F401  (public API of archgym.datasets)
    COLUMN_KINDS,
    check_frame,
    dedupe,
    export_csv,
    export_minari,
    import_csv,
    load_with_metadata,
    merge,
    minari_episodes,
    validate,
)
