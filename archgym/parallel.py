"""The multi-agent view of any archgym env: one PettingZoo agent per knob (or per knob group).

This is the formulation of "Multi-Agent Reinforcement Learning for Microprocessor Design Space
Exploration" (arXiv 2211.16385), which ArchGym's DRAM work built on: the design is split among
decentralised agents, each choosing the value of its own parameter(s), and all agents receive the
same (shared) reward.  ArchGym's ``macme`` form was a DRAM-only env; here :class:`DesignParallelEnv`
wraps *any* :class:`~archgym.envs.DesignEnv` (or a wrapper of one, such as the run loop's
budgeted env), so each registered env has a multi-agent view without another env class.

Each parallel step composes the agents' actions into one joint design and takes exactly one step
of the wrapped gymnasium env, i.e. one simulator evaluation, so budgets and datasets are the same as
for single-agent search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from pettingzoo import ParallelEnv

from archgym.envs import DesignEnv
from archgym.errors import InvalidParameterError, StateError, UnknownNameError

Groups = Mapping[str, Sequence[str]] | Sequence[Sequence[str]] | None


def resolve_groups(names: Sequence[str], groups: Groups) -> dict[str, list[int]]:
    """Agent name → parameter positions.  ``None``: one agent per knob, named after the knob.

    A list of lists names groups ``group0``, ``group1``, …; a mapping names them explicitly.  Every
    knob must belong to exactly one group.
    """
    pos = {n: i for i, n in enumerate(names)}
    if groups is None:
        return {n: [i] for n, i in pos.items()}
    items = list(groups.items()) if isinstance(groups, Mapping) else \
        [(f"group{i}", g) for i, g in enumerate(groups)]
    out: dict[str, list[int]] = {}
    seen: dict[str, str] = {}
    for agent, knobs in items:
        if isinstance(knobs, str) or not len(knobs):
            raise InvalidParameterError(f"group {agent!r} must be a non-empty list of knob names, got {knobs!r}")
        for k in knobs:
            if k not in pos:
                raise InvalidParameterError(f"group {agent!r}: unknown knob {k!r}; knobs are {list(names)}")
            if k in seen:
                raise InvalidParameterError(f"knob {k!r} is in both group {seen[k]!r} and group {agent!r}")
            seen[k] = str(agent)
        out[str(agent)] = [pos[k] for k in knobs]
    missing = [n for n in names if n not in seen]
    if missing:
        raise InvalidParameterError(f"knob(s) {missing} belong to no group; every knob needs exactly one agent")
    return out


class DesignParallelEnv(ParallelEnv):
    """Design-space exploration as a cooperative PettingZoo ``ParallelEnv``.

    Description:
        Agents are the design knobs (``groups=None``) or named groups of knobs (e.g. one agent per
        sub-system).  Every step all live agents act at once; their actions form one design, which
        the wrapped env evaluates.  All agents get the same reward and are truncated together
        after the wrapped env's ``max_steps`` proposals.

    Observation:
        The wrapped env's observation (normalised metrics of the last design + feasible flag),
        shared by all agents.

    Action:
        ``Discrete(n)`` for a single-knob agent (``n`` values of its knob), ``MultiDiscrete`` of
        its knobs' sizes for a group agent.

    Info:
        Each agent gets the wrapped env's info (decoded design, metrics, feasibility).

    Args:
        env: an archgym env (``gymnasium.make("archgym/...")``), a ``DesignEnv``, or a wrapper of
            one (the run loop passes its budgeted env, so every evaluation is counted and logged).
        groups: ``None`` (one agent per knob), a list of knob-name lists, or a mapping
            agent name → knob names.
    """

    metadata = {"name": "archgym_design_parallel_v0", "render_modes": ["ansi"], "is_parallelizable": True}

    def __init__(self, env: gym.Env, groups: Groups = None):
        base = env.unwrapped
        if not isinstance(base, DesignEnv):
            raise InvalidParameterError(f"DesignParallelEnv wraps an archgym DesignEnv, got {type(base).__name__}")
        self.env = env
        self.space = base.space
        self.render_mode = base.render_mode
        self.slices = resolve_groups(self.space.names, groups)
        self.possible_agents = list(self.slices)
        self.agents: list[str] = []
        nvec = self.space.nvec
        self._action_spaces: dict[str, gym.Space] = {
            a: gym.spaces.Discrete(int(nvec[ix[0]])) if len(ix) == 1 else gym.spaces.MultiDiscrete(nvec[ix])
            for a, ix in self.slices.items()}
        self._obs_space = base.observation_space  # one object per agent, as PettingZoo requires
        self._last_obs = np.zeros(self._obs_space.shape, np.float32)

    def observation_space(self, agent: str) -> gym.Space:
        self._check_agent(agent)
        return self._obs_space

    def action_space(self, agent: str) -> gym.Space:
        self._check_agent(agent)
        return self._action_spaces[agent]

    def _check_agent(self, agent: str) -> None:
        if agent not in self.slices:
            raise UnknownNameError("agent of this env", agent, self.possible_agents)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            for i, a in enumerate(self.possible_agents):
                self._action_spaces[a].seed(int(seed) + 1 + i)
        self.agents = list(self.possible_agents)
        self._last_obs = obs
        return {a: obs for a in self.agents}, {a: dict(info) for a in self.agents}

    def joint_action(self, actions: Mapping[str, Any]) -> np.ndarray:
        """Compose per-agent actions into one index vector (the wrapped env's action)."""
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise InvalidParameterError(f"every live agent must act each step; no action for {missing}")
        extra = [a for a in actions if a not in self.slices]
        if extra:
            raise InvalidParameterError(f"actions for unknown agent(s) {extra}; agents are {self.possible_agents}")
        joint = np.zeros(len(self.space), dtype=np.int64)
        for a, ix in self.slices.items():
            joint[ix] = np.asarray(actions[a], dtype=np.int64).reshape(-1)
        return joint

    def step(self, actions: Mapping[str, Any]):
        if not self.agents:
            raise StateError("step() after the episode ended; call reset()")
        obs, reward, terminated, truncated, info = self.env.step(self.joint_action(actions))
        agents = self.agents
        self._last_obs = obs
        out = ({a: obs for a in agents}, {a: float(reward) for a in agents},
               {a: bool(terminated) for a in agents}, {a: bool(truncated) for a in agents},
               {a: info for a in agents})
        if terminated or truncated:
            self.agents = []
        return out

    def render(self) -> str | None:
        return self.env.render()

    def close(self) -> None:
        self.env.close()

    def state(self) -> np.ndarray:
        """The global state is the shared observation of the last design."""
        return self._last_obs


def parallel_env(env_id_or_env: str | gym.Env, groups: Groups = None, **kwargs: Any) -> DesignParallelEnv:
    """The PettingZoo view of an env: ``parallel_env("archgym/DRAM-v0")``.

    Args:
        env_id_or_env: an env id (made with ``gymnasium.make(id, **kwargs)``) or an env.
        groups: see :class:`DesignParallelEnv`.
        **kwargs: env kwargs (objective, workload, max_steps, …) when given an id.
    """
    if isinstance(env_id_or_env, str):
        from archgym.registry import make

        env = make(env_id_or_env, **kwargs)
    else:
        if kwargs:
            raise InvalidParameterError("env kwargs only apply when the env is given by id")
        env = env_id_or_env
    return DesignParallelEnv(env, groups=groups)
