"""Counting, capping and recording evaluations: the budget's bookkeeping, for every kind of agent.

Why columnar: a run records one row per evaluation, and building a dict per row (then a DataFrame
from the dicts) cost more than the simulators do.  :class:`Recorder` keeps preallocated arrays —
index rows, metric matrix, rewards — and builds the dataset frame once, at the end; designs are
decoded from their indices there, once.

Why a replay: an interrupted run (Ctrl-C, a killed sweep worker) keeps what it did as an
incomplete file, ``<run_id>.partial.parquet`` (metadata ``"complete": false``).  Rerunning the same
configuration replays it: the agent proposes the same designs (same seed), and each one that
matches the recorded design is answered from the file instead of the simulator — so a resumed
run finishes with the trajectory it would have had, without paying again for what was simulated.
Replayed infeasible designs carry NaN metrics (as in the dataset); their reward is the recorded one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from archgym import datasets
from archgym.envs import DesignEnv
from archgym.errors import BudgetExhausted, DatasetError, InvalidDesignError
from archgym.simulator import FEASIBLE, REASON

PARTIAL_SUFFIX = ".partial.parquet"


class Recorder:
    """A run's rows as arrays; :meth:`frame` turns them into the dataset schema."""

    def __init__(self, base: DesignEnv, ids: Mapping[str, Any], budget: int):
        self.base = base
        self.ids = dict(ids)
        self.metric_names = base.simulator.metric_names
        self.idx = np.zeros((budget, len(base.space)), np.int64)
        self.metrics = np.full((budget, len(self.metric_names)), np.nan)
        self.reward = np.zeros(budget)
        self.feasible = np.zeros(budget, bool)
        self.reason = np.full(budget, "", dtype=object)
        self.wall = np.zeros(budget)
        self.n = 0
        self._last_t = time.perf_counter()

    def add(self, idx: np.ndarray, result: Mapping[str, np.ndarray], rewards: np.ndarray) -> None:
        """Rows for a batch of evaluated designs; wall time is shared out evenly in the batch."""
        now = time.perf_counter()
        k = len(idx)
        s = slice(self.n, self.n + k)
        feasible = np.asarray(result[FEASIBLE], bool)
        self.idx[s] = idx
        for j, m in enumerate(self.metric_names):
            self.metrics[s, j] = np.where(feasible, result[m], np.nan)
        self.reward[s] = rewards
        self.feasible[s] = feasible
        self.reason[s] = result[REASON]
        self.wall[s] = (now - self._last_t) / k
        self._last_t = now
        self.n += k

    def frame(self) -> pd.DataFrame:
        n = self.n
        space = self.base.space
        cols = space.columns_of(self.idx[:n])
        data: dict[str, Any] = {k: [v] * n for k, v in self.ids.items()}
        data["step"] = np.arange(n, dtype=np.int64)
        data.update({datasets.DESIGN_PREFIX + k: v for k, v in cols.items()})
        data.update({datasets.METRIC_PREFIX + m: self.metrics[:n, j] for j, m in enumerate(self.metric_names)})
        data.update(reward=self.reward[:n], feasible=self.feasible[:n], reason=self.reason[:n],
                    wall_time_s=self.wall[:n])
        return datasets.frame_from_columns(data, {p.name: p.dtype for p in space.params})


class Replay:
    """The evaluations of an incomplete earlier attempt at the same run, served in order."""

    def __init__(self, frame: pd.DataFrame, base: DesignEnv):
        space = base.space
        self.idx = space.encode(datasets.designs_of(frame)[list(space.names)]).reshape(len(frame), len(space))
        self.metrics = {m: frame[datasets.METRIC_PREFIX + m].to_numpy(float) for m in base.simulator.metric_names}
        self.reward = frame["reward"].to_numpy(float)
        self.feasible = frame["feasible"].to_numpy(bool)
        self.reason = frame["reason"].astype(object).to_numpy()
        self.pos = 0

    def take(self, idx: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray] | None:
        """Recorded results for the next designs if they are the recorded ones, else ``None``
        (and the replay ends: the run has left the recorded path)."""
        k = len(idx)
        s = slice(self.pos, self.pos + k)
        if self.pos + k > len(self.reward) or not np.array_equal(self.idx[s], idx):
            self.pos = len(self.reward)
            return None
        self.pos += k
        result = {m: v[s].copy() for m, v in self.metrics.items()}
        result.update({FEASIBLE: self.feasible[s].copy(), REASON: self.reason[s].copy()})
        return result, self.reward[s].copy()


