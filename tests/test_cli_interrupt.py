"""Ctrl-C on ``archgym run``: a real SIGINT to a real process, then the same command resumes.

Why a subprocess: the one-line message, the exit status 130 and the kept partial file are the
contract of the installed ``archgym`` script (its ``main``), which an in-process runner bypasses.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import archgym

ARCHGYM = str(Path(sys.executable).with_name("archgym"))
BUDGET = 1500
CMD = ["run", "--env", "archgym/Systolic-v0", "--agent", "random_walk", "--budget", str(BUDGET), "--seed", "3",
       "--set", "patience=8", "--no-plot"]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_keeps_a_partial_run_that_the_same_command_resumes(tmp_path: Path):
    out = tmp_path / "runs"
    proc = subprocess.Popen([ARCHGYM, *CMD, "--out", str(out), "--progress"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_env())
    err: list[bytes] = []

    def read() -> None:  # the progress bar (stderr) says when evaluations have started
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(4096):
            err.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        text = b"".join(err).decode(errors="replace")
        counts = [int(n) for n in re.findall(rf"(\d+)/{BUDGET}\b", text)]
        if counts and max(counts) >= 20:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be interrupted; raise BUDGET"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    reader.join(timeout=5)
    lines = [ln for ln in b"".join(err).decode().replace("\r", "\n").split("\n") if ln.startswith("error:")]
    assert proc.returncode == 130, b"".join(err).decode()[-2000:]
    assert len(lines) == 1 and "Traceback" not in b"".join(err).decode()
    msg = lines[0]
    assert "interrupted after" in msg and f"of {BUDGET} evaluations" in msg
    assert "rerun the same command to resume" in msg
    kept = Path(msg.split("partial run kept at ")[1].split(";")[0])
    assert kept.is_file() and kept.name.endswith(".partial.parquet")
    done = int(msg.split("interrupted after ")[1].split()[0])
    partial = pd.read_parquet(kept)
    assert len(partial) == done and 0 < done < BUDGET

    r = subprocess.run([ARCHGYM, *CMD, "--out", str(out), "--no-progress"], capture_output=True, text=True,
                       env=_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert not kept.exists(), "the complete run supersedes the partial file"
    final = archgym.datasets.load(out)
    assert len(final) == BUDGET
    # the resumed run replays the kept evaluations, then continues on the same path as an
    # uninterrupted run of the same seed
    head = final.iloc[:done]
    for col in ("reward", "feasible"):
        np.testing.assert_array_equal(head[col].to_numpy(), partial[col].to_numpy())
    whole = archgym.run("archgym/Systolic-v0", "random_walk", BUDGET, seed=3, agent_kwargs={"patience": 8})
    np.testing.assert_array_equal(final["reward"].to_numpy(), whole.trajectory["reward"].to_numpy())
    pd.testing.assert_frame_equal(archgym.datasets.designs_of(final).reset_index(drop=True),
                                  archgym.datasets.designs_of(whole.trajectory).reset_index(drop=True))
