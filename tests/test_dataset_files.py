"""Corrupt or hostile dataset files: every consumer (validate, load, merge, fit_proxy, resuming a
sweep or a run) refuses them with an archgym error naming the file and what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import archgym
from archgym import datasets
from archgym.errors import ArchGymError, DatasetError
from archgym.proxy import fit_proxy
from archgym.recorder import partial_path
from archgym.sweep import expand, run_sweep

ENV = "archgym/Systolic-v0"
KW = {"workload": "alexnet"}
BUDGET = 12


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """One valid run file (Systolic-v0, 12 random designs)."""
    d = tmp_path_factory.mktemp("good")
    return archgym.run(ENV, "random", BUDGET, seed=0, log_dir=d, env_kwargs=KW).path


def rewrite(src: Path, dest: Path, meta: bytes | None = None, change=None) -> Path:
    table = pq.read_table(src)
    md = dict(table.schema.metadata)
    if change is not None:
        table = pa.Table.from_pandas(change(table.to_pandas()), preserve_index=False)
    if meta is not None:
        md[datasets.META_KEY] = meta
    pq.write_table(table.replace_schema_metadata(md), dest)
    return dest


def meta_of(src: Path, **changes) -> bytes:
    meta = datasets.read_metadata(src)
    meta.update(changes)
    return json.dumps(meta).encode()


def _inf(df):
    df.loc[3, "metric.energy_mJ"] = np.inf
    return df


def _negative(df):
    df.loc[5, "metric.latency_ms"] = -1.0
    return df


#: case -> (how to make the file from a good one, words the error must contain)
CASES = {
    "metadata is not JSON": (lambda s, d: rewrite(s, d, meta=b"{oops"), "not valid JSON"),
    "metadata is a list": (lambda s, d: rewrite(s, d, meta=b"[1, 2]"), "JSON list, not an object"),
    "another schema version": (lambda s, d: rewrite(s, d, meta=meta_of(s, schema_version=99)), "schema_version 99"),
    "run id differs from the rows": (lambda s, d: rewrite(s, d, meta=meta_of(s, run_id="someone-else")),
                                     "run_id 'someone-else'"),
    "no rows": (lambda s, d: rewrite(s, d, change=lambda df: df.iloc[:0]), "no rows"),
    "too few rows": (lambda s, d: rewrite(s, d, change=lambda df: df.iloc[:5]), "5 rows but its metadata budget is 12"),
    "an infinite metric": (lambda s, d: rewrite(s, d, change=_inf), "'metric.energy_mJ' row 3 is inf"),
    "a negative metric": (lambda s, d: rewrite(s, d, change=_negative), "'metric.latency_ms' row 5 is -1.0, negative"),
}


@pytest.fixture(params=sorted(CASES))
def bad(request, good, tmp_path) -> tuple[Path, str]:
    make, words = CASES[request.param]
    d = tmp_path / "data"
    d.mkdir()
    path = make(good, d / good.name)
    return path, words


def test_validate_names_the_file_and_the_problem(bad):
    path, words = bad
    problems = datasets.validate(path.parent)
    assert any(str(path) in p and words in p for p in problems), problems


def test_load_refuses_the_file(bad):
    path, words = bad
    with pytest.raises(DatasetError, match=words.replace("[", r"\[")) as exc:
        datasets.load(path.parent)
    assert str(path) in str(exc.value)


def test_merge_refuses_the_file(bad, good, tmp_path):
    path, words = bad
    with pytest.raises(DatasetError) as exc:
        datasets.merge([good, path], tmp_path / "merged.parquet")
    assert str(path) in str(exc.value) and words in str(exc.value)
    assert not (tmp_path / "merged.parquet").exists()


def test_fit_proxy_refuses_the_file(bad):
    path, words = bad
    with pytest.raises(ArchGymError) as exc:
        fit_proxy(path.parent, test_size=0.0)
    assert str(path) in str(exc.value) and words in str(exc.value)


@pytest.mark.parametrize("case", ["metadata is not JSON", "metadata is a list", "another schema version"])
def test_resuming_a_sweep_refuses_a_corrupt_or_other_version_file(tmp_path, case):
    sw = expand({"name": "r", "budget": BUDGET, "seeds": [0], "envs": [{"id": ENV, "kwargs": KW}],
                 "agents": [{"name": "random"}]})
    out = tmp_path / "out"
    run_sweep(sw, out, workers=1)
    path = out / f"{sw.ids[0]}.parquet"
    make, words = CASES[case]
    tmp = make(path, tmp_path / "x.parquet")
    tmp.replace(path)
    before = path.read_bytes()
    with pytest.raises(DatasetError, match=words.split("'")[0].replace("[", r"\[")) as exc:
        run_sweep(sw, out, workers=1)
    assert str(path) in str(exc.value)
    assert path.read_bytes() == before  # not overwritten


@pytest.mark.parametrize("case", ["another schema version", "run id differs from the rows", "an infinite metric"])
def test_resuming_a_run_refuses_a_bad_partial_file(good, tmp_path, case):
    rid = datasets.read_metadata(good)["run_id"]
    partial = partial_path(tmp_path, rid)
    meta = meta_of(good, complete=False, evaluations=BUDGET)
    rewrite(good, tmp_path / "p.parquet", meta=meta)
    make, words = CASES[case]
    make(tmp_path / "p.parquet", partial)
    with pytest.raises(DatasetError) as exc:
        archgym.run(ENV, "random", BUDGET, seed=0, log_dir=tmp_path, env_kwargs=KW)
    assert str(partial) in str(exc.value) and "delete it" in str(exc.value)
