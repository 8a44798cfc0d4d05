"""Bad input to the systolic model gives a clear exception naming what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulators.systolic import SystolicSimulator, TopologyError, load_network, parse_topology
from archgym.simulators.systolic.compute import dataflow_code
from archgym.simulators.systolic.topology import Layer
from archgym.spaces import InvalidDesignError

GOOD = {"rows": 32, "cols": 32, "dataflow": "ws", "ifmap_sram_kB": 64, "filter_sram_kB": 64,
        "ofmap_sram_kB": 64, "dram_bw": 8}
CONV_HDR = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


@pytest.fixture(scope="module")
def sim() -> SystolicSimulator:
    return SystolicSimulator("alexnet")


@pytest.mark.parametrize("change, words", [
    ({"rows": 512}, ["rows", "512"]),            # out of the space
    ({"rows": 48}, ["rows", "48"]),              # not a power of two
    ({"dataflow": "rs"}, ["dataflow", "rs"]),    # unknown dataflow
    ({"dram_bw": "fast"}, ["dram_bw", "fast"]),  # wrong type
    ({"ifmap_sram_kB": -64}, ["ifmap_sram_kB", "-64"]),  # negative size
    ({"ofmap_sram_kB": 0}, ["ofmap_sram_kB", "0"]),      # zero size
    ({"cols": None}, ["cols", "None"]),
])
def test_bad_design_names_parameter_and_value(sim, change, words):
    with pytest.raises(InvalidDesignError) as exc:
        sim.evaluate([{**GOOD, **change}])
    for w in words:
        assert w in str(exc.value)


def test_unknown_and_missing_parameters(sim):
    with pytest.raises(InvalidDesignError, match="unknown parameter.*'pe_type'"):
        sim.evaluate([{**GOOD, "pe_type": "int8"}])
    partial = dict(GOOD)
    del partial["dram_bw"]
    with pytest.raises(InvalidDesignError, match="missing.*dram_bw"):
        sim.evaluate([partial])
    with pytest.raises(InvalidDesignError, match="mapping"):
        sim.evaluate(["not a design"])


def test_out_of_range_index_array(sim):
    idx = sim.space.encode(GOOD)[None, :].copy()
    idx[0, 0] = 99
    with pytest.raises(InvalidDesignError, match="rows"):
        sim.evaluate(idx)


def test_unknown_dataflow_code_path():
    with pytest.raises(ValueError, match="unknown dataflow .*rs.*allowed: os, ws, is"):
        dataflow_code(np.array(["ws", "rs"]))


def test_unknown_workload_lists_the_builtins():
    with pytest.raises(ValueError, match="unknown workload 'vgg16'.*resnet18"):
        SystolicSimulator("vgg16")


def test_missing_topology_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_network(tmp_path / "nope.csv")


@pytest.mark.parametrize("body, line, words", [
    ("c1, 30, 30, 3, 3, 32, 64, 1,\nc2, 30, 30, 3, 3, 32, -64, 1,\n", 3, ["Num Filter", "-64"]),
    ("c1, 30, 30, 3, 3, 32, 64, 1,\nc2, 30, thirty, 3, 3, 32, 64, 1,\n", 3, ["IFMAP Width", "thirty"]),
    ("c1, 30, 30, 3, 3, 32, 64,\n", 2, ["expected 8 fields"]),
    ("c1, 3, 3, 5, 5, 32, 64, 1,\n", 2, ["filter 5x5 is larger than the IFMAP 3x3"]),
    ("c1, 30, 30, 3, 3, 0, 64, 1,\n", 2, ["Channels", "0"]),
])
def test_malformed_conv_topology_names_file_and_line(tmp_path, body, line, words):
    path = tmp_path / "bad_net.csv"
    path.write_text(CONV_HDR + body)
    with pytest.raises(TopologyError) as exc:
        SystolicSimulator(path)
    msg = str(exc.value)
    assert str(path) in msg and f"line {line}" in msg
    for w in words:
        assert w in msg


def test_malformed_gemm_and_header():
    with pytest.raises(TopologyError, match=r"g.csv, line 2: column 'N' must be >= 1, got 0"):
        parse_topology("Layer, M, N, K,\ng1, 64, 0, 64,\n", "g.csv")
    with pytest.raises(TopologyError, match=r"x.csv, line 1: unrecognised header"):
        parse_topology("name, a, b\nl, 1, 2\n", "x.csv")
    with pytest.raises(TopologyError, match="empty"):
        parse_topology("\n\n", "e.csv")
    with pytest.raises(TopologyError, match="no layers"):
        parse_topology("Layer, M, N, K,\n", "h.csv")


def test_layer_constructors_reject_bad_sizes():
    with pytest.raises(ValueError, match="Strides must be >= 1"):
        Layer.conv("c", 8, 8, 3, 3, 4, 4, 0)
    with pytest.raises(ValueError, match="'g'.*K must be >= 1"):
        Layer.gemm("g", 4, 4, -1)
