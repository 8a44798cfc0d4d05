"""Network workloads as layer tables in SCALE-Sim's topology CSV format.

Two formats, told apart by the header (SCALE-Sim v2 ``topology_utils.py``):

* conv: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
  Num Filter, Strides,`` — no padding column, so padded IFMAP sizes are written in the table.
* GEMM: ``Layer, M, N, K,`` — an ``M×K`` by ``K×N`` matrix product.

Every layer is lowered to the GEMM view the array sees: ``P`` output pixels (rows of the output
matrix), a window of ``Wn = R·S·C`` operands per output, and ``K`` filters (columns).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from archgym.errors import UnknownNameError, WorkloadError, WorkloadNotFoundError

CONV_COLUMNS = 7  # name + 6 dims ... + stride  (name, H, W, R, S, C, K, stride) = 8 fields
BUILTIN_WORKLOADS = ("alexnet", "resnet18", "resnet50", "mobilenet", "transformer_block", "gpt2")


class TopologyError(WorkloadError):
    """A malformed topology file; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Layer:
    """One layer as a GEMM: ``P × Wn`` IFMAP operand matrix times ``Wn × K`` filter matrix.

    ``ifmap_words`` is the number of distinct IFMAP words (H·W·C for conv, M·K for GEMM), which
    is what DRAM must deliver at least once.  ``geometry`` = (H, W, R, S, C, stride) is the conv
    shape SCALE-Sim builds its IFMAP addresses from (a GEMM is lowered as SCALE-Sim does:
    (M, K, 1, K, 1, 1)); the exact memory mode needs it for im2col duplicates and partial
    windows.  A layer built from (P, Wn, K) alone has none and is treated as a plain GEMM.
    """

    name: str
    P: int
    Wn: int
    K: int
    ifmap_words: int
    geometry: tuple[int, int, int, int, int, int] | None = None

    @property
    def macs(self) -> int:
        return self.P * self.Wn * self.K

    @property
    def ifmap_entries(self) -> int:
        """Entries of the ``P × Wn`` IFMAP operand matrix that are real words: SCALE-Sim pads
        with −1 the part of a last window that runs off the IFMAP when the stride does not
        divide it."""
        if self.geometry is None:
            return self.P * self.Wn
        H, W, R, S, C, st = self.geometry

        def covered(n: int, f: int) -> int:  # Σ over windows of the rows (cols) inside the IFMAP
            windows = (n - f + 2 * st - 1) // st
            full = (n - f) // st + 1
            return full * f + (windows - full) * max(0, n - full * st)

        return covered(H, R) * covered(W, S) * C

    @property
    def im2col_copies(self) -> bool:
        """Whether IFMAP words appear in several windows (overlapping windows); for a layer
        known only by (P, Wn, K, ifmap_words): whether it has fewer distinct IFMAP words than
        window entries."""
        g = self.geometry
        if g is None:
            return self.ifmap_words < self.P * self.Wn
        return g[2] > g[5] or g[3] > g[5]

    @property
    def filter_words(self) -> int:
        return self.Wn * self.K

    @property
    def ofmap_words(self) -> int:
        return self.P * self.K

    @classmethod
    def conv(cls, name: str, H: int, W: int, R: int, S: int, C: int, K: int, stride: int) -> Layer:
        """Conv layer (SCALE-Sim: E_h = ceil((H − R + s)/s), no padding)."""
        for label, v in (("IFMAP Height", H), ("IFMAP Width", W), ("Filter Height", R), ("Filter Width", S),
                         ("Channels", C), ("Num Filter", K), ("Strides", stride)):
            if v < 1:
                raise WorkloadError(f"layer {name!r}: {label} must be >= 1, got {v}")
        if R > H or S > W:
            raise WorkloadError(f"layer {name!r}: filter {R}x{S} is larger than the IFMAP {H}x{W}")
        eh = math.ceil((H - R + stride) / stride)
        ew = math.ceil((W - S + stride) / stride)
        return cls(name, P=eh * ew, Wn=R * S * C, K=K, ifmap_words=H * W * C, geometry=(H, W, R, S, C, stride))

    @classmethod
    def gemm(cls, name: str, M: int, N: int, K: int) -> Layer:
        """GEMM ``M×K · K×N`` (SCALE-Sim ``-i gemm``: P = M, window = K, filters = N)."""
        for label, v in (("M", M), ("N", N), ("K", K)):
            if v < 1:
                raise WorkloadError(f"layer {name!r}: {label} must be >= 1, got {v}")
        return cls(name, P=M, Wn=K, K=N, ifmap_words=M * K, geometry=(M, K, 1, K, 1, 1))


