"""Multi-agent RL with shared parameters (``marl_shared``) and a centralised critic (``mappo``).

Two standard answers to the weaknesses of independent learners (:mod:`archgym.agents.marl`), in
the formulation of "Multi-Agent Reinforcement Learning for Microprocessor Design Space Exploration"
(arXiv 2211.16385): one agent per knob or per knob group (``groups=``), all acting at once on the
shared observation, one joint action = one counted simulator evaluation
(:class:`~archgym.parallel.DesignParallelEnv` around the run loop's budgeted env), shared reward.

* ``marl_shared`` — **parameter sharing** (Gupta et al. 2017; Terry et al. 2020): one policy network
  for all agents, with the agent's identity as a one-hot input and the output masked to the
  agent's own action count.  Every evaluation trains the same weights once per agent, so the
  policy sees ``n_agents`` times more gradient signal than an independent learner does.
  Advantages are the scale-free centred reward ranks that ``marl`` uses, so the two differ only
  in sharing (and in the MLP).
* ``mappo`` — **centralised training, decentralised execution** (MAPPO, Yu et al. 2022): one
  actor per agent that sees only the shared observation, and one value network over the *joint*
  observation — the shared metrics plus every agent's previous action (one-hot), i.e. the union
  of what the agents see.  Advantages are ``r − V(s)`` on running-standardised rewards, so the
  baseline is learned rather than ranked.

Implemented directly in torch (small MLPs, one full-batch clipped-surrogate update per
``batch_size`` evaluations) rather than with a MARL framework: the maintained ones (RLlib,
MARLlib, EPyMARL, BenchMARL/TorchRL) each bring a trainer, an episode model and dependencies that
outweigh these ~100 lines of algorithm, and none of them runs under an exact evaluation budget.
As in ``marl`` and ``ppo``, the discount is 0: a design's reward does not depend on later
proposals, so the return of a joint action is its own reward.  One torch thread; same seed ⇒ same
trajectory.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from archgym.agent import Agent
from archgym.agents.common import GROUPS_CONSTRAINT, Fitness, group_shapes
from archgym.constraints import Interval, IntList, Satisfies
from archgym.errors import StateError

_COMMON = {"groups": GROUPS_CONSTRAINT, "learning_rate": [Interval(float, 0, None, "neither")],
           "batch_size": [Interval(int, 2)], "n_epochs": [Interval(int, 1)],
           "clip_range": [Interval(float, 0, None, "neither")], "ent_coef": [Interval(float, 0)],
           "net_arch": [Satisfies(lambda v: isinstance(v, list | tuple) and all(IntList(1).accepts([h]) for h in v),
                                  "a list of hidden-layer sizes >= 1 (empty: linear)")]}


def _mlp(n_in: int, hidden: list[int], n_out: int, head_gain: float = 1.0):
    """Tanh MLP; ``head_gain`` scales the output layer's initial weights (0.01 for policies, as in
    MAPPO's and SB3's PPO, so every agent starts from a nearly uniform policy)."""
    import torch
    import torch.nn as nn

    layers, width = [], n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.Tanh()]
        width = h
    head = nn.Linear(width, n_out)
    with torch.no_grad():
        head.weight.mul_(head_gain)
        head.bias.zero_()
    layers.append(head)
    return nn.Sequential(*layers)


class _TorchMARL(Agent):
    """What both variants share: agents from ``groups``, observation features, the rollout loop
    and the clipped-surrogate actor update.  Subclasses build the networks and the advantages."""

    drives_env = True
    test_config = {"batch_size": 4, "net_arch": [16]}

    def __init__(self, seed: int | None = None, groups: list[list[str]] | dict[str, list[str]] | None = None,
                 learning_rate: float = 0.01, batch_size: int = 8, n_epochs: int = 4, clip_range: float = 0.3,
                 ent_coef: float = 0.005, net_arch: tuple[int, ...] | list[int] = (32,)):
        super().__init__(seed)
        self.groups = groups
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.clip_range = clip_range
        self.ent_coef = ent_coef
        self.net_arch = net_arch

    def setup(self, space, budget, objective=None) -> None:
        super().setup(space, budget, objective)
        slices, self._shapes = group_shapes(self.name, space, self.groups)
        self._agents = list(slices)
        self._sizes = np.array([math.prod(self._shapes[a]) for a in self._agents], dtype=np.int64)
        self._fit = Fitness(objective)
        self._nets: dict[str, Any] | None = None  # built on the first observation
        self._obs_stats = (0, None, None)  # count, mean, M2 (Welford)
        self.updates = 0

    # ---- features -----------------------------------------------------------------------
    def _features(self, obs: np.ndarray) -> np.ndarray:
        n, mean, m2 = self._obs_stats
        obs = np.asarray(obs, dtype=np.float64)
        z = np.zeros_like(obs) if n < 2 else np.clip((obs - mean) / (np.sqrt(m2 / (n - 1)) + 1e-6), -5.0, 5.0)
        return z.astype(np.float32)

    def _track(self, obs: np.ndarray) -> None:
        n, mean, m2 = self._obs_stats
        obs = np.asarray(obs, dtype=np.float64)
        if mean is None:
            mean, m2 = np.zeros_like(obs), np.zeros_like(obs)
        n += 1
        d = obs - mean
        mean = mean + d / n
        self._obs_stats = (n, mean, m2 + d * (obs - mean))

    # ---- subclass hooks -------------------------------------------------------------------
    def _build(self, n_obs: int) -> dict[str, Any]:
        raise NotImplementedError

    def _logits(self, x) -> Any:
        """Masked logits, shape (batch, n_agents, max actions), for features ``x`` (batch, n_obs)."""
        raise NotImplementedError

    def _advantages(self, x, prev, rewards: np.ndarray) -> Any:
        raise NotImplementedError

    # ---- acting and learning --------------------------------------------------------------
    def _act(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.no_grad():
            logp = torch.log_softmax(self._logits(torch.from_numpy(x[None, :])), dim=-1)[0].double().numpy()
        acts = np.empty(len(self._agents), dtype=np.int64)
        for i, n in enumerate(self._sizes):
            p = np.exp(logp[i, :n])
            acts[i] = int(self.rng.choice(int(n), p=p / p.sum()))
        return acts, logp[np.arange(len(acts)), acts]

    def _joint(self, acts: np.ndarray) -> dict[str, Any]:
        out = {}
        for a, k in zip(self._agents, acts, strict=True):
            shape = self._shapes[a]
            out[a] = int(k) if len(shape) == 1 else np.array(np.unravel_index(int(k), shape), dtype=np.int64)
        return out

    def _learn(self, xs: list[np.ndarray], prevs: list[np.ndarray], acts: list[np.ndarray],
               logps: list[np.ndarray], rewards: list[float]) -> None:
        import torch

        x = torch.from_numpy(np.stack(xs))
        prev = torch.from_numpy(np.stack(prevs))
        a = torch.from_numpy(np.stack(acts))
        logp_old = torch.from_numpy(np.stack(logps)).float()
        adv = self._advantages(x, prev, np.asarray(rewards, dtype=np.float64))
        clip = float(self.clip_range)
        for _ in range(int(self.n_epochs)):
            logp_all = torch.log_softmax(self._logits(x), dim=-1)  # (B, n_agents, A)
            logp = logp_all.gather(-1, a.unsqueeze(-1)).squeeze(-1)
            ratio = torch.exp(logp - logp_old)
            adv_b = adv.unsqueeze(1)
            surrogate = torch.min(ratio * adv_b, torch.clamp(ratio, 1 - clip, 1 + clip) * adv_b)
            p = logp_all.exp()
            entropy = -(torch.where(p > 0, p * logp_all, torch.zeros_like(p))).sum(-1)
            loss = -(surrogate.mean() + float(self.ent_coef) * entropy.mean()) + self._extra_loss(x, prev)
            self._opt.zero_grad()
            loss.backward()
            self._opt.step()
        self.updates += 1

    def _extra_loss(self, x, prev) -> Any:
        return 0.0

    def _prev_onehot(self, acts: np.ndarray | None) -> np.ndarray:
        """The previous joint action, one-hot per agent (zeros before the first action)."""
        out = np.zeros(int(self._sizes.sum()), dtype=np.float32)
        if acts is not None:
            out[np.concatenate([[0], np.cumsum(self._sizes)[:-1]]) + acts] = 1.0
        return out

    def optimize(self, env, budget: int) -> None:
        """Run the agents on ``env`` (the run loop's budgeted env) for exactly ``budget`` steps."""
        import torch

        from archgym.parallel import DesignParallelEnv

        torch.set_num_threads(1)
        penv = DesignParallelEnv(env, groups=self.groups)
        obs_d, _ = penv.reset()
        obs = next(iter(obs_d.values()))
        if self._nets is None:
            torch.manual_seed(int(self.rng.integers(2**31)))
            self._nets = self._build(len(obs))
            params = [p for net in self._nets.values() for p in net.parameters()]
            self._opt = torch.optim.Adam(params, lr=float(self.learning_rate))
        prev_acts = None
        batch: tuple[list, ...] = ([], [], [], [], [])
        for _ in range(int(budget)):
            x = self._features(obs)
            acts, logp = self._act(x)
            obs_d, rew, _, _, _ = penv.step(self._joint(acts))
            for part, v in zip(batch, (x, self._prev_onehot(prev_acts), acts, logp,
                                       self._fit.scalar(next(iter(rew.values())))), strict=True):
                part.append(v)
            self._track(obs)
            obs, prev_acts = next(iter(obs_d.values())), acts
            if not penv.agents:
                obs_d, _ = penv.reset()
                obs, prev_acts = next(iter(obs_d.values())), None
            if len(batch[0]) >= int(self.batch_size):
                self._learn(*batch)
                batch = ([], [], [], [], [])

    def policy_probs(self, obs: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each agent's action probabilities for an observation (default: the reset observation)."""
        import torch

        if self._nets is None:
            raise StateError(f"{self.name}: no policies yet; run optimize() first")
        n_obs = len(self._obs_stats[1]) if self._obs_stats[1] is not None else None
        x = self._features(np.zeros(n_obs or 1) if obs is None else np.asarray(obs, float))
        with torch.no_grad():
            p = torch.softmax(self._logits(torch.from_numpy(x[None, :])), dim=-1)[0].double().numpy()
        return {a: p[i, :n] for i, (a, n) in enumerate(zip(self._agents, self._sizes, strict=True))}


class SharedMARLAgent(_TorchMARL):
    """Parameter sharing: one policy MLP for every agent, agent identity one-hot as input.

    Args:
        seed: random seed (network initialisation and action sampling).
        groups: ``None`` = one agent per knob (default); or a list of knob-name lists / a mapping
            agent name → knob names (a group agent's action is one of the product of its knobs'
            values, at most 4096).
        learning_rate: Adam step size (default 0.03; range 1e-4–0.1).
        batch_size: joint actions (evaluations) per update (default 8; range 4–256).
        n_epochs: full-batch Adam steps per update (default 4; range 1–20).
        clip_range: PPO ratio clip (default 0.3).
        ent_coef: entropy bonus (default 0.005; range 0–0.1).
        net_arch: hidden layer sizes of the shared policy (default (32,)).
        baseline_window: recent rewards that advantages are ranked against (default 64; at least
            ``batch_size`` are always used).
    """

    name = "marl_shared"
    parameter_constraints = {**_COMMON, "baseline_window": [Interval(int, 1)]}

    def __init__(self, seed: int | None = None, groups: list[list[str]] | dict[str, list[str]] | None = None,
                 learning_rate: float = 0.03, batch_size: int = 8, n_epochs: int = 4, clip_range: float = 0.3,
                 ent_coef: float = 0.005, net_arch: tuple[int, ...] | list[int] = (32,), baseline_window: int = 64):
        super().__init__(seed, groups, learning_rate, batch_size, n_epochs, clip_range, ent_coef, net_arch)
        self.baseline_window = baseline_window

    def _build(self, n_obs: int) -> dict[str, Any]:
        import torch

        n = len(self._agents)
        amax = int(self._sizes.max())
        self._ids = torch.eye(n)
        self._mask = torch.tensor(np.arange(amax)[None, :] >= self._sizes[:, None])  # True = not an action
        self._history: list[float] = []
        return {"policy": _mlp(n_obs + n, [int(h) for h in self.net_arch], amax)}

    def _logits(self, x):
        import torch

        b, n = x.shape[0], len(self._agents)
        inp = torch.cat([x.unsqueeze(1).expand(b, n, x.shape[1]), self._ids.unsqueeze(0).expand(b, n, n)], dim=-1)
        return self._nets["policy"](inp).masked_fill(self._mask, -1e9)

    def _advantages(self, x, prev, rewards: np.ndarray):
        import torch

        self._history = (self._history + rewards.tolist())[-max(int(self.baseline_window), len(rewards)):]
        hist = np.sort(np.asarray(self._history))
        below = np.searchsorted(hist, rewards, side="left")
        upto = np.searchsorted(hist, rewards, side="right")
        return torch.from_numpy((below + upto) / (2.0 * len(hist)) - 0.5).float()


class MAPPOAgent(_TorchMARL):
    """Centralised critic: one actor per agent, one value network over the joint observation.

    Args:
        seed: random seed (network initialisation and action sampling).
        groups: as for ``marl_shared``.
        learning_rate: Adam step size of actors and critic (default 0.01; range 1e-4–0.1).
        batch_size: joint actions (evaluations) per update (default 8; range 4–256).
        n_epochs: full-batch Adam steps per update (default 4; range 1–20).
        clip_range: PPO ratio clip (default 0.3).
        ent_coef: entropy bonus (default 0.005; range 0–0.1).
        net_arch: hidden layer sizes of each actor and of the critic (default (32,)).
        vf_coef: weight of the critic's squared error in the loss (default 0.5).
    """

    name = "mappo"
    parameter_constraints = {**_COMMON, "vf_coef": [Interval(float, 0, None, "neither")]}

    def __init__(self, seed: int | None = None, groups: list[list[str]] | dict[str, list[str]] | None = None,
                 learning_rate: float = 0.01, batch_size: int = 8, n_epochs: int = 4, clip_range: float = 0.3,
                 ent_coef: float = 0.005, net_arch: tuple[int, ...] | list[int] = (32,), vf_coef: float = 0.5):
        super().__init__(seed, groups, learning_rate, batch_size, n_epochs, clip_range, ent_coef, net_arch)
        self.vf_coef = vf_coef

    def _build(self, n_obs: int) -> dict[str, Any]:
        import torch

        hidden = [int(h) for h in self.net_arch]
        amax = int(self._sizes.max())
        self._mask = torch.tensor(np.arange(amax)[None, :] >= self._sizes[:, None])
        self._r_stats = (0, 0.0, 0.0)
        self._target = None
        nets = {f"actor:{a}": _mlp(n_obs, hidden, int(n), head_gain=0.01) for a, n in zip(self._agents, self._sizes, strict=True)}
        nets["critic"] = _mlp(n_obs + int(self._sizes.sum()), hidden, 1)
        return nets

    def _logits(self, x):
        import torch
        import torch.nn.functional as F

        amax = int(self._sizes.max())
        out = [F.pad(self._nets[f"actor:{a}"](x), (0, amax - int(n)))
               for a, n in zip(self._agents, self._sizes, strict=True)]
        return torch.stack(out, dim=1).masked_fill(self._mask, -1e9)

    def _value(self, x, prev):
        import torch

        return self._nets["critic"](torch.cat([x, prev], dim=-1)).squeeze(-1)

    def _advantages(self, x, prev, rewards: np.ndarray):
        import torch

        n, mean, m2 = self._r_stats
        for r in rewards:  # running standardisation (Welford), as ppo's FiniteReward
            n += 1
            d = r - mean
            mean += d / n
            m2 += d * (r - mean)
        self._r_stats = (n, mean, m2)
        sd = math.sqrt(m2 / (n - 1)) if n > 1 else 1.0
        target = torch.from_numpy(np.clip((rewards - mean) / (sd + 1e-8), -5.0, 5.0)).float()
        self._target = target
        with torch.no_grad():
            return target - self._value(x, prev)

    def _extra_loss(self, x, prev):
        return float(self.vf_coef) * ((self._value(x, prev) - self._target) ** 2).mean()
