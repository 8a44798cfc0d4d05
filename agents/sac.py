"""Soft actor-critic with stable-baselines3 (``sac``) on the continuous relaxation of the design space.

The multi-agent DSE paper compares its decentralised agents against single-agent PPO *and SAC*;
ArchGym's DRAM env offered SAC a ``Box(-1, 1)`` per knob (its ``sa``/``macme_continuous`` forms).
Here SAC acts in :class:`~archgym.relaxation.BoxBinning`'s box — one coordinate in [-1, 1] per knob,
equal-width bins, bin ``i`` ↔ choice ``i`` — and a wrapper turns each box action into the index row
the run loop's budgeted env evaluates.  So, as for PPO, every SAC env step is exactly one counted,
logged simulator evaluation, and training stops after exactly ``budget`` steps.

Defaults are for DSE budgets (hundreds of evaluations), not for control benchmarks: ``gamma = 0``
(a design's reward does not depend on later proposals: a contextual bandit, so the critic learns
the reward of a design directly), a short warm-up of uniform random actions (``learning_starts``),
one gradient step per evaluation, and rewards standardised with running statistics (the wrapper
PPO uses) so one set of hyperparameters works across objectives.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from archgym.agent import Agent
from archgym.agents.common import Fitness
from archgym.agents.ppo import FiniteReward, learn_for_budget, load_policy_state
from archgym.constraints import Interval, IntList, Options
from archgym.relaxation import BoxBinning


class BoxActions(gym.ActionWrapper):
    """Lets a continuous learner drive a design env: ``Box(-1, 1, (d,))`` → binned index row."""

    def __init__(self, env: gym.Env, binning: BoxBinning):
        super().__init__(env)
        self.binning = binning
        self.action_space = binning.to_gym()

    def action(self, action: Any) -> np.ndarray:
        return self.binning.to_indices(action)


class SACAgent(Agent):
    """stable-baselines3 SAC on the box relaxation of the design space, budget-exact.

    Args:
        seed: seeds torch, numpy and SB3's warm-up sampling.
        learning_rate: Adam step size of actor, critics and entropy coefficient (default 3e-3;
            range 1e-5–1e-2; SB3's 3e-4 is tuned for 10⁶-step control tasks).
        buffer_size: replay capacity (default 100,000; larger than any DSE budget, so nothing is
            forgotten).
        learning_starts: uniformly random warm-up actions before the first update (default 32).
        batch_size: replay minibatch size (default 64).
        tau: target-network soft-update rate (default 0.05; 1 = hard copy).
        gamma: discount (default 0.0: contextual bandit, see the module docstring).
        train_freq: env steps between updates (default 1).
        gradient_steps: gradient steps per update (default 1).
        ent_coef: entropy coefficient, a fixed number or ``"auto"`` (learned, SB3's default)
            (default 0.05: on standardised rewards a fixed, moderate temperature keeps exploring
            through a few-hundred-evaluation budget, where "auto" anneals too early).
        net_arch: hidden layer sizes of actor and critics (default (64, 64)).
        standardize_reward: standardise rewards with running statistics (default True).
    """

    name = "sac"
    test_config = {"learning_starts": 8, "batch_size": 8, "net_arch": [16]}
    parameter_constraints = {"learning_rate": [Interval(float, 0, None, "neither")],
                             "buffer_size": [Interval(int, 1)], "learning_starts": [Interval(int, 1)],
                             "batch_size": [Interval(int, 1)], "tau": [Interval(float, 0, 1, "right")],
                             "gamma": [Interval(float, 0, 1)], "train_freq": [Interval(int, 1)],
                             "gradient_steps": [Interval(int, 1)],
                             "ent_coef": [Options(("auto",)), Interval(float, 0)],
                             "net_arch": [IntList(1)], "standardize_reward": [bool]}
    drives_env = True

    def __init__(self, seed: int | None = None, learning_rate: float = 3e-3, buffer_size: int = 100_000,
                 learning_starts: int = 32, batch_size: int = 64, tau: float = 0.05, gamma: float = 0.0,
                 train_freq: int = 1, gradient_steps: int = 1, ent_coef: str | float = 0.05,
                 net_arch: tuple[int, ...] | list[int] = (64, 64), standardize_reward: bool = True):
        super().__init__(seed)
        self.learning_rate = learning_rate
        self.buffer_size = buffer_size
        self.learning_starts = learning_starts
        self.batch_size = batch_size
        self.tau = tau
        self.gamma = gamma
        self.train_freq = train_freq
        self.gradient_steps = gradient_steps
        self.ent_coef = ent_coef
        self.net_arch = net_arch
        self.standardize_reward = standardize_reward

    def setup(self, space, budget, objective=None) -> None:
        super().setup(space, budget, objective)
        self._fit = Fitness(objective)
        self._binning = BoxBinning(space)
        self._policy_state: bytes | None = None

    def optimize(self, env, budget: int) -> None:
        """Train SAC on ``env`` for exactly ``budget`` env steps (one evaluation each)."""
        import torch
        from stable_baselines3 import SAC

        torch.set_num_threads(1)
        budget = int(budget)
        learner_env = BoxActions(FiniteReward(env, self._fit, bool(self.standardize_reward)), self._binning)
        ent = self.ent_coef if isinstance(self.ent_coef, str) else float(self.ent_coef)
        model = SAC("MlpPolicy", learner_env, learning_rate=float(self.learning_rate),
                    buffer_size=max(int(self.buffer_size), 1), learning_starts=int(self.learning_starts),
                    batch_size=int(self.batch_size), tau=float(self.tau), gamma=float(self.gamma),
                    train_freq=int(self.train_freq), gradient_steps=int(self.gradient_steps), ent_coef=ent,
                    policy_kwargs={"net_arch": [int(h) for h in self.net_arch]}, seed=self.seed,
                    device="cpu", verbose=0)
        self._policy_state = learn_for_budget(model, budget, budget + 1)

    def policy_state_dict(self) -> dict[str, Any]:
        """The trained actor's and critics' torch parameters (after :meth:`optimize`)."""
        return load_policy_state("sac", self._policy_state)
