"""Seeded runs of nsga2, aco and bo reproduce, bit for bit, the trajectories recorded before issue 12.

``fixtures/agent_trajectories.npz`` was recorded by ``fixtures/record_fast_path.py`` at commit 5274585,
before NSGA-II's generation bookkeeping and ACO's walks were made incremental: design index rows and
rewards of 400-evaluation runs with default hyperparameters on DRAM-v0 and Systolic-v0 (and NSGA-II on
a two-metric Pareto objective).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fast_path_cases import AGENT_CASES, agent_trajectory, case_key

FIXTURE = Path(__file__).parent / "fixtures" / "agent_trajectories.npz"


@pytest.fixture(scope="module")
def recorded() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("case", AGENT_CASES, ids=case_key)
def test_trajectory_matches_the_recording(recorded, case):
    idx, rewards = agent_trajectory(case)
    want_idx = recorded[f"{case_key(case)}/indices"].astype(np.int64)
    want_rewards = recorded[f"{case_key(case)}/rewards"]
    first = np.flatnonzero((idx != want_idx).any(axis=1) | (rewards != want_rewards))
    assert first.size == 0, f"first difference at evaluation {first[0]}: {idx[first[0]]} vs {want_idx[first[0]]}"