class BudgetedEnv(gym.Wrapper):
    """Counts and records every evaluation; refuses evaluations past the budget.

    RL agents call :meth:`step` (one design); the run loop's ask/tell path calls
    :meth:`evaluate_indices` (a batch).  Both record the same rows.
    """

    def __init__(self, env: gym.Env, budget: int, recorder: Recorder, replay: Replay | None = None):
        super().__init__(env)
        self.budget = int(budget)
        self.used = 0
        self._recorder = recorder
        self._replay = replay

    @property
    def remaining(self) -> int:
        return self.budget - self.used

    def step(self, action: Any):
        if self.used >= self.budget:
            raise BudgetExhausted(f"evaluation budget of {self.budget} exhausted")
        base: DesignEnv = self.env.unwrapped
        replayed = None
        if self._replay is not None:
            replayed = self._replay.take(base.check_action(action)[None, :])
        if replayed is not None:
            result, rewards = replayed
            out = base.step_with(base.check_action(action), result, float(rewards[0]))
        else:
            out = self.env.step(action)
        self.used += 1
        self._recorder.add(base.last_indices[None, :], base.last_result, np.array([out[1]]))
        return out

    def evaluate_indices(self, idx: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Evaluate (or replay) a batch of valid index rows; records them and counts the budget."""
        if self.used + len(idx) > self.budget:
            raise BudgetExhausted(f"evaluation budget of {self.budget} exhausted")
        base: DesignEnv = self.env.unwrapped
        replayed = self._replay.take(idx) if self._replay is not None else None
        if replayed is not None:
            result, rewards = replayed
            base.evaluations += len(idx)
        else:
            result, rewards = base.evaluate_indices(idx)
        self.used += len(idx)
        self._recorder.add(idx, result, rewards)
        return result, rewards


def check_proposals(idx: Any, space: Any, limit: int) -> np.ndarray:
    """An agent's proposals as a valid ``(k, d)`` index array with ``1 <= k <= limit``."""
    a = np.asarray(idx)
    if a.ndim != 2 or a.shape[1] != len(space) or not 1 <= a.shape[0] <= limit or a.dtype.kind not in "iu":
        raise InvalidDesignError(f"an agent must propose between 1 and {limit} designs as an integer index array "
                                 f"of shape (k, {len(space)}); got {a.dtype} of shape {a.shape}")
    return space.check_indices(a)


def partial_path(log_dir: str | Path, run_id: str) -> Path:
    return Path(log_dir) / f"{run_id}{PARTIAL_SUFFIX}"


def load_partial(log_dir: str | Path | None, run_id: str, base: DesignEnv) -> Replay | None:
    """The replay of an incomplete earlier attempt of this run, if there is one.

    Raises:
        DatasetError: the file is there but cannot be replayed (another schema version, corrupt
            metadata or rows, another run's id): it is refused rather than silently overwritten.
    """
    if log_dir is None:
        return None
    path = partial_path(log_dir, run_id)
    if not path.is_file():
        return None
    how = "delete it to start this run afresh"
    meta = datasets.read_metadata(path)
    if meta.get("schema_version") != datasets.SCHEMA_VERSION:
        raise DatasetError(f"{path}: an incomplete earlier attempt of dataset schema_version "
                           f"{meta.get('schema_version')!r}; this archgym resumes only version "
                           f"{datasets.SCHEMA_VERSION} — {how}")
    if meta.get("run_id") != run_id or meta.get("complete") is not False:
        raise DatasetError(f"{path}: not an incomplete attempt of run {run_id!r} (its metadata says run_id "
                           f"{meta.get('run_id')!r}, complete {meta.get('complete')!r}) — {how}")
    try:
        return Replay(datasets.load(path, strict=True), base)
    except DatasetError as exc:
        raise DatasetError(f"{exc} — {how}") from None
    except (KeyError, ValueError, TypeError) as exc:  # rows of another design space or metric set
        raise DatasetError(f"{path}: cannot be replayed in this env ({type(exc).__name__}: {exc}) — {how}") from None


def write_partial(recorder: Recorder, log_dir: str | Path, run_id: str, meta: Mapping[str, Any]) -> Path | None:
    """Keep an interrupted run's evaluations as an incomplete file (nothing when there are none)."""
    if recorder.n == 0:
        return None
    df = recorder.frame()
    return datasets.write_parquet_atomic(datasets.to_table(df, {**meta, "complete": False, "evaluations": recorder.n}),
                                         partial_path(log_dir, run_id))
