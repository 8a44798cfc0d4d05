"""One generic gymnasium environment over any simulator and objective.

ArchGym kept a copy of the env per agent and per simulator.  Here there is one class:
``DesignEnv(simulator, objective)``.  An action is a whole design (a ``MultiDiscrete`` index vector
derived from the simulator's design space), the observation is the design's metrics, normalised,
and the reward is the objective (higher is better).  Each ``step`` is exactly one simulator
evaluation, which is what the run loop's budget counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from archgym.errors import InvalidDesignError, InvalidParameterError
from archgym.objectives import Objective
from archgym.simulator import FEASIBLE, REASON, Simulator

OBS_LIMIT = 50.0


def observation(values: np.ndarray, feasible: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Observation rows from raw metrics ``(n, k)``: ``sign(v)·log1p(|v|/scale)`` clipped to
    ±``OBS_LIMIT``, zeros for infeasible designs and non-finite values, then the feasible flag.

    One definition, shared by the env and by datasets that rebuild episodes (Minari export).
    """
    obs = np.sign(values) * np.log1p(np.abs(values) / scales)
    obs[~feasible] = 0.0
    obs = np.clip(np.where(np.isfinite(obs), obs, 0.0), -OBS_LIMIT, OBS_LIMIT)
    return np.concatenate([obs, feasible[:, None].astype(float)], axis=1).astype(np.float32)


RGB_SIZE = (640, 384)  # width, height of an rgb_array frame in pixels


