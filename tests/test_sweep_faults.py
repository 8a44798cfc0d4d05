"""Sweep faults with real processes: the parent SIGKILLed (workers must die with it, and a resume
must write every run exactly once), and Ctrl-C (one line, exit 130, everything done kept)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import archgym
from archgym import datasets
from archgym.sweep import is_finished, load_spec

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

BUDGET = 1000
SPEC = {"name": "faults", "budget": BUDGET, "seeds": 4,
        "envs": [{"id": "archgym/Systolic-v0", "kwargs": {"workload": "alexnet"}}],
        "agents": [{"name": "random_walk", "grid": {"patience": [8, 16]}}]}


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[19])


def descendants(pid: int) -> dict[int, int]:
    """Every live descendant of ``pid``: pid -> start time (to tell a reused pid apart)."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            procs[int(entry)] = st
    found: dict[int, int] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (state, ppid, start) in procs.items():
            if ppid == parent and child not in found and state not in "ZX":
                found[child] = start
                frontier.append(child)
    return found


def alive(pid: int, start: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] not in "ZX" and st[2] == start


def all_gone(children: dict[int, int], within_s: float) -> bool:
    """Whether every one of ``children`` has exited within ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while any(alive(pid, start) for pid, start in children.items()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def start_sweep(tmp_path: Path, seeds: int = 4) -> tuple[subprocess.Popen, Path, Path]:
    out = tmp_path / "out"
    spec_path = tmp_path / "faults.yaml"
    spec_path.write_text(yaml.safe_dump({**SPEC, "seeds": seeds, "out": str(out)}))
    cmd = [sys.executable, "-m", "archgym.cli", "sweep", str(spec_path), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, spec_path, out


def wait_for_files(proc: subprocess.Popen, out: Path, n: int) -> None:
    deadline = time.monotonic() + 120
    while len(list(out.glob("*[!l].parquet"))) < n:  # finished run files, not *.partial.parquet
        assert proc.poll() is None, f"sweep ended before it could be interrupted: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "sweep made no progress"
        time.sleep(0.05)
    time.sleep(0.7)  # runs start in step; let the next ones get well under way (about a third of one)


def check_complete(spec_path: Path, out: Path) -> None:
    """Every run's file exists once, is complete, and no partial or temporary file is left."""
    sw = load_spec(spec_path)
    files = sorted(p.name for p in out.glob("*.parquet"))
    assert files == sorted(f"{rid}.parquet" for rid in sw.ids)
    assert all(is_finished(out / f"{rid}.parquet", rid, BUDGET) for rid in sw.ids)
    assert not list(out.glob(".*.tmp"))
    df = datasets.load(out)
    assert len(df) == len(sw) * BUDGET and not df.duplicated(["run_id", "step"]).any()


def same_as_uninterrupted(spec_path: Path, out: Path, run_id: str) -> None:
    """A run resumed from a partial file has the trajectory of a run never interrupted."""
    sw = load_spec(spec_path)
    run = sw.runs[sw.ids.index(run_id)]
    fresh = archgym.run(run.env_id, run.agent, run.budget, run.seed, env_kwargs=run.env_kwargs,
                        agent_kwargs=run.hparams, run_id=run_id).trajectory
    got = datasets.load(out / f"{run_id}.parquet")
    pd.testing.assert_frame_equal(got.drop(columns="wall_time_s"), fresh.drop(columns="wall_time_s"),
                                  check_dtype=False)


def test_sigkill_of_the_parent_ends_its_workers_and_a_resume_writes_every_run_once(tmp_path: Path):
    t_start = time.monotonic()
    proc, spec_path, out = start_sweep(tmp_path)
    try:
        wait_for_files(proc, out, 2)
        children = descendants(proc.pid)
        assert len(children) >= 2, children  # the two workers (and the resource tracker)
        finished = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.glob("*[!l].parquet")}
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: its workers get no signal from us
        t_kill = time.monotonic()
        # resume at once, in another process: it must wait for the old workers, not race them
        resume = subprocess.Popen([sys.executable, "-m", "archgym.cli", "sweep", str(spec_path), "--workers", "2",
                                   "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert all_gone(children, 10), f"workers outlived their parent: {children}"
        died_s = time.monotonic() - t_kill
        partials = sorted(p.name for p in out.glob("*.partial.parquet"))
        stdout, stderr = resume.communicate(timeout=300)
        assert resume.returncode == 0, stderr
    finally:
        os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None
        proc.wait()
    assert partials, "no run was in flight when the parent was killed"
    for name, (mtime, blob) in finished.items():  # finished before the kill: neither lost nor redone
        assert (out / name).stat().st_mtime_ns == mtime and (out / name).read_bytes() == blob
    check_complete(spec_path, out)
    same_as_uninterrupted(spec_path, out, partials[0].removesuffix(".partial.parquet"))
    print(f"\nworkers gone {died_s:.2f} s after SIGKILL; {len(partials)} partial run(s) completed; "
          f"test {time.monotonic() - t_start:.1f} s")


@pytest.mark.parametrize("who", ["group", "parent"])
def test_ctrl_c_prints_one_line_exits_130_and_keeps_everything(tmp_path: Path, who: str):
    # 16 runs of ~0.4 s each on an idle machine: runs are still in flight 0.7 s after the first ends
    proc, spec_path, out = start_sweep(tmp_path, seeds=8)
    try:
        wait_for_files(proc, out, 1)
        children = descendants(proc.pid)
        # a terminal's Ctrl-C signals the whole process group; `kill -INT` only the parent
        (os.killpg if who == "group" else os.kill)(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted — rerun the same command to resume"
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert all_gone(children, 5), children  # the resource tracker exits just after the last worker
    assert list(out.glob("*.partial.parquet")), "the runs in flight kept nothing"
    rerun = subprocess.run([sys.executable, "-m", "archgym.cli", "sweep", str(spec_path), "--workers", "2",
                            "--no-progress"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    check_complete(spec_path, out)
