"""Reading and writing run files: one Parquet file per run, written atomically, with metadata.

A run is written to a hidden temporary file in the target directory and renamed into place, so a
reader never sees a half-written file and concurrent writers never collide.  File metadata (key
``archgym``, JSON) holds the schema version, the design space, metric names/units/goals, the
simulator and its configuration, the objective and the agent, so a file is self-describing.
"""

from __future__ import annotations

import glob
import json
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym._files import atomic_write
from archgym._text import json_object
from archgym.datasets._checks import check_frame, file_problems
from archgym.datasets._schema import (
    DESIGN_PREFIX,
    META_KEY,
    METRIC_PREFIX,
    SCHEMA_VERSION,
    canonical_json,
    cast_frame,
    column_order,
    design_columns,
    empty_frame,
    metric_columns,
)
from archgym.errors import DatasetError


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

    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))


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
    out = decode_metadata(meta, path)
    if out is None:
        raise DatasetError(f"{path}: no archgym metadata (not written by archgym?)")
    return out


def decode_metadata(schema_meta: Mapping[bytes, bytes] | None, path: Any) -> dict[str, Any] | None:
    """The archgym metadata in a Parquet schema's key-value metadata; ``None`` when there is none.

    Raises:
        DatasetError: the ``archgym`` entry is not a JSON object (a corrupt or hostile file).
    """
    raw = (schema_meta or {}).get(META_KEY)
    if raw is None:
        return None
    return json_object(raw, f"{path}: its archgym metadata", DatasetError)


def upgrade(df: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Bring rows of an older schema version to the current one, from the file's metadata.

    Version 1 lacked ``config_hash`` and ``objective``; both were in the file metadata.
    """
    if meta is None or "run_id" not in df.columns:
        return df
    fill = {"config_hash": str(meta.get("config_hash") or ""), "objective": canonical_json(meta.get("objective"))}
    missing = {k: v for k, v in fill.items() if k not in df.columns}
    if not missing:
        return df
    df = df.assign(**{k: pd.Series([v] * len(df), dtype="string", index=df.index) for k, v in missing.items()})
    return df[column_order(df.columns) + [c for c in df.columns if c not in set(column_order(df.columns))]]


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
    skipped with a warning, or raise :class:`DatasetError` with ``strict=True``.  A readable file
    whose metadata or rows are wrong (not JSON, another schema version, a run id or row count its
    metadata contradicts, no rows, infinite or negative metrics) always raises
    :class:`DatasetError` naming the file: no consumer should learn from it.
    """
    import pyarrow.parquet as pq

    files = resolve_paths(paths)
    frames = []
    for f in files:
        try:
            table = pq.read_table(f)
            df = table.to_pandas()
        except Exception as exc:
            if strict:
                raise DatasetError(f"{f}: unreadable Parquet file ({exc})") from exc
            warnings.warn(f"ignoring unreadable dataset file {f}: {exc}", stacklevel=2)
            continue
        meta = decode_metadata(table.schema.metadata, f)
        if meta is not None:
            refuse(file_problems(df, meta, f))
            df = upgrade(df, meta)
            # the schema checks validate() makes (columns, dtypes, design space), on the upgraded rows
            refuse(check_frame(df, {**meta, "schema_version": SCHEMA_VERSION}, f))
        frames.append(df)
    if not frames:
        return empty_frame()
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return df


def refuse(problems: list[str]) -> None:
    """Raise :class:`DatasetError` with the first problem (and how many more there are)."""
    if problems:
        more = f" (and {len(problems) - 1} more: archgym dataset validate lists them)" if len(problems) > 1 else ""
        raise DatasetError(problems[0] + more)


def rows_frame(rows: list[dict[str, Any]], param_dtypes: Mapping[str, str]) -> pd.DataFrame:
    """Build a run's DataFrame from row dicts with the schema's column order and dtypes."""
    return cast_frame(pd.DataFrame(rows), param_dtypes)


def frame_from_columns(columns: Mapping[str, Any], param_dtypes: Mapping[str, str]) -> pd.DataFrame:
    """:func:`rows_frame` for data that is already columnar (the run loop's recorder)."""
    return cast_frame(pd.DataFrame(columns), param_dtypes)


def best_so_far(rewards: Iterable[float]) -> np.ndarray:
    """Running maximum of rewards (non-finite treated as -inf)."""
    r = np.asarray(list(rewards), dtype=float)
    r = np.where(np.isfinite(r), r, -np.inf)
    return np.maximum.accumulate(r) if r.size else r
