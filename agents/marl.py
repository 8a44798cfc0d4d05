"""Multi-agent RL (``marl``): one decentralised policy per knob (or knob group), shared reward.

The formulation is that of "Multi-Agent Reinforcement Learning for Microprocessor Design Space
Exploration" (arXiv 2211.16385), the seed of ArchGym's DRAM work: each agent owns one parameter
(or one sub-system's parameters), acts from the shared observation, and all agents are trained on
the same reward.  The agent drives :class:`~archgym.parallel.DesignParallelEnv` wrapped around the
run loop's budgeted env, so each joint action is exactly one counted, logged evaluation.

Why this learner (independent PPO-style learners in numpy, not SB3 with parameter sharing):

* *Decentralised by construction.*  Knobs have different action sizes (2 to 128 values), so a
  shared network would need padding and masking; independent learners keep one small policy per
  agent, exactly the paper's structure.
* *Bandit-shaped credit.*  A design's reward does not depend on later proposals, so the return of
  a joint action is its own reward (discount 0).  Each policy is a linear-softmax over the shared
  observation (metrics of the previous design); advantages are centred reward ranks within the
  batch, which is robust to the wildly different reward scales of archgym objectives and to
  infeasible designs.
* *Sample efficiency at DSE budgets.*  The clipped surrogate lets each batch be reused for
  ``n_epochs`` Adam steps without the policy collapsing, which matters when the whole budget is a
  few hundred evaluations.
* *Fast and bit-reproducible.*  Pure numpy on one thread: microseconds per step, and the same seed
  gives the same trajectory on every machine with the same numpy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from archgym.agent import Agent
from archgym.agents.common import GROUPS_CONSTRAINT, Fitness, group_shapes
from archgym.constraints import Interval
from archgym.errors import StateError


class _Policy:
    """Linear-softmax categorical policy with an Adam optimiser (one per agent)."""

    def __init__(self, n_features: int, n_actions: int):
        self.w = np.zeros((n_features, n_actions))
        self.m = np.zeros_like(self.w)
        self.v = np.zeros_like(self.w)
        self.t = 0

    def probs(self, x: np.ndarray) -> np.ndarray:
        z = x @ self.w
        z -= z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def update(self, x: np.ndarray, a: np.ndarray, logp_old: np.ndarray, adv: np.ndarray, lr: float,
               clip: float, ent_coef: float) -> None:
        """One Adam ascent step on the clipped surrogate plus an entropy bonus."""
        p = self.probs(x)
        rows = np.arange(len(a))
        ratio = np.exp(np.log(p[rows, a] + 1e-12) - logp_old)
        active = ((adv > 0) & (ratio < 1 + clip)) | ((adv < 0) & (ratio > 1 - clip))
        onehot = np.zeros_like(p)
        onehot[rows, a] = 1.0
        g = (adv * ratio * active)[:, None] * (onehot - p)
        if ent_coef:
            logp = np.log(p + 1e-12)
            ent = -(p * logp).sum(axis=1, keepdims=True)
            g += ent_coef * (-p * (logp + ent))
        grad = x.T @ g / len(a)
        self.t += 1
        self.m = 0.9 * self.m + 0.1 * grad
        self.v = 0.999 * self.v + 0.001 * grad**2
        mhat = self.m / (1 - 0.9**self.t)
        vhat = self.v / (1 - 0.999**self.t)
        self.w += lr * mhat / (np.sqrt(vhat) + 1e-8)


class MARLAgent(Agent):
    """Independent PPO-style learners, one per knob or knob group, with a shared reward.

    Args:
        seed: random seed (action sampling).
        groups: ``None`` = one agent per knob (default); or a list of knob-name lists / a mapping
            agent name → knob names (one agent per sub-system; a group's policy is a categorical
            over the product of its knobs' values, at most 4096 joint actions).
        learning_rate: Adam step size (default 0.03; range 1e-3–0.5).
        batch_size: joint actions per policy update (default 8; range 4–256).
        n_epochs: Adam steps per batch (default 4; range 1–20).
        clip_range: PPO ratio clip (default 0.3; range 0.05–1).
        ent_coef: entropy bonus, keeps the policies from collapsing early (default 0.005; range 0–0.1).
        baseline_window: recent rewards that advantages are ranked against (default 64; range
            ``batch_size``–1000; ``batch_size`` = rank within the batch only).
        use_obs: condition policies on the shared observation (default True); False gives
            state-less per-knob bandits.
    """

    name = "marl"
    test_config = {"batch_size": 4}
    parameter_constraints = {"groups": GROUPS_CONSTRAINT,
                             "learning_rate": [Interval(float, 0, None, "neither")], "batch_size": [Interval(int, 2)],
                             "n_epochs": [Interval(int, 1)], "clip_range": [Interval(float, 0, None, "neither")],
                             "ent_coef": [Interval(float, 0)], "baseline_window": [Interval(int, 1)], "use_obs": [bool]}
    drives_env = True

    def __init__(self, seed: int | None = None, groups: list[list[str]] | dict[str, list[str]] | None = None,
                 learning_rate: float = 0.03, batch_size: int = 8, n_epochs: int = 4, clip_range: float = 0.3,
                 ent_coef: float = 0.005, baseline_window: int = 64, use_obs: bool = True):
        super().__init__(seed)
        self.groups = groups
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.clip_range = clip_range
        self.ent_coef = ent_coef
        self.baseline_window = baseline_window
        self.use_obs = use_obs

    def setup(self, space, budget, objective=None) -> None:
        super().setup(space, budget, objective)  # checks parameter_constraints
        self._slices, self._shapes = group_shapes("marl", space, self.groups)
        self._fit = Fitness(objective)
        self._policies: dict[str, _Policy] | None = None  # built on the first observation
        self._obs_stats = (0, None, None)  # count, mean, M2 (Welford)
        self._history: list[float] = []
        self.updates = 0

    # ---- features -----------------------------------------------------------------------
    def _features(self, obs: np.ndarray) -> np.ndarray:
        if not self.use_obs:
            return np.ones(1)
        n, mean, m2 = self._obs_stats
        if n < 2:
            z = np.zeros_like(obs, dtype=float)
        else:
            z = np.clip((obs - mean) / (np.sqrt(m2 / (n - 1)) + 1e-6), -5.0, 5.0)
        return np.append(z, 1.0)

    def _track(self, obs: np.ndarray) -> None:
        n, mean, m2 = self._obs_stats
        obs = np.asarray(obs, dtype=float)
        if mean is None:
            mean, m2 = np.zeros_like(obs), np.zeros_like(obs)
        n += 1
        d = obs - mean
        mean = mean + d / n
        m2 = m2 + d * (obs - mean)
        self._obs_stats = (n, mean, m2)

    # ---- acting and learning --------------------------------------------------------------
    def _act(self, x: np.ndarray) -> tuple[dict[str, Any], dict[str, tuple[int, float]]]:
        actions, taken = {}, {}
        for a, pol in self._policies.items():
            p = pol.probs(x[None, :])[0]
            k = int(self.rng.choice(len(p), p=p))
            shape = self._shapes[a]
            actions[a] = k if len(shape) == 1 else np.array(np.unravel_index(k, shape), dtype=np.int64)
            taken[a] = (k, float(np.log(p[k] + 1e-12)))
        return actions, taken

    def _learn(self, xs: list[np.ndarray], taken: list[dict[str, tuple[int, float]]], rewards: list[float]) -> None:
        r = np.asarray(rewards)
        self._history = (self._history + list(rewards))[-max(int(self.baseline_window), len(r)):]
        hist = np.sort(np.asarray(self._history))
        # advantage = centred rank of each reward among the recent rewards (ties count half):
        # a scale-free baseline with far less variance than the mean of one small batch
        below = np.searchsorted(hist, r, side="left")
        upto = np.searchsorted(hist, r, side="right")
        adv = (below + upto) / (2.0 * len(hist)) - 0.5
        x = np.stack(xs)
        for a, pol in self._policies.items():
            act = np.array([t[a][0] for t in taken])
            logp = np.array([t[a][1] for t in taken])
            for _ in range(int(self.n_epochs)):
                pol.update(x, act, logp, adv, float(self.learning_rate), float(self.clip_range),
                           float(self.ent_coef))
        self.updates += 1

    def optimize(self, env, budget: int) -> None:
        """Run the agents on ``env`` (the run loop's budgeted env) for exactly ``budget`` steps."""
        from archgym.parallel import DesignParallelEnv

        penv = DesignParallelEnv(env, groups=self.groups)
        obs_d, _ = penv.reset()
        obs = next(iter(obs_d.values()))
        if self._policies is None:
            nf = len(self._features(obs))
            self._policies = {a: _Policy(nf, math.prod(s)) for a, s in self._shapes.items()}
        xs, taken, rewards = [], [], []
        for _ in range(int(budget)):
            x = self._features(obs)
            actions, t = self._act(x)
            obs_d, rew, term, trunc, _ = penv.step(actions)
            reward = next(iter(rew.values()))
            xs.append(x)
            taken.append(t)
            rewards.append(self._fit.scalar(reward))
            self._track(obs)
            obs = next(iter(obs_d.values()))
            if not penv.agents:
                obs_d, _ = penv.reset()
                obs = next(iter(obs_d.values()))
            if len(rewards) >= int(self.batch_size):
                self._learn(xs, taken, rewards)
                xs, taken, rewards = [], [], []

    def policy_probs(self, obs: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each agent's action probabilities for an observation (default: the reset observation)."""
        if self._policies is None:
            raise StateError("marl: no policies yet; run optimize() first")
        n = self._policies[next(iter(self._policies))].w.shape[0]
        x = self._features(np.zeros(n - 1) if obs is None else np.asarray(obs, float))
        return {a: pol.probs(x[None, :])[0] for a, pol in self._policies.items()}
