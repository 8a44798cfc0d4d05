"""Dataset tools: validate, load with metadata, deduplicate, merge, export (CSV, Minari), import CSV.

Split from :mod:`archgym.datasets` (which re-exports every name here) to keep modules small; the
schema constants and the atomic writer live there.
"""


from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym.datasets import (
    DESIGN_PREFIX,
    METRIC_PREFIX,
    SCHEMA_VERSION,
    DatasetError,
    design_columns,
    designs_of,
    load,
    read_metadata,
    resolve_paths,
    rows_frame,
    to_table,
    write_parquet_atomic,
)

COLUMN_KINDS = {"run_id": "string", "env_id": "string", "simulator": "string", "simulator_version": "string",
                "workload": "string", "agent": "string", "hparams": "string", "seed": "int", "step": "int",
                "reward": "float", "feasible": "bool", "reason": "string", "wall_time_s": "float"}
_PARAM_KINDS = {"str": "string", "int": "int", "float": "float", "bool": "bool"}


def _kind_ok(series: pd.Series, kind: str) -> bool:
    from pandas.api import types as t

    return {"string": lambda s: t.is_string_dtype(s) or t.is_object_dtype(s), "int": t.is_integer_dtype,
            "float": lambda s: t.is_float_dtype(s) or t.is_integer_dtype(s), "bool": t.is_bool_dtype}[kind](series)


def _scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def check_frame(df: pd.DataFrame, meta: Mapping[str, Any], source: str = "<frame>") -> list[str]:
    """Schema problems of one dataset frame against its metadata, one message per problem.

    Each message starts with ``source`` and names the column, so a user can find and fix it.
    """
    from archgym.spaces import DesignSpace

    problems: list[str] = []
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        problems.append(f"{source}: schema_version {version!r} is not supported (this archgym reads {SCHEMA_VERSION})")
    for col, kind in COLUMN_KINDS.items():
        if col not in df.columns:
            problems.append(f"{source}: column {col!r} is missing")
        elif not _kind_ok(df[col], kind):
            problems.append(f"{source}: column {col!r} has dtype {df[col].dtype}, expected {kind}")
    try:
        space = DesignSpace.from_dict(meta["space"])
    except Exception as exc:  # a missing or malformed space makes the design columns uncheckable
        return problems + [f"{source}: metadata has no valid design space ({exc})"]
    metric_names = [m["name"] for m in meta.get("metrics", [])]
    expected = {DESIGN_PREFIX + n for n in space.names} | {METRIC_PREFIX + n for n in metric_names}
    for col in df.columns:
        if col not in COLUMN_KINDS and col not in expected:
            problems.append(f"{source}: unexpected column {col!r} (not in the schema, the design space or the metrics)")
    for p in space.params:
        col = DESIGN_PREFIX + p.name
        if col not in df.columns:
            problems.append(f"{source}: design column {col!r} is missing")
        elif not _kind_ok(df[col], _PARAM_KINDS[p.dtype]):
            problems.append(f"{source}: design column {col!r} has dtype {df[col].dtype}, expected {p.dtype}")
        else:
            ok = p.check(df[col].to_numpy())
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                problems.append(f"{source}: design column {col!r} row {i} = {_scalar(df[col].iloc[i])!r} is outside the "
                                f"space: expected {p.allowed()}")
    for name in metric_names:
        col = METRIC_PREFIX + name
        if col not in df.columns:
            problems.append(f"{source}: metric column {col!r} is missing")
        elif not _kind_ok(df[col], "float"):
            problems.append(f"{source}: metric column {col!r} has dtype {df[col].dtype}, expected float")
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
            if _strip_docs(m.get(key)) != _strip_docs(m0.get(key)):
                raise DatasetError(f"{f}: its {key} differs from that of {f0}; load them separately")
    return df, m0


def _strip_docs(obj: Any) -> Any:
    """Drop free-text ``doc`` fields, which may change without changing the problem."""
    if isinstance(obj, dict):
        return {k: _strip_docs(v) for k, v in obj.items() if k != "doc"}
    if isinstance(obj, list):
        return [_strip_docs(v) for v in obj]
    return obj


