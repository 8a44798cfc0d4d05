"""Trajectory datasets: one row per simulator evaluation, one Parquet file per run, one schema.

ArchGym wrote headerless CSVs whose columns differed per agent.  Here every agent, env and run
writes the same columns, declared once in :data:`COLUMNS` (``archgym.datasets.COLUMNS``: name,
dtype, meaning); the README's table is generated from it.

Reading and writing (:func:`load`, :func:`write_run`, :func:`read_metadata`), checking and combining
(:func:`validate`, :func:`merge`, :func:`dedupe`, :func:`load_with_metadata`) and converting
(:func:`export_csv`, :func:`export_minari` — Minari's own collector is far too slow for one-step
evaluations, so the Parquet is the source of truth — and :func:`import_csv`, which brings in another
simulator's results such as DRAMSys reference runs against a design space).
"""

from archgym.datasets._checks import COLUMN_KINDS, check_frame
from archgym.datasets._convert import export_csv, export_minari, import_csv, minari_episodes
from archgym.datasets._io import (
    best_so_far,
    decode_metadata,
    designs_of,
    frame_from_columns,
    load,
    metrics_of,
    read_metadata,
    resolve_paths,
    rows_frame,
    to_table,
    upgrade,
    write_parquet_atomic,
    write_run,
)
from archgym.datasets._schema import (
    COLUMNS,
    DESIGN_PREFIX,
    ID_COLUMNS,
    META_KEY,
    METRIC_PREFIX,
    SCHEMA_VERSION,
    TAIL_COLUMNS,
    Column,
    canonical_json,
    design_columns,
    markdown_table,
    metric_columns,
)
from archgym.datasets._tools import (
    dedupe,
    load_with_metadata,
    merge,
    strip_docs,
    validate,
)
from archgym.errors import DatasetError

__all__ = [
    "COLUMNS", "COLUMN_KINDS", "Column", "DESIGN_PREFIX", "DatasetError", "ID_COLUMNS", "META_KEY",
    "METRIC_PREFIX", "SCHEMA_VERSION", "TAIL_COLUMNS", "best_so_far", "canonical_json", "check_frame",
    "decode_metadata", "dedupe", "design_columns", "designs_of", "export_csv", "export_minari", "frame_from_columns", "import_csv",
    "load", "load_with_metadata", "markdown_table", "merge", "metric_columns", "metrics_of", "minari_episodes",
    "read_metadata", "resolve_paths", "rows_frame", "strip_docs", "to_table", "upgrade", "validate", "write_parquet_atomic",
    "write_run",
]
