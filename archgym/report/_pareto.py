"""Pareto fronts of multi-objective scenarios: the non-dominated designs, and attainment over seeds.

One run's front says what one seed found; a reader comparing agents needs to know what an agent
finds *reliably*.  Two views answer that without assuming anything about the front's shape:

* the **attainment fraction** of each Pareto design: the share of an agent's runs that found a
  design at least as good in every objective (weak dominance) — for any number of objectives;
* the **attainment surfaces** (empirical attainment function, 2 objectives): the boundary reached
  by the best run, by half the runs (the median surface) and by every run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from archgym.datasets import DESIGN_PREFIX, METRIC_PREFIX
from archgym.objectives import hypervolume, objective_from_dict, pareto_mask


def goal_vectors(rows: pd.DataFrame, objective: dict[str, Any]) -> np.ndarray:
    """(n, k) objective values oriented so larger is better; infeasible rows NaN."""
    obj = objective_from_dict(objective)
    res = {k: rows[METRIC_PREFIX + k].to_numpy(float) if METRIC_PREFIX + k in rows else np.full(len(rows), np.nan)
           for k in obj.metrics}
    res["feasible"] = rows["feasible"].to_numpy(bool)
    return obj.vector(res)  # type: ignore[attr-defined]


def pareto_designs(rows: pd.DataFrame, objective: dict[str, Any]) -> pd.DataFrame:
    """The non-dominated designs over every run, one row per distinct design.

    Columns: the design's knobs, the objective metrics, and who found it first (agent, seed,
    run_id, step).  Sorted by the first objective.
    """
    goals = list(objective["goals"])
    v = goal_vectors(rows, objective)
    mask = pareto_mask(v)
    front = rows[mask]
    knobs = [c for c in rows.columns if c.startswith(DESIGN_PREFIX)]
    front = front.sort_values(["run_id", "step"]).drop_duplicates(subset=knobs, keep="first")
    out = front[knobs + [METRIC_PREFIX + g for g in goals] + ["agent", "seed", "run_id", "step"]]
    out = out.rename(columns={c: c.split(".", 1)[1] for c in knobs + [METRIC_PREFIX + g for g in goals]})
    return out.sort_values(goals[0], kind="stable").reset_index(drop=True)


def attainment(rows: pd.DataFrame, runs: pd.DataFrame, objective: dict[str, Any],
               front: pd.DataFrame) -> pd.DataFrame:
    """For each Pareto design (row of ``front``) and agent: the fraction of the agent's runs that
    weakly dominate it (found a design at least as good in every objective)."""
    goals = list(objective["goals"])
    sign = np.array([-1.0 if objective["goals"][g] == "min" else 1.0 for g in goals])
    targets = front[goals].to_numpy(float) * sign
    per_run = {rid: goal_vectors(d, objective) for rid, d in rows.groupby("run_id", sort=False)}
    out = pd.DataFrame(index=front.index)
    for agent, d in runs.groupby("agent", sort=True):
        hits = np.zeros(len(front))
        for rid in d["run_id"]:
            v = per_run[rid]
            v = v[~np.isnan(v).any(axis=1)]
            if len(v):
                hits += (v[None, :, :] >= targets[:, None, :] - 1e-12 * np.abs(targets[:, None, :])).all(axis=2).any(axis=1)
        out[agent] = hits / len(d)
    return out


def attainment_surfaces(rows: pd.DataFrame, run_ids: list[str], objective: dict[str, Any],
                        ) -> dict[str, np.ndarray]:
    """Best / median / worst attainment surfaces over ``run_ids`` for the first two objectives.

    Returns ``{"best"|"median"|"worst": (m, 2) array}`` of step-curve corners in the objectives'
    own units (not sign-flipped).  The level-k surface is, for each threshold on objective 1, the
    k-th best value of objective 2 that the runs reach without exceeding the threshold.
    """
    goals = list(objective["goals"])[:2]
    sign = np.array([-1.0 if objective["goals"][g] == "min" else 1.0 for g in goals])
    fronts = []
    for rid in run_ids:
        v = goal_vectors(rows[rows["run_id"] == rid], objective)[:, :2]
        v = v[~np.isnan(v).any(axis=1)]
        fronts.append(v[pareto_mask(v)] if len(v) else v)
    pts = [f for f in fronts if len(f)]
    if not pts:
        return {}
    xs = np.unique(np.concatenate([f[:, 0] for f in pts]))[::-1]  # from the best objective-1 value down
    # y_r(x): best objective-2 value run r reaches with objective 1 at least x (maximisation form)
    ys = np.full((len(fronts), len(xs)), -np.inf)
    for r, f in enumerate(fronts):
        for i, x in enumerate(xs):
            ok = f[:, 0] >= x
            if ok.any():
                ys[r, i] = f[ok, 1].max()
    ranked = -np.sort(-ys, axis=0)  # per threshold, best run first
    n = len(fronts)
    levels = {"best": 0, "median": (n + 1) // 2 - 1, "worst": n - 1}
    out = {}
    for name, k in levels.items():
        y = ranked[k]
        ok = np.isfinite(y)
        pts_k = np.stack([xs[ok], y[ok]], axis=1) * sign
        out[name] = pts_k
    return out


def hypervolumes(rows: pd.DataFrame, runs: pd.DataFrame, objective: dict[str, Any]) -> pd.Series:
    """Each run's hypervolume against the objective's reference point, indexed by run_id."""
    obj = objective_from_dict(objective)
    out = {}
    for rid, d in rows.groupby("run_id", sort=False):
        res = {k: d[METRIC_PREFIX + k].to_numpy(float) for k in obj.metrics}
        res["feasible"] = d["feasible"].to_numpy(bool)
        out[rid] = float(obj.hypervolume(res))  # type: ignore[attr-defined]
    return pd.Series(out).reindex(runs["run_id"])


def hypervolume_curves(rows: pd.DataFrame, runs: pd.DataFrame, objective: dict[str, Any],
                       n_points: int = 40) -> tuple[np.ndarray, dict[str, list[np.ndarray]]]:
    """Hypervolume of each run's designs so far, at up to ``n_points`` evaluation counts.

    The multi-objective analogue of best reward so far (the scalar reward of a ``multi`` objective
    is only a weighted sum).  Checkpoints are shared by every run (cut to the shortest run), so the
    curves of an agent's runs can be bootstrapped together.

    Returns:
        ``(evaluations, {agent: [curve per run]})``.
    """
    obj = objective_from_dict(objective)
    n = int(runs["evaluations"].min())
    xs = np.unique(np.linspace(1, n, min(n, n_points)).round().astype(int))
    ref = obj.ref_vector()  # type: ignore[attr-defined]
    by_run = dict(iter(rows.groupby("run_id", sort=False)))
    out: dict[str, list[np.ndarray]] = {}
    for agent, d in runs.groupby("agent", sort=True):
        for rid in d["run_id"]:
            v = goal_vectors(by_run[rid].sort_values("step"), objective)
            out.setdefault(agent, []).append(np.array([_hv(v[:x], ref) for x in xs]))
    return xs, out


def _hv(v: np.ndarray, ref: np.ndarray) -> float:
    v = v[~np.isnan(v).any(axis=1)]
    return float(hypervolume(v[pareto_mask(v)], ref)) if len(v) else 0.0
