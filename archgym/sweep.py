"""Sweeps: env × agent × hyperparameters × seeds, resumable, parallel on one machine or on Ray.

A sweep spec (YAML) expands to runs; each run has a stable id derived from its configuration (the
same id :func:`archgym.runner.run` writes as ``<out>/<run_id>.parquet``), so an interrupted sweep
resumes where it stopped: runs whose file exists are skipped, never redone, and files are written
atomically, so a run killed mid-write leaves nothing half-written behind.

Spec format::

    budget: 200
    seeds: [0, 1, 2]               # or an int n meaning 0..n-1
    envs:
      - id: archgym/DRAM-v0
        kwargs: {trace: random}    # optional
    agents:
      - name: ga
        grid:                      # cartesian product of hyperparameter values (optional)
          population: [8, 32]
          mutation_prob: [0.01, 0.05]
      - name: random
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class SweepSpecError(ValueError):
    """A malformed sweep spec; the message names the file and the offending entry."""


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep (everything :func:`archgym.runner.run` needs)."""

    env_id: str
    agent: str
    seed: int
    budget: int
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    hparams: Mapping[str, Any] = field(default_factory=dict)

    def run_id(self) -> str:
        """The id the run loop will give this run (needs the env's simulator config hash)."""
        from archgym.agents import make_agent
        from archgym.runner import make_run_id

        agent = make_agent(self.agent, seed=self.seed, **dict(self.hparams))
        return make_run_id(self.env_id, self.env_kwargs, agent.name, agent.get_params(), self.seed,
                           self.budget, _config_hash(self.env_id, self.env_kwargs))


_HASHES: dict[str, str] = {}


def _config_hash(env_id: str, env_kwargs: Mapping[str, Any]) -> str:
    """Simulator config hash of an env, cached: building a simulator can cost a trace parse."""
    key = json.dumps([env_id, dict(env_kwargs)], sort_keys=True, default=str)
    if key not in _HASHES:
        import gymnasium as gym

        import archgym  # noqa: F401  (registers envs)

        _HASHES[key] = gym.make(env_id, **dict(env_kwargs)).unwrapped.simulator.config_hash()
    return _HASHES[key]


def _as_list(value: Any, what: str, source: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise SweepSpecError(f"{source}: {what} must be a list, got {type(value).__name__}")


def expand(spec: Mapping[str, Any], source: str = "<spec>") -> list[RunSpec]:
    """Expand a spec mapping into runs, in a deterministic order."""
    if not isinstance(spec, Mapping):
        raise SweepSpecError(f"{source}: a sweep spec must be a mapping with budget, seeds, envs, agents")
    unknown = set(spec) - {"budget", "seeds", "envs", "agents", "name"}
    if unknown:
        raise SweepSpecError(f"{source}: unknown key(s) {sorted(unknown)}; allowed: name, budget, seeds, envs, agents")
    try:
        budget = int(spec["budget"])
    except (KeyError, TypeError, ValueError):
        raise SweepSpecError(f"{source}: 'budget' (a positive integer) is required") from None
    seeds_raw = spec.get("seeds", 1)
    seeds = list(range(seeds_raw)) if isinstance(seeds_raw, int) else [int(s) for s in _as_list(seeds_raw, "seeds", source)]
    runs: list[RunSpec] = []
    envs = _as_list(spec.get("envs"), "envs", source)
    agents = _as_list(spec.get("agents"), "agents", source)
    for i, env in enumerate(envs):
        env = {"id": env} if isinstance(env, str) else env
        if not isinstance(env, Mapping) or "id" not in env:
            raise SweepSpecError(f"{source}: envs[{i}] needs an 'id'")
        for j, agent in enumerate(agents):
            agent = {"name": agent} if isinstance(agent, str) else agent
            if not isinstance(agent, Mapping) or "name" not in agent:
                raise SweepSpecError(f"{source}: agents[{j}] needs a 'name'")
            grid = agent.get("grid") or {}
            fixed = agent.get("hparams") or {}
            keys = list(grid)
            values = [_as_list(grid[k], f"agents[{j}].grid.{k}", source) for k in keys]
            for combo in itertools.product(*values) if keys else [()]:
                hp = {**fixed, **dict(zip(keys, combo, strict=True))}
                for seed in seeds:
                    runs.append(RunSpec(env["id"], agent["name"], seed, budget, dict(env.get("kwargs") or {}), hp))
    return runs


def load_spec(path: str | Path) -> list[RunSpec]:
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise SweepSpecError(f"{path}{where}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    return expand(spec, str(path))


def _execute(run: RunSpec, out: str) -> dict[str, Any]:
    """Worker: one run, one thread (so two workers on two cores do not oversubscribe)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    from archgym.runner import run as run_study

    res = run_study(run.env_id, run.agent, run.budget, run.seed, log_dir=out, env_kwargs=run.env_kwargs,
                    agent_kwargs=run.hparams)
    return {"run_id": res.run_id, "env_id": run.env_id, "agent": run.agent, "seed": run.seed,
            "hparams": dict(run.hparams), "best_reward": res.best_reward, "path": str(res.path)}


def pending(runs: Iterable[RunSpec], out: str | Path) -> list[tuple[RunSpec, str]]:
    """Runs whose result file does not exist yet, with their ids."""
    out = Path(out)
    todo = []
    for r in runs:
        rid = r.run_id()
        if not (out / f"{rid}.parquet").is_file():
            todo.append((r, rid))
    return todo


def run_sweep(runs: list[RunSpec], out: str | Path, workers: int | None = None, backend: str = "local",
              progress: bool = False) -> list[dict[str, Any]]:
    """Run every pending run of a sweep; return one summary dict per run executed now.

    Args:
        runs: the expanded sweep.
        out: directory of run files (shared by all runs; one file per run).
        workers: parallel processes (default: the machine's cores); ``1`` runs in-process.
        backend: ``"local"`` (process pool) or ``"ray"`` (an existing or local Ray cluster;
            needs ``pip install 'archgym[ray]'``).
    """
    out = str(out)
    Path(out).mkdir(parents=True, exist_ok=True)
    todo = pending(runs, out)
    workers = workers or os.cpu_count() or 1
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="sweep", unit="run")
    results: list[dict[str, Any]] = []
    if backend == "ray":
        results = _run_ray(todo, out)
    elif backend != "local":
        raise ValueError(f"unknown backend {backend!r}; allowed: local, ray")
    elif workers == 1:
        for r, _ in todo:
            results.append(_execute(r, out))
            if bar is not None:
                bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures: set[Future] = {pool.submit(_execute, r, out) for r, _ in todo}
            while futures:
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for f in done:
                    results.append(f.result())
                    if bar is not None:
                        bar.update(1)
    if bar is not None:
        bar.close()
    return results


def _run_ray(todo: list[tuple[RunSpec, str]], out: str) -> list[dict[str, Any]]:
    try:
        import ray
    except ImportError:
        raise RuntimeError("backend 'ray' needs Ray: pip install 'archgym[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS"), ignore_reinit_error=True)
    remote = ray.remote(num_cpus=1)(_execute)
    return list(ray.get([remote.remote(r, out) for r, _ in todo]))
