"""The run loop: one agent, one env, a budget of simulator evaluations, one dataset file.

The budget is the number of simulator evaluations, the common currency across RL, Bayesian
optimisation and evolutionary search.  Ask/tell agents are driven here; agents that drive an env
themselves (RL) get :class:`BudgetedEnv`, a wrapper that counts, logs and caps evaluations, so
every agent produces the same rows and spends exactly the same budget.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from archgym import datasets
from archgym._files import plain
from archgym.agent import Agent
from archgym.envs import DesignEnv
from archgym.errors import BudgetExhausted, InvalidParameterError, RunInterrupted, StateError
from archgym.objectives import MultiObjective, pareto_mask
from archgym.recorder import BudgetedEnv, Recorder, check_proposals, load_partial, partial_path, write_partial


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
        progress: bool = False, batch_size: int = 256) -> RunResult:
    """Search ``env_or_id`` with ``agent`` for exactly ``budget`` simulator evaluations.

    Args:
        env_or_id: an archgym env or its id (``"archgym/DRAM-v0"``).
        agent: an :class:`~archgym.agent.Agent` or a registered name (built with ``seed``).
        budget: number of simulator evaluations.
        seed: seeds the env (and the agent, when given by name); an integer in [0, 2**32 - 1].
        log_dir: if given, the trajectory is written to ``<log_dir>/<run_id>.parquet``.  An
            interrupted run (Ctrl-C) keeps its evaluations in ``<run_id>.partial.parquet``, which
            the next call with the same configuration replays instead of simulating again.
        env_kwargs: kwargs for ``gymnasium.make`` when the env is given by id.
        agent_kwargs: hyperparameters when the agent is given by name.
        run_id: override the stable, configuration-derived id (letters, digits, ``._-``).
        progress: show a progress bar.
        batch_size: at most this many designs per simulator call, for agents that propose
            several at once (random search, a GA generation); results do not depend on it.

    Raises:
        RunInterrupted: on Ctrl-C, after keeping what was done (its ``path`` says where).
    """
    _check_args(budget, seed, run_id, batch_size)
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
    meta = {**sim.describe(), "env_id": base.env_id, "env_kwargs": dict(env_kwargs),
            "objective": base.objective.to_dict(), "agent": agent.name, "hparams": hparams,
            "seed": seed, "budget": budget, "run_id": rid}
    recorder = Recorder(base, ids, budget)
    benv = BudgetedEnv(env, budget, recorder, load_partial(log_dir, rid, base))
    agent.setup(base.space, budget, base.objective)
    benv.reset(seed=seed)
    bar = _progress(budget, progress, f"{agent.name} on {base.env_id}")
    try:
        if agent.drives_env:
            agent.optimize(benv, budget)
        else:
            _ask_tell(agent, benv, budget, bar, batch_size)
    except BudgetExhausted:
        pass
    except KeyboardInterrupt:
        kept = write_partial(recorder, log_dir, rid, meta) if log_dir is not None else None
        raise RunInterrupted(rid, recorder.n, budget, kept) from None
    finally:
        if bar is not None:
            bar.update(benv.used - bar.n)
            bar.close()
    if benv.used != budget:
        raise StateError(f"agent {agent.name!r} used {benv.used} evaluations of a budget of {budget}")
    return _result(recorder, base, agent, seed, budget, rid, log_dir, meta)


def _check_args(budget: Any, seed: Any, run_id: Any, batch_size: Any) -> None:
    def integer(v: Any) -> bool:
        return isinstance(v, int | np.integer) and not isinstance(v, bool)

    if not integer(budget) or not 1 <= budget <= MAX_BUDGET:
        raise InvalidParameterError(f"budget must be an integer in [1, {MAX_BUDGET:,}], got {budget!r}")
    if not integer(seed) or not 0 <= seed < 2**32:
        raise InvalidParameterError(f"seed must be an integer in [0, 2**32 - 1] (what numpy and torch accept), "
                                    f"got {seed!r}")
    if not integer(batch_size) or batch_size < 1:
        raise InvalidParameterError(f"batch_size must be a positive integer, got {batch_size!r}")
    if run_id is not None and (not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id)):
        raise InvalidParameterError(f"run_id must be letters, digits, '.', '_' or '-' (a file name inside log_dir, "
                                    f"not starting with '.'), got {run_id!r}")


#: Largest budget of one run: the recorder holds a run's rows in memory (~200 bytes each).
MAX_BUDGET = 10**7

_RUN_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")


def _ask_tell(agent: Agent, env: BudgetedEnv, budget: int, bar: Any, batch_size: int) -> None:
    """Ask for as many designs as the agent can propose blind (up to the budget left), evaluate
    them in one simulator call, tell the results in order; repeat."""
    space = env.unwrapped.space
    metric_names = env.unwrapped.simulator.metric_names
    while env.used < budget:
        idx = check_proposals(agent.ask_indices(min(batch_size, budget - env.used)), space, budget - env.used)
        result, rewards = env.evaluate_indices(idx)
        told = {k: result[k] for k in (*metric_names, "feasible", "reason")}
        agent.tell_indices(idx, rewards, told)
        if bar is not None:
            bar.update(len(idx))


def _progress(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="eval", leave=False)


def _result(recorder: Recorder, base: DesignEnv, agent: Agent, seed: int, budget: int, rid: str,
            log_dir: str | Path | None, meta: Mapping[str, Any]) -> RunResult:
    df = recorder.frame()
    rewards = df["reward"].to_numpy(dtype=float)
    finite = np.where(np.isfinite(rewards), rewards, -np.inf)
    i = int(np.argmax(finite))
    best_design = {c[len(datasets.DESIGN_PREFIX):]: plain(df[c].iloc[i]) for c in datasets.design_columns(df)}
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
        result.path = datasets.write_run(df, log_dir, rid, meta)
        partial_path(log_dir, rid).unlink(missing_ok=True)  # the complete run supersedes a kept attempt
    return result

