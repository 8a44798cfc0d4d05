"""Fuzz: workload files — DRAM traces (.stl), memspecs (JSON), systolic topologies (CSV), SoC task
graphs (JSON).

Each case starts from a valid file and corrupts it: a field replaced by an arbitrary token (a
huge or negative number, NaN, a string, a Latin-1 byte), a line duplicated, truncated, or made
of random bytes.  Loading it either raises an :class:`~archgym.errors.ArchGymError` that names
the file, or gives a simulator whose feasible designs have finite, non-negative time, energy and
power.
"""

from __future__ import annotations

import atexit
import copy
import functools
import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
from fuzzkit import check_result, fuzz_settings, outcome
from hypothesis import given
from hypothesis import strategies as st

from archgym.simulators.dram import DRAMSimulator
from archgym.simulators.soc import SoCSimulator
from archgym.simulators.systolic import SystolicSimulator

TMP = Path(tempfile.mkdtemp(prefix="archgym-fuzz-"))
atexit.register(shutil.rmtree, TMP, True)

number_tokens = st.one_of(
    st.integers(-(2**70), 2**70).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "-1", "1e400", "-1e400", "NaN", "Infinity", "1e-400", "9" * 400, "0x10", "1.5", "",
                     "true", "null", '"800"', "[1]", "{}", "1_000", "\u00e9", "-0"]),
)
garbage = st.one_of(st.binary(max_size=12), st.sampled_from([b"\xe9", b"\x00", b"\xff\xfe", b"\r", b"\t", b"#"]))


def _write(name: str, data: bytes) -> Path:
    p = TMP / name
    p.write_bytes(data)
    return p


def _designs(sim, n: int = 3, seed: int = 0):
    return sim.space.sample(np.random.default_rng(seed), n)


def _check_sim(sim, time_metric: str, energy_metric: str, power_metric: str) -> None:
    result = sim.evaluate(_designs(sim))
    check_result(result, sim.metric_names)
    f = result["feasible"]
    for m in (time_metric, energy_metric, power_metric):
        v = np.asarray(result[m])[f]
        assert np.all(v >= 0), f"{m} is negative on a feasible design: {v}"
    return result


@st.composite
def corrupt_lines(draw, lines: list[bytes], tokens_per_line: int):
    """A list of lines with a few corruptions; returns (bytes, description)."""
    lines = list(lines)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["token", "token", "garbage", "dup", "drop", "truncate"]))
        if how == "token":
            parts = lines[i].split(b",") if b"," in lines[i] else lines[i].split(b"\t")
            j = draw(st.integers(0, max(0, min(len(parts), tokens_per_line) - 1)))
            parts[j] = draw(number_tokens).encode("utf-8")
            lines[i] = (b"," if b"," in lines[i] else b"\t").join(parts)
        elif how == "garbage":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(garbage) + lines[i][pos:]
        elif how == "dup":
            lines.insert(i, lines[i])
        elif how == "drop" and len(lines) > 2:
            lines.pop(i)
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return b"\n".join(lines) + b"\n"


# ---- DRAM traces ---------------------------------------------------------------------------------

TRACE = [f"{c}:\t{'write' if c % 3 == 0 else 'read'}\t0x{c * 64 + (c % 7) * 8192:X}".encode() for c in range(12)]


@fuzz_settings(max_examples=120)
@given(corrupt_lines(TRACE, 3))
def test_fuzz_traces(data):
    path = _write("t.stl", data)
    sim = outcome("workloads/trace", lambda: DRAMSimulator(trace=str(path)), names=[str(path)])
    if sim is not None:
        outcome("workloads/trace-eval", lambda: _check_sim(sim, "time_ns", "energy_pJ", "power_mW"))


# ---- memspecs ------------------------------------------------------------------------------------

@functools.cache
def _memspec() -> dict:
    from archgym.simulators.dram.memspec import BUILTIN_MEMSPECS

    return json.loads(resources.files("archgym.data").joinpath("dram", "memspecs",
                                                                 BUILTIN_MEMSPECS["DDR3-1600"]).read_text())


MEMSPEC_FIELDS = [("memtimingspec", k) for k in ("clkMhz", "CL", "WL", "RCD", "RP", "RAS", "RC", "RRD", "FAW", "CCD",
                                                 "WR", "WTR", "RTP", "RFC", "REFI")] + \
                 [("mempowerspec", k) for k in ("vdd", "idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5")] + \
                 [("memarchitecturespec", k) for k in ("nbrOfBanks", "nbrOfRows", "nbrOfColumns", "width",
                                                       "nbrOfDevicesOnDIMM", "burstLength", "dataRate")]


@st.composite
def memspec_text(draw):
    spec = copy.deepcopy(_memspec())
    text = None
    for _ in range(draw(st.integers(1, 2))):
        section, key = draw(st.sampled_from(MEMSPEC_FIELDS))
        how = draw(st.sampled_from(["scale", "token", "drop", "token"]))
        if key not in spec["memspec"][section] or spec["memspec"][section][key] == "@@TOKEN@@":
            continue
        if how == "scale":  # plausible-looking but out-of-range numbers
            spec["memspec"][section][key] = spec["memspec"][section][key] * draw(
                st.sampled_from([-1, 0, 0.5, 1.5, 2, 1000, 1e9, 1e300]))
        elif how == "drop":
            spec["memspec"][section].pop(key, None)
        else:
            spec["memspec"][section][key] = "@@TOKEN@@"
            text = json.dumps(spec).replace('"@@TOKEN@@"', draw(number_tokens) or "0")
    if text is None:
        text = json.dumps(spec)
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(garbage) + data[pos:]
    return data


