"""The run loop: one agent, one env, a budget of simulator evaluations, one dataset file.

The budget is the number of simulator evaluations, the common currency across RL, Bayesian
optimisation and evolutionary search.  Ask/tell agents are driven here; agents that drive an env
themselves (RL) get :class:`BudgetedEnv`, a wrapper that counts, logs and caps evaluations, so
every agent produces the same rows and spends exactly the same budget.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from archgym import datasets
from archgym.agent import Agent
from archgym.envs import DesignEnv
from archgym.errors import BudgetExhausted, InvalidParameterError
from archgym.objectives import MultiObjective, pareto_mask


@dataclass
class RunResult:
    """What a run found.  ``trajectory`` has the dataset schema (one row per evaluation)."""

    run_id: str
    env_id: str
    agent: str
    seed: int
    budget: int
    best_design: dict[str, Any]
    best_reward: float
    best_metrics: dict[str, float]
    best_step: int
    trajectory: pd.DataFrame
    path: Path | None = None
    pareto: pd.DataFrame | None = None
    hypervolume: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def best_so_far(self) -> np.ndarray:
        return datasets.best_so_far(self.trajectory["reward"])


class BudgetedEnv(gym.Wrapper):
    """Counts and records every ``step`` (one simulator evaluation); refuses steps past the budget."""

    def __init__(self, env: gym.Env, budget: int, recorder: _Recorder):
        super().__init__(env)
        self.budget = int(budget)
        self.used = 0
        self._recorder = recorder

    @property
    def remaining(self) -> int:
        return self.budget - self.used

    def step(self, action: Any):
        if self.used >= self.budget:
            raise BudgetExhausted(f"evaluation budget of {self.budget} exhausted")
        t0 = time.perf_counter()
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.used += 1
        self._recorder.add(info, reward, time.perf_counter() - t0)
        return obs, reward, terminated, truncated, info


class _Recorder:
    """Turns env ``info`` dicts into dataset rows."""

    def __init__(self, base: DesignEnv, ids: Mapping[str, Any]):
        self.base = base
        self.ids = dict(ids)
        self.rows: list[dict[str, Any]] = []
        self._last_t = time.perf_counter()

    def add(self, info: Mapping[str, Any], reward: float, sim_time: float) -> None:
        now = time.perf_counter()
        row = {**self.ids, "step": len(self.rows)}
        for k, v in info["design"].items():
            row[datasets.DESIGN_PREFIX + k] = v
        feasible = bool(info["feasible"])
        for k, v in info["metrics"].items():
            row[datasets.METRIC_PREFIX + k] = v if feasible else math.nan
        row.update(reward=float(reward), feasible=feasible, reason=info.get("reason", ""),
                   wall_time_s=max(now - self._last_t, sim_time))
        self._last_t = now
        self.rows.append(row)

    def frame(self) -> pd.DataFrame:
        dtypes = {p.name: p.dtype for p in self.base.space.params}
        return datasets.rows_frame(self.rows, dtypes)


def make_run_id(env_id: str, env_kwargs: Mapping[str, Any], agent: str, hparams: Mapping[str, Any],
                seed: int, budget: int, config_hash: str, env_config: Mapping[str, Any] | None = None) -> str:
    """A stable id: the same configuration always gets the same id (so sweeps can resume).

    An env made from its id is fully described by ``env_kwargs``; an env given as an object is not,
    so its objective and episode length come in as ``env_config`` (else two runs of one agent under
    two objectives would share an id, and a file).
    """
    parts: list[Any] = [env_id, dict(env_kwargs), agent, dict(hparams), seed, budget, config_hash]
    if env_config:
        parts.append(dict(env_config))
    blob = json.dumps(parts, sort_keys=True, default=str)
    return f"{agent}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}-s{seed}"


def _resolve_env(env_or_id: gym.Env | str, env_kwargs: Mapping[str, Any]) -> gym.Env:
    if isinstance(env_or_id, str):
        from archgym.registry import make

        return make(env_or_id, **env_kwargs)
    if env_kwargs:
        raise InvalidParameterError("env_kwargs only apply when the env is given by id")
    return env_or_id


def run(env_or_id: gym.Env | str, agent: Agent | str, budget: int, seed: int = 0,
        log_dir: str | Path | None = None, *, env_kwargs: Mapping[str, Any] | None = None,
        agent_kwargs: Mapping[str, Any] | None = None, run_id: str | None = None,
        progress: bool = False) -> RunResult:
    """Search ``env_or_id`` with ``agent`` for exactly ``budget`` simulator evaluations.

    Args:
        env_or_id: an archgym env or its id (``"archgym/DRAM-v0"``).
        agent: an :class:`~archgym.agent.Agent` or a registered name (built with ``seed``).
        budget: number of simulator evaluations.
        seed: seeds the env (and the agent, when given by name).
        log_dir: if given, the trajectory is written to ``<log_dir>/<run_id>.parquet``.
        env_kwargs: kwargs for ``gymnasium.make`` when the env is given by id.
        agent_kwargs: hyperparameters when the agent is given by name.
        run_id: override the stable, configuration-derived id.
        progress: show a progress bar.
    """
    if budget < 1:
        raise InvalidParameterError(f"budget must be >= 1, got {budget}")
    env_kwargs = dict(env_kwargs or {})
    env = _resolve_env(env_or_id, env_kwargs)
    base = env.unwrapped
    if not isinstance(base, DesignEnv):
        raise InvalidParameterError(f"run() needs an archgym DesignEnv, got {type(base).__name__}")
    if isinstance(agent, str):
        from archgym.registry import make_agent

        agent = make_agent(agent, seed=seed, **dict(agent_kwargs or {}))
    elif agent_kwargs:
        raise InvalidParameterError("agent_kwargs only apply when the agent is given by name")
    sim = base.simulator
    hparams = agent.get_params()
    env_config = None if isinstance(env_or_id, str) else {"objective": base.objective.to_dict(),
                                                          "max_steps": base.max_steps}
    rid = run_id or make_run_id(base.env_id, env_kwargs, agent.name, hparams, seed, budget, sim.config_hash(),
                                env_config)
    ids = {"run_id": rid, "env_id": base.env_id, "simulator": sim.name, "simulator_version": sim.version,
           "config_hash": sim.config_hash(), "workload": sim.workload,
           "objective": datasets.canonical_json(base.objective.to_dict()), "agent": agent.name,
           "hparams": json.dumps(hparams, sort_keys=True, default=str), "seed": int(seed)}
    recorder = _Recorder(base, ids)
    benv = BudgetedEnv(env, budget, recorder)
    agent.setup(base.space, budget, base.objective)
    benv.reset(seed=seed)
    bar = _progress(budget, progress, f"{agent.name} on {base.env_id}")
    try:
        if agent.drives_env:
            agent.optimize(benv, budget)
        else:
            _ask_tell(agent, benv, budget, bar)
    except BudgetExhausted:
        pass
    finally:
        if bar is not None:
            bar.update(benv.used - bar.n)
            bar.close()
    if benv.used != budget:
        raise RuntimeError(f"agent {agent.name!r} used {benv.used} evaluations of a budget of {budget}")
    return _result(recorder, base, agent, seed, budget, rid, env_kwargs, log_dir)


def _ask_tell(agent: Agent, env: BudgetedEnv, budget: int, bar: Any) -> None:
    space = env.unwrapped.space
    need_reset = False
    for _ in range(budget):
        if need_reset:
            env.reset()
        design = agent.ask()
        action = space.encode(design)  # validates: agents cannot step outside the space
        _, reward, terminated, truncated, info = env.step(action)
        agent.tell(info["design"], reward, {**info["metrics"], "feasible": info["feasible"]})
        need_reset = terminated or truncated
        if bar is not None:
            bar.update(1)


def _progress(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="eval", leave=False)


def _result(recorder: _Recorder, base: DesignEnv, agent: Agent, seed: int, budget: int, rid: str,
            env_kwargs: Mapping[str, Any], log_dir: str | Path | None) -> RunResult:
    df = recorder.frame()
    rewards = df["reward"].to_numpy(dtype=float)
    finite = np.where(np.isfinite(rewards), rewards, -np.inf)
    i = int(np.argmax(finite))
    best_design = {c[len(datasets.DESIGN_PREFIX):]: _py(df[c].iloc[i]) for c in datasets.design_columns(df)}
    best_metrics = {c[len(datasets.METRIC_PREFIX):]: float(df[c].iloc[i]) for c in datasets.metric_columns(df)}
    pareto = hv = None
    obj = base.objective
    if isinstance(obj, MultiObjective):
        res = {k: df[datasets.METRIC_PREFIX + k].to_numpy(float) for k in obj.metrics}
        res["feasible"] = df["feasible"].to_numpy(bool)
        mask = pareto_mask(obj.vector(res))
        pareto = df[mask].reset_index(drop=True)
        hv = obj.hypervolume(res)
    result = RunResult(run_id=rid, env_id=base.env_id, agent=agent.name, seed=seed, budget=budget,
                       best_design=best_design, best_reward=float(rewards[i]), best_metrics=best_metrics,
                       best_step=i, trajectory=df, pareto=pareto, hypervolume=hv)
    if log_dir is not None:
        meta = {**base.simulator.describe(), "env_id": base.env_id, "env_kwargs": dict(env_kwargs),
                "objective": obj.to_dict(), "agent": agent.name, "hparams": agent.get_params(),
                "seed": seed, "budget": budget, "run_id": rid}
        result.path = datasets.write_run(df, log_dir, rid, meta)
    return result


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
