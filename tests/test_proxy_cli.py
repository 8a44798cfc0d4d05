"""``archgym proxy train`` on a user's runs/: the workload comes from the data, mixed workloads are
refused with the fix named, and the README's sequence of commands works as written (tiny budgets).
Also: the accuracy tables say "constant" where a score is undefined, never ``nan``."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from archgym.proxy import ProxySimulator
from archgym.proxy._fit import ProxyReport, format_score
from archgym.proxy._models import scores

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_NUM_THREADS": "1"}

# The README's Quick start, then its proxy commands, with budgets cut to keep the test fast.
QUICK_START = """
import archgym, gymnasium as gym

env = gym.make("archgym/DRAM-v0", trace="random")
result = archgym.run(env, "ga", budget=60, seed=0, log_dir="runs/")
print(result.best_reward, result.best_design, result.best_metrics)
df = archgym.datasets.load("runs/")
assert len(df) == 60
"""
CLI_RUN = ("archgym run --env archgym/DRAM-v0 --agent aco --budget 30 --set ants=16 --set evaporation=0.25 "
           "--env-arg trace=cloud-1 --out runs/")
PROXY_TRAIN = "archgym proxy train runs/ --env archgym/DRAM-v0 --workload random --out dram.proxy"
USE_PROXY = ("python -c \"import gymnasium as gym, archgym; "
             "gym.make('archgym/DRAM-v0', trace='random', backend='proxy:dram.proxy')\"")


def sh(cmd: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, shell=True, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300)
    if ok:
        assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r


def test_readme_sequence_works_as_written(tmp_path: Path):
    (tmp_path / "quick.py").write_text(QUICK_START)
    sh(f"{sys.executable} quick.py", tmp_path)
    sh(CLI_RUN, tmp_path)
    # runs/ now mixes two traces: training on it without picking one is refused, saying how to pick
    r = sh("archgym proxy train runs/ --env archgym/DRAM-v0 --out dram.proxy", tmp_path, ok=False)
    assert r.returncode == 2, r.stdout + r.stderr
    msg = r.stdout + r.stderr
    assert "mixes 2 workloads ['cloud-1', 'random']" in msg and "--workload cloud-1" in msg, msg
    assert len(msg.strip().splitlines()) == 1, msg
    assert not (tmp_path / "dram.proxy").exists()
    out = sh(PROXY_TRAIN, tmp_path).stdout
    assert "saved" in out and "| metric |" in out and "nan" not in out, out
    proxy = ProxySimulator.load(tmp_path / "dram.proxy")
    assert proxy.workload == "random"
    r = sh(USE_PROXY, tmp_path)
    assert "trained on workload" not in r.stderr, r.stderr  # no workload-mismatch warning


def test_workload_comes_from_the_data_not_the_env_default(tmp_path: Path):
    """Runs on trace=random only: the proxy is labelled 'random', not the env's default 'stream'."""
    import archgym

    archgym.run(archgym.make("archgym/DRAM-v0", trace="random"), "random", budget=40, seed=0,
                log_dir=tmp_path / "runs")
    from typer.testing import CliRunner

    from archgym.cli import app

    res = CliRunner().invoke(app, ["proxy", "train", str(tmp_path / "runs"), "--env", "archgym/DRAM-v0",
                                   "--out", str(tmp_path / "p.proxy"), "--estimator", "tree"])
    assert res.exit_code == 0, res.output
    assert ProxySimulator.load(tmp_path / "p.proxy").workload == "random"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a proxy of the right workload loads without a mismatch warning
        archgym.make_env("archgym/DRAM-v0", trace="random", backend=f"proxy:{tmp_path / 'p.proxy'}")
    res = CliRunner().invoke(app, ["proxy", "train", str(tmp_path / "runs"), "--env", "archgym/DRAM-v0",
                                   "--workload", "cloud-2", "--out", str(tmp_path / "q.proxy")])
    assert res.exit_code == 2 and "no rows with workload 'cloud-2'" in res.output and "['random']" in res.output


def test_constant_metric_reads_constant_not_nan():
    const = scores(np.full(10, 3.0), np.full(10, 3.0))
    assert np.isnan(const["r2"]) and np.isnan(const["kendall_tau"])
    assert format_score(const, "r2") == "constant" and format_score(const, "kendall_tau") == "constant"
    assert format_score(const, "rel_rmse_pct") == "0"
    zeros = scores(np.zeros(5), np.zeros(5))
    assert format_score(zeros, "rel_rmse_pct") == "n/a (all 0)" and format_score(zeros, "mape_pct") == "n/a (all 0)"
    flat_pred = scores(np.arange(5.0) + 1, np.full(5, 3.0))
    assert format_score(flat_pred, "kendall_tau") == "constant prediction"
    assert format_score(flat_pred, "r2") == "0"
    table = pd.DataFrame.from_dict({"refresh_count": const, "power_mW": scores(np.arange(6.0) + 1, np.arange(6.0) + 1.1)},
                                   orient="index")
    md = ProxyReport(table, 10, 10, 1.0, 0.5, "rf").to_markdown()
    assert "nan" not in md and "| refresh_count | 0 | 0 | constant | constant | 0 |" in md, md


@pytest.mark.parametrize("option", ["--workload"])
def test_mixed_message_names_the_option(option, tmp_path):
    from archgym.errors import ProxyError
    from archgym.proxy._fit import single_workload

    df = pd.DataFrame({"workload": ["a", "b", "a"]})
    with pytest.raises(ProxyError, match=r"mixes 2 workloads \['a', 'b'\].*--workload a"):
        single_workload(df, {}, None, where="runs/", option=option + " ")
    assert single_workload(df.iloc[:1], {}, None) == "a"
    assert single_workload(pd.DataFrame(), {"workload": "m"}, None) == "m"
