"""Sweep worker processes: they die with their parent, keep what they did, and hold the lock.

Why: a sweep's parent killed with SIGKILL cannot clean up, and its process-pool workers used to
live on for minutes, still writing files — so an immediate resume re-ran in-flight runs, and one
file was written four times.  Three mechanisms close that:

1. **Death with the parent.**  Each worker asks the kernel for SIGTERM when its parent dies
   (``prctl(PR_SET_PDEATHSIG)``, Linux, through ctypes: no polling delay, works while the worker
   is busy in C code).  PDEATHSIG follows the parent *thread* that spawned the worker, which is the
   thread running the sweep (ProcessPoolExecutor starts spawn-context workers from ``submit``), and
   it is lost if the parent died before the call — so the worker also checks ``os.getppid()`` right
   after, and a watchdog thread polls it twice a second (the only mechanism on macOS).  A pipe
   whose EOF signals the parent's death would work too, but needs a file descriptor passed through
   the executor's spawn machinery; the parent pid is simpler and has no fd to leak.
2. **Keep, then exit.**  SIGTERM or SIGINT during a run raises ``KeyboardInterrupt`` in the worker,
   so the run loop keeps its evaluations as ``<run_id>.partial.parquet`` (a resume replays them),
   then the worker exits at once (``os._exit``) instead of handing a result to a dead or departing
   parent.  Outside a run it just exits.  A second signal while the partial file is written is
   ignored, so the write completes; the watchdog ends a worker that has not exited 10 s later.
3. **The lock covers workers.**  Every worker holds a shared ``flock`` on ``.sweep.workers.lock``
   in the sweep directory until it dies (the kernel releases it then, whatever killed it).  A new
   sweep takes that lock exclusively before it looks at the directory, so it waits for workers of
   a killed sweep to finish writing their partial files rather than re-running their runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archgym.errors import SweepError

WORKERS_LOCK = ".sweep.workers.lock"
#: seconds a worker whose parent died may take to keep its partial file before it is ended
GRACE_S = 10.0
_POLL_S = 0.5

_state: dict[str, Any] = {"parent": None, "in_run": False, "stopping": False, "lock": None}


def in_worker() -> bool:
    """Whether this process is a sweep worker (set up by :func:`init_worker`)."""
    return _state["parent"] is not None


@contextlib.contextmanager
def running() -> Iterator[None]:
    """Marks a run in progress: a stop signal now interrupts it (so it keeps a partial file)."""
    _state["in_run"] = True
    try:
        yield
    finally:
        _state["in_run"] = False


def exit_now(code: int = 130) -> None:
    """End a worker without handing anything back (its parent is gone or stopping)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _on_signal(signum: int, frame: Any) -> None:
    if _state["stopping"]:
        return  # already stopping: let the partial file be written
    _state["stopping"] = True
    if _state["in_run"]:
        raise KeyboardInterrupt
    exit_now(128 + signum)


def _parent_gone() -> bool:
    return os.getppid() != _state["parent"]


def _watchdog() -> None:
    while not _parent_gone():
        time.sleep(_POLL_S)
    if not _state["stopping"]:
        os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_S)
    exit_now(1)


def _set_pdeathsig(sig: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(sig), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def init_worker(parent_pid: int, lock_path: str) -> None:
    """Process-pool initializer: lock, signals, death with the parent (see the module docstring)."""
    _state["parent"] = parent_pid
    fh = open(lock_path, "a")  # noqa: SIM115 - held open until the process dies
    try:
        fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:  # a new sweep holds it: our parent is gone
        exit_now(1)
    _state["lock"] = fh
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    _set_pdeathsig(signal.SIGTERM)
    if _parent_gone():  # died before the kernel was told
        exit_now(1)
    threading.Thread(target=_watchdog, name="archgym-parent-watchdog", daemon=True).start()


def stop_workers(pool: Any) -> None:
    """Ask every worker of a ``ProcessPoolExecutor`` to keep its run's partial file and exit."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(ProcessLookupError, OSError, ValueError, AttributeError):
            if proc.is_alive():
                os.kill(proc.pid, signal.SIGTERM)


def wait_for_old_workers(out: Path, timeout_s: float = 3 * GRACE_S) -> None:
    """Wait until no worker of an earlier (killed) sweep holds the directory's workers' lock."""
    deadline = time.monotonic() + timeout_s
    with open(out / WORKERS_LOCK, "a") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SweepError(f"{out}: worker processes of an earlier sweep still hold {WORKERS_LOCK} after "
                                     f"{timeout_s:.0f} s; wait for them or end them, then rerun") from None
                time.sleep(0.1)
                continue
            fcntl.flock(fh, fcntl.LOCK_UN)
            return
