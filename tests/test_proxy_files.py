"""Proxy files: loading never runs code, untrusted types and old pickles are refused, corrupt files
fail at load (naming the file), and every built-in estimator saves only trusted types."""

from __future__ import annotations

import io
import json
import os
import pickle
import warnings
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from test_proxy import Smooth, frame_of

import archgym
from archgym.errors import ArchGymError
from archgym.proxy import ESTIMATORS, ProxyError, ProxySimulator, fit_proxy, make_estimator
from archgym.proxy._store import FORMAT_VERSION, TRUSTED_TYPES, dumps_model, types_in


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A small tree proxy of the Smooth simulator, saved once."""
    sim = Smooth()
    designs = sim.space.sample(np.random.default_rng(0), 300)
    proxy, _ = fit_proxy(frame_of(sim, designs), sim.space, ["f"], estimator="tree", test_size=0.2,
                         timing_batch=50)
    path = tmp_path_factory.mktemp("proxy") / "smooth.zip"
    proxy.save(path)
    return path


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    return path


def model_state(path: Path) -> dict:
    import skops.io as sio

    blob = entries(path)["model.skops"]
    return sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))


def with_state(saved: Path, out: Path, change) -> Path:
    state = model_state(saved)
    change(state)
    return write_zip(out, {**entries(saved), "model.skops": dumps_model(state)})


def with_meta(saved: Path, out: Path, change) -> Path:
    files = entries(saved)
    meta = json.loads(files["meta.json"])
    new = change(meta)
    files["meta.json"] = new if isinstance(new, bytes) else json.dumps(meta if new is None else new).encode()
    return write_zip(out, files)


class RunsShell:
    """Unpickling this runs ``touch <marker>``: the classic hostile pickle."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_an_old_pickle_proxy_is_refused_without_running_it(saved, tmp_path):
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(RunsShell(control)))  # the payload is live: unpickling it runs the command
    assert control.exists()
    marker = tmp_path / "pwned"
    meta = {**json.loads(entries(saved)["meta.json"]), "format": 1}
    old = write_zip(tmp_path / "old.zip", {"meta.json": json.dumps(meta).encode(),
                                           "model.pkl": pickle.dumps({"models": RunsShell(marker)})})
    with pytest.raises(ProxyError, match="older archgym.*pickle.*archgym proxy train") as exc:
        ProxySimulator.load(old)
    assert str(old) in str(exc.value) and not marker.exists()
    raw = tmp_path / "raw.pkl"  # a bare pickle handed over as a proxy
    raw.write_bytes(pickle.dumps(RunsShell(marker)))
    with pytest.raises(ProxyError, match="not a saved archgym proxy") as exc:
        ProxySimulator.load(raw)
    assert str(raw) in str(exc.value) and not marker.exists()


def hostile_skops(marker: Path) -> bytes:
    """A skops file that, if loaded with ``posix.system`` trusted, calls ``os.system('touch marker')``."""
    call = {"__class__": os.system.__name__, "__module__": os.system.__module__,
            "__loader__": "ConstructorFromReduceNode", "__id__": 1,
            "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode", "__id__": 2,
                        "content": [{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                                     "content": json.dumps(f"touch {marker}"), "is_json": True, "__id__": 3}]}}
    schema = {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "__id__": 4,
              "content": {"models": call},
              "key_types": {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "__id__": 5,
                            "content": [{"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode",
                                         "__id__": 6}]},
              "protocol": 2, "_skops_version": "0.16.0"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", json.dumps(schema))
    return buf.getvalue()


def test_a_skops_model_with_an_untrusted_type_is_refused_without_running_it(saved, tmp_path):
    import skops.io as sio

    control = tmp_path / "control"
    blob = hostile_skops(control)
    sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))  # live: trusting it runs the command
    assert control.exists()
    marker = tmp_path / "pwned"
    bad = write_zip(tmp_path / "bad.zip", {**entries(saved), "model.skops": hostile_skops(marker)})
    with pytest.raises(ProxyError, match=r"refused to load.*posix\.system") as exc:
        ProxySimulator.load(bad)
    assert str(bad) in str(exc.value) and not marker.exists()
    # the same refusal where users meet it: an env backend
    with pytest.raises(ArchGymError, match="refused to load"):
        gym.make("archgym/DRAM-v0", backend=f"proxy:{bad}")
    assert not marker.exists()


