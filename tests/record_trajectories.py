"""Record reference trajectories: every agent on every built-in env, fixed seeds and budget.

``tests/test_trajectories.py`` replays them and demands bit-identical designs, rewards and
metrics, so a refactor or a speed-up that changes a single bit of any trajectory fails CI.
Regenerate only when a change is *meant* to change results (and say so in the commit):

    python tests/record_trajectories.py tests/data/trajectories.json [ENV_ID ...]

Given env ids, only their entries are re-recorded (e.g. after a deliberate model change).
"""

from __future__ import annotations

import json
import sys

import numpy as np

ENVS = {"archgym/DRAM-v0": {"trace": "random"}, "archgym/Systolic-v0": {}, "archgym/SoC-v0": {},
        "archgym/CoDesign-v0": {}}
AGENTS = {"random": {}, "random_walk": {"patience": 4}, "ga": {"population": 6, "elitism": 1}, "aco": {"ants": 4},
          "bo": {"n_startup_trials": 6}, "gp": {"n_startup_trials": 6}, "nsga2": {"population_size": 6},
          "ppo": {"n_steps": 8, "batch_size": 8, "n_epochs": 2, "net_arch": [16]}, "marl": {"batch_size": 4}}
BUDGET = {"gp": 12}
DEFAULT_BUDGET = 24
SEED = 7


def record(env_id: str, agent: str) -> dict:
    import archgym

    res = archgym.run(env_id, agent, BUDGET.get(agent, DEFAULT_BUDGET), seed=SEED, env_kwargs=ENVS[env_id],
                      agent_kwargs=AGENTS[agent])
    df = res.trajectory
    space = archgym.make_env(env_id.split("/")[1][:-3], **ENVS[env_id]).space
    designs = df[[f"design.{n}" for n in space.names]].rename(columns=lambda c: c[len("design."):])
    idx = space.encode(designs).tolist()
    metrics = df[[c for c in df.columns if c.startswith("metric.")]].to_numpy(float)
    return {"designs": idx, "rewards": [float(r).hex() for r in df["reward"]],
            "metrics": [[_bits(v) for v in row] for row in metrics.tolist()],
            "feasible": df["feasible"].astype(bool).tolist()}


def _bits(value: float) -> str:
    """Exact text of a float; every NaN is written "nan" (its sign and payload vary by CPU)."""
    return "nan" if np.isnan(value) else float(value).hex()


def record_all() -> dict:
    return {f"{env_id} {agent}": record(env_id, agent) for env_id in ENVS for agent in AGENTS}


if __name__ == "__main__":
    path, only = sys.argv[1], sys.argv[2:]
    if only:
        with open(path) as fh:
            out = json.load(fh)
        out.update({f"{env_id} {agent}": record(env_id, agent) for env_id in only for agent in AGENTS})
    else:
        out = record_all()
    with open(path, "w") as fh:
        json.dump(out, fh, indent=0, sort_keys=True)
    print(f"{len(out)} trajectories -> {path}")
