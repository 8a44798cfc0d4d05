"""CoDesign task networks and their accuracy oracles (CIFAR-10 / NAS-Bench-201, digits)."""

from __future__ import annotations

import itertools
import pickle
import subprocess
import sys
from importlib import metadata

import numpy as np
import pytest

from archgym.errors import DatasetError, InvalidDesignError, InvalidParameterError, UnknownNameError
from archgym.simulators.codesign import load_task
from archgym.simulators.codesign import nb201_data as nd
from archgym.simulators.codesign.digits_table import COLUMNS, read_table
from archgym.simulators.codesign.nb201 import EDGES, OPS, connected, nb201_layers

CONV3, SKIP, NONE, CONV1, POOL = (OPS.index(o) for o in
                                  ("nor_conv_3x3", "skip_connect", "none", "nor_conv_1x1", "avg_pool_3x3"))


@pytest.fixture(autouse=True, scope="module")
def _cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("ARCHGYM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def cifar():
    return load_task("cifar10")


@pytest.fixture(scope="module")
def digits():
    return load_task("digits")


@pytest.fixture(scope="module")
def records():
    """The package's records, read independently of the table conversion."""
    path, _ = nd.data_file()
    with open(path, "rb") as fh:
        return nd._RecordUnpickler(fh, str(path)).load()


def all_cells() -> np.ndarray:
    return np.array(list(itertools.product(range(5), repeat=6)), dtype=np.int64)


# --- the Task interface ------------------------------------------------------------------------------


def test_task_interface(cifar, digits):
    assert cifar.name == "cifar10" and cifar.input_shape == (32, 32, 3)
    assert [k.name for k in cifar.knobs] == [f"edge_{i}_{j}" for i, j in EDGES]
    assert all(k.choices == OPS for k in cifar.knobs)
    assert cifar.accuracy_metrics[:5] == ("accuracy", "accuracy_ptq", "accuracy_qat", "accuracy_noisy",
                                          "accuracy_analog")
    assert cifar.accuracy_table.shape == (15625, 13) and cifar.accuracy_table.dtype == np.float64
    assert "analog-nasbench==0.1.3" in cifar.source
    assert digits.input_shape == (8, 8, 1) and digits.accuracy_metrics == ("accuracy",)
    assert digits.accuracy_table.shape == (216, 1)
    assert "seed=0" in digits.source and "training_version=1" in digits.source
    assert not cifar.accuracy_table.flags.writeable


def test_arch_index_is_vectorised_mixed_radix(cifar, digits):
    cells = all_cells()
    np.testing.assert_array_equal(cifar.arch_index(cells), np.arange(15625))
    rng = np.random.default_rng(0)
    idx = np.stack([rng.integers(0, k.n, 50) for k in digits.knobs], axis=1)
    want = np.ravel_multi_index(idx.T, digits.radix)
    np.testing.assert_array_equal(digits.arch_index(idx), want)
    np.testing.assert_array_equal(digits.knob_indices(want), idx)
    assert digits.arch_index(idx[0]).shape == (1,)


def test_arch_index_errors_name_knob_and_range(cifar):
    with pytest.raises(InvalidDesignError, match=r"edge_2_3.*5.*0\.\.4"):
        cifar.arch_index(np.array([[0, 0, 0, 5, 0, 0]]))
    with pytest.raises(InvalidDesignError, match="shape"):
        cifar.arch_index(np.zeros((2, 5), dtype=np.int64))
    with pytest.raises(InvalidDesignError, match="integers"):
        cifar.arch_index(np.zeros((2, 6)))


def test_bad_names_list_allowed_values(cifar):
    with pytest.raises(InvalidParameterError, match="'cifar10'.*'digits'"):
        load_task("cifar100")
    with pytest.raises(UnknownNameError, match="accuracy_ptq"):
        cifar.accuracy(0, metric="top5")


# --- CIFAR-10: op and edge order, lookups, safe loading ------------------------------------------------


def test_disconnected_cells_are_exactly_the_chance_ones(cifar):
    """Holds NASLib's order: op 1 is 'none' and edges are (1,2),(1,3),(1,4),(2,3),(2,4),(3,4);
    any other assignment puts trained accuracies on cut cells or chance on connected ones."""
    cells = all_cells()
    acc = cifar.accuracy(cifar.arch_index(cells))
    cut = np.array([not connected(tuple(c)) for c in cells])
    assert cut.sum() == 341
    np.testing.assert_array_equal(acc[cut], 10.0)
    assert acc[~cut].min() > 30.0
    best = tuple(cells[np.argmax(acc)])
    assert best.count(CONV3) >= 4  # the best cell is mostly 3x3 convs


def test_lookups_equal_the_package_records(cifar, records):
    rng = np.random.default_rng(1)
    cells = all_cells()[rng.choice(15625, 200, replace=False)]
    rows = cifar.arch_index(cells)
    for cell, row in zip(cells, rows, strict=True):
        rec = records[tuple(int(c) for c in cell)]
        assert cifar.accuracy(row) == rec.baseline_accuracy
        assert cifar.accuracy(row, "accuracy_ptq") == rec.ptq_accuracy
        assert cifar.accuracy(row, "accuracy_qat") == rec.qat_accuracy
        assert cifar.accuracy(row, "accuracy_analog") == rec.analog_accuracy
        assert cifar.accuracy(row, "accuracy_analog_drift_86400s") == rec.analog_drift_86400.value


def test_unpickler_refuses_foreign_globals(tmp_path):
    marker = tmp_path / "ran"
    evil = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    with pytest.raises(DatasetError, match=r"evil\.anb.*os\.system"):
        nd.parse(evil, "evil.anb")
    assert not marker.exists()
    with pytest.raises(DatasetError, match=r"x\.anb.*collections\.OrderedDict"):
        nd.parse(pickle.dumps(__import__("collections").OrderedDict()), "x.anb")
    with pytest.raises(DatasetError, match=r"t\.anb.*not a readable"):
        nd.parse(b"\x80\x04garbage", "t.anb")
    with pytest.raises(DatasetError, match=r"k\.anb.*op-index"):
        nd.parse(pickle.dumps({(0,) * 6: 1.0}), "k.anb")


def test_table_is_cached_and_rebuilt_when_stale(cifar, tmp_path, monkeypatch):
    """The module's cifar task was parsed from the package file; here parsing is counted (and
    stood in for by that table, to keep the test fast) to see the cache used and rebuilt."""
    calls = []
    monkeypatch.setattr(nd, "parse", lambda raw, path: calls.append(path) or cifar.accuracy_table.copy())
    monkeypatch.setenv("ARCHGYM_CACHE_DIR", str(tmp_path))
    first, source = nd.load_table()
    (cached,) = (tmp_path / "codesign").glob("nb201_cifar10_*.npz")
    assert source.split("sha256:")[1] in cached.name
    again, _ = nd.load_table()
    assert len(calls) == 1
    np.testing.assert_array_equal(again, cifar.accuracy_table)
    cached.write_bytes(b"not an npz")
    rebuilt, _ = nd.load_table()
    assert len(calls) == 2
    np.testing.assert_array_equal(rebuilt, cifar.accuracy_table)


def test_missing_package_is_a_clear_error(monkeypatch):
    def gone(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(nd.metadata, "distribution", gone)
    with pytest.raises(DatasetError, match="analog-nasbench"):
        nd.data_file()


# --- CIFAR-10 layers ---------------------------------------------------------------------------------

STEM = 32 * 32 * (3 * 3 * 3) * 16
# reduction C->2C on HxH: 3x3 stride-2 conv, 3x3 conv at H/2, 1x1 shortcut at H/2
RED1 = 16 * 16 * 9 * 16 * 32 + 16 * 16 * 9 * 32 * 32 + 16 * 16 * 16 * 32
RED2 = 8 * 8 * 9 * 32 * 64 + 8 * 8 * 9 * 64 * 64 + 8 * 8 * 32 * 64
FC = 64 * 10


def test_all_conv3x3_cell_macs_by_hand(cifar):
    per_cell = [6 * 32 * 32 * 9 * 16 * 16, 6 * 16 * 16 * 9 * 32 * 32, 6 * 8 * 8 * 9 * 64 * 64]
    want = STEM + RED1 + RED2 + FC + 5 * sum(per_cell)
    assert want == 220_119_680  # NAS-Bench-201's largest CIFAR-10 network, 220.1 MFLOPs
    arch = int(cifar.arch_index(np.array([CONV3] * 6))[0])
    assert cifar.macs(arch) == want
    assert len(cifar.layers(arch)) == 1 + 2 * 3 + 3 * 5 * 6 + 1
    assert cifar.layers(arch) is cifar.layers(arch)  # cached


def test_all_skip_cell_runs_only_the_skeleton(cifar):
    arch = int(cifar.arch_index(np.array([SKIP] * 6))[0])
    assert cifar.macs(arch) == STEM + RED1 + RED2 + FC == 7_783_040
    assert [layer.name for layer in cifar.layers(arch)] == [
        "stem", "reduce1_conv_a", "reduce1_conv_b", "reduce1_shortcut",
        "reduce2_conv_a", "reduce2_conv_b", "reduce2_shortcut", "fc"]
    assert cifar.macs(int(cifar.arch_index(np.array([POOL] * 6))[0])) == 7_783_040


def test_layer_shapes_and_dead_edges():
    layers = {layer.name: layer for layer in nb201_layers((CONV3, NONE, CONV1, NONE, NONE, NONE))}
    # edge 1->2 is a 3x3 conv but node 2 reaches the output through nothing: dead, not run
    assert not any("e12" in n for n in layers)
    assert layers["stage1_cell1_e14_conv1x1"].macs == 32 * 32 * 16 * 16
    assert layers["reduce1_conv_a"].P == 16 * 16 and layers["reduce1_conv_a"].Wn == 9 * 16
    assert layers["reduce2_conv_a"].P == 8 * 8 and layers["reduce2_conv_a"].K == 64
    assert layers["fc"].P == 1 and layers["fc"].Wn == 64 and layers["fc"].K == 10


# --- digits ------------------------------------------------------------------------------------------


def test_digits_layers_by_hand(digits):
    # conv1 32ch 5x5, max pool, conv2 64ch 3x3 at 4x4, FC 1024->64, FC 64->10
    arch = int(digits.arch_index(np.array([2, 1, 1, 2, 1, 2]))[0])
    assert [layer.macs for layer in digits.layers(arch)] == [
        8 * 8 * 25 * 1 * 32, 4 * 4 * 9 * 32 * 64, 4 * 4 * 64 * 64, 64 * 10]
    arch = int(digits.arch_index(np.array([0, 0, 0, 0, 0, 0]))[0])  # 8ch 3x3, no pool, 16ch 1x1, no hidden
    assert [layer.macs for layer in digits.layers(arch)] == [8 * 8 * 9 * 8, 8 * 8 * 8 * 16, 8 * 8 * 16 * 10]


def test_digits_table_is_plausible(digits):
    acc = digits.accuracy(np.arange(216))
    assert np.all(acc > 80) and np.all(acc <= 100)
    assert len(np.unique(acc)) > 10  # the architectures really differ


def test_digits_retraining_reproduces_the_table(digits):
    """Same seed, same torch, one thread: the accuracy is reproduced exactly (tested on one CPU
    kind; another SIMD level may move a float's last bits and so, rarely, one test prediction)."""
    from archgym.simulators.codesign import digits_train as dt

    cheap = [a for a in range(216) if digits.macs(a) < 150_000]
    picks = np.random.default_rng(2).choice(cheap, 3, replace=False)
    data = dt.split()
    for arch in picks:
        knobs = tuple(int(i) for i in digits.knob_indices(arch)[0])
        res = dt.train_architecture(knobs, data=data)
        assert res.accuracy == digits.accuracy(arch), knobs


def test_digits_table_errors_name_file_and_line(tmp_path):
    head = "# archgym codesign digits accuracy table\n# seed=0\n" + ",".join(COLUMNS) + "\n"
    with pytest.raises(DatasetError, match=r"t\.csv, line 4: conv1_channels '7'"):
        read_table("t.csv", head + "7,3,none,16,1,0,500,540,92.592593\n", complete=False)
    with pytest.raises(DatasetError, match=r"t\.csv, line 4: accuracy"):
        read_table("t.csv", head + "8,3,none,16,1,0,500,540,99.0\n", complete=False)
    with pytest.raises(DatasetError, match=r"t\.csv: has 1 architectures"):
        read_table("t.csv", head + "8,3,none,16,1,0,500,540,92.592593\n")
    with pytest.raises(DatasetError, match=r"t\.csv, line 1"):
        read_table("t.csv", "arch,acc\n1,2\n3,4\n")


def test_import_loads_no_torch():
    code = ("import sys, archgym.simulators.codesign as c; c.load_task('digits'); "
            "print([m for m in ('torch', 'sklearn', 'pandas') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
