"""Agent overhead: microseconds per ask/tell, and RL environment steps per second, at one thread.

The simulator here costs (almost) nothing, so the numbers are the agents' own cost: how much
wall-clock a search strategy adds per simulator evaluation.  Ask/tell agents are timed on their
``ask`` + ``tell`` calls alone on a 10-knob space; agents that drive the env (``ppo``, ``marl``) are
timed as whole ``run`` calls (env steps per second, training included), and so are all agents as
"run-loop evaluations per second" for comparison.

Usage::

    python experiments/bench/bench_agents.py [--evals 300] [--gp-evals 100]

Prints a markdown table.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from archgym.agents import AGENTS, agent_class, make_agent  # noqa: E402
from archgym.envs import DesignEnv  # noqa: E402
from archgym.objectives import Minimize  # noqa: E402
from archgym.runner import run  # noqa: E402
from archgym.simulator import Metric, Simulator  # noqa: E402
from archgym.spaces import Categorical, DesignSpace, Integer, Pow2, Real  # noqa: E402


class TenKnobs(Simulator):
    """A no-cost 10-knob model: a sum of per-knob bowls (about 2.4e9 designs)."""

    name = "ten_knobs"
    version = "1"

    def __init__(self):
        self.space = DesignSpace((
            Categorical("c0", choices=("a", "b", "c", "d")), Categorical("c1", choices=(True, False)),
            *(Pow2(f"p{j}", 1, 256) for j in range(4)),
            Integer("i0", low=0, high=15), Integer("i1", low=1, high=8),
            Real("r0", low=0.1, high=10.0, num=16, log=True), Real("r1", low=0.0, high=1.0, num=11),
        ))
        self.metrics = (Metric("cost", "1", "min"),)
        self.workload = "none"

    def _evaluate(self, d):
        cost = (d["c0"] != "b") + np.abs(np.log2(d["p0"]) - 3) + np.abs(np.log2(d["p1"]) - 5) \
            + np.abs(d["i0"] - 7) / 4 + np.abs(np.log10(d["r0"])) + d["r1"]
        return {"cost": cost.astype(float)}


def ask_tell_us(name: str, evals: int, seed: int = 0) -> float:
    """Mean microseconds of one ask + tell (simulator excluded)."""
    sim = TenKnobs()
    obj = Minimize("cost")
    agent = make_agent(name, seed=seed)
    agent.setup(sim.space, evals, obj)
    spent = 0.0
    for _ in range(evals):
        t0 = time.perf_counter()
        d = agent.ask()
        spent += time.perf_counter() - t0
        res = sim.evaluate([d])
        metrics = {"cost": float(res["cost"][0]), "feasible": True}
        reward = float(obj(res)[0])
        t0 = time.perf_counter()
        agent.tell(d, reward, metrics)
        spent += time.perf_counter() - t0
    return spent / evals * 1e6


def run_rate(name: str, evals: int, seed: int = 0) -> float:
    """Evaluations (env steps) per second of a whole ``run`` on the no-cost model."""
    env = DesignEnv(TenKnobs(), Minimize("cost"), env_id="bench/TenKnobs")
    t0 = time.perf_counter()
    run(env, make_agent(name, seed=seed), evals, seed=seed)
    return evals / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evals", type=int, default=300, help="evaluations per agent")
    ap.add_argument("--gp-evals", type=int, default=100, help="evaluations for gp (~0.2 s per proposal)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    run(DesignEnv(TenKnobs(), Minimize("cost")), "random", 2)  # warm imports
    print(f"10-knob no-cost model, one thread, torch threads = {torch.get_num_threads()}\n")
    print("| agent | evaluations | ask+tell overhead (µs/eval) | run loop (evals/s) |")
    print("|---|---:|---:|---:|")
    for name in AGENTS:
        n = args.gp_evals if name == "gp" else args.evals
        make_agent(name, seed=0)  # import the module outside the timing
        if agent_class(name).drives_env:
            run_rate(name, 16)  # warm up (SB3/torch imports)
            overhead = "— (drives the env)"
        else:
            overhead = f"{ask_tell_us(name, n):,.0f}"
        rate = run_rate(name, n)
        print(f"| {name} | {n} | {overhead} | {rate:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
