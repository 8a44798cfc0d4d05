"""The cases whose results issue 12's speed-ups must leave bit-identical (see fixtures/record_fast_path.py).

Shared by the recorder and the replay tests so that both build exactly the same simulators, designs
and runs.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from archgym.simulators.dram import DRAMSimulator, generate_trace

# DRAM: the four shipped traces (reads only, one request per cycle) on the default DIMM, and a
# read/write mixture with idle gaps on every shipped memspec, so the write paths (tWTR, write
# recovery, read-to-write turnaround) and the trace player's timestamps are covered too.
DRAM_CASES = ("stream", "random", "cloud-1", "cloud-2", "rw-DDR3-1600", "rw-DDR4-2400", "rw-LPDDR4-3200")
FULL_METRIC_DESIGNS = (64, 12)  # random designs per case whose every metric is recorded, sampling seed


def dram_simulator(case: str) -> DRAMSimulator:
    if case.startswith("rw-"):
        trace = generate_trace("mixture", 3000, seed=5, locality=0.5, read_ratio=0.6, interval=3, name="rw")
        return DRAMSimulator(trace=trace, memspec=case[3:])
    return DRAMSimulator(trace=case)


def class_representatives() -> list[dict[str, Any]]:
    """One design per DRAM timing class (4 page policies x 2 buffer kinds x 8 depths x 9 arbiter
    settings = 576), refresh off so the timing metrics are the class's raw timing."""
    arbiter = [("Simple", 1)] + [("Fifo", 2 ** k) for k in range(8)]
    out = []
    for pol, buf, rbs, (arb, mat) in itertools.product(
            ("Open", "OpenAdaptive", "Closed", "ClosedAdaptive"), ("Bankwise", "Shared"), range(1, 9), arbiter):
        out.append({"PagePolicy": pol, "Scheduler": "FrFcfs", "SchedulerBuffer": buf, "RequestBufferSize": rbs,
                    "RespQueue": "Fifo", "RefreshPolicy": "NoRefresh", "RefreshMaxPostponed": 1,
                    "RefreshMaxPulledin": 1, "Arbiter": arb, "MaxActiveTransactions": mat})
    return out


# Agents: (agent, env id, seed, objective, budget) with default hyperparameters.
AGENT_BUDGET = 400
AGENT_CASES: tuple[tuple[str, str, int, str, int], ...] = tuple(
    [(a, "archgym/DRAM-v0", s, "default", AGENT_BUDGET) for a in ("nsga2", "aco", "bo") for s in (0, 1)]
    + [(a, "archgym/Systolic-v0", 2, "default", AGENT_BUDGET) for a in ("nsga2", "aco", "bo")]
    + [("nsga2", "archgym/DRAM-v0", 3, "multi", AGENT_BUDGET)]
)


def case_key(case: tuple[str, str, int, str, int]) -> str:
    """Name of an agent case in the fixture file."""
    return "|".join(map(str, case))


def _objective(kind: str) -> Any:
    if kind == "default":
        return None
    from archgym.objectives import MultiObjective

    return MultiObjective({"time_ns": "min", "energy_pJ": "min"}, {"time_ns": 2e6, "energy_pJ": 2e9})


def agent_trajectory(case: tuple[str, str, int, str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Design index rows (budget, n_params) and rewards of one seeded run."""
    from archgym.registry import make_agent, make_env
    from archgym.runner import run

    agent, env_id, seed, objective, budget = case
    env = make_env(env_id, objective=_objective(objective))
    res = run(env, make_agent(agent, seed=seed), budget, seed=seed)
    space = env.unwrapped.space
    cols = [f"design.{n}" for n in space.names]
    designs = [dict(zip(space.names, row, strict=True)) for row in res.trajectory[cols].itertuples(index=False)]
    return np.asarray(space.encode(designs), np.int64), res.trajectory["reward"].to_numpy(np.float64)
