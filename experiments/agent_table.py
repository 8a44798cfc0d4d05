"""Best reward vs budget for every registered agent on one env (markdown table).

One run per (agent, seed) at the largest budget; the table reads the best-so-far reward at each
smaller budget from the same trajectory.  That is exact, not an approximation: no agent's
proposals depend on the total budget (populations, rollouts and samplers are configured
independently of it), so a run of 500 evaluations starts with the run of 50.  Cells are the median
over seeds; ``gp`` stops at ``--gp-max`` evaluations because each proposal refits a GP.

Usage::

    python experiments/agent_table.py [--env archgym/DRAM-v0] [--env-arg trace=random]
                                      [--budgets 50 100 200 500] [--seeds 0 1 2]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import archgym  # noqa: E402
from archgym.agents import AGENTS  # noqa: E402
from archgym.registry import ENVS  # noqa: E402
from archgym.runner import run  # noqa: E402


def default_env() -> str:
    return "archgym/DRAM-v0" if "DRAM" in ENVS else "archgym/Systolic-v0"


def best_vs_budget(env_id: str, agent: str, budgets: list[int], seeds: list[int],
                   max_budget: int | None = None, env_kwargs: dict | None = None) -> tuple[list[float | None], float]:
    """Median best-so-far reward at each budget (None beyond ``max_budget``) and seconds per run."""
    top = min(max(budgets), max_budget or max(budgets))
    curves, t0 = [], time.perf_counter()
    for seed in seeds:
        res = run(env_id, agent, top, seed, env_kwargs=env_kwargs)
        curves.append(res.best_so_far())
    cells = [float(np.median([c[b - 1] for c in curves])) if b <= top else None for b in budgets]
    return cells, (time.perf_counter() - t0) / len(seeds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default=default_env())
    ap.add_argument("--budgets", type=int, nargs="+", default=[50, 100, 200, 500])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--agents", nargs="+", default=list(AGENTS))
    ap.add_argument("--gp-max", type=int, default=100, help="largest budget run for gp")
    ap.add_argument("--env-arg", action="append", default=[], help="env kwarg key=value, e.g. trace=random")
    args = ap.parse_args()
    from archgym.cli import parse_assignments

    env_kwargs = parse_assignments(args.env_arg, "--env-arg")
    import torch

    torch.set_num_threads(1)
    budgets = sorted(args.budgets)
    print(f"{args.env} {env_kwargs or ''} (default objective), best reward (higher is better) vs simulator evaluations; "
          f"median over seeds {args.seeds}; archgym {archgym.__version__}\n")
    print("| agent | " + " | ".join(str(b) for b in budgets) + " | s/run |")
    print("|---|" + "---:|" * (len(budgets) + 1))
    for name in args.agents:
        cells, secs = best_vs_budget(args.env, name, budgets, args.seeds,
                                     args.gp_max if name == "gp" else None, env_kwargs)
        txt = " | ".join("—" if c is None else f"{c:.4f}" for c in cells)
        print(f"| {name} | {txt} | {secs:.1f} |", flush=True)


if __name__ == "__main__":
    main()
