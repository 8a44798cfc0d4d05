"""Third-party plugins: a simulator and an agent from a package of their own, no fork of archgym.

The plugin package is written to a temporary folder with its own ``.dist-info`` (as ``pip install``
would leave it), declaring the ``archgym.envs`` and ``archgym.agents`` entry points.  Each scenario
runs in a fresh interpreter, so archgym's registries in this test process are untouched.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SIMULATOR = '''
import numpy as np
from archgym.simulator import Metric, Simulator
from archgym.spaces import Categorical, DesignSpace, Integer


class Knapsack(Simulator):
    """A third-party simulator.

    Description:
        Picks a size and a shape; latency falls with size, area grows with it.
    Design space:
        size 1..16, shape in {square, tall}.
    Metrics:
        latency_ms, area_mm2.
    Objective:
        minimise latency (its default_objective).
    Version history:
        v0: first release.
    """

    name = "knapsack"
    version = "1"

    def __init__(self, workload: str = "default"):
        self.space = DesignSpace((Integer("size", low=1, high=16), Categorical("shape", choices=("square", "tall"))))
        self.metrics = (Metric("latency_ms", "ms", "min"), Metric("area_mm2", "mm2", "min"))
        self.workload = workload

    def default_objective(self):
        return {"kind": "minimize", "metric": "latency_ms"}

    def _evaluate(self, d):
        lat = 100.0 / d["size"] + (d["shape"] == "tall") * 3.0
        return {"latency_ms": lat, "area_mm2": d["size"] * 1.5}
'''

AGENT = '''
from archgym.agent import Agent
from archgym.constraints import Interval


class EveryOther(Agent):
    """Random search that skips every other draw.

    Hyperparameters:
        skip: draws to discard between proposals.
    """

    name = "everyother"
    test_config = {"skip": 1}
    parameter_constraints = {"skip": [Interval(int, 0)]}

    def __init__(self, skip: int = 1, seed=None):
        super().__init__(seed)
        self.skip = skip

    def ask(self):
        for _ in range(self.skip):
            self.space.sample(self.rng)
        return self.space.sample(self.rng)
'''


@pytest.fixture()
def plugin_path(tmp_path: Path) -> Path:
    pkg = tmp_path / "knapsack_plugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "sim.py").write_text(SIMULATOR)
    (pkg / "search.py").write_text(AGENT)
    dist = tmp_path / "knapsack_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: knapsack-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""\
        [archgym.envs]
        Knapsack = knapsack_plugin.sim:Knapsack

        [archgym.agents]
        everyother = knapsack_plugin.search:EveryOther
        """))
    return tmp_path


def _python(code: str, path: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "PYTHONPATH": str(path)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True)


def test_entry_point_plugins_pass_the_conformance_checks(plugin_path: Path):
    out = _python("""
        import archgym
        from archgym.testing import check_agent, check_env
        check_env("archgym/Knapsack-v0")
        check_agent("everyother")
        res = archgym.run("archgym/Knapsack-v0", "everyother", budget=12, seed=0)
        print(res.best_design, "Knapsack" in archgym.ENVS, "everyother" in archgym.AGENTS)
        """, plugin_path)
    assert out.returncode == 0, out.stderr
    assert "True True" in out.stdout


def test_plugins_work_from_the_cli_and_in_sweeps(plugin_path: Path, tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"budget: 6\nseeds: 2\nout: {tmp_path / 'runs'}\nenvs: [archgym/Knapsack-v0]\n"
                    "agents: [everyother, random]\n")
    out = _python(f"""
        import sys
        from archgym.cli import main
        for args in (["envs"], ["agents"], ["sweep", {str(spec)!r}, "--workers", "1", "--no-progress"]):
            sys.argv = ["archgym", *args]
            try:
                main()
            except SystemExit as exc:
                assert not exc.code, (args, exc.code)
        """, plugin_path)
    assert out.returncode == 0, out.stderr + out.stdout
    assert "archgym/Knapsack-v0" in out.stdout and "everyother" in out.stdout
    assert len(list((tmp_path / "runs").glob("*.parquet"))) == 4


def test_register_in_code_and_make_through_gymnasium(plugin_path: Path):
    out = _python("""
        import archgym, gymnasium as gym
        archgym.register_simulator("Knapsack2", "knapsack_plugin.sim:Knapsack",
                                   objective={"kind": "minimize", "metric": "area_mm2"})
        env = gym.make("archgym/Knapsack2-v0")
        print(env.unwrapped.objective.to_dict()["metric"])
        try:
            archgym.register_simulator("Knapsack2", "knapsack_plugin.sim:Other")
        except archgym.ArchGymError as exc:
            print("refused:", exc)
        """, plugin_path)
    assert out.returncode == 0, out.stderr
    assert "area_mm2" in out.stdout and "refused: env 'Knapsack2' is already registered" in out.stdout
