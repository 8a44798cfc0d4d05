"""A proxy of real DRAMSys runs (5 of the model's 12 metrics) backs ``archgym/DRAM-v0``.

Needs ``../shared/dramsys/calibration.csv``; skips without it.
"""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

import archgym  # noqa: F401
from archgym import datasets
from archgym.proxy import ProxyError, ProxySimulator, fit_proxy
from archgym.runner import run
from archgym.simulators.dram import DRAMSimulator

MEASURED = {"total_time_ns": "time_ns", "energy_pJ": "energy_pJ", "power_mW": "power_mW",
            "avg_bw_gbps": "bandwidth_Gbps", "bw_util_pct": "bw_util_pct"}


@pytest.fixture(scope="module")
def dramsys_proxy(dramsys_dir, tmp_path_factory):
    sim = DRAMSimulator(trace="random")
    header = pd.read_csv(dramsys_dir / "calibration.csv", nrows=0).columns
    ignore = [c for c in header if c not in set(sim.space.names) | set(MEASURED) | {"trace"}]
    df, _ = datasets.import_csv(dramsys_dir / "calibration.csv", sim.space, MEASURED, ignore=ignore,
                                workload_column="trace", simulator="DRAMSys", simulator_version="4.0")
    df["workload"] = df["workload"].str.removesuffix(".stl")
    proxy, rep = fit_proxy(df, reference=sim, metrics=list(MEASURED.values()), estimator="tree", workload="random",
                           seed=0, timing_batch=200)
    return proxy.save(tmp_path_factory.mktemp("dramsys") / "dramsys-random.proxy"), rep, sim


def test_dramsys_proxy_is_scored_on_held_out_real_runs(dramsys_proxy):
    _, rep, _ = dramsys_proxy
    assert (rep.n_train, rep.n_test) == (184, 46)  # 230 DRAMSys runs on random.stl, split by design
    assert list(rep.table.index) == list(MEASURED.values())
    # measured: ~10-20 % rel. RMSE from 184 designs; a model that learnt nothing would have R² ≈ 0
    assert (rep.table["r2"] > 0.8).all() and (rep.table["kendall_tau"] > 0.6).all(), rep.to_markdown()


def test_env_runs_on_the_dramsys_proxy_backend(dramsys_proxy):
    path, _, sim = dramsys_proxy
    with pytest.raises(ProxyError, match=r"missing in proxy: \['avg_latency_ns'"):
        ProxySimulator.load(path, expect=sim)  # the strict check still names what is missing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = gym.make("archgym/DRAM-v0", backend=f"proxy:{path}", trace="random")
    proxy = env.unwrapped.simulator
    assert isinstance(proxy, ProxySimulator) and proxy.metric_names == tuple(MEASURED.values())
    assert env.observation_space.shape == (len(MEASURED) + 1,)
    res = run(env, "ga", 40, seed=0)
    assert len(res.trajectory) == 40 and np.isfinite(res.trajectory["reward"]).all()
    assert 0 < res.best_reward <= 1 and set(res.best_metrics) == set(MEASURED.values())


def test_objective_on_an_unmeasured_metric_is_refused(dramsys_proxy):
    path, _, _ = dramsys_proxy
    objective = {"kind": "target", "targets": {"power_mW": 1000.0, "n_act": 100.0}, "norm": "l2"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"needs metric\(s\) \['n_act'\]"):
            gym.make("archgym/DRAM-v0", backend=f"proxy:{path}", trace="random", objective=objective)
