"""Validations that need ``../shared`` say at the end of the session that they were skipped and why,
even under ``-q`` (tests/conftest.py's ``pytest_terminal_summary``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_missing_reference_data_is_reported_in_one_line(tmp_path):
    missing = tmp_path / "no-shared"
    env = {**os.environ, "ARCHGYM_SHARED": str(missing)}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_dram_fidelity.py"],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("validations skipped")]
    assert len(lines) == 1, r.stdout
    assert "test_dram_fidelity.py" in lines[0] and str(missing) in lines[0] and "ARCHGYM_SHARED" in lines[0]

