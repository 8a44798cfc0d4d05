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

SCHEMA_VERSION = 1
META_KEY = b"archgym"
DESIGN_PREFIX = "design."
METRIC_PREFIX = "metric."
ID_COLUMNS = ("run_id", "env_id", "simulator", "simulator_version", "workload", "agent", "hparams", "seed", "step")
TAIL_COLUMNS = ("reward", "feasible", "reason", "wall_time_s")


class DatasetError(ValueError):
    """A dataset file is missing, malformed, or does not match the schema (names the file/column)."""


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
    return minari.create_dataset_from_buffers(
        dataset_id, minari_episodes(df, meta, episode_len), action_space=space.to_gym(),
        observation_space=obs_space, algorithm_name=",".join(sorted(df["agent"].astype(str).unique())),
        author=author)


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
        metric_defs: :class:`~archgym.simulators.base.Metric` definitions (unit, goal, scale) for
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


def best_so_far(rewards: Iterable[float]) -> np.ndarray:
    """Running maximum of rewards (non-finite treated as -inf)."""
    r = np.asarray(list(rewards), dtype=float)
    r = np.where(np.isfinite(r), r, -np.inf)
    return np.maximum.accumulate(r) if r.size else r