def dedupe(df: pd.DataFrame) -> pd.DataFrame:
    """Keep the first row of each identical (design, simulator, simulator version, workload) evaluation.

    A deterministic simulator gives the same metrics for the same design, so duplicates (agents
    revisit good designs) only weight the training set towards what the agents liked.
    """
    key = design_columns(df) + [c for c in ("simulator", "simulator_version", "workload") if c in df]
    return df.drop_duplicates(subset=key, keep="first").reset_index(drop=True)


def merge(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], out: str | os.PathLike[str]) -> Path:
    """Merge run files into one deduplicated dataset file ``out`` (atomic), keeping the metadata."""
    df, meta = load_with_metadata(paths)
    merged = dedupe(df)
    meta = {k: v for k, v in meta.items() if k != "schema_version"}
    meta.update(merged_from=sorted(df["run_id"].astype(str).unique().tolist()) if "run_id" in df else [],
                rows_before_merge=len(df))
    return write_parquet_atomic(to_table(merged, meta), out)


def export_csv(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], out: str | os.PathLike[str]) -> Path:
    """Write the rows of the dataset files as one CSV with a header (for spreadsheets and R)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    load(paths).to_csv(out, index=False)
    return out


def minari_episodes(df: pd.DataFrame, meta: Mapping[str, Any], episode_len: int | None = None) -> list[dict[str, Any]]:
    """Rebuild RL episodes (Minari buffer dicts) from dataset rows, exactly as ``DesignEnv`` saw them.

    Each run is cut into episodes of ``episode_len`` steps (default: the run's ``max_steps`` env
    kwarg, else 16, the env default).  Observations are recomputed from the logged metrics with the
    env's normalisation, so no observation needs to be stored in the Parquet.
    """
    from archgym.spaces import DesignSpace

    space = DesignSpace.from_dict(meta["space"])
    metrics = list(meta["metrics"])
    n_len = int(episode_len or dict(meta.get("env_kwargs") or {}).get("max_steps", 16))
    scales = np.array([float(m.get("scale", 1.0)) for m in metrics])
    episodes = []
    for _, run in df.sort_values(["run_id", "step"]).groupby("run_id", sort=False):
        actions = space.encode(designs_of(run))
        vals = np.stack([run[METRIC_PREFIX + m["name"]].to_numpy(float) for m in metrics], axis=1)
        feas = run["feasible"].to_numpy(bool)
        obs = np.sign(vals) * np.log1p(np.abs(vals) / scales)
        obs[~feas] = 0.0
        obs = np.clip(np.nan_to_num(obs, nan=0.0, posinf=0.0, neginf=0.0), -50.0, 50.0)
        obs = np.concatenate([obs, feas[:, None]], axis=1).astype(np.float32)
        rewards = run["reward"].to_numpy(float)
        for start in range(0, len(run), n_len):
            sl = slice(start, start + n_len)
            k = len(rewards[sl])
            trunc = np.zeros(k, bool)
            trunc[-1] = True
            episodes.append({"observations": np.concatenate([np.zeros((1, obs.shape[1]), np.float32), obs[sl]]),
                             "actions": actions[sl], "rewards": rewards[sl], "terminations": np.zeros(k, bool),
                             "truncations": trunc})
    return episodes


def export_minari(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], dataset_id: str, *,
                  episode_len: int | None = None, author: str | None = None) -> Any:
    """Convert dataset files to a local Minari dataset (requires the optional ``minari`` package).

    Raises:
        ImportError: minari is not installed (``pip install minari``).
    """
    try:
        import minari
    except ImportError as exc:
        raise ImportError("export_minari needs the optional 'minari' package: pip install minari "
                          "(the Parquet files are the source of truth; CSV export needs nothing extra)") from exc
    import gymnasium

    from archgym.spaces import DesignSpace

    df, meta = load_with_metadata(paths)
    space = DesignSpace.from_dict(meta["space"])
    obs_space = gymnasium.spaces.Box(-50.0, 50.0, shape=(len(meta["metrics"]) + 1,), dtype=np.float32)
    from minari.data_collector import EpisodeBuffer

    buffers = [EpisodeBuffer(id=i, **ep) for i, ep in enumerate(minari_episodes(df, meta, episode_len))]
    return minari.create_dataset_from_buffers(
        dataset_id, buffers, action_space=space.to_gym(),
        observation_space=obs_space, algorithm_name=",".join(sorted(df["agent"].astype(str).unique())),
        author=author, data_format="arrow")  # Arrow storage: pyarrow is already a dependency (HDF5 needs h5py)


def import_csv(path: str | os.PathLike[str], space: Any, metrics: Mapping[str, str] | Iterable[str], *,
               rename: Mapping[str, str] | None = None, ignore: Iterable[str] = (),
               workload: str = "", workload_column: str | None = None, simulator: str = "external",
               simulator_version: str = "unknown", env_id: str = "", metric_defs: Iterable[Any] = (),
               ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read another simulator's results (one row per design) into the dataset schema.

    Args:
        path: CSV with a header.
        space: the :class:`~archgym.spaces.DesignSpace` the designs must belong to.
        metrics: CSV metric columns, as a list (same names) or a mapping CSV name → metric name.
        rename: CSV column → design parameter name, where the names differ.
        ignore: CSV columns to drop explicitly (ids, fixed knobs, bookkeeping).  Any column that is
            neither a parameter, a metric, the workload column nor ignored is an error, so a
            misspelt knob is never silently dropped.
        workload: workload id for every row, unless ``workload_column`` names a CSV column holding it.
        metric_defs: :class:`~archgym.simulator.Metric` definitions (unit, goal, scale) for
            the metadata, e.g. those of the simulator the data will stand in for.

    Returns:
        The rows (dataset schema) and the metadata to write them with (:func:`write_run`).

    Raises:
        DatasetError: unknown or missing columns, or values outside the design space (naming the
            CSV row, the column, the value and what is allowed).
    """
    rename = dict(rename or {})
    metric_map = dict(metrics) if isinstance(metrics, Mapping) else {m: m for m in metrics}
    raw = pd.read_csv(path)
    known = set(rename) | set(space.names) | set(metric_map) | set(ignore) | {workload_column}
    unknown = [c for c in raw.columns if c not in known]
    if unknown:
        raise DatasetError(f"{path}: unknown column(s) {unknown}; they are neither design parameters "
                           f"{list(space.names)} nor metrics {list(metric_map)}. Map them with rename= or "
                           f"drop them with ignore=")
    raw = raw.rename(columns=rename)
    missing = [c for c in [*space.names, *metric_map] if c not in raw.columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {missing}")
    for p in space.params:
        ok = p.check(raw[p.name].to_numpy())
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise DatasetError(f"{path}: line {i + 2}, column {p.name!r} = {_scalar(raw[p.name].iloc[i])!r} "
                               f"is outside the design space: expected {p.allowed()}")
    cols = space.to_columns(raw[list(space.names)])
    n = len(raw)
    wl = raw[workload_column].astype(str).to_numpy() if workload_column else np.full(n, workload)
    values = {m: raw[c].to_numpy(float) for c, m in metric_map.items()}
    feasible = np.all([np.isfinite(v) for v in values.values()], axis=0) if values else np.ones(n, bool)
    run_id = f"import-{Path(path).stem}"
    rows = pd.DataFrame({"run_id": run_id, "env_id": env_id, "simulator": simulator,
                         "simulator_version": simulator_version, "workload": wl, "agent": "import", "hparams": "{}",
                         "seed": 0, "step": np.arange(n),
                         **{DESIGN_PREFIX + k: v for k, v in cols.items()},
                         **{METRIC_PREFIX + m: v for m, v in values.items()},
                         "reward": np.nan, "feasible": feasible, "reason": np.where(feasible, "", "missing metric"),
                         "wall_time_s": np.nan})
    df = rows_frame(rows.to_dict("records"), {p.name: p.dtype for p in space.params})
    defs = {m.name: m.to_dict() for m in metric_defs}
    meta = {"simulator": simulator, "version": simulator_version, "workload": workload or workload_column or "",
            "space": space.to_dict(), "config_hash": "", "env_id": env_id, "objective": None, "agent": "import",
            "hparams": {}, "source_file": str(path),
            "metrics": [defs.get(m, {"name": m, "unit": "", "goal": "none", "scale": 1.0, "doc": f"CSV column {c}"})
                        for c, m in metric_map.items()]}
    return df, meta
