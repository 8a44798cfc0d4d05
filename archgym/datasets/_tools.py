"""Checking and combining run files: validate against the schema, load with metadata, merge."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym._files import plain
from archgym.datasets._checks import content_problems, metadata_problems
from archgym.datasets._io import load, read_metadata, resolve_paths, to_table, write_parquet_atomic
from archgym.datasets._schema import (
    DESIGN_PREFIX,
    FIXED_DTYPES,
    METRIC_PREFIX,
    PARAM_DTYPES,
    SCHEMA_VERSION,
    design_columns,
)
from archgym.errors import DatasetError

#: fixed column → schema dtype (derived from the schema table)
COLUMN_KINDS = dict(FIXED_DTYPES)


def _kind_ok(series: pd.Series, dtype: str) -> bool:
    from pandas.api import types as t

    return {"string": lambda s: t.is_string_dtype(s) or t.is_object_dtype(s), "int64": t.is_integer_dtype,
            "float64": lambda s: t.is_float_dtype(s) or t.is_integer_dtype(s), "bool": t.is_bool_dtype}[dtype](series)


def check_frame(df: pd.DataFrame, meta: Mapping[str, Any], source: str = "<frame>") -> list[str]:
    """Schema and content problems of one dataset frame against its metadata, one per problem.

    Each message starts with ``source`` and names the column, so a user can find and fix it.
    """
    from archgym.spaces import DesignSpace

    problems: list[str] = []
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        problems.append(f"{source}: schema_version {version!r} is not supported (this archgym reads {SCHEMA_VERSION})")
    problems += metadata_problems(meta, source) + content_problems(df, meta, source)
    for col, kind in COLUMN_KINDS.items():
        if col not in df.columns:
            problems.append(f"{source}: column {col!r} is missing")
        elif not _kind_ok(df[col], kind):
            problems.append(f"{source}: column {col!r} has dtype {df[col].dtype}, expected {kind}")
    try:
        space = DesignSpace.from_dict(meta["space"])
    except Exception as exc:  # a missing or malformed space makes the design columns uncheckable
        return problems + [f"{source}: metadata has no valid design space ({exc})"]
    metrics = meta.get("metrics")
    metric_names = [m["name"] for m in metrics if isinstance(m, dict) and isinstance(m.get("name"), str)] \
        if isinstance(metrics, list) else []
    expected = {DESIGN_PREFIX + n for n in space.names} | {METRIC_PREFIX + n for n in metric_names}
    for col in df.columns:
        if col not in COLUMN_KINDS and col not in expected:
            problems.append(f"{source}: unexpected column {col!r} (not in the schema, the design space or the metrics)")
    for p in space.params:
        col = DESIGN_PREFIX + p.name
        if col not in df.columns:
            problems.append(f"{source}: design column {col!r} is missing")
        elif not _kind_ok(df[col], PARAM_DTYPES[p.dtype]):
            problems.append(f"{source}: design column {col!r} has dtype {df[col].dtype}, expected {p.dtype}")
        else:
            ok = p.check(df[col].to_numpy())
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                problems.append(f"{source}: design column {col!r} row {i} = {plain(df[col].iloc[i])!r} is outside the "
                                f"space: expected {p.allowed()}")
    for name in metric_names:
        col = METRIC_PREFIX + name
        if col not in df.columns:
            problems.append(f"{source}: metric column {col!r} is missing")
        elif not _kind_ok(df[col], "float64"):
            problems.append(f"{source}: metric column {col!r} has dtype {df[col].dtype}, expected float64")
    return problems


def validate(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    """Check every dataset file against the schema and its own metadata.

    Returns:
        One message per problem (empty when all files are valid); unreadable and partial files
        are problems here, not warnings, because validation is where a user wants to hear of them.
    """
    import pyarrow.parquet as pq

    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = resolve_paths(paths)
    problems += [str(w.message) for w in caught]
    for f in files:
        try:
            meta = read_metadata(f)
            df = pq.read_table(f).to_pandas()
        except DatasetError as exc:
            problems.append(str(exc))
            continue
        except Exception as exc:
            problems.append(f"{f}: unreadable Parquet file ({exc})")
            continue
        problems += check_frame(df, meta, str(f))
    return problems


def load_with_metadata(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
                       ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """:func:`load` plus the metadata shared by the files (design space, metrics, simulator).

    Raises:
        DatasetError: the files describe different design spaces or metric sets, so their rows
            cannot be one table of one problem.
    """
    df = load(paths)
    metas: list[tuple[Path, dict[str, Any]]] = []
    for f in resolve_paths(paths):
        try:
            metas.append((f, read_metadata(f)))
        except DatasetError:
            continue  # load() already warned about it
    if not metas:
        raise DatasetError(f"{paths}: no readable archgym dataset files")
    f0, m0 = metas[0]
    for f, m in metas[1:]:
        for key in ("space", "metrics"):
            if strip_docs(m.get(key)) != strip_docs(m0.get(key)):
                raise DatasetError(f"{f}: its {key} differs from that of {f0}; load them separately")
    return df, m0


def strip_docs(obj: Any) -> Any:
    """Drop free-text ``doc`` fields, which may change without changing the problem."""
    if isinstance(obj, dict):
        return {k: strip_docs(v) for k, v in obj.items() if k != "doc"}
    if isinstance(obj, list):
        return [strip_docs(v) for v in obj]
    return obj


def dedupe(df: pd.DataFrame, per_objective: bool = True) -> pd.DataFrame:
    """Keep the first row of each identical evaluation.

    Identical means the same design on the same simulator, version, configuration and workload —
    and, with ``per_objective`` (the default, used by :func:`merge`), the same objective, because
    the reward differs between objectives even where the metrics agree.  Proxy training passes
    ``per_objective=False``: it learns metrics, which do not depend on the objective.  A
    deterministic simulator gives the same metrics for the same design, so duplicates (agents
    revisit good designs) only weight a training set towards what the agents liked.
    """
    meta = ("simulator", "simulator_version", "config_hash", "workload") + (("objective",) if per_objective else ())
    key = design_columns(df) + [c for c in meta if c in df]
    return df.drop_duplicates(subset=key, keep="first").reset_index(drop=True)


def merge(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], out: str | os.PathLike[str]) -> Path:
    """Merge run files into one deduplicated dataset file ``out`` (atomic), keeping the metadata."""
    df, meta = load_with_metadata(paths)
    merged = dedupe(df)
    meta = {k: v for k, v in meta.items() if k != "schema_version"}
    meta.update(merged_from=sorted(df["run_id"].astype(str).unique().tolist()) if "run_id" in df else [],
                rows_before_merge=len(df))
    return write_parquet_atomic(to_table(merged, meta), out)
