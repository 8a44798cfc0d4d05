"""Proximal policy optimisation with stable-baselines3 (``ppo``), under the evaluation budget.

ArchGym trained vendored dm-acme JAX PPO for a fixed number of *environment steps* with extra
evaluation episodes on the side, so its RL budgets were not comparable to BO's or GA's.  Here PPO
trains on the run loop's budgeted env: every env step is one counted, logged simulator evaluation,
and training stops after exactly ``budget`` steps (a callback stops the rollout when the budget is
spent, even mid-rollout), so "best reward after N evaluations" means the same for PPO as for GA.

The policy is SB3's ``MlpPolicy`` on the ``MultiDiscrete`` design action (one categorical head per
knob) and the normalised-metrics observation.  Rewards seen by the learner pass through
:class:`FiniteReward` (non-finite rewards of infeasible designs → just below the worst seen;
optionally standardised), while the dataset keeps the true reward.
"""

from __future__ import annotations

import io
from typing import Any

import gymnasium as gym
import numpy as np

from archgym.agent import Agent
from archgym.agents.common import Fitness
from archgym.constraints import Interval, IntList
from archgym.errors import InvalidParameterError, StateError


def learn_for_budget(model: Any, budget: int, total_timesteps: int) -> bytes:
    """Train a stable-baselines3 learner until exactly ``budget`` env steps (one evaluation each)
    and return its policy's parameters (``torch.save`` bytes).

    ``total_timesteps`` must exceed ``budget``: ``learn`` stops when the callback returns False,
    right after the budget-th step.  SB3's default logger makes an empty ``tempdir/SB3-<date>``
    folder per ``learn``; the run loop logs every evaluation itself, so the learner's logs go nowhere.
    """
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.logger import Logger

    class StopAtBudget(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.steps = 0

        def _on_step(self) -> bool:
            self.steps += 1
            return self.steps < budget

    model.set_logger(Logger(folder=None, output_formats=[]))
    model.learn(total_timesteps=total_timesteps, callback=StopAtBudget())
    buf = io.BytesIO()
    torch.save(model.policy.state_dict(), buf)
    return buf.getvalue()


def load_policy_state(agent: str, state: bytes | None) -> dict[str, Any]:
    """The torch parameters :func:`learn_for_budget` returned (tensors only: ``weights_only``)."""
    import torch

    if state is None:
        raise StateError(f"{agent}: no trained policy yet; run optimize() first")
    return torch.load(io.BytesIO(state), weights_only=True)


class FiniteReward(gym.Wrapper):
    """What the learner sees: finite, optionally standardised rewards (running mean and std)."""

    def __init__(self, env: gym.Env, fitness: Fitness, standardize: bool = True):
        super().__init__(env)
        self.fitness = fitness
        self.standardize = standardize
        self._n, self._mean, self._m2 = 0, 0.0, 0.0

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(action)
        r = self.fitness.scalar(reward)
        if self.standardize:
            self._n += 1
            d = r - self._mean
            self._mean += d / self._n
            self._m2 += d * (r - self._mean)
            sd = np.sqrt(self._m2 / (self._n - 1)) if self._n > 1 else 1.0
            r = float(np.clip((r - self._mean) / (sd + 1e-8), -5.0, 5.0)) if self._n > 1 else 0.0
        return obs, r, terminated, truncated, info


class PPOAgent(Agent):
    """stable-baselines3 PPO on the ``DesignEnv`` (MultiDiscrete actions), budget-exact.

    Args:
        seed: seeds torch, numpy and the env's action sampling.
        learning_rate: Adam step size (default 3e-3; range 1e-5–1e-2; ArchGym used 2e-5 with
            10k-step budgets, far too slow at DSE budgets of hundreds of evaluations).
        n_steps: env steps per rollout (default 16; range 8–2048; capped at the budget).
        batch_size: minibatch size (default 16; capped at ``n_steps``).
        n_epochs: optimisation epochs per rollout (default 10; range 1–20).
        gamma: discount (default 0.0: a design's reward does not depend on later proposals, so the
            problem is a contextual bandit; raise it to credit within-episode refinement).
        gae_lambda: GAE lambda (default 0.95).
        ent_coef: entropy bonus (default 0.0; ArchGym used 0.1; range 0–0.1).
        clip_range: PPO ratio clip (default 0.3; range 0.1–0.5).
        net_arch: hidden layer sizes of the policy and value MLPs (default (64, 64); ArchGym used
            (32, 32, 32)).
        standardize_reward: standardise rewards with running statistics (default True), so one set
            of hyperparameters works across objectives with very different reward scales.
    """

    name = "ppo"
    test_config = {"n_steps": 8, "batch_size": 8, "n_epochs": 2, "net_arch": [16]}
    parameter_constraints = {"learning_rate": [Interval(float, 0, None, "neither")], "n_steps": [Interval(int, 2)],
                             "batch_size": [Interval(int, 2)], "n_epochs": [Interval(int, 1)],
                             "gamma": [Interval(float, 0, 1)], "gae_lambda": [Interval(float, 0, 1)],
                             "ent_coef": [Interval(float, 0)], "clip_range": [Interval(float, 0, None, "neither")],
                             "net_arch": [IntList(1)], "standardize_reward": [bool]}
    drives_env = True

    def __init__(self, seed: int | None = None, learning_rate: float = 3e-3, n_steps: int = 16,
                 batch_size: int = 16, n_epochs: int = 10, gamma: float = 0.0, gae_lambda: float = 0.95,
                 ent_coef: float = 0.0, clip_range: float = 0.3, net_arch: tuple[int, ...] | list[int] = (64, 64),
                 standardize_reward: bool = True):
        super().__init__(seed)
        self.learning_rate = learning_rate
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.gamma = gamma
        self.gae_lambda = gae_lambda
        self.ent_coef = ent_coef
        self.clip_range = clip_range
        self.net_arch = net_arch
        self.standardize_reward = standardize_reward

    def setup(self, space, budget, objective=None) -> None:
        super().setup(space, budget, objective)
        if int(self.n_steps) < 2 or int(self.batch_size) < 2:
            raise InvalidParameterError(f"ppo: n_steps and batch_size must be >= 2, got {self.n_steps}, {self.batch_size}")
        self._fit = Fitness(objective)
        self._policy_state: bytes | None = None

    def optimize(self, env, budget: int) -> None:
        """Train PPO on ``env`` for exactly ``budget`` env steps (one evaluation each)."""
        import torch
        from stable_baselines3 import PPO

        torch.set_num_threads(1)
        budget = int(budget)
        n_steps = max(2, min(int(self.n_steps), budget))
        learner_env = FiniteReward(env, self._fit, bool(self.standardize_reward))
        model = PPO("MlpPolicy", learner_env, learning_rate=float(self.learning_rate), n_steps=n_steps,
                    batch_size=max(2, min(int(self.batch_size), n_steps)), n_epochs=int(self.n_epochs),
                    gamma=float(self.gamma), gae_lambda=float(self.gae_lambda), ent_coef=float(self.ent_coef),
                    clip_range=float(self.clip_range), policy_kwargs={"net_arch": [int(h) for h in self.net_arch]},
                    seed=self.seed, device="cpu", verbose=0)
        self._policy_state = learn_for_budget(model, budget, budget + n_steps)

    def policy_state_dict(self) -> dict[str, Any]:
        """The trained policy's torch parameters (after :meth:`optimize`)."""
        return load_policy_state("ppo", self._policy_state)
