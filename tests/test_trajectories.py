"""Every agent on every built-in env reproduces its recorded trajectory bit for bit.

The recordings (``tests/data/trajectories.json``, made by ``tests/record_trajectories.py``) were
taken before the architecture and fast-path refactors; designs, reward bits, metric bits and
feasibility must all be unchanged.  Metrics are stored as exact float text (every NaN as "nan": the
sign and payload of a NaN vary by CPU); they replaced a SHA-256 of the raw metric bytes, which could
not be replayed across CPUs because of those NaN bits (see ``migrate_trajectories.py`` in the history).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from record_trajectories import record

RECORDED = json.loads((Path(__file__).parent / "data" / "trajectories.json").read_text())


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_trajectory_is_bit_identical_to_the_recording(key: str):
    env_id, agent = key.split(" ")
    now, then = record(env_id, agent), RECORDED[key]
    assert now["designs"] == then["designs"], f"{key}: designs differ"
    assert now["rewards"] == then["rewards"], f"{key}: rewards differ"
    assert now["feasible"] == then["feasible"], f"{key}: feasibility differs"
    assert now["metrics"] == then["metrics"], f"{key}: metric bits differ"
