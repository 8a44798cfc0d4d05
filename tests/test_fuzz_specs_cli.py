"""Fuzz: sweep specs (YAML) and command-line arguments.

Specs: a valid spec with values replaced by arbitrary YAML scalars, keys duplicated, or bytes
corrupted: a :class:`~archgym.errors.SweepSpecError` naming the file (and the key or line), or an
expanded sweep whose seeds and budget are in range.

CLI: ``archgym`` argument lists built from real options with arbitrary values: exit status 0, or
2 with exactly one ``error:`` line (never status 1, which means an unexpected exception, and
never a traceback).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml
from fuzzkit import CASE_SECONDS, COUNTS, RAW, TALLY, fuzz_settings, outcome
from hypothesis import given
from hypothesis import strategies as st

from archgym.cli import main
from archgym.sweep import load_spec

TMP = Path(tempfile.mkdtemp(prefix="archgym-fuzz-"))
atexit.register(shutil.rmtree, TMP, True)

scalars = st.one_of(
    st.integers(0, 8), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=6), st.sampled_from(["no", "yes", "~", "1e3", "0x10", "random", "ga", "archgym/Systolic-v0",
                                          "[1, 2]", "{a: 1}", "*x", "&x a", "!!python/object:os.system"]),
)
SPEC = {"name": "fuzz", "budget": 3, "seeds": [0, 1], "envs": [{"id": "archgym/Systolic-v0",
                                                                 "kwargs": {"workload": "alexnet"}}],
        "agents": ["random", {"name": "ga", "grid": {"population": [4, 6]}, "hparams": {"mutation": 0.2}}]}
PATHS = [("budget",), ("seeds",), ("seeds", 0), ("name",), ("envs", 0, "id"), ("envs", 0, "kwargs", "workload"),
         ("envs", 0, "kwargs"), ("agents", 0), ("agents", 1, "name"), ("agents", 1, "grid", "population"),
         ("agents", 1, "grid", "population", 0), ("agents", 1, "hparams", "mutation"), ("agents", 1, "hparams"),
         ("envs", 0, "objectives")]


@st.composite
def spec_text(draw):
    import copy

    spec = copy.deepcopy(SPEC)
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
        path = draw(st.sampled_from(PATHS))
        obj = spec
        try:
            for k in path[:-1]:
                obj = obj[k]
            obj[path[-1]] = draw(st.one_of(scalars, st.just({"kind": "constrained", "budgets": {"latency_ms": 1}}),
                                           st.lists(scalars, max_size=3)))
        except (KeyError, IndexError, TypeError):
            pass
    text = yaml.safe_dump(spec, sort_keys=False)
    how = draw(st.sampled_from(["none", "none", "none", "none", "dup", "bytes", "tab", "bignum"]))
    if how == "bignum":  # numbers Python will not convert (more than 4,300 digits) or that overflow
        text += f"budget: {draw(st.sampled_from(['9' * 5000, '1e400', '-.inf', '.nan', '0x' + 'f' * 200]))}\n"
    if how == "dup":  # a top-level key given twice
        key = draw(st.sampled_from(["budget", "name", "seeds"]))
        text += f"{key}: {draw(st.integers(1, 5))}\n"
    data = text.encode("utf-8")
    if how == "bytes":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=3)) + data[pos:]
    elif how == "tab":
        data = data.replace(b"  ", b"\t", 1)
    return data


@fuzz_settings(max_examples=120)
@given(spec_text())
def test_fuzz_sweep_specs(data):
    path = TMP / "spec.yaml"
    path.write_bytes(data)
    sweep = outcome("specs", lambda: load_spec(path), names=[str(path)])
    if sweep is not None:
        assert len(sweep.runs) >= 1
        for r in sweep.runs:
            assert 0 <= r.seed < 2**32 and 1 <= r.budget <= 10**7


OPTIONS = {
    "run": ["--env", "--agent", "--budget", "--seed", "--out", "--set", "--env-arg", "--objective"],
    "sweep": ["--out", "--workers", "--backend", "--batch-size"],
    "dataset validate": [],
    "dataset info": [],
    "proxy train": ["--env", "--out", "--estimator"],
}
values = st.one_of(
    st.sampled_from(["archgym/Systolic-v0", "archgym/DRAM-v0", "nope", "random", "ga", "-1", "0", "2", "3",
                     "1180591620717411303424", "{bad", '{"kind": "minimize", "metric": "latency_ms"}', "[1]",
                     "population=4", "population=-5", "unique=no", "workload=alexnet", "trace=nope", "worklaod=x",
                     "nope=1", "=", "ray", "local", "/nonexistent", "", "\u00e9", "--budget", "1e3", "NaN"]),
    st.text(max_size=8),
)


@st.composite
def argv(draw):
    cmd = draw(st.sampled_from(sorted(OPTIONS)))
    args = cmd.split()
    out = TMP / f"out{draw(st.integers(0, 3))}"
    if cmd == "run":
        args += ["--no-progress", "--no-plot", "--budget", "2", "--env-arg", "workload=alexnet", "--out", str(out)]
    elif cmd == "sweep":
        args += [draw(st.sampled_from(["/nonexistent.yaml", str(TMP / "cli-spec.yaml")])), "--dry-run"]
    else:
        args += [draw(st.sampled_from(["/nonexistent", str(TMP), str(TMP / "cli-spec.yaml")]))]
        if cmd == "proxy train":
            args += ["--out", str(TMP / "p.prx")]
    for _ in range(draw(st.integers(0, 3))):
        opt = draw(st.sampled_from(OPTIONS[cmd] + ["--bogus"])) if OPTIONS[cmd] else "--bogus"
        args += [opt, draw(values)]
    if draw(st.integers(0, 9)) == 0:
        args.insert(0, draw(st.sampled_from(["nope", "--debugg", "-x"])))
    return args


@fuzz_settings(max_examples=120)
@given(argv())
def test_fuzz_cli(args):
    (TMP / "cli-spec.yaml").write_text(yaml.safe_dump(SPEC))
    (TMP / "afile").write_text("x")
    err, out = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    argv, sys.argv = sys.argv, ["archgym", *args]  # as the installed script sees them
    cwd = os.getcwd()
    scratch = Path(tempfile.mkdtemp(dir=TMP))
    os.chdir(scratch)  # an arbitrary relative --out must land in a scratch folder, not the checkout
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception as exc:  # only an old archgym (tally mode) lets one escape
                if not TALLY:
                    raise
                code, err = 1, io.StringIO(f"Traceback: {type(exc).__name__}: {exc}")
    finally:
        sys.argv = argv
        os.chdir(cwd)
        shutil.rmtree(scratch, ignore_errors=True)
    took = time.perf_counter() - t0
    text = err.getvalue()
    lines = [ln for ln in text.splitlines() if ln.startswith("error:")]
    bad = code not in (0, 2) or "Traceback" in text or (code == 2 and len(lines) != 1)
    if bad and TALLY:
        COUNTS[("cli", "raw")] += 1
        RAW.append(("cli", f"exit {code}", f"{args}: {text.strip().splitlines()[-1][:150] if text.strip() else ''}"))
        return
    assert took < 3 * CASE_SECONDS, f"archgym {args} took {took:.1f} s"
    assert code in (0, 2), f"archgym {args} exited {code}: {text[-500:]}"
    assert "Traceback" not in text
    if code == 2:
        assert len(lines) == 1, f"archgym {args}: expected one error line, got {text!r}"
    COUNTS[("cli", "ok" if code == 0 else "error")] += 1
