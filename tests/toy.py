"""A tiny synthetic simulator with a known optimum, shared by core, agent and proxy tests."""

from __future__ import annotations

import numpy as np

from archgym.simulator import Metric, Simulator
from archgym.spaces import Categorical, DesignSpace, Integer, Pow2, Real


class ToySimulator(Simulator):
    """cost = [a=='y'] + |log2(b) - 3| + (c - 3)^2 / 4 + |log10(d)|; optimum 0 at a!='y', b=8, c=3, d=1.

    Designs with c == 9 are infeasible.
    """

    name = "toy"
    version = "1"

    def __init__(self, infeasible: bool = True):
        self.space = DesignSpace((
            Categorical("a", choices=("x", "y", "z")),
            Pow2("b", 1, 64),
            Integer("c", low=0, high=9),
            Real("d", low=0.1, high=10.0, num=9, log=True),
        ))
        self.metrics = (Metric("cost", "1", "min", scale=1.0), Metric("perf", "1", "max"))
        self.workload = "toy"
        self.infeasible = infeasible

    def _evaluate(self, d):
        cost = (d["a"] == "y") * 1.0 + np.abs(np.log2(d["b"]) - 3) + (d["c"] - 3) ** 2 / 4 + np.abs(np.log10(d["d"]))
        bad = (d["c"] == 9) if self.infeasible else np.zeros(len(cost), bool)
        return {"cost": cost, "perf": 1 / (1 + cost), "feasible": ~bad,
                "reason": np.where(bad, "c=9 cannot be built", "")}
