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

from archgym.datasets._schema import METRIC_PREFIX

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
