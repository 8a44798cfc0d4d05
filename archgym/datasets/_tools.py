"""Checking and combining run files: validate against the schema, load with metadata, merge."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from archgym.datasets._checks import check_frame
from archgym.datasets._io import load, read_metadata, resolve_paths, to_table, write_parquet_atomic
from archgym.datasets._schema import (
    design_columns,
)
from archgym.errors import DatasetError


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
