"""NSGA-II with optuna's ``NSGAIISampler`` (``nsga2``): the multi-objective evolutionary agent.

With a :class:`~archgym.objectives.MultiObjective` the study has one maximised direction per
objective (the objective's maximisation vector), so the search targets the Pareto front and the
run reports its hypervolume; with a scalar objective it is a single-objective GA.  Infeasible
designs are handled as constraint violations (NSGA-II's constrained domination), besides a finite
penalty value.

The sampler is optuna's, with its generation bookkeeping made incremental
(:mod:`~archgym.agents.nsga2_sampler`): optuna's rescans the whole history on every proposal, so a
10,000-evaluation study spent 4× more per evaluation at its end than at its start.  Results are
identical.
"""

from __future__ import annotations

from archgym.agents.optuna_base import OptunaAgent
from archgym.constraints import Interval


class NSGA2Agent(OptunaAgent):
    """NSGA-II (``optuna.samplers.NSGAIISampler``, with incremental bookkeeping).

    Args:
        seed: sampler seed.
        population_size: designs per generation (default 16; range 4–100).
        mutation_prob: per-parameter mutation probability (default None = 1 / number of
            parameters; range 0–1).
        crossover_prob: probability a child is produced by crossover (default 0.9; range 0–1).
        swapping_prob: per-parameter swap probability of the uniform crossover (default 0.5).
        storage: optuna storage URL or SQLite path; makes the study resumable (default None).
        study_name: study name in the storage (default ``archgym-nsga2-s<seed>``).
        ordinal_as_int: search ordered value lists as integer indices (default True).
    """

    name = "nsga2"
    test_config = {"population_size": 4}
    parameter_constraints = {**OptunaAgent.parameter_constraints, "population_size": [Interval(int, 2)],
                             "mutation_prob": [Interval(float, 0, 1), None], "crossover_prob": [Interval(float, 0, 1)],
                             "swapping_prob": [Interval(float, 0, 1)]}
    multiobjective = True

    def __init__(self, seed: int | None = None, population_size: int = 16, mutation_prob: float | None = None,
                 crossover_prob: float = 0.9, swapping_prob: float = 0.5, storage: str | None = None,
                 study_name: str | None = None, ordinal_as_int: bool = True):
        super().__init__(seed, storage=storage, study_name=study_name, ordinal_as_int=ordinal_as_int)
        self.population_size = population_size
        self.mutation_prob = mutation_prob
        self.crossover_prob = crossover_prob
        self.swapping_prob = swapping_prob

    def make_sampler(self, constraints_func):
        from archgym.agents.nsga2_sampler import IncrementalNSGAIISampler

        return IncrementalNSGAIISampler(
            seed=self.seed, population_size=int(self.population_size),
            mutation_prob=None if self.mutation_prob is None else float(self.mutation_prob),
            crossover_prob=float(self.crossover_prob), swapping_prob=float(self.swapping_prob),
            constraints_func=constraints_func)
