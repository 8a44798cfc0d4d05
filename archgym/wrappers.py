"""Gymnasium wrappers over archgym's envs.

:class:`SequentialDesign` is ArchGym's ``tdm`` formulation: instead of proposing a whole design per
step (``MultiDiscrete``), the agent sets one knob per step with a ``Discrete`` action, and the
design is evaluated when its last knob is set.  Algorithms that only take ``Discrete`` actions
(DQN, QR-DQN, tabular methods) can then search any archgym env::

    env = SequentialDesign(gymnasium.make("archgym/DRAM-v0"))
    model = stable_baselines3.DQN("MlpPolicy", env).learn(1_000)

One simulator evaluation happens every ``len(space)`` steps, so budgets in env steps are that many
times larger than in evaluations; ``info["evaluated"]`` marks the steps that evaluated a design and
``env.unwrapped.evaluations`` counts evaluations as for every other env.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from archgym.errors import InvalidDesignError, InvalidParameterError


class SequentialDesign(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """One knob per step (``Discrete`` actions); the design is evaluated when it is complete.

    Action:
        ``Discrete(N)`` with ``N`` the largest knob's number of values.  For a knob with ``n``
        values, action ``a`` picks index ``a * n // N``: every value is reachable, each gets
        ``N/n`` actions (±1), and the map keeps an ordered knob's order, so neighbouring actions
        mean neighbouring values.

    Observation:
        ``Box`` of the wrapped env's observation (the last evaluated design's normalised metrics
        and feasible flag), then for each knob its chosen index scaled to ``(0, 1]`` (0 while
        unset in the current design), then a one-hot of the knob the next action sets.

    Reward:
        0 on the steps that set a knob, the wrapped env's reward (the objective) on the step that
        completes and evaluates the design.  Use an objective with a finite ``infeasible_reward``
        (every env's default is -1) for value-based learners.

    Episode:
        The wrapped env's episode (``max_steps`` designs) times the number of knobs: it is
        truncated when the wrapped env truncates after an evaluation.

    Info:
        ``knob`` (name of the knob just set), ``evaluated`` (whether this step evaluated a design)
        and, on evaluating steps, the wrapped env's info (``design``, ``metrics``, ``feasible`` …).
    """

    def __init__(self, env: gym.Env):
        gym.utils.RecordConstructorArgs.__init__(self)  # so gymnasium can re-create it (env specs, checkers)
        gym.Wrapper.__init__(self, env)
        inner = env.action_space
        if not isinstance(inner, gym.spaces.MultiDiscrete) or inner.nvec.ndim != 1:
            raise InvalidParameterError(f"SequentialDesign wraps an env with a 1-D MultiDiscrete action space "
                                        f"(a whole design per step), got {inner}")
        obs_space = env.observation_space
        if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
            raise InvalidParameterError(f"SequentialDesign needs a 1-D Box observation space, got {obs_space}")
        self._nvec = inner.nvec.astype(np.int64)
        self._d = len(self._nvec)
        self._n = int(self._nvec.max())
        space = getattr(env.unwrapped, "space", None)
        self._names = list(space.names) if space is not None else [f"knob{j}" for j in range(self._d)]
        self.action_space = gym.spaces.Discrete(self._n)
        k = obs_space.shape[0]
        low = np.concatenate([obs_space.low, np.zeros(2 * self._d)]).astype(np.float32)
        high = np.concatenate([obs_space.high, np.ones(2 * self._d)]).astype(np.float32)
        self.observation_space = gym.spaces.Box(low, high, shape=(k + 2 * self._d,), dtype=np.float32)
        self._inner_obs = np.zeros(k, np.float32)
        self._design = np.zeros(self._d, np.int64)
        self._pos = 0

    def knob_index(self, action: int, position: int) -> int:
        """The index of the value that ``action`` picks for the knob at ``position``."""
        return int(action) * int(self._nvec[position]) // self._n

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        if seed is not None:
            self.action_space.seed(int(self.env.unwrapped.np_random.integers(2**31)))
        self._inner_obs = np.asarray(obs, np.float32)
        self._design[:] = 0
        self._pos = 0
        return self._observation(), info

    def step(self, action: Any):
        a = np.asarray(action)
        if a.shape not in ((), (1,)) or a.dtype.kind not in "iu" or not 0 <= int(a.reshape(-1)[0]) < self._n:
            raise InvalidDesignError(f"SequentialDesign takes one integer action in 0..{self._n - 1}, got {action!r}")
        j = self._pos
        self._design[j] = self.knob_index(int(a.reshape(-1)[0]), j)
        if j < self._d - 1:
            self._pos += 1
            return self._observation(), 0.0, False, False, {"knob": self._names[j], "evaluated": False}
        obs, reward, terminated, truncated, info = self.env.step(self._design.copy())
        self._inner_obs = np.asarray(obs, np.float32)
        self._design[:] = 0
        self._pos = 0
        return self._observation(), float(reward), terminated, truncated, {**info, "knob": self._names[j],
                                                                           "evaluated": True}

    def _observation(self) -> np.ndarray:
        chosen = np.zeros(self._d, np.float32)
        chosen[: self._pos] = (self._design[: self._pos] + 1) / self._nvec[: self._pos]
        onehot = np.zeros(self._d, np.float32)
        onehot[self._pos] = 1.0
        return np.concatenate([self._inner_obs, chosen, onehot]).astype(np.float32)
