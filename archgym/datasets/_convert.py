"""Converting datasets: export to CSV and Minari, import another simulator's results from CSV."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym._files import plain
from archgym.datasets._io import designs_of, load, rows_frame
from archgym.datasets._schema import DESIGN_PREFIX, METRIC_PREFIX, canonical_json
from archgym.datasets._tools import load_with_metadata
from archgym.errors import DatasetError


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
    from archgym.envs import observation
    from archgym.spaces import DesignSpace

    space = DesignSpace.from_dict(meta["space"])
    metrics = list(meta["metrics"])
    n_len = int(episode_len or dict(meta.get("env_kwargs") or {}).get("max_steps", 16))
    scales = np.array([float(m.get("scale", 1.0)) for m in metrics])
    episodes = []
    for _, run in df.sort_values(["run_id", "step"]).groupby("run_id", sort=False):
        actions = space.encode(designs_of(run))
        vals = np.stack([run[METRIC_PREFIX + m["name"]].to_numpy(float) for m in metrics], axis=1)
        obs = observation(vals, run["feasible"].to_numpy(bool), scales)
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
    from archgym.envs import OBS_LIMIT

    obs_space = gymnasium.spaces.Box(-OBS_LIMIT, OBS_LIMIT, shape=(len(meta["metrics"]) + 1,), dtype=np.float32)
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
            raise DatasetError(f"{path}: line {i + 2}, column {p.name!r} = {plain(raw[p.name].iloc[i])!r} "
                               f"is outside the design space: expected {p.allowed()}")
    cols = space.to_columns(raw[list(space.names)])
    n = len(raw)
    wl = raw[workload_column].astype(str).to_numpy() if workload_column else np.full(n, workload)
    values = {m: raw[c].to_numpy(float) for c, m in metric_map.items()}
    feasible = np.all([np.isfinite(v) for v in values.values()], axis=0) if values else np.ones(n, bool)
    run_id = f"import-{Path(path).stem}"
    rows = pd.DataFrame({"run_id": run_id, "env_id": env_id, "simulator": simulator,
                         "simulator_version": simulator_version, "config_hash": "", "workload": wl,
                         "objective": canonical_json(None), "agent": "import", "hparams": "{}",
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
