"""A real two-node Ray cluster on this machine: a sweep joins it with ``address="auto"``, the second
node is killed mid-way, and every run still finishes exactly once with the local pool's trajectories.

Isolation: the cluster lives in its own ``RAY_TMPDIR`` (so ``auto`` finds it and no other Ray user
on the machine does: ``ray.init()`` joins the cluster recorded in the default temp dir), with
token authentication off (``RAY_AUTH_MODE=disabled``: a token in ``~/.ray`` would otherwise be
required by one side and not sent by the other).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from archgym import datasets
from archgym.sweep import expand, is_finished, run_sweep

pytestmark = pytest.mark.slow

BUDGET = 800
SPEC = {"name": "cluster", "budget": BUDGET, "seeds": 4,
        "envs": [{"id": "archgym/Systolic-v0", "kwargs": {"workload": "alexnet"}}],
        "agents": [{"name": "random_walk", "grid": {"patience": [8, 16]}}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trajectories(directory: Path) -> pd.DataFrame:
    df = datasets.load(directory).drop(columns=["wall_time_s"])
    return df.sort_values(["run_id", "step"]).reset_index(drop=True)


@pytest.fixture
def cluster(monkeypatch):
    pytest.importorskip("ray")
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        pytest.skip("no ray command next to this interpreter")
    tmp = tempfile.mkdtemp(prefix="/tmp/agr")  # short: Ray's socket paths must fit in 107 bytes
    env = {**os.environ, "RAY_TMPDIR": tmp, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    for k, v in (("RAY_TMPDIR", tmp), ("RAY_AUTH_MODE", "disabled"), ("RAY_USAGE_STATS_ENABLED", "0")):
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    port = _free_port()
    common = ["--num-cpus=1", "--disable-usage-stats", "--block"]
    # --block keeps each node's processes in one process group of our own, so cleaning up ends
    # exactly them (`ray stop` would end every Ray process on the machine, other users' included)
    head = subprocess.Popen([str(ray_bin), "start", "--head", f"--port={port}", "--include-dashboard=false", *common],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    second = None
    try:
        import ray

        deadline = time.monotonic() + 60
        while not Path(tmp, "ray", "ray_current_cluster").exists():
            assert head.poll() is None and time.monotonic() < deadline, "the head node did not start"
            time.sleep(0.2)
        second = subprocess.Popen([str(ray_bin), "start", f"--address=127.0.0.1:{port}",
                                   '--resources={"second": 1}', *common], env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ray.init(address="auto", log_to_driver=False)
        while ray.cluster_resources().get("CPU", 0) < 2:
            assert time.monotonic() < deadline, "the second node never joined"
            time.sleep(0.2)
        yield second
    finally:
        import ray

        ray.shutdown()
        for proc in (second, head):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            if proc is not None:
                proc.wait()
        _kill_ours(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def _kill_ours(tmp: str) -> None:
    """End any process still running with our RAY_TMPDIR (a Ray process that left our groups)."""
    mark = f"RAY_TMPDIR={tmp}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if mark in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                os.kill(int(entry), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def test_a_sweep_survives_losing_a_node_and_matches_the_local_pool(cluster, tmp_path):
    import threading

    t0 = time.monotonic()
    sw = expand(SPEC)
    out = tmp_path / "ray"
    killed = {}

    def kill_second_node_midway():
        while len(list(out.glob("*[!l].parquet"))) < 2 and time.monotonic() - t0 < 120:
            time.sleep(0.05)
        killed["at_files"] = len(list(out.glob("*[!l].parquet")))
        os.killpg(cluster.pid, signal.SIGKILL)  # the node's raylet, object store and workers, at once

    killer = threading.Thread(target=kill_second_node_midway, daemon=True)
    killer.start()
    rep = run_sweep(sw, out, backend="ray", address="auto", batch_size=1)
    killer.join(timeout=5)
    assert 2 <= killed.get("at_files", 0) < len(sw), killed
    assert not rep.failed, rep.failed
    ids = sorted(r["run_id"] for r in rep.done)
    assert ids == sorted(sw.ids)  # every run reported once
    assert sorted(p.name for p in out.glob("*.parquet")) == sorted(f"{rid}.parquet" for rid in sw.ids)
    assert all(is_finished(out / f"{rid}.parquet", rid, BUDGET) for rid in sw.ids)
    run_sweep(sw, tmp_path / "local", workers=2)
    pd.testing.assert_frame_equal(trajectories(out), trajectories(tmp_path / "local"))
    print(f"\nnode killed after {killed['at_files']} of {len(sw)} runs; "
          f"{sum(bool(r.get('reused')) for r in rep.done)} retried task(s) found their run already written; "
          f"{time.monotonic() - t0:.1f} s")
