"""Dataset schema, validation, merge, export, import, and concurrent/killed writers."""

from __future__ import annotations

import json
import multiprocessing as mp
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from toy import ToySimulator

from archgym import datasets
from archgym.envs import DesignEnv
from archgym.objectives import Minimize
from archgym.runner import run


def _toy_run(log_dir: Path, seed: int = 0, budget: int = 40):
    env = DesignEnv(ToySimulator(), Minimize("cost"), max_steps=8, env_id="archgym/Toy-v0")
    return run(env, "random", budget, seed=seed, log_dir=log_dir)


def test_schema_round_trip(tmp_path):
    res = _toy_run(tmp_path)
    df = datasets.load(res.path)
    pd.testing.assert_frame_equal(df, res.trajectory)
    meta = datasets.read_metadata(res.path)
    assert meta["schema_version"] == datasets.SCHEMA_VERSION
    assert [p["name"] for p in meta["space"]["params"]] == ["a", "b", "c", "d"]
    assert [m["name"] for m in meta["metrics"]] == ["cost", "perf"]
    assert meta["simulator"] == "toy" and meta["workload"] == "toy" and meta["config_hash"]
    assert df["design.b"].dtype == "int64" and df["metric.cost"].dtype == "float64"
    assert df["feasible"].dtype == bool and (df["step"].to_numpy() == np.arange(len(df))).all()
    assert datasets.validate(tmp_path) == []


def _rewrite(path: Path, df: pd.DataFrame) -> None:
    meta = {k: v for k, v in datasets.read_metadata(path).items() if k != "schema_version"}
    datasets.write_parquet_atomic(datasets.to_table(df, meta), path)


def test_validate_names_file_and_column(tmp_path):
    res = _toy_run(tmp_path)
    df = datasets.load(res.path)
    _rewrite(res.path, df.drop(columns=["metric.perf"]).assign(**{"metric.bogus": 1.0}))
    problems = datasets.validate(tmp_path)
    assert any(str(res.path) in p and "'metric.perf' is missing" in p for p in problems), problems
    assert any("unexpected column 'metric.bogus'" in p for p in problems), problems

    df2 = df.copy()
    df2["design.b"] = 3  # not a power of two
    _rewrite(res.path, df2)
    problems = datasets.validate(res.path)
    assert len(problems) == 1 and "'design.b'" in problems[0] and "outside the space" in problems[0]

    _rewrite(res.path, df.assign(seed=df["seed"].astype(str)))
    assert any("'seed' has dtype" in p for p in datasets.validate(res.path))


def test_merge_dedupes_identical_evaluations(tmp_path):
    runs = tmp_path / "runs"
    _toy_run(runs, seed=0, budget=60)
    _toy_run(runs, seed=1, budget=60)
    df = datasets.load(runs)
    out = datasets.merge(runs, tmp_path / "merged.parquet")
    merged = datasets.load(out)
    key = datasets.design_columns(df)
    assert len(merged) == len(df.drop_duplicates(subset=key)) < len(df)  # the toy space is small: repeats exist
    assert not merged.duplicated(subset=key).any()
    assert datasets.validate(out) == []
    assert datasets.read_metadata(out)["rows_before_merge"] == len(df)


def test_export_csv_and_minari_episodes(tmp_path):
    res = _toy_run(tmp_path, budget=20)
    csv = datasets.export_csv(tmp_path, tmp_path / "out" / "all.csv")
    back = pd.read_csv(csv)
    assert list(back.columns) == list(res.trajectory.columns) and len(back) == 20
    df, meta = datasets.load_with_metadata(tmp_path)
    eps = datasets.minari_episodes(df, meta, episode_len=8)
    assert [len(e["actions"]) for e in eps] == [8, 8, 4]
    env = DesignEnv(ToySimulator(), Minimize("cost"), max_steps=8)
    # the rebuilt observations are exactly what the env produced
    for i, row in df.iloc[:8].iterrows():
        env.reset(seed=0)
        obs, reward, *_ = env.step(env.space.encode({k[7:]: row[k] for k in datasets.design_columns(df)}))
        np.testing.assert_allclose(eps[0]["observations"][i + 1], obs, rtol=1e-6)
        assert eps[0]["rewards"][i] == pytest.approx(reward)
    assert eps[0]["truncations"][-1] and not eps[0]["terminations"].any()


