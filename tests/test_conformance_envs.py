"""Conformance of every registered env and its simulator (scales with the registry).

The checks themselves are public (:mod:`archgym.testing`), so third-party envs are held to the same
contract; this file runs each check on each registered env as its own test.
"""

from __future__ import annotations

import pytest

from archgym.registry import ENVS
from archgym.testing import ENV_CHECKS

ENV_IDS = sorted(e.id for e in ENVS.values())


@pytest.mark.parametrize("check", sorted(ENV_CHECKS))
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_conformance(env_id: str, check: str) -> None:
    ENV_CHECKS[check](env_id)
