"""Check that every agent of the study is *anytime*: its first ``n`` proposals under budget ``N > n``
equal its whole run under budget ``n``, bit for bit.  This is what lets the study read its smaller
budget level from the first evaluations of the larger-budget runs.

    python experiments/marl/prefix_check.py            # DRAM random/low_power, seeds 0-1, 60 vs 120
"""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium as gym

import archgym  # noqa: F401  (registers the envs)
from archgym.registry import make_agent
from archgym.runner import run

sys.path.insert(0, str(Path(__file__).parent))
from make_specs import GROUPS, MARL, SINGLE  # noqa: E402


def designs(res, n: int) -> list:
    cols = [c for c in res.trajectory.columns if c.startswith("design.")]
    return res.trajectory[cols].head(n).values.tolist(), res.trajectory["reward"].head(n).tolist()


def main(small: int = 60, large: int = 120) -> None:
    configs = [(n, {}) for n in MARL] + [(n, {"groups": GROUPS["dram"]}) for n in MARL] + [(n, {}) for n in SINGLE]
    bad = []
    for name, hp in configs:
        for seed in (0, 1):
            env = lambda: gym.make("archgym/DRAM-v0", trace="random",  # noqa: E731
                                   objective={"kind": "target", "targets": {"power_mW": 1464.2208}, "norm": "l2"})
            a = run(env(), make_agent(name, seed=seed, **hp), small, seed)
            b = run(env(), make_agent(name, seed=seed, **hp), large, seed)
            same = designs(a, small) == designs(b, small)
            print(f"{name:12s} {'groups' if hp else 'per knob':8s} seed {seed}: "
                  f"{'identical' if same else 'DIFFERENT'} first {small}", flush=True)
            bad += [] if same else [(name, hp, seed)]
    if bad:
        raise SystemExit(f"not anytime: {bad}")


if __name__ == "__main__":
    main()
