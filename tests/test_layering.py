"""The layering of ARCHITECTURE.md, enforced with import-linter (contracts in pyproject.toml).

import-linter reads a package's modules from its folder, and archgym's ``simulators/`` and
``agents/`` folders become ``archgym.simulators`` and ``archgym.agents`` only when installed, so the
contracts are checked on the wheel pip builds, unpacked: exactly the layout users import.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_hold(built_wheel: Path, tmp_path: Path):
    zipfile.ZipFile(built_wheel).extractall(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "BROKEN" not in out.stdout and " KEPT" in out.stdout
