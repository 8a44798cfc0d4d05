"""Gaussian-process Bayesian optimisation with optuna's ``GPSampler`` (``gp``).

The closest optuna equivalent of ArchGym's Vizier ``EMUKIT_GP_EI``: a GP surrogate (Matérn
kernel, Hamming distance on categoricals) with an acquisition function optimised per proposal.
It is the most sample-efficient agent on smooth spaces and the most expensive per proposal (the GP
is refitted every trial, cubic in the number of trials), so it suits budgets of a few hundred
evaluations.  Runs on CPU torch with one thread, which keeps it deterministic for a given seed.
"""

from __future__ import annotations

from archgym.agents.optuna_base import OptunaAgent
from archgym.constraints import Interval


class GPAgent(OptunaAgent):
    """GP Bayesian optimisation (``optuna.samplers.GPSampler``).

    Args:
        seed: sampler seed.
        n_startup_trials: random designs before the GP is used (default 10; range 2–100).
        deterministic_objective: tell the GP the simulator is noise-free (default True; archgym
            simulators are deterministic).
        storage: optuna storage URL or SQLite path; makes the study resumable (default None).
        study_name: study name in the storage (default ``archgym-gp-s<seed>``).
        ordinal_as_int: search ordered value lists as integer indices (default True).
    """

    name = "gp"
    test_config = {"n_startup_trials": 8}
    parameter_constraints = {**OptunaAgent.parameter_constraints, "n_startup_trials": [Interval(int, 0)],
                             "deterministic_objective": [bool]}
    use_constraints = False

    def __init__(self, seed: int | None = None, n_startup_trials: int = 10, deterministic_objective: bool = True,
                 storage: str | None = None, study_name: str | None = None, ordinal_as_int: bool = True):
        super().__init__(seed, storage=storage, study_name=study_name, ordinal_as_int=ordinal_as_int)
        self.n_startup_trials = n_startup_trials
        self.deterministic_objective = deterministic_objective

    def setup(self, space, budget, objective=None) -> None:
        import torch

        torch.set_num_threads(1)  # one thread per process: determinism and no oversubscription
        super().setup(space, budget, objective)

    def make_sampler(self, constraints_func):
        import optuna

        return optuna.samplers.GPSampler(seed=self.seed, n_startup_trials=int(self.n_startup_trials),
                                         deterministic_objective=bool(self.deterministic_objective),
                                         constraints_func=constraints_func)
