"""Reading a directory of run files into what a report needs: the rows, and one record per run.

Why a scenario key and not the env id: two runs are comparable only when they optimise the same
objective on the same simulator configuration (memory spec, workload, technology).  The files say
both (``config_hash`` and the canonical ``objective`` JSON), so runs are grouped by
``(env_id, workload, config_hash, objective)`` whatever directory layout or sweep wrote them.

A *configuration* is one agent with one set of hyperparameters in one scenario; its runs differ
only by seed.  A sweep with grids has several configurations per agent (the lottery view).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from archgym.datasets import (
    DESIGN_PREFIX,
    METRIC_PREFIX,
    best_so_far,
    decode_metadata,
    resolve_paths,
    upgrade,
)
from archgym.errors import DatasetError

PARTIAL_SUFFIX = ".partial.parquet"  # an interrupted run's kept attempt (archgym.recorder): not a result


@dataclass
class Scenario:
    """Runs that optimise one objective on one simulator configuration."""

    key: str  # short stable id, used in file names
    label: str  # what tables and figures call it
    env_id: str
    workload: str
    config_hash: str
    objective: dict[str, Any]
    space: list[dict[str, Any]]  # the design space's parameter records (file metadata)
    metrics: list[dict[str, Any]]  # metric records: name, unit, goal
    rows: pd.DataFrame = field(repr=False)  # every evaluation of every run in the scenario
    runs: pd.DataFrame = field(repr=False)  # one row per run (see :func:`_run_record`)

    @property
    def knobs(self) -> list[str]:
        return [p["name"] for p in self.space]

    @property
    def metric_names(self) -> list[str]:
        return [m["name"] for m in self.metrics]

    @property
    def is_multi(self) -> bool:
        return self.objective.get("kind") == "multi"


def objective_label(obj: dict[str, Any]) -> str:
    """A short readable name of an objective: its kind and the metrics it reads."""
    kind = str(obj.get("kind", "?"))
    if kind == "constrained":
        return f"constrained {objective_label(obj.get('objective') or {})}"
    names = obj.get("targets") or obj.get("goals") or obj.get("weights") or {}
    metrics = ", ".join(names) if isinstance(names, dict) else str(obj.get("metric", ""))
    if not metrics and "metric" in obj:
        metrics = str(obj["metric"])
    return f"{kind}({metrics})"


def _short_hash(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:8]


def read_directory(directory: str | Path) -> list[Scenario]:
    """Every finished run under ``directory`` (recursively), grouped into scenarios.

    Partial files of interrupted runs and unreadable files are skipped with a warning; the
    ``failed/`` records of a sweep are JSON and never read.

    Raises:
        DatasetError: ``directory`` does not exist or holds no finished run.
    """
    import pyarrow.parquet as pq

    paths = [p for p in resolve_paths(directory) if not p.name.endswith(PARTIAL_SUFFIX)]
    frames: list[pd.DataFrame] = []
    metas: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            table = pq.read_table(path)
            meta = decode_metadata(table.schema.metadata, path)
        except Exception as exc:  # a truncated or foreign file must not stop the report
            warnings.warn(f"skipping {path}: {exc}", stacklevel=2)
            continue
        if meta is None or meta.get("complete") is False:
            warnings.warn(f"skipping {path}: not a finished archgym run", stacklevel=2)
            continue
        df = upgrade(table.to_pandas(), meta)
        if df.empty or "run_id" not in df.columns:
            continue
        frames.append(df)
        metas[str(df["run_id"].iloc[0])] = meta
    if not frames:
        raise DatasetError(f"{directory}: no finished archgym runs (Parquet files written by archgym.run "
                           "or archgym sweep) found")
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.drop_duplicates(subset=["run_id", "step"], keep="first").reset_index(drop=True)
    return _scenarios(rows, metas)


def _scenarios(rows: pd.DataFrame, metas: dict[str, dict[str, Any]]) -> list[Scenario]:
    keys = ["env_id", "workload", "config_hash", "objective"]
    out = []
    for (env_id, workload, chash, obj_json), d in rows.groupby(keys, sort=True, dropna=False):
        meta = metas[str(d["run_id"].iloc[0])]
        objective = json.loads(obj_json) if isinstance(obj_json, str) and obj_json else {}
        space = list((meta.get("space") or {}).get("params") or [])
        metrics = list(meta.get("metrics") or [])
        d = d.dropna(axis=1, how="all") if len(d) else d  # columns of other scenarios' spaces
        if not space:  # files without a space record: the design columns, in file order
            space = [{"name": c[len(DESIGN_PREFIX):], "kind": "unknown"} for c in d.columns
                     if c.startswith(DESIGN_PREFIX)]
        if not metrics:
            metrics = [{"name": c[len(METRIC_PREFIX):], "goal": "none", "unit": ""} for c in d.columns
                       if c.startswith(METRIC_PREFIX)]
        short_env = str(env_id).split("/")[-1]
        label = f"{short_env} · {workload} · {objective_label(objective)}"
        d = d.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)
        out.append(Scenario(key=f"{short_env}-{_short_hash(env_id, workload, chash, obj_json)}", label=label,
                            env_id=str(env_id), workload=str(workload), config_hash=str(chash),
                            objective=objective, space=space, metrics=metrics, rows=d, runs=_runs(d)))
    _disambiguate(out)
    return out


def _disambiguate(scenarios: list[Scenario]) -> None:
    """Two scenarios with one label (same env, workload and objective kind/metrics, other targets or
    simulator config) get their key appended, so no table row is ambiguous."""
    seen: dict[str, int] = {}
    for s in scenarios:
        seen[s.label] = seen.get(s.label, 0) + 1
    for s in scenarios:
        if seen[s.label] > 1:
            s.label = f"{s.label} [{s.key}]"


def _runs(rows: pd.DataFrame) -> pd.DataFrame:
    """One record per run: agent, hyperparameters, configuration id, seed, curve and best row."""
    recs = [_run_record(d) for _, d in rows.groupby("run_id", sort=True)]
    runs = pd.DataFrame(recs)
    # the hyperparameters that vary between an agent's configurations name the configuration
    runs["config"] = ""
    for _, d in runs.groupby("agent"):
        params = [json.loads(h) for h in d["hparams"]]
        varied = sorted({k for p in params for k in p if len({json.dumps(q.get(k), default=str) for q in params}) > 1})
        runs.loc[d.index, "config"] = [", ".join(f"{k}={p.get(k)!r}" for k in varied) or "default" for p in params]
    runs["n_configs"] = runs.groupby("agent")["hparams"].transform("nunique")
    return runs.sort_values(["agent", "config", "seed"], kind="stable").reset_index(drop=True)


def _run_record(d: pd.DataFrame) -> dict[str, Any]:
    reward = d["reward"].to_numpy(float)
    curve = best_so_far(reward)
    finite = np.where(np.isfinite(reward), reward, -np.inf)
    best = int(np.argmax(finite))
    first = d.iloc[0]
    hparams = str(first["hparams"])
    return {"run_id": str(first["run_id"]), "agent": str(first["agent"]), "hparams": hparams,
            "config_id": f"{first['agent']}:{_short_hash(hparams)}", "seed": int(first["seed"]),
            "evaluations": len(d), "curve": curve, "best_reward": float(reward[best]),
            "best_index": int(d.index[best]), "best_step": int(d["step"].iloc[best])}


def apply_spec_labels(scenarios: list[Scenario], spec: str | Path) -> int:
    """Name scenarios as the sweep spec does (``<env label>/<objective name>``).

    The run files record the objective and the simulator configuration but not the names a spec
    gave them; the spec's run ids map each file back to its entry.  Scenarios whose runs the spec
    does not name keep their derived label.

    Returns:
        How many scenarios were renamed.
    """
    from archgym.sweep import load_spec

    sw = load_spec(spec)
    names = {rid: r.scenario for r, rid in zip(sw.runs, sw.ids, strict=True)}
    renamed = 0
    for s in scenarios:
        found = {names[r] for r in s.runs["run_id"] if r in names}
        if len(found) == 1:
            s.label = found.pop()
            renamed += 1
    _disambiguate(scenarios)
    return renamed
