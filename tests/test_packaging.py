"""Packaging: fast import without heavy deps, every sub-package listed, envs registered."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_is_fast_and_light():
    code = ("import time, sys; t = time.perf_counter(); import archgym; dt = time.perf_counter() - t; "
            "heavy = [m for m in ('torch', 'optuna', 'sklearn', 'pandas', 'stable_baselines3') if m in sys.modules]; "
            "print(dt, heavy)")
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
        times.append(float(out[0]))
        assert out[1].strip() == "[]", f"import archgym loaded heavy modules: {out[1]}"
    assert min(times) < 0.5, f"import archgym took {min(times):.2f} s"


def test_every_subpackage_is_listed_in_pyproject():
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    mapping = cfg["package-dir"]
    for pkg, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            name = ".".join([pkg, *rel.parts]) if rel.parts else pkg
            if "__pycache__" not in name:
                assert name in listed, f"{name} ({init.parent}) is missing from [tool.setuptools] packages"


def test_namespaced_imports_and_registration():
    import gymnasium as gym

    import archgym
    from archgym.agents import AGENTS
    from archgym.simulators.systolic import SystolicSimulator

    assert "archgym/Systolic-v0" in gym.registry
    assert "random" in AGENTS
    assert SystolicSimulator.__module__.startswith("archgym.simulators")
    assert archgym.__version__
