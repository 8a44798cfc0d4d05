"""Best-so-far curves with bootstrap confidence intervals, and the ranking of configurations.

Why the median and a percentile bootstrap: best-reward distributions over seeds are skewed and
often tied at a plateau (DRAM's many equivalent designs), so a mean ± standard error would draw
intervals outside the reachable range; resampling runs with replacement and taking the 2.5/97.5 %
quantiles of the resampled medians needs no distributional assumption.  The generator is seeded,
so a report is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from archgym.errors import InvalidParameterError


@dataclass(frozen=True)
class Band:
    """Median best-so-far over runs and its bootstrap interval, per evaluation (1-based ``x``)."""

    x: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_runs: int


def bootstrap_band(curves: list[np.ndarray] | np.ndarray, level: float = 0.95, n_boot: int = 1000,
                   seed: int = 0) -> Band:
    """Median of ``curves`` (one per run) and its ``level`` percentile-bootstrap interval.

    Curves of different lengths (different budgets) are cut to the shortest, so every point is a
    median over the same runs.  Non-finite values (no feasible design yet) stay ``-inf`` in the
    resampling and are drawn as gaps (NaN) in the result.
    """
    if not 0 < level < 1:
        raise InvalidParameterError(f"level must be in (0, 1), got {level!r}")
    curves = [np.asarray(c, dtype=float) for c in curves]
    if not curves or min(len(c) for c in curves) == 0:
        raise InvalidParameterError("bootstrap_band needs at least one non-empty curve")
    n = min(len(c) for c in curves)
    m = np.stack([c[:n] for c in curves])
    m = np.where(np.isfinite(m), m, -np.inf)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(m), size=(n_boot, len(m)))
    meds = np.median(m[idx], axis=1)
    alpha = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        low, high = np.quantile(meds, [alpha, 1 - alpha], axis=0)
        med = np.median(m, axis=0)

    def gaps(a: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(a), a, np.nan)

    return Band(np.arange(1, n + 1), gaps(med), gaps(low), gaps(high), len(m))


def agent_bands(runs: pd.DataFrame, seed: int = 0) -> dict[str, Band]:
    """One band per agent, pooled over its configurations (a grid's expected run, not its best)."""
    return {agent: bootstrap_band(list(d["curve"]), seed=seed) for agent, d in runs.groupby("agent", sort=True)}


def config_ranking(runs: pd.DataFrame) -> pd.DataFrame:
    """Every configuration (agent + hyperparameters) ranked by its median best reward over seeds.

    Columns: rank, agent, config (the varied hyperparameters), hparams (all, JSON), seeds,
    median/min/max best reward, median evaluations to its own best.  Ties share the best rank.
    """
    recs = []
    for (agent, cid), d in runs.groupby(["agent", "config_id"], sort=True):
        best = d["best_reward"].to_numpy(float)
        recs.append({"agent": agent, "config": d["config"].iloc[0], "hparams": d["hparams"].iloc[0],
                     "config_id": cid, "seeds": len(d), "median_best": float(np.median(best)),
                     "min_best": float(best.min()), "max_best": float(best.max()),
                     "median_step_of_best": float(np.median(d["best_step"].to_numpy(float) + 1))})
    table = pd.DataFrame(recs)
    table = table.sort_values(["median_best", "max_best", "agent", "config"], ascending=[False, False, True, True],
                              kind="stable").reset_index(drop=True)
    table.insert(0, "rank", table["median_best"].rank(method="min", ascending=False).astype(int))
    return table


def has_grids(runs: pd.DataFrame) -> bool:
    """Whether some agent ran with more than one set of hyperparameters in this scenario."""
    return bool((runs.groupby("agent")["hparams"].nunique() > 1).any())
