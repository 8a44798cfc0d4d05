"""Small run directories for the report tests, built with archgym.run on fast envs (seconds)."""

from __future__ import annotations

from pathlib import Path

import archgym

SYSTOLIC = {"workload": "alexnet"}
MULTI = {"kind": "multi", "goals": {"latency_ms": "min", "area_mm2": "min"},
         "ref_point": {"latency_ms": 200.0, "area_mm2": 100.0}}


def grid_runs(out: Path, budget: int = 30) -> Path:
    """Systolic (AlexNet): random with defaults over 3 seeds, ga over a 2-config grid × 2 seeds."""
    for seed in range(3):
        archgym.run("archgym/Systolic-v0", "random", budget, seed, log_dir=out, env_kwargs=SYSTOLIC, progress=False)
    for population in (4, 8):
        for seed in range(2):
            archgym.run("archgym/Systolic-v0", "ga", budget, seed, log_dir=out, env_kwargs=SYSTOLIC,
                        agent_kwargs={"population": population}, progress=False)
    return out


def pareto_runs(out: Path, budget: int = 30) -> Path:
    """Systolic (AlexNet) with a two-metric Pareto objective: random and nsga2, 2 seeds each."""
    kw = {**SYSTOLIC, "objective": MULTI}
    for agent in ("random", "nsga2"):
        for seed in range(2):
            archgym.run("archgym/Systolic-v0", agent, budget, seed, log_dir=out, env_kwargs=kw, progress=False)
    return out
