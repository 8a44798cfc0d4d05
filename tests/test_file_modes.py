"""Files archgym writes (run files, partial files, failure records, proxies, merged datasets) get
the permissions the umask allows, as ``open`` would give them, not ``mkstemp``'s 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

import archgym
from archgym import datasets
from archgym._files import _umask, atomic_write_text
from archgym.proxy import fit_proxy
from archgym.recorder import Recorder, write_partial


@pytest.fixture(params=[0o022, 0o002, 0o077])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_umask_is_read_without_changing_it(umask):
    assert _umask() == umask
    assert os.umask(umask) == umask  # still the same afterwards


def test_written_files_respect_the_umask(tmp_path, umask):
    want = 0o666 & ~umask
    res = archgym.run("archgym/Systolic-v0", "random", 30, seed=0, log_dir=tmp_path / "runs",
                      env_kwargs={"workload": "alexnet"})
    assert mode(res.path) == want
    assert mode(tmp_path / "runs") == 0o777 & ~umask  # a directory it had to create
    merged = datasets.merge(tmp_path / "runs", tmp_path / "merged.parquet")
    assert mode(merged) == want
    env = archgym.make("archgym/Systolic-v0", workload="alexnet")
    rec = Recorder(env.unwrapped, {"run_id": "p"}, 4)
    idx = env.unwrapped.space.sample_indices(np.random.default_rng(0), 2)
    result, rewards = env.unwrapped.evaluate_indices(idx)
    rec.add(idx, result, rewards)
    part = write_partial(rec, tmp_path / "runs", "p", {"run_id": "p", "budget": 4})
    assert mode(part) == want
    proxy, _ = fit_proxy(res.trajectory, reference=env.unwrapped.simulator, estimator="tree", timing_batch=10)
    assert mode(proxy.save(tmp_path / "p.proxy")) == want
    assert mode(atomic_write_text(tmp_path / "failed" / "r.json", "{}")) == want