def test_export_minari_without_minari_is_a_clear_error(tmp_path):
    pytest.importorskip("pyarrow")
    try:
        import minari  # noqa: F401
    except ImportError:
        _toy_run(tmp_path, budget=10)
        with pytest.raises(ImportError, match="pip install minari"):
            datasets.export_minari(tmp_path, "toy/random-v0")
    else:  # pragma: no cover - depends on the environment
        pytest.skip("minari is installed; test_minari_export_round_trip covers the export")


def _writer(directory: str, worker: int, n_runs: int) -> None:
    for k in range(n_runs):
        _toy_run(Path(directory), seed=1000 * worker + k, budget=30)


def test_concurrent_writers_never_corrupt_each_other(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, 6)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    files = sorted(tmp_path.glob("*.parquet"))
    assert len(files) == 12 and not list(tmp_path.glob(".*"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = datasets.load(tmp_path)
    assert len(df) == 12 * 30 and df["run_id"].nunique() == 12
    assert datasets.validate(tmp_path) == []


def test_killed_writer_files_are_ignored_with_a_warning(tmp_path):
    res = _toy_run(tmp_path, budget=10)
    good = res.path.read_bytes()
    (tmp_path / f".{res.path.name}.abc123.tmp").write_bytes(good[: len(good) // 2])  # atomic writer killed
    (tmp_path / "truncated.parquet").write_bytes(good[: len(good) // 2])  # a non-atomic writer killed
    with pytest.warns(UserWarning) as rec:
        df = datasets.load(tmp_path)
    msgs = " ".join(str(w.message) for w in rec)
    assert "incomplete dataset file" in msgs and "truncated.parquet" in msgs
    assert len(df) == 10
    with pytest.raises(datasets.DatasetError, match="truncated.parquet"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            datasets.load(tmp_path, strict=True)
    problems = datasets.validate(tmp_path)
    assert len(problems) == 2 and any("truncated.parquet" in p for p in problems)


def _csv(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "ext.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_import_csv_maps_ignores_and_names_bad_values(tmp_path):
    space = ToySimulator().space
    good = [{"A": "x", "b": 8, "c": 3, "d": 1.0, "Fixed": "k", "cost_total": 0.5, "trace": "t1"},
            {"A": "y", "b": 2, "c": 9, "d": 10.0, "Fixed": "k", "cost_total": float("nan"), "trace": "t2"}]
    df, meta = datasets.import_csv(_csv(tmp_path, good), space, {"cost_total": "cost"}, rename={"A": "a"},
                                   ignore=["Fixed"], workload_column="trace", simulator="othersim",
                                   metric_defs=ToySimulator().metrics)
    assert list(df["design.a"]) == ["x", "y"] and list(df["workload"]) == ["t1", "t2"]
    assert list(df["feasible"]) == [True, False]
    assert meta["metrics"][0]["goal"] == "min"
    out = datasets.write_run(df, tmp_path / "imported", "ext", meta)
    assert datasets.validate(out) == []

    with pytest.raises(datasets.DatasetError, match=r"unknown column\(s\) \['Fixed'\].*ignore="):
        datasets.import_csv(_csv(tmp_path, good), space, {"cost_total": "cost"}, rename={"A": "a"},
                            workload_column="trace")
    bad = [dict(good[0], b=3)]
    with pytest.raises(datasets.DatasetError, match=r"line 2, column 'b' = 3 is outside the design space"):
        datasets.import_csv(_csv(tmp_path, bad), space, {"cost_total": "cost"}, rename={"A": "a"},
                            ignore=["Fixed"], workload_column="trace")


def test_import_dramsys_calibration(dramsys_dir):
    from archgym.spaces import Categorical, DesignSpace, Integer, Pow2

    raw = pd.read_csv(dramsys_dir / "calibration.csv", nrows=1)
    space = DesignSpace((
        Categorical("PagePolicy", choices=("Open", "OpenAdaptive", "Closed", "ClosedAdaptive")),
        Categorical("Scheduler", choices=("Fifo", "FrFcfs", "FrFcfsGrp")),
        Categorical("SchedulerBuffer", choices=("Bankwise", "ReadWrite", "Shared")),
        Integer("RequestBufferSize", low=1, high=8), Categorical("RespQueue", choices=("Fifo", "Reorder")),
        Categorical("RefreshPolicy", choices=("NoRefresh", "AllBank")), Integer("RefreshMaxPostponed", low=1, high=8),
        Integer("RefreshMaxPulledin", low=1, high=8), Categorical("Arbiter", choices=("Simple", "Fifo", "Reorder")),
        Pow2("MaxActiveTransactions", 1, 128)))
    metrics = {"energy_pJ": "energy_pJ", "power_mW": "power_mW", "total_time_ns": "time_ns"}
    ignore = [c for c in raw.columns if c not in set(space.names) | set(metrics) | {"trace"}]
    df, meta = datasets.import_csv(dramsys_dir / "calibration.csv", space, metrics, ignore=ignore,
                                   workload_column="trace", simulator="DRAMSys", simulator_version="4.0")
    assert len(df) == 1080 and df["feasible"].all()
    assert set(df["workload"]) >= {"stream.stl", "random.stl", "cloud-1.stl", "cloud-2.stl"}
    assert json.loads(df["hparams"].iloc[0]) == {}


def test_minari_export_round_trip(tmp_path, monkeypatch):
    """With the optional minari package installed, runs become Minari episodes the env would produce."""
    pytest.importorskip("minari")
    import gymnasium as gym
    import numpy as np

    from archgym.datasets import export_minari
    from archgym.runner import run

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    res = run("archgym/Systolic-v0", "random", budget=20, seed=0, log_dir=tmp_path / "runs",
              env_kwargs={"max_steps": 5, "workload": "alexnet"})
    ds = export_minari(tmp_path / "runs", "archgym/systolic-test-v0", author="tests")
    assert ds.total_episodes == 4 and ds.total_steps == 20
    ep = next(ds.iterate_episodes())
    np.testing.assert_allclose(ep.rewards, res.trajectory["reward"][:5])
    env = gym.make("archgym/Systolic-v0", max_steps=5, workload="alexnet")
    env.reset(seed=0)
    np.testing.assert_allclose(env.step(ep.actions[0])[0], ep.observations[1], rtol=1e-6)


def test_readme_schema_table_is_the_declared_schema():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert datasets.markdown_table() in readme, "regenerate the README table from archgym.datasets.markdown_table()"


def test_objective_and_config_are_columns_and_merge_keeps_objectives_apart(tmp_path: Path):
    from archgym.envs import DesignEnv
    from archgym.objectives import Minimize, Target
    from archgym.runner import run

    for obj in (Target({"perf": 1.0}), Minimize("cost")):
        run(DesignEnv(ToySimulator(), obj, env_id="test/Toy"), "random", 10, seed=0, log_dir=tmp_path)
    df = datasets.load(tmp_path)
    assert df["objective"].nunique() == 2 and df["config_hash"].nunique() == 1
    assert json.loads(df["objective"].iloc[0])["kind"] in ("target", "minimize")
    merged = datasets.load(datasets.merge(tmp_path, tmp_path / "merged" / "m.parquet"))
    assert len(merged) == len(datasets.dedupe(df)) and merged["objective"].nunique() == 2
    assert len(datasets.dedupe(df, per_objective=False)) == len(merged) // 2  # same designs, two objectives


def test_schema_version_1_files_are_upgraded_on_load(tmp_path: Path):
    import pyarrow.parquet as pq

    from archgym.envs import DesignEnv
    from archgym.objectives import Minimize
    from archgym.runner import run

    res = run(DesignEnv(ToySimulator(), Minimize("cost"), env_id="test/Toy"), "random", 5, seed=0, log_dir=tmp_path)
    meta = datasets.read_metadata(res.path)
    old = res.trajectory.drop(columns=["objective", "config_hash"])
    v1 = datasets.to_table(old, {**meta, "schema_version": 1})
    v1 = v1.replace_schema_metadata({**v1.schema.metadata, b"archgym": json.dumps({**meta, "schema_version": 1}).encode()})
    pq.write_table(v1, tmp_path / "old.parquet")
    df = datasets.load(tmp_path / "old.parquet")
    assert df["objective"].iloc[0] == datasets.canonical_json(meta["objective"])
    assert df["config_hash"].iloc[0] == meta["config_hash"]
    assert list(df.columns) == list(res.trajectory.columns)
    assert any("schema_version 1" in p for p in datasets.validate(tmp_path / "old.parquet"))
