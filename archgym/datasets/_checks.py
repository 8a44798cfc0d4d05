"""Content checks of a run file against its own metadata, shared by every reader.

Why shared: a file can be valid Parquet in the schema's columns and still be wrong — a metadata
``run_id`` its rows do not carry, fewer rows than its budget, no rows, an infinite or negative
energy.  :func:`~archgym.datasets.validate` lists such problems; :func:`~archgym.datasets.load`
(and so ``merge``, ``fit_proxy``, ``evaluate_proxy``) and resuming a run refuse the file with the
first one, naming the file, instead of training a proxy on it or replaying it.

Negative values are refused only for metrics whose unit is a quantity that cannot be negative
(times, cycles, energies, powers, areas, bytes, counts, percentages, bandwidths): a metric in a
dimensionless or unknown unit may be a signed score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from archgym._files import plain
from archgym.datasets._schema import DESIGN_PREFIX, FIXED_DTYPES, METRIC_PREFIX, PARAM_DTYPES, SCHEMA_VERSION

#: schema versions :func:`~archgym.datasets.load` reads (older ones are upgraded on load)
READABLE_VERSIONS = (1, 2)

#: units of quantities that cannot be negative
NONNEGATIVE_UNITS = frozenset({
    "s", "ms", "us", "µs", "ns", "ps", "cycles",
    "J", "mJ", "uJ", "µJ", "nJ", "pJ", "W", "mW", "uW", "µW",
    "mm2", "um2", "µm2", "B", "kB", "MB", "GB", "bytes", "Gb/s", "GB/s", "MB/s",
    "commands", "tasks", "accesses", "1e6 accesses", "%",
})


def version_problem(meta: Mapping[str, Any], source: Any, readable: tuple[int, ...] = READABLE_VERSIONS) -> str | None:
    version = meta.get("schema_version")
    if isinstance(version, bool) or version not in readable:
        return (f"{source}: dataset schema_version {version!r} is not one this archgym reads "
                f"({', '.join(map(str, readable))})")
    return None


def metadata_problems(meta: Mapping[str, Any], source: Any) -> list[str]:
    """Metadata fields of the wrong type (the file came from elsewhere, or was edited)."""
    problems = []
    if "run_id" in meta and not isinstance(meta["run_id"], str):
        problems.append(f"{source}: metadata run_id must be a string, got {meta['run_id']!r}")
    budget = meta.get("budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
        problems.append(f"{source}: metadata budget must be a positive integer, got {budget!r}")
    metrics = meta.get("metrics")
    if metrics is not None and (not isinstance(metrics, list) or
                                not all(isinstance(m, dict) and isinstance(m.get("name"), str) for m in metrics)):
        problems.append(f"{source}: metadata metrics must be a list of objects with a 'name'")
    return problems


def content_problems(df: Any, meta: Mapping[str, Any], source: Any) -> list[str]:
    """Rows that contradict their metadata, or metrics no simulator can produce."""
    if len(df) == 0:
        return [f"{source}: has no rows (a run file holds one row per evaluation)"]
    problems: list[str] = []
    rid = meta.get("run_id")
    if isinstance(rid, str) and "merged_from" not in meta and "run_id" in df.columns:
        ids = sorted(str(v) for v in df["run_id"].astype(str).unique())
        if ids != [rid]:
            problems.append(f"{source}: metadata run_id {rid!r} but its rows have run_id {', '.join(map(repr, ids[:5]))}")
        incomplete = meta.get("complete") is False
        expected = meta.get("evaluations") if incomplete else meta.get("budget")
        if isinstance(expected, int) and not isinstance(expected, bool) and len(df) != expected:
            what = "evaluations" if incomplete else "budget"
            problems.append(f"{source}: has {len(df)} rows but its metadata {what} is {expected}")
    listed = meta.get("metrics")  # anything but a list is reported by metadata_problems
    units = {m["name"]: m.get("unit") for m in (listed if isinstance(listed, list) else [])
             if isinstance(m, dict) and isinstance(m.get("name"), str)}
    for col in (c for c in df.columns if c.startswith(METRIC_PREFIX)):
        try:
            values = df[col].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            continue  # a dtype problem, reported by the schema check
        bad = np.flatnonzero(np.isinf(values))
        if bad.size:
            problems.append(f"{source}: metric column {col!r} row {int(bad[0])} is {values[bad[0]]} ({bad.size} infinite "
                            "values); metrics must be finite, or NaN for an infeasible design")
        if units.get(col[len(METRIC_PREFIX):]) in NONNEGATIVE_UNITS:
            neg = np.flatnonzero(values < 0)
            if neg.size:
                problems.append(f"{source}: metric column {col!r} row {int(neg[0])} is {values[neg[0]]}, negative "
                                f"({neg.size} rows), but its unit {units[col[len(METRIC_PREFIX):]]!r} cannot be")
    return problems


def file_problems(df: Any, meta: Mapping[str, Any], source: Any) -> list[str]:
    """Everything a reader refuses a file for (version, metadata types, content)."""
    problem = version_problem(meta, source)
    return ([problem] if problem else []) + metadata_problems(meta, source) + content_problems(df, meta, source)


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
