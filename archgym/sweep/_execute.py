"""Running sweeps: resumable, parallel on one machine (process pool) or across machines (Ray).

A run's result is one file, ``<out>/<run_id>.parquet``, written atomically by the run itself, so
the directory *is* the sweep's state: a run is finished exactly when its file exists and
validates (archgym metadata with its id, one row per evaluation).  Rerunning a spec therefore
skips finished runs and redoes the rest, whatever killed the last attempt — SIGKILL included,
since a killed writer leaves only a hidden ``.tmp`` file, which the next attempt removes.

A run that raises is recorded in ``<out>/failed/<run_id>.json`` (error and traceback) and the
sweep goes on; the next attempt retries it, and a success removes the record.  A lock file keeps
two sweeps from working in one directory at once, and a second one, held by every worker, keeps a
new sweep from starting while workers of a killed one are still alive (``archgym.sweep._workers``:
workers die with their parent and keep their run's evaluations as a partial file, which the
resumed run replays).  Ctrl-C stops the workers the same way and raises :class:`SweepInterrupted`.

The spec format lives in ``archgym.sweep._spec``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archgym._files import atomic_write_text
from archgym.errors import DatasetError, InvalidParameterError, SweepError, SweepInterrupted
from archgym.sweep import _workers
from archgym.sweep._spec import RunSpec, Sweep

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass
class SweepReport:
    """What one call of :func:`run_sweep` did."""

    total: int
    skipped: int
    results: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def done(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] == "done"]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] == "failed"]

    @property
    def runs_per_s(self) -> float:
        return len(self.results) / self.wall_s if self.wall_s > 0 else math.nan


def is_finished(path: Path, run_id: str, budget: int) -> bool:
    """A run file counts as finished when it is readable Parquet with this run's id and budget rows.

    Reads only the footer (well under a millisecond), so resuming a sweep of thousands of runs
    checks every file instead of trusting names.  A missing or truncated file is not finished (the
    run is redone); a file whose archgym metadata is not a JSON object, or is of another dataset
    schema version, is refused: resuming must not overwrite it, nor mix versions in one sweep.

    Raises:
        DatasetError: the file's metadata is corrupt or of another schema version.
    """
    import pyarrow.parquet as pq

    from archgym.datasets import META_KEY, SCHEMA_VERSION, decode_metadata

    try:
        md = pq.read_metadata(path)
        schema_meta = md.schema.to_arrow_schema().metadata or {}
    except Exception:  # missing, truncated or not Parquet: not finished
        return False
    meta = decode_metadata(schema_meta, path) if META_KEY in schema_meta else None
    if meta is None:
        return False
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise DatasetError(f"{path}: a run file of dataset schema_version {meta.get('schema_version')!r}, but this "
                           f"archgym writes {SCHEMA_VERSION}; resuming would mix versions in one sweep — move the "
                           "old files away or give the sweep another output directory")
    budget_ok = isinstance(meta.get("budget"), int) and meta["budget"] == budget
    return meta.get("run_id") == run_id and md.num_rows == budget and budget_ok


def pending(sweep: Sweep, out: str | Path) -> list[tuple[RunSpec, str]]:
    """The runs of ``sweep`` without a valid result file in ``out``, with their ids."""
    out = Path(out)
    return [(r, rid) for r, rid in zip(sweep.runs, sweep.ids, strict=True)
            if not is_finished(out / f"{rid}.parquet", rid, r.budget)]


def _execute(run: RunSpec, run_id: str, out: str) -> dict[str, Any]:
    """Worker body: one run; an exception becomes a ``failed`` record instead of killing the sweep."""
    from archgym.runner import run as run_study

    t0 = time.perf_counter()
    base = _record_base(run, run_id)
    done = _already_finished(Path(out) / f"{run_id}.parquet", run_id, run.budget)
    if done is not None:  # a retried task (Ray re-executes tasks of a lost node): never write a run twice
        return {**base, "status": "done", **done, "seconds": time.perf_counter() - t0, "reused": True}
    try:
        with _workers.running():
            res = run_study(run.env_id, run.agent, run.budget, run.seed, log_dir=out, env_kwargs=run.env_kwargs,
                            agent_kwargs=run.hparams, run_id=run_id)
    except KeyboardInterrupt:
        if _workers.in_worker():  # the run kept a partial file; the parent is gone or stopping
            _workers.exit_now(130)
        raise
    except Exception as exc:
        return {**base, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "seconds": time.perf_counter() - t0}
    return {**base, "status": "done", "best_reward": res.best_reward, "best_step": res.best_step,
            "seconds": time.perf_counter() - t0}


def _already_finished(path: Path, run_id: str, budget: int) -> dict[str, Any] | None:
    """Best reward and step of a finished run file, or None when the run must be done."""
    try:
        if not is_finished(path, run_id, budget):
            return None
        import pyarrow.parquet as pq

        rewards = pq.read_table(path, columns=["reward"]).column("reward").to_numpy()
    except Exception:  # any doubt: do the run (its atomic write replaces the file)
        return None
    finite = [r if r == r and abs(r) != float("inf") else float("-inf") for r in rewards.tolist()]
    best = max(range(len(finite)), key=finite.__getitem__)
    return {"best_reward": float(rewards[best]), "best_step": best}


def _record_base(run: RunSpec, run_id: str) -> dict[str, Any]:
    return {"run_id": run_id, "scenario": run.scenario, "agent": run.agent_label or run.agent, "seed": run.seed,
            "hparams": dict(run.hparams)}


def _execute_batch(batch: Sequence[tuple[RunSpec, str]], out: str) -> list[dict[str, Any]]:
    """Several runs per task: a Ray task costs far more to schedule than a run costs to do."""
    return [_execute(r, rid, out) for r, rid in batch]


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """An exclusive lock on the output directory; the OS drops it if the sweep is killed."""
    fh = open(out / ".sweep.lock", "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepError(f"{out}: another sweep is running in this directory") from None
        yield
    finally:
        fh.close()


def _clean_partial(out: Path) -> int:
    """Remove temp files left by writers that were killed (safe: we hold the directory lock)."""
    stale = list(out.glob(".*.parquet.*.tmp")) + list((out / "failed").glob(".*.tmp"))
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


def _record(out: Path, result: dict[str, Any]) -> None:
    """Keep ``failed/<id>.json`` in step with the latest attempt (written atomically)."""
    rec = out / "failed" / f"{result['run_id']}.json"
    if result["status"] == "done":
        rec.unlink(missing_ok=True)
        return
    atomic_write_text(rec, json.dumps(result, indent=1, default=str))


def run_sweep(sweep: Sweep, out: str | Path | None = None, workers: int | None = None, backend: str = "local",
              address: str | None = None, batch_size: int | None = None, progress: bool = False) -> SweepReport:
    """Run every pending run of ``sweep`` and report what happened.

    Args:
        sweep: an expanded spec (:func:`load_spec` / :func:`expand`).
        out: directory of run files (default: the spec's ``out``).
        workers: processes for the local backend (default: the machine's cores); ``1`` runs in-process.
        backend: ``"local"`` (process pool) or ``"ray"`` (``pip install 'archgym[ray]'``).
        address: Ray cluster address (default: ``RAY_ADDRESS``, else a local Ray instance).
        batch_size: runs per Ray task (default: about eight tasks per CPU of the cluster).
        progress: show a progress bar (runs done, failed, ETA).
    """
    if out is None:
        if sweep.out is None:
            raise InvalidParameterError(f"{sweep.source}: no output directory (give out: in the spec or --out)")
        out = sweep.out
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if backend not in ("local", "ray"):
        raise InvalidParameterError(f"unknown backend {backend!r}; allowed: local, ray")
    t0 = time.perf_counter()
    with _lock(out), _one_thread_env():
        _workers.wait_for_old_workers(out)
        _clean_partial(out)
        todo = pending(sweep, out)
        report = SweepReport(total=len(sweep.runs), skipped=len(sweep.runs) - len(todo))
        if not todo:  # nothing to run: no pool, and no cluster to connect to
            report.wall_s = time.perf_counter() - t0
            return report
        bar = _Progress(len(todo), progress, sweep.name)
        stream: Iterator[dict[str, Any]] = iter(())
        try:
            if backend == "ray":
                stream = _ray_results(todo, str(out), address, workers, batch_size)
            elif (workers or os.cpu_count() or 1) == 1:
                stream = (_execute(r, rid, str(out)) for r, rid in todo)
            else:
                stream = _pool_results(todo, str(out), workers or os.cpu_count() or 1)
            for result in stream:
                _record(out, result)
                report.results.append(result)
                bar.update(result)
        except KeyboardInterrupt:
            _close(stream)  # stops the workers (they keep their runs' partial files) before we report
            raise SweepInterrupted(str(out), len(report.done), len(todo)) from None
        finally:
            _close(stream)
            bar.close()
    report.wall_s = time.perf_counter() - t0
    return report


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


@contextlib.contextmanager
def _one_thread_env() -> Iterator[None]:
    """One BLAS thread per worker, so two workers on two cores do not oversubscribe.

    Set in the parent because workers inherit the environment and load BLAS on import, before
    any initializer could run.
    """
    saved = {v: os.environ.get(v) for v in _THREAD_VARS}
    for v in _THREAD_VARS:
        os.environ[v] = "1"
    try:
        yield
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


def _pool_results(todo: list[tuple[RunSpec, str]], out: str, workers: int,
                  task: Any = None) -> Iterator[dict[str, Any]]:
    """Results as runs finish.  A worker that dies (OOM, segfault) fails its run; the pool restarts.

    ``task`` replaces :func:`_execute` (tests use it to kill a worker on purpose).
    """
    task = task or _execute
    import multiprocessing

    queue = list(reversed(todo))
    ctx = multiprocessing.get_context("spawn")  # no forked copies of the parent's threads or locks
    init_args = (os.getpid(), str(Path(out) / _workers.WORKERS_LOCK))
    while queue:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_workers.init_worker,
                                   initargs=init_args)
        try:
            running: dict[Future, tuple[RunSpec, str]] = {}
            broken = False
            while queue or running:
                while queue and len(running) < 2 * workers and not broken:
                    r, rid = queue.pop()
                    running[pool.submit(task, r, rid, out)] = (r, rid)
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for f in done:
                    r, rid = running.pop(f)
                    try:
                        yield f.result()
                    except BrokenProcessPool as exc:
                        broken = True
                        yield {**_record_base(r, rid), "status": "failed", "error": f"worker process died ({exc})",
                               "traceback": "", "seconds": 0.0}
        except BaseException:  # Ctrl-C, or the consumer stopped: workers keep partial files and exit
            _workers.stop_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if not broken:
            return


def _ray_results(todo: list[tuple[RunSpec, str]], out: str, address: str | None, workers: int | None,
                 batch_size: int | None) -> Iterator[dict[str, Any]]:
    try:
        import ray
    except ImportError:
        raise SweepError("backend 'ray' needs Ray: pip install 'ray==2.60.0' (installed by `make install`)") from None
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS")
        if address:
            try:
                ray.init(address=address, log_to_driver=False)
            except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise SweepError(f"no Ray cluster to join at address {address!r} ({first}); start one with "
                                 "`ray start --head` (and `ray start --address=HEAD_IP:6379` on each other "
                                 "machine), or run without --address for a Ray instance of this process only, "
                                 "or use --backend local") from None
        else:
            ray.init(num_cpus=workers or os.cpu_count(), include_dashboard=False, log_to_driver=False)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    size = batch_size or max(1, math.ceil(len(todo) / (8 * cpus)))
    remote = ray.remote(num_cpus=1)(_execute_batch)
    waiting = [remote.remote(todo[i:i + size], out) for i in range(0, len(todo), size)]
    while waiting:
        done, waiting = ray.wait(waiting, num_returns=1)
        yield from ray.get(done[0])


class _Progress:
    """A tqdm bar whose postfix counts failures; tqdm itself shows the rate and the ETA."""

    def __init__(self, total: int, enabled: bool, name: str):
        self.failed = 0
        self.bar = None
        if enabled and total:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=name, unit="run", dynamic_ncols=True)

    def update(self, result: dict[str, Any]) -> None:
        self.failed += result["status"] == "failed"
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(failed=self.failed, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