def render_rgb(title: str, info: Mapping[str, Any] | None, obs: np.ndarray | None, reward: float,
               metric_names: list[str]) -> np.ndarray:
    """An RGB frame ``(height, width, 3)`` of one evaluated design: its knobs as text on the left,
    one horizontal bar per metric (the observation's normalised value, labelled with the raw value)
    on the right.  Drawn on a matplotlib Agg canvas (imported here, so ``import archgym`` stays
    fast; no pyplot, so no global figure state and no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 80
    fig = Figure(figsize=(RGB_SIZE[0] / dpi, RGB_SIZE[1] / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    if info is None or obs is None:
        fig.text(0.5, 0.5, f"{title}\n(no design evaluated yet)", ha="center", va="center", fontsize=12)
    else:
        state = "feasible" if info["feasible"] else f"infeasible: {info['reason']}"
        fig.suptitle(f"{title}  step {info['episode_step']}  reward {reward:.4g}  ({state})", fontsize=10)
        knobs = "\n".join(f"{k} = {v}" for k, v in info["design"].items())
        fig.text(0.01, 0.9, knobs, ha="left", va="top", fontsize=min(8.0, 220 / max(len(info["design"]), 1)),
                 family="monospace")
        ax = fig.add_axes((0.55, 0.08, 0.3, 0.8))
        y = np.arange(len(metric_names))
        ax.barh(y, obs[: len(metric_names)], color="tab:blue" if info["feasible"] else "tab:red")
        ax.set_yticks(y, [f"{n} = {info['metrics'][n]:.3g}" for n in metric_names], fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel("normalised (observation)", fontsize=7)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


class DesignEnv(gym.Env):
    """Design-space exploration as a gymnasium environment.

    Description:
        Each step proposes one complete design; the simulator evaluates it and the objective scores
        it.  Episodes last ``max_steps`` proposals (default 16); the observation carries the
        previous design's metrics, so a policy can refine a design within an episode.  (Gymnasium's
        checker rejects one-step episodes; ``max_steps=1`` still works for bandit-style RL.)

    Observation:
        ``Box(-50, 50)`` of ``len(metrics) + 1`` float32 values: ``sign(v)·log1p(|v|/scale)`` for
        each metric (scale from :class:`~archgym.simulator.Metric`; clipped to ±50, i.e.
        values up to ~1e21·scale), then the feasible flag.  All
        zeros after ``reset``; zeros for the metrics of an infeasible design.

    Action:
        ``MultiDiscrete(space.nvec)``: one index per design parameter.

    Reward:
        ``objective(metrics)``; higher is better.  Infeasible designs get the objective's
        ``infeasible_reward``.

    Info:
        ``design`` (decoded dict), ``metrics`` (raw values with units as named), ``feasible``,
        ``reason``, ``episode_step``.  ``env.unwrapped.evaluations`` counts all evaluations.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, simulator: Simulator, objective: Objective, max_steps: int = 16,
                 render_mode: str | None = None, env_id: str | None = None):
        if isinstance(max_steps, bool) or not isinstance(max_steps, int | np.integer) or not 1 <= max_steps < 2**31:
            raise InvalidParameterError(f"max_steps must be an integer in [1, 2**31 - 1], got {max_steps!r}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise InvalidParameterError(f"render_mode must be None, 'ansi' or 'rgb_array', got {render_mode!r}")
        objective.check(simulator.metric_names)
        self.simulator = simulator
        self.objective = objective
        self.space = simulator.space
        self.max_steps = int(max_steps)
        self.render_mode = render_mode
        self.env_id = env_id or f"archgym/{simulator.name}"
        self.action_space = self.space.to_gym()
        k = len(simulator.metrics) + 1
        self.observation_space = gym.spaces.Box(-OBS_LIMIT, OBS_LIMIT, shape=(k,), dtype=np.float32)
        self._scales = np.array([m.scale for m in simulator.metrics], dtype=float)
        self._steps = 0
        self.evaluations = 0
        self._last: dict[str, Any] | None = None
        self._last_obs: np.ndarray | None = None
        self._last_reward = float("nan")
        #: the last step's validated index vector and raw result (the run loop records from them)
        self.last_indices: np.ndarray | None = None
        self.last_result: dict[str, np.ndarray] | None = None

    # ---- gymnasium API -----------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.action_space.seed(None if seed is None else int(self.np_random.integers(2**31)))
        self._steps = 0
        self._last = None
        self._last_obs = None
        return np.zeros(self.observation_space.shape, dtype=np.float32), {}

    def step(self, action: Any):
        idx = self.check_action(action)
        result = self.simulator.evaluate_indices(idx[None, :])
        return self.step_with(idx, result, float(self.objective(result)[0]))

    def step_with(self, idx: np.ndarray, result: Mapping[str, np.ndarray], reward: float):
        """The episode logic of :meth:`step` for a valid design whose result is already known
        (a replayed evaluation of an interrupted run)."""
        self.evaluations += 1
        self._steps += 1
        obs = self.observe(result)[0]
        info = self._info(idx, result)
        self._last, self._last_obs, self._last_reward = info, obs, reward
        self.last_indices, self.last_result = idx, result
        truncated = self._steps >= self.max_steps
        return obs, reward, False, truncated, info

    def check_action(self, action: Any) -> np.ndarray:
        """One action as a valid index vector: the single place an env action is validated.

        Raises:
            InvalidDesignError: not one design (a batch, a scalar), not integers (booleans are
                refused), or an index out of range (naming the parameter and its range).
        """
        d = len(self.space)
        try:
            a = np.asarray(action)
        except (ValueError, TypeError):  # ragged nested lists
            raise InvalidDesignError(f"env.step takes one design, an index vector of shape ({d},); got "
                                     f"{type(action).__name__} {str(action)[:80]}") from None
        if a.shape != (d,):
            raise InvalidDesignError(f"env.step takes one design, an index vector of shape ({d},); got shape "
                                     f"{a.shape} (evaluate a batch with env.unwrapped.evaluate)")
        if a.dtype.kind not in "iu":
            if a.dtype.kind != "f" or not np.all(np.isfinite(a) & (a == np.floor(a))):
                raise InvalidDesignError(f"an action must hold integer indices, got {a.dtype} values {a.tolist()}")
            # range-checked before the cast, so 1e300 is reported as itself, not as a wrapped int64
            a = np.where((a >= 0) & (a < self.space._nvec), a, np.where(a < 0, -1, self.space._nvec)).astype(np.int64)
        bad = (a < 0) | (a >= self.space._nvec)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            p = self.space.params[j]
            raise InvalidDesignError(f"index {np.asarray(action).reshape(-1)[j].item()!r} for parameter {p.name!r} is out "
                                     f"of range 0..{p.n - 1}")
        return a.astype(np.int64, copy=False)

    def render(self) -> str | np.ndarray | None:
        """``"ansi"``: the last design and its metrics as one line.  ``"rgb_array"``: a picture of
        them, ``(384, 640, 3)`` uint8 — the design's knobs beside one bar per normalised metric —
        which SB3's ``make_vec_env`` asks for by default and rl_zoo3 records as video frames."""
        if self.render_mode == "rgb_array":
            return render_rgb(self.env_id, self._last, self._last_obs, self._last_reward,
                              [m.name for m in self.simulator.metrics])
        if self.render_mode != "ansi":
            return None
        if self._last is None:
            return "(no design evaluated yet)"
        m = ", ".join(f"{k}={v:.4g}" for k, v in self._last["metrics"].items())
        return f"design={self._last['design']} feasible={self._last['feasible']} {m}"

    # ---- helpers shared with the run loop and the parallel env -------------------------
    def observe(self, result: Mapping[str, np.ndarray]) -> np.ndarray:
        """Normalised observation rows for an ``evaluate`` result."""
        vals = np.stack([np.asarray(result[m.name], dtype=float) for m in self.simulator.metrics], axis=1)
        return observation(vals, np.asarray(result[FEASIBLE], dtype=bool), self._scales)

    def _info(self, idx: np.ndarray, result: Mapping[str, np.ndarray]) -> dict[str, Any]:
        design = self.space.decode_row(idx)
        metrics = {m.name: float(result[m.name][0]) for m in self.simulator.metrics}
        extra = {k: v[0] for k, v in result.items() if k not in metrics and k not in (FEASIBLE, REASON)}
        info = {"design": design, "metrics": metrics, "feasible": bool(result[FEASIBLE][0]),
                "reason": str(result[REASON][0]), "episode_step": self._steps}
        if extra:
            info["extra"] = {k: (v.item() if hasattr(v, "item") else v) for k, v in extra.items()}
        return info

    def evaluate(self, designs: Any) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Evaluate a batch outside the episode logic: (metrics, rewards).  Counts evaluations."""
        result = self.simulator.evaluate(designs)
        self.evaluations += len(result[FEASIBLE])
        return result, self.objective(result)

    def evaluate_indices(self, indices: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """:meth:`evaluate` for an ``(n, d)`` index array already known to be valid (the run loop's
        batch path: ask/tell agents that propose several designs at once)."""
        result = self.simulator.evaluate_indices(indices)
        self.evaluations += len(indices)
        return result, self.objective(result)
