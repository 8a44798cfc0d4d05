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
import io
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from archgym._text import read_text
from archgym.errors import InvalidParameterError, UnknownNameError, WorkloadError, WorkloadNotFoundError

CONV_COLUMNS = 7  # name + 6 dims ... + stride  (name, H, W, R, S, C, K, stride) = 8 fields
#: Largest layer the model accepts.  Why limits: the model counts cycles and words in int64
#: (vectorised, exact for every real network); with every dimension (each topology field and the
#: GEMM view's P, Wn, K) at most 2**24, each operand matrix (P·Wn, Wn·K, P·K) at most 2**36
#: words and at most 2**40 MACs per layer, the largest intermediate counts (an IFMAP re-read once
#: per fold, ~MACs·P/(rows·cols); a stream re-read once per window end, ~words²/window) stay
#: below 2**61, so nothing wraps round to a negative cycle count (``tests/test_systolic_limits.py``
#: evaluates layers at the limits).  GPT-3's largest GEMM at 2,048 tokens has 1.2e12 ≈ 2**40
#: MACs and 6e8 ≈ 2**29 weights.
MAX_DIM = 2**24
MAX_LAYER_MACS = 2**40
MAX_OPERAND_WORDS = 2**36
MAX_LAYERS = 100_000
MAX_IFMAP_WORDS = 2**48
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

    def __post_init__(self) -> None:
        check_layer_size(self.name, self.P, self.Wn, self.K, self.ifmap_words)

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
            _check_dim(name, label, v)
        if R > H or S > W:
            raise WorkloadError(f"layer {name!r}: filter {R}x{S} is larger than the IFMAP {H}x{W}")
        eh = math.ceil((H - R + stride) / stride)
        ew = math.ceil((W - S + stride) / stride)
        return cls(name, P=eh * ew, Wn=R * S * C, K=K, ifmap_words=H * W * C, geometry=(H, W, R, S, C, stride))

    @classmethod
    def gemm(cls, name: str, M: int, N: int, K: int) -> Layer:
        """GEMM ``M×K · K×N`` (SCALE-Sim ``-i gemm``: P = M, window = K, filters = N)."""
        for label, v in (("M", M), ("N", N), ("K", K)):
            _check_dim(name, label, v)
        return cls(name, P=M, Wn=K, K=N, ifmap_words=M * K, geometry=(M, K, 1, K, 1, 1))


def _check_dim(name: str, label: str, v: object) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise WorkloadError(f"layer {name!r}: {label} must be an integer, got {v!r}")
    if v < 1:
        raise WorkloadError(f"layer {name!r}: {label} must be >= 1, got {v}")
    if v > MAX_DIM:
        raise WorkloadError(f"layer {name!r}: {label} = {v} exceeds the limit of {MAX_DIM:,} (2**24) per dimension")


def check_layer_size(name: str, P: object, Wn: object, K: object, ifmap_words: object) -> None:
    """Refuse a layer whose counts could overflow the model's int64 arithmetic (see ``MAX_DIM``)."""
    for label, v in (("P (output rows of the GEMM)", P), ("Wn (window, the GEMM's inner dimension)", Wn),
                     ("K (filters, the GEMM's output columns)", K)):
        _check_dim(name, label, v)
    if isinstance(ifmap_words, bool) or not isinstance(ifmap_words, (int, np.integer)) or ifmap_words < 1:
        raise WorkloadError(f"layer {name!r}: ifmap_words must be an integer >= 1, got {ifmap_words!r}")
    macs = int(P) * int(Wn) * int(K)  # type: ignore[call-overload]
    if macs > MAX_LAYER_MACS:
        raise WorkloadError(f"layer {name!r}: {macs:,} MACs (P·Wn·K = {P}·{Wn}·{K}) exceeds the limit of "
                            f"{MAX_LAYER_MACS:,} (2**40) MACs per layer")
    for label, words in (("IFMAP operand P·Wn", int(P) * int(Wn)), ("filter operand Wn·K", int(Wn) * int(K)),  # type: ignore[call-overload]
                         ("OFMAP operand P·K", int(P) * int(K))):  # type: ignore[call-overload]
        if words > MAX_OPERAND_WORDS:
            raise WorkloadError(f"layer {name!r}: {label} = {words:,} words exceeds the limit of "
                                f"{MAX_OPERAND_WORDS:,} (2**36) words per operand")
    if int(ifmap_words) > MAX_IFMAP_WORDS:  # type: ignore[call-overload]
        raise WorkloadError(f"layer {name!r}: ifmap_words = {ifmap_words} exceeds the limit of "
                            f"{MAX_IFMAP_WORDS:,} (2**48)")


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
    text = field.strip()
    try:
        if len(text) > 20:
            raise ValueError
        value = int(text)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + f"... ({len(text)} characters)"
        raise TopologyError(f"{path}, line {lineno}: column {column!r} must be an integer of at most 20 digits, "
                            f"got {shown!r}") from None
    if value < 1:
        raise TopologyError(f"{path}, line {lineno}: column {column!r} must be >= 1, got {value}")
    return value


def parse_topology(text: str, path: str = "<string>", name: str | None = None) -> Network:
    """Parse a SCALE-Sim topology CSV (conv or GEMM, detected from the header).

    At most ``MAX_LAYERS`` layers; every layer within the size limits (``MAX_DIM``, ...).
    """
    rows = []
    reader = csv.reader(io.StringIO(text))
    try:
        for r in reader:
            if any(f.strip() for f in r):
                if len(rows) > MAX_LAYERS:
                    raise TopologyError(f"{path}, line {reader.line_num}: more than {MAX_LAYERS:,} layers; the "
                                        f"limit is {MAX_LAYERS:,} layers per topology")
                rows.append((reader.line_num, r))
    except csv.Error as exc:
        raise TopologyError(f"{path}, line {reader.line_num + 1}: not CSV ({exc})") from None
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
    if not isinstance(workload, str | Path):
        raise InvalidParameterError(f"workload must be a built-in network name or the path of a topology CSV, got "
                                    f"{type(workload).__name__} {workload!r}")
    p = Path(workload)
    if p.suffix == ".csv" or p.exists():
        if not p.is_file():
            raise WorkloadNotFoundError(f"topology file {p} does not exist")
        return parse_topology(read_text(p, "topology"), str(p))
    if workload not in BUILTIN_WORKLOADS:
        raise UnknownNameError("workload", workload, BUILTIN_WORKLOADS,
                               hint="or give the path of a SCALE-Sim topology CSV")
    res = resources.files("archgym.data").joinpath("systolic", f"{workload}.csv")
    return parse_topology(res.read_text(), f"systolic/{workload}.csv", name=str(workload))
