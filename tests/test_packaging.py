"""Packaging: fast import without heavy deps, every module in the wheel, envs registered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_is_fast_and_light():
    # CPU time, not wall time: other processes on a loaded machine must not fail this test
    code = ("import time, sys; t = time.process_time(); import archgym; dt = time.process_time() - t; "
            "heavy = [m for m in ('torch', 'optuna', 'sklearn', 'pandas', 'stable_baselines3') if m in sys.modules]; "
            "print(dt, heavy)")
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
        times.append(float(out[0]))
        assert out[1].strip() == "[]", f"import archgym loaded heavy modules: {out[1]}"
    assert min(times) < 0.5, f"import archgym took {min(times):.2f} s"


def test_every_module_and_data_file_is_in_the_wheel(built_wheel: Path):
    """Every tracked source module and data file is in the wheel pip builds, under the archgym
    namespace (so adding a folder never needs a packaging edit)."""
    import zipfile

    names = set(zipfile.ZipFile(built_wheel).namelist())
    roots = {"archgym": "archgym", "simulators": "archgym/simulators", "agents": "archgym/agents",
             "data": "archgym/data"}
    tracked = subprocess.run(["git", "ls-files", *roots], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    for f in tracked:
        folder, _, rest = f.partition("/")
        if folder == "data" or f.endswith(".py"):
            assert f"{roots[folder]}/{rest}" in names, f"{f} is not in the wheel"


def test_namespaced_imports_and_registration():
    import gymnasium as gym

    import archgym
    from archgym.agents import AGENTS
    from archgym.simulators.systolic import SystolicSimulator

    assert "archgym/Systolic-v0" in gym.registry
    assert "random" in AGENTS
    assert SystolicSimulator.__module__.startswith("archgym.simulators")
    assert archgym.__version__