@dataclass(frozen=True)
class Network:
    """A named sequence of layers (the workload of one simulation)."""

    name: str
    layers: tuple[Layer, ...]

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-layer dimensions as int64 arrays (for vectorised evaluation)."""
        return {k: np.array([getattr(layer, k) for layer in self.layers], dtype=np.int64)
                for k in ("P", "Wn", "K", "ifmap_words", "ifmap_entries", "im2col_copies")}

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)


def _int(field: str, path: str, lineno: int, column: str) -> int:
    try:
        value = int(field.strip())
    except ValueError:
        raise TopologyError(f"{path}, line {lineno}: column {column!r} must be an integer, got {field.strip()!r}") from None
    if value < 1:
        raise TopologyError(f"{path}, line {lineno}: column {column!r} must be >= 1, got {value}")
    return value


def parse_topology(text: str, path: str = "<string>", name: str | None = None) -> Network:
    """Parse a SCALE-Sim topology CSV (conv or GEMM, detected from the header)."""
    rows = [(i + 1, r) for i, r in enumerate(csv.reader(text.splitlines()))]
    rows = [(n, [f for f in r]) for n, r in rows if any(f.strip() for f in r)]
    if not rows:
        raise TopologyError(f"{path}: empty topology file")
    hdr_line, header = rows[0]
    header = [h.strip() for h in header if h.strip()]
    is_gemm = len(header) == 4 and [h.upper() for h in header[1:]] == ["M", "N", "K"]
    is_conv = len(header) == 8 and "ifmap" in header[1].lower()
    if not (is_gemm or is_conv):
        raise TopologyError(f"{path}, line {hdr_line}: unrecognised header {header!r}; expected SCALE-Sim conv "
                            "('Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                            "Num Filter, Strides') or GEMM ('Layer, M, N, K')")
    want = 4 if is_gemm else 8
    layers = []
    for lineno, r in rows[1:]:
        fields = [f for f in r]
        while fields and not fields[-1].strip():
            fields.pop()  # SCALE-Sim tables end each row with a comma
        if len(fields) != want:
            raise TopologyError(f"{path}, line {lineno}: expected {want} fields ({', '.join(header)}), "
                                f"got {len(fields)}")
        lname = fields[0].strip() or f"layer{len(layers)}"
        vals = [_int(f, path, lineno, header[j + 1]) for j, f in enumerate(fields[1:])]
        try:
            layers.append(Layer.gemm(lname, *vals) if is_gemm else Layer.conv(lname, *vals))
        except ValueError as exc:
            raise TopologyError(f"{path}, line {lineno}: {exc}") from None
    if not layers:
        raise TopologyError(f"{path}: no layers after the header")
    return Network(name or Path(path).stem, tuple(layers))


def load_network(workload: str | Path) -> Network:
    """A built-in network by name (``resnet18`` …) or a user's topology CSV by path."""
    p = Path(workload)
    if p.suffix == ".csv" or p.exists():
        if not p.is_file():
            raise WorkloadNotFoundError(f"topology file {p} does not exist")
        return parse_topology(p.read_text(), str(p))
    if workload not in BUILTIN_WORKLOADS:
        raise UnknownNameError("workload", workload, BUILTIN_WORKLOADS,
                               hint="or give the path of a SCALE-Sim topology CSV")
    res = resources.files("archgym.data").joinpath("systolic", f"{workload}.csv")
    return parse_topology(res.read_text(), f"systolic/{workload}.csv", name=str(workload))