def test_every_builtin_estimator_saves_only_trusted_types():
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    X = rng.random((80, 4))
    y = X @ np.array([1.0, 2.0, -1.0, 0.5])
    found: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ESTIMATORS:
            for target in (y, np.stack([y, X[:, 0]], axis=1)):
                if name == "hgb" and target.ndim == 2:
                    continue  # not multi-output
                found |= types_in(dumps_model({"m": make_estimator(name, 0, 4).fit(X, target)}))
        found |= types_in(dumps_model({"f": RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y > 1)}))
    assert found <= TRUSTED_TYPES, sorted(found - TRUSTED_TYPES)


@pytest.mark.parametrize("estimator", ["rf", "hgb", "gp", "knn", "mlp", "linear"])
def test_builtin_estimators_round_trip_through_the_safe_format(tmp_path, estimator):
    sim = Smooth()
    designs = sim.space.sample(np.random.default_rng(1), 120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proxy, _ = fit_proxy(frame_of(sim, designs), sim.space, ["f"], estimator=estimator, timing_batch=20)
    path = proxy.save(tmp_path / "p.zip")
    assert set(entries(path)) == {"meta.json", "model.skops"}
    back = ProxySimulator.load(path)
    probe = sim.space.sample(np.random.default_rng(2), 30)
    np.testing.assert_array_equal(back.evaluate(probe)["f"], proxy.evaluate(probe)["f"])


def test_a_custom_estimator_needs_its_types_named(tmp_path):
    from sklearn.linear_model import Ridge

    sim = Smooth()
    proxy, _ = fit_proxy(frame_of(sim, sim.space.sample(np.random.default_rng(1), 60)), sim.space, ["f"],
                         estimator=Ridge(), timing_batch=20)
    path = proxy.save(tmp_path / "ridge.zip")
    with pytest.raises(ProxyError, match=r"sklearn\.linear_model\._ridge\.Ridge.*trusted="):
        ProxySimulator.load(path)
    assert ProxySimulator.load(path, trusted=["sklearn.linear_model._ridge.Ridge"]).metric_names == ("f",)


def _drop_metric(state):
    state["models"].pop("f")


CORRUPT = {
    "meta is not JSON": ("meta", lambda m: b"{not json"),
    "meta is a list": ("meta", lambda m: [m]),
    "meta has no space": ("meta", lambda m: m.pop("space") and None),
    "metrics are a string": ("meta", lambda m: {**m, "metrics": "f"}),
    "space is malformed": ("meta", lambda m: {**m, "space": {"params": [{"kind": "nope"}]}}),
    "format from the future": ("meta", lambda m: {**m, "format": FORMAT_VERSION + 1}),
    "a metric's model is missing": ("state", _drop_metric),
    "a transform has a wrong type": ("state", lambda s: s["transforms"].__setitem__("f", ["yes", 0.0, 1.0])),
    "a transform is not finite": ("state", lambda s: s["transforms"].__setitem__("f", [True, float("nan"), 1.0])),
    "x_range has the wrong length": ("state", lambda s: s.__setitem__("x_range", [np.zeros(2), np.ones(2)])),
    "a model is not a model": ("state", lambda s: s["models"].__setitem__("f", "tree")),
    "the record is missing a key": ("state", lambda s: s.pop("transforms")),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_a_corrupt_proxy_fails_at_load_naming_the_file(saved, tmp_path, case):
    part, change = CORRUPT[case]
    out = tmp_path / "corrupt.zip"
    path = with_meta(saved, out, change) if part == "meta" else with_state(saved, out, change)
    with pytest.raises(ProxyError) as exc:
        ProxySimulator.load(path)
    assert str(path) in str(exc.value)


def test_a_model_of_the_wrong_width_fails_at_load(saved, tmp_path):
    from sklearn.tree import DecisionTreeRegressor

    def narrow(state):
        state["models"]["f"] = DecisionTreeRegressor().fit(np.zeros((4, 2)), np.arange(4.0))

    path = with_state(saved, tmp_path / "narrow.zip", narrow)
    with pytest.raises(ProxyError, match="cannot predict") as exc:
        ProxySimulator.load(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("blob", [b"", b"garbage", b"PK\x03\x04 truncated"])
def test_garbage_files_are_not_proxies(tmp_path, blob):
    path = tmp_path / "junk.zip"
    path.write_bytes(blob)
    with pytest.raises(ProxyError, match="not a saved archgym proxy") as exc:
        archgym.proxy.load_proxy(path)
    assert str(path) in str(exc.value)


def test_a_garbage_model_entry_is_refused(saved, tmp_path):
    path = write_zip(tmp_path / "g.zip", {**entries(saved), "model.skops": b"not a zip"})
    with pytest.raises(ProxyError, match="not a valid skops file") as exc:
        ProxySimulator.load(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("estimator", ["tree", "rf", "extra"])
@pytest.mark.parametrize("outputs", [1, 2])
def test_the_fast_prediction_path_is_predict_bit_for_bit(estimator, outputs):
    from archgym.proxy._models import fast_predict

    rng = np.random.default_rng(3)
    X = rng.random((200, 5)) * 10
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    target = y if outputs == 1 else np.stack([y, X[:, 2] * X[:, 3]], axis=1)
    model = make_estimator(estimator, 0, 5).fit(X, target)
    probe = rng.random((57, 5)) * 12 - 1
    for rows in (probe, probe[:1]):
        np.testing.assert_array_equal(fast_predict(model, rows), model.predict(rows))


def test_a_saved_dram_proxy_steps_in_under_a_millisecond(tmp_path):
    import time

    env = gym.make("archgym/DRAM-v0", trace="stream")
    res = archgym.run(env, "random", 300, seed=0)
    proxy, _ = fit_proxy(res.trajectory, reference=env.unwrapped.simulator, estimator="tree", timing_batch=50)
    path = proxy.save(tmp_path / "dram.proxy")
    penv = gym.make("archgym/DRAM-v0", trace="stream", backend=f"proxy:{path}")
    penv.reset(seed=0)
    actions = [penv.action_space.sample() for _ in range(20)]
    penv.step(actions[0])
    n = 300
    t0 = time.process_time()  # CPU time: other jobs on the machine do not count
    for i in range(n):
        _, _, term, trunc, _ = penv.step(actions[i % len(actions)])
        if term or trunc:
            penv.reset()
    ms = 1e3 * (time.process_time() - t0) / n
    assert ms <= 1.0, f"{ms:.3f} ms per step"


def test_an_entry_too_large_to_inflate_is_refused(saved, tmp_path, monkeypatch):
    from archgym.proxy import _store

    monkeypatch.setitem(_store.MAX_BYTES, "model.skops", 1000)  # stands for 4 GiB: a zip bomb's size
    with pytest.raises(ProxyError, match="model.skops inflates to .* more than the 1,000") as exc:
        ProxySimulator.load(saved)
    assert str(saved) in str(exc.value)


def test_a_second_load_of_the_same_model_reuses_it(saved, monkeypatch):
    from archgym.proxy import _simulator

    first = ProxySimulator.load(saved)
    calls = []
    monkeypatch.setattr(_simulator, "loads_model", lambda *a: calls.append(a))
    second = ProxySimulator.load(saved)
    assert calls == [] and second.models["f"] is first.models["f"] and second is not first


def test_the_cli_refuses_a_hostile_proxy_in_one_line(saved, tmp_path):
    from typer.testing import CliRunner

    from archgym.cli import app

    marker = tmp_path / "pwned"
    bad = write_zip(tmp_path / "bad.zip", {**entries(saved), "model.skops": hostile_skops(marker)})
    data = archgym.run("archgym/Systolic-v0", "random", 5, seed=0, log_dir=tmp_path / "runs",
                       env_kwargs={"workload": "alexnet"}).path
    r = CliRunner().invoke(app, ["proxy", "eval", str(bad), str(data)])
    assert r.exit_code == 2 and "refused to load" in r.output and str(bad) in r.output
    assert "Traceback" not in r.output and not marker.exists()