@fuzz_settings(max_examples=150)
@given(memspec_text())
def test_fuzz_memspecs(data):
    path = _write("m.json", data)
    sim = outcome("workloads/memspec", lambda: DRAMSimulator(trace="stream", memspec=str(path)), names=[str(path)])
    if sim is not None:
        outcome("workloads/memspec-eval", lambda: _check_sim(sim, "time_ns", "energy_pJ", "power_mW"))


@fuzz_settings(max_examples=40)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**70), 2**70),
                 st.text(max_size=4), st.booleans(), st.none()))
def test_fuzz_trace_clock(clk):
    sim = outcome("workloads/trace_clk_mhz", lambda: DRAMSimulator(trace="stream", trace_clk_mhz=clk),
                  names=["trace_clk_mhz"])
    if sim is not None:
        outcome("workloads/trace_clk-eval", lambda: _check_sim(sim, "time_ns", "energy_pJ", "power_mW"))


# ---- systolic topologies -------------------------------------------------------------------------

GEMM = [b"Layer, M, N, K,", b"fc1, 64, 128, 256,", b"fc2, 1, 1000, 512,", b"big, 4096, 4096, 4096,"]
CONV = [b"Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,",
        b"conv1, 32, 32, 3, 3, 3, 16, 1,", b"conv2, 16, 16, 3, 3, 16, 32, 2,", b"conv3, 8, 8, 1, 1, 32, 10, 1,"]


@fuzz_settings(max_examples=150)
@given(st.one_of(corrupt_lines(GEMM, 4), corrupt_lines(CONV, 8)))
def test_fuzz_topologies(data):
    path = _write("topo.csv", data)
    sim = outcome("workloads/topology", lambda: SystolicSimulator(workload=str(path)), names=[str(path)])
    if sim is not None:
        outcome("workloads/topology-eval", lambda: _check_sim(sim, "latency_ms", "energy_mJ", "power_mW"))


@fuzz_settings(max_examples=60)
@given(st.lists(st.integers(1, 2**26), min_size=3, max_size=3))
def test_fuzz_huge_gemms(dims):
    """Layers up to and beyond the size limits: refused naming the limit, or finite metrics."""
    path = _write("gemm.csv", ("Layer, M, N, K,\nx, {}, {}, {},\n".format(*dims)).encode())
    sim = outcome("workloads/huge-gemm", lambda: SystolicSimulator(workload=str(path)), names=["exceeds the limit"])
    if sim is not None:
        result = outcome("workloads/huge-gemm-eval", lambda: _check_sim(sim, "latency_ms", "energy_mJ", "power_mW"))
        if result is not None:
            assert np.all(result["cycles"] > 0) and np.all(result["latency_ms"] > 0)


# ---- SoC task graphs -----------------------------------------------------------------------------

@functools.cache
def _taskgraph() -> dict:
    return json.loads(resources.files("archgym.data").joinpath("soc", "multi_dnn.json").read_text())


@st.composite
def taskgraph_text(draw):
    g = copy.deepcopy(_taskgraph())
    nodes, edges = g["graph"]["nodes"], g["graph"]["edges"]
    text = None
    for _ in range(draw(st.integers(1, 2))):
        target = draw(st.sampled_from(["node", "layer", "edge", "budget", "top"]))
        if target == "node":
            obj, key = draw(st.sampled_from(nodes)), draw(st.sampled_from(["work", "kind", "max_unroll",
                                                                           "deadline_ms", "id", "layer"]))
        elif target == "layer":
            obj = draw(st.sampled_from([n for n in nodes if "layer" in n]))["layer"]
            key = draw(st.sampled_from(["P", "Wn", "K", "ifmap_words"]))
        elif target == "edge":
            obj, key = draw(st.sampled_from(edges)), draw(st.sampled_from(["bytes", "source", "target"]))
        elif target == "budget":
            obj, key = g["budgets"], draw(st.sampled_from(sorted(g["budgets"])))
        else:
            obj, key = g, draw(st.sampled_from(["graph", "budgets", "name", "seed"]))
        if not isinstance(obj, dict) or "@@TOKEN@@" in json.dumps(g):
            continue
        if draw(st.booleans()):
            obj.pop(key, None)
        else:
            obj[key] = "@@TOKEN@@"
            text = json.dumps(g).replace('"@@TOKEN@@"', draw(number_tokens) or "0")
    if text is None:
        text = json.dumps(g)
    return text.encode("utf-8")


@fuzz_settings(max_examples=120)
@given(taskgraph_text())
def test_fuzz_taskgraphs(data):
    path = _write("tg.json", data)
    sim = outcome("workloads/taskgraph", lambda: SoCSimulator(workload=str(path)), names=[str(path)])
    if sim is not None:
        outcome("workloads/taskgraph-eval", lambda: _check_sim(sim, "latency_ms", "energy_mJ", "power_mW"))
