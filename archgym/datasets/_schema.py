"""The dataset schema, declared once: every column with its dtype and meaning.

Everything else is derived from :data:`COLUMNS`: the column order and casts of a run's frame, the
validator's dtype checks, the empty frame of an empty load, the CSV importer's rows and the README
table (``tests/test_datasets_schema.py`` checks the README against :func:`markdown_table`).

Version history:
    1: the first schema.
    2: adds ``config_hash`` (the simulator configuration: memspec, technology, memory mode …) and
       ``objective`` (the reward's definition), so rows of different configurations or objectives
       read into one DataFrame stay apart and merging never deduplicates across them.  Version 1
       files are upgraded on load from their file metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 2
META_KEY = b"archgym"
DESIGN_PREFIX = "design."
METRIC_PREFIX = "metric."

#: pandas dtype of each parameter kind (``Parameter.dtype``)
PARAM_DTYPES = {"str": "string", "int": "int64", "float": "float64", "bool": "bool"}


@dataclass(frozen=True)
class Column:
    """One column (or, for ``design.<param>``/``metric.<name>``, one family of columns)."""

    name: str
    dtype: str  # pandas dtype; "per parameter" for the design family
    meaning: str
    group: str  # "id" (before the design), "design", "metric", "tail" (after the metrics)


COLUMNS: tuple[Column, ...] = (
    Column("run_id", "string", "stable id of the run (hash of its configuration), also the file name", "id"),
    Column("env_id", "string", "e.g. `archgym/DRAM-v0`", "id"),
    Column("simulator", "string", "simulator name", "id"),
    Column("simulator_version", "string", "model version (results change ⇒ version changes)", "id"),
    Column("config_hash", "string", "hash of the simulator configuration (workload, technology, options)", "id"),
    Column("workload", "string", "network / trace / task graph", "id"),
    Column("objective", "string", "the objective that gave the reward, as canonical JSON", "id"),
    Column("agent", "string", "agent registry name", "id"),
    Column("hparams", "string", "agent hyperparameters, JSON", "id"),
    Column("seed", "int64", "run seed", "id"),
    Column("step", "int64", "0-based evaluation index within the run", "id"),
    Column(DESIGN_PREFIX + "<param>", "per parameter", "one column per design parameter (string, int64, float64 "
           "or bool)", "design"),
    Column(METRIC_PREFIX + "<name>", "float64", "one column per simulator metric (NaN when infeasible)", "metric"),
    Column("reward", "float64", "objective value, higher is better", "tail"),
    Column("feasible", "bool", "whether the design could be built", "tail"),
    Column("reason", "string", "why not, when infeasible", "tail"),
    Column("wall_time_s", "float64", "wall time of the evaluation, agent overhead included", "tail"),
)

ID_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.group == "id")
TAIL_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.group == "tail")
#: fixed (non-family) columns → pandas dtype
FIXED_DTYPES: dict[str, str] = {c.name: c.dtype for c in COLUMNS if c.group in ("id", "tail")}


def design_columns(df: Any) -> list[str]:
    return [c for c in df.columns if c.startswith(DESIGN_PREFIX)]


def metric_columns(df: Any) -> list[str]:
    return [c for c in df.columns if c.startswith(METRIC_PREFIX)]


def column_order(columns: Any) -> list[str]:
    """Schema order: id columns, design columns, metric columns, tail columns (others dropped)."""
    cols = list(columns)
    return [c for c in ID_COLUMNS if c in cols] + [c for c in cols if c.startswith(DESIGN_PREFIX)] + \
        [c for c in cols if c.startswith(METRIC_PREFIX)] + [c for c in TAIL_COLUMNS if c in cols]


def dtypes_for(param_dtypes: Mapping[str, str], columns: Any) -> dict[str, str]:
    """The pandas dtype of every column present, given each design parameter's kind."""
    out: dict[str, str] = {}
    for c in columns:
        if c in FIXED_DTYPES:
            out[c] = FIXED_DTYPES[c]
        elif c.startswith(METRIC_PREFIX):
            out[c] = "float64"
        elif c.startswith(DESIGN_PREFIX) and c[len(DESIGN_PREFIX):] in param_dtypes:
            out[c] = PARAM_DTYPES[param_dtypes[c[len(DESIGN_PREFIX):]]]
    return out


def cast_frame(df: Any, param_dtypes: Mapping[str, str]) -> Any:
    """Cast a frame's columns to the schema dtypes and put them in schema order."""
    df = df.astype(dtypes_for(param_dtypes, df.columns))
    return df[column_order(df.columns)]


def empty_frame() -> Any:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in FIXED_DTYPES.items()})[list(ID_COLUMNS + TAIL_COLUMNS)]


def canonical_json(obj: Any) -> str:
    """The one JSON text of a value (sorted keys, no spaces): what the ``objective`` column holds,
    so equal objectives compare equal as strings."""
    import json

    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def markdown_table() -> str:
    """The schema as the README's Markdown table."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.dtype} | {c.meaning} |" for c in COLUMNS]
    return "\n".join(lines)
