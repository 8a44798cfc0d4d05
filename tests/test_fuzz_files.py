"""Fuzz: dataset (Parquet) and proxy (zip) files.

Each case corrupts a valid file: a metadata field replaced by an arbitrary JSON value, rows dropped
or given arbitrary metric values, bytes flipped or the file truncated.  ``datasets.validate``
returns problems (never raises), ``datasets.load`` and ``ProxySimulator.load`` either raise an
:class:`~archgym.errors.ArchGymError` naming the file or return data / a proxy whose feasible
designs have finite metrics.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fuzzkit import check_result, fuzz_settings, outcome
from hypothesis import given
from hypothesis import strategies as st

import archgym
from archgym import datasets
from archgym.proxy import ProxySimulator, fit_proxy

TMP = Path(tempfile.mkdtemp(prefix="archgym-fuzz-files-"))
atexit.register(shutil.rmtree, TMP, True)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6)


@functools.cache
def _good_run() -> Path:
    d = TMP / "good"
    return archgym.run("archgym/Systolic-v0", "random", 12, seed=0, log_dir=d, env_kwargs={"workload": "alexnet"}).path


@functools.cache
def _good_proxy() -> Path:
    d = TMP / "train"
    archgym.run("archgym/Systolic-v0", "random", 80, seed=1, log_dir=d, env_kwargs={"workload": "alexnet"})
    proxy, _ = fit_proxy(d, test_size=0.0, estimator="tree", timing_batch=10)
    path = TMP / "proxy.zip"
    proxy.save(path)
    return path


def _corrupt_bytes(draw, data: bytes) -> bytes:
    how = draw(st.sampled_from(["flip", "truncate", "garbage"]))
    if how == "flip":
        b = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(b) - 1))
            b[i] ^= draw(st.integers(1, 255))
        return bytes(b)
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    return draw(st.binary(max_size=64))


@st.composite
def dataset_file(draw):
    src = _good_run()
    table = pq.read_table(src)
    meta = json.loads(table.schema.metadata[datasets.META_KEY])
    how = draw(st.sampled_from(["meta", "meta", "rows", "values", "bytes"]))
    df = table.to_pandas()
    if how == "meta":
        key = draw(st.sampled_from(sorted(meta) + ["bogus"]))
        meta[key] = draw(json_values)
    elif how == "rows":
        df = df.iloc[: draw(st.integers(0, len(df)))]
    elif how == "values":
        cols = [c for c in df.columns if c.startswith(datasets.METRIC_PREFIX)] + ["reward", "feasible"]
        col = draw(st.sampled_from(cols))
        row = draw(st.integers(0, len(df) - 1))
        value = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(-1.0)))
        df[col] = df[col].astype(float)
        df.loc[row, col] = value
    out = TMP / "data" / src.name
    out.parent.mkdir(exist_ok=True)
    for old in out.parent.glob("*"):
        old.unlink()
    t = pa.Table.from_pandas(df, preserve_index=False)
    md = dict(table.schema.metadata)
    md[datasets.META_KEY] = json.dumps(meta).encode()
    pq.write_table(t.replace_schema_metadata(md), out)
    if how == "bytes":
        out.write_bytes(_corrupt_bytes(draw, out.read_bytes()))
    return out


@pytest.mark.filterwarnings("ignore:ignoring unreadable dataset file")
@fuzz_settings(max_examples=120)
@given(dataset_file())
def test_fuzz_dataset_files(path):
    problems = outcome("files/dataset-validate", lambda: datasets.validate(path), names=[str(path)])
    assert problems is not None and all(isinstance(p, str) for p in problems)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = outcome("files/dataset-load", lambda: datasets.load(path), names=[str(path)])
    if frame is not None:
        # load refuses whatever validate reports (it runs the same checks), except unreadable files
        assert not (problems and len(frame)), f"load accepted a file validate reports: {problems[0]}"
        if problems and not len(frame):  # an unreadable file is skipped, with a warning naming it
            assert any(str(path) in str(w.message) for w in caught), problems
            return
        metrics = [c for c in frame.columns if c.startswith(datasets.METRIC_PREFIX)]
        feasible = frame["feasible"].to_numpy(bool)
        assert np.isfinite(frame.loc[feasible, metrics].to_numpy(float)).all()


@st.composite
def proxy_file(draw):
    src = _good_proxy()
    with zipfile.ZipFile(src) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    how = draw(st.sampled_from(["meta", "meta", "entry", "bytes"]))
    if how == "meta":
        meta = json.loads(files["meta.json"])
        key = draw(st.sampled_from(sorted(meta) + ["bogus"]))
        meta[key] = draw(json_values)
        files["meta.json"] = json.dumps(meta).encode()
    elif how == "entry":
        name = draw(st.sampled_from(sorted(files)))
        files[name] = _corrupt_bytes(draw, files[name]) if files[name] else b"x"
    out = TMP / "p.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    if how == "bytes":
        out.write_bytes(_corrupt_bytes(draw, out.read_bytes()))
    return out


@fuzz_settings(max_examples=100)
@given(proxy_file())
def test_fuzz_proxy_files(path):
    sim = outcome("files/proxy-load", lambda: ProxySimulator.load(path), names=[str(path)])
    if sim is not None:
        result = outcome("files/proxy-eval", lambda: sim.evaluate(sim.space.sample(np.random.default_rng(0), 4)))
        if result is not None:
            check_result(result, sim.metric_names)
