"""Request traces: DRAMSys ``.stl`` parsing and a seeded workload generator.

Format (DRAMSys ``StlPlayer``): one request per line,
``<cycle>:<TAB>[(<burst length>)<TAB>]read|write<TAB>0x<hexaddr>[<TAB>0x<data>]``.  ``<cycle>`` counts
trace-player clocks and is absolute; ``#`` starts a comment line; blank lines are skipped.  The burst
length and data fields are accepted and ignored: every request moves one burst (64 B on the default
DIMM) and the model stores no data.

Defined behaviour at the edges (documented because DRAMSys's is implicit):

* a malformed line raises :class:`TraceFormatError` naming the file and line number;
* a trace with no requests raises :class:`TraceFormatError` (there is no run to measure);
* an address at or above the memory capacity keeps only its low bits, as DRAMSys does, and a
  :class:`UserWarning` says how many requests were affected.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import (
    InvalidParameterError,
    UnknownNameError,
    WorkloadError,
    WorkloadNotFoundError,
    suggest,
)

BUILTIN_TRACES = ("stream", "random", "cloud-1", "cloud-2")

_LINE = re.compile(r"^\s*(\d+)\s*:\s*(?:\(\s*(\d+)\s*\)\s*)?(read|write)\s+(0[xX][0-9a-fA-F]+)(?:\s+\S+)?\s*$",
                   re.IGNORECASE)


class TraceFormatError(WorkloadError):
    """A trace file is malformed or empty; the message names the file and line."""


@dataclass(frozen=True, eq=False)
class Trace:
    """A request trace.

    Attributes:
        name: built-in name or file path, for reports.
        cycle: request timestamps in trace-player clocks, shape (n,).
        is_write: write flags, shape (n,).
        address: byte addresses, shape (n,), uint64.
        clk_mhz: trace-player clock (DRAMSys ``tracesetup.clkMhz``).
    """

    name: str
    cycle: np.ndarray
    is_write: np.ndarray
    address: np.ndarray
    clk_mhz: float = 800.0

    def __len__(self) -> int:
        return len(self.cycle)

    def digest(self) -> str:
        """Content hash, used to cache per-trace preprocessing."""
        h = hashlib.sha256()
        for a in (self.cycle.astype(np.int64), self.is_write.astype(np.uint8), self.address.astype(np.uint64)):
            h.update(a.tobytes())
        h.update(repr(self.clk_mhz).encode())
        return h.hexdigest()[:20]


#: Largest trace archgym parses: requests, lines (comments and blank lines included) and bytes.
#: Why limits: parsing is Python, one line at a time, and the model replays every request once per
#: timing class; at the limit (262,144 requests, 26x ArchGym's traces) parsing takes ~1 s and the
#: whole 288-class table ~10 s, and a runaway 10^7-line file is refused, naming the limit, instead
#: of running for minutes and gigabytes.
MAX_TRACE_REQUESTS = 2**18
MAX_TRACE_LINES = 2**20
MAX_TRACE_BYTES = 16 * 2**20
MAX_CYCLE = 2**53  # exact in the float arithmetic of the timing model


def check_clock(clk_mhz: Any, field: str = "trace_clk_mhz") -> float:
    """A trace-player clock in MHz: a finite number in (0, 100000]."""
    if isinstance(clk_mhz, bool) or not isinstance(clk_mhz, int | float | np.integer | np.floating):
        raise InvalidParameterError(f"{field} must be a number of MHz in (0, 100000], got {clk_mhz!r}")
    if not (math.isfinite(clk_mhz) and 0 < clk_mhz <= 100_000):
        raise InvalidParameterError(f"{field} = {clk_mhz!r} is outside the allowed range (0, 100000] MHz")
    return float(clk_mhz)


def parse_stl(path: str | Path, clk_mhz: float = 800.0) -> Trace:
    """Parse a DRAMSys ``.stl`` trace file (one line at a time, within the limits above).

    Raises:
        TraceFormatError: on a malformed line, a byte that is not UTF-8, a cycle or address out of
            range (file and line number in the message), no requests, or a file beyond a limit.
        WorkloadNotFoundError: if the file does not exist (also a ``FileNotFoundError``).
    """
    clk_mhz = check_clock(clk_mhz)
    path = Path(path)
    cycles: list[int] = []
    writes: list[bool] = []
    addrs: list[int] = []
    try:
        size = path.stat().st_size
        fh = path.open("rb")
    except FileNotFoundError:
        raise WorkloadNotFoundError(f"trace file {path} does not exist") from None
    except OSError as exc:
        raise TraceFormatError(f"{path}: cannot read the trace ({exc.strerror or exc})") from None
    if size > MAX_TRACE_BYTES:
        fh.close()
        raise TraceFormatError(f"{path}: the trace is {size:,} bytes; the limit is {MAX_TRACE_BYTES:,} bytes")
    with fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno > MAX_TRACE_LINES:
                raise TraceFormatError(f"{path}: more than {MAX_TRACE_LINES:,} lines; the limit is "
                                       f"{MAX_TRACE_LINES:,} lines and {MAX_TRACE_REQUESTS:,} requests")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise TraceFormatError(f"{path}, line {lineno}, column {exc.start + 1}: byte 0x{raw[exc.start]:02x} "
                                       "is not UTF-8; traces must be UTF-8 (ASCII) text") from None
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            m = _LINE.match(s)
            if m is None:
                raise TraceFormatError(
                    f"{path}:{lineno}: cannot parse {s[:60]!r}; expected '<cycle>:<TAB>read|write<TAB>0x<hexaddr>' "
                    "with an optional '(<burst length>)' before the command and a data field after the address")
            if len(cycles) >= MAX_TRACE_REQUESTS:
                raise TraceFormatError(f"{path}:{lineno}: more than {MAX_TRACE_REQUESTS:,} requests; the limit is "
                                       f"{MAX_TRACE_REQUESTS:,} requests per trace")
            cyc, hexaddr = m.group(1), m.group(4)
            if len(cyc) > 16 or int(cyc) > MAX_CYCLE:
                raise TraceFormatError(f"{path}:{lineno}: cycle {cyc[:30]}{'...' if len(cyc) > 30 else ''} is "
                                       f"outside the allowed range 0..{MAX_CYCLE} (2**53)")
            if len(hexaddr.lstrip("0xX").lstrip("0")) > 16:
                raise TraceFormatError(f"{path}:{lineno}: address {hexaddr[:30]}{'...' if len(hexaddr) > 30 else ''} "
                                       "does not fit in 64 bits")
            cycles.append(int(cyc))
            writes.append(m.group(3).lower() == "write")
            addrs.append(int(hexaddr, 16))
    if not cycles:
        raise TraceFormatError(f"{path}: the trace has no requests (only comments or blank lines)")
    return Trace(str(path), np.asarray(cycles, np.int64), np.asarray(writes, bool),
                 np.asarray(addrs, np.uint64), clk_mhz)


def builtin_trace_path(name: str) -> Path:
    """Path of a shipped default trace (generated by :func:`generate_trace`, see ``data/dram/traces``)."""
    if name not in BUILTIN_TRACES:
        raise UnknownNameError("built-in trace", name, BUILTIN_TRACES)
    return Path(str(resources.files("archgym.data").joinpath("dram", "traces", f"{name}.stl")))


def workload_alias(workload: Any, trace: Any, default: Any) -> Any:
    """The trace given as ``workload=`` (every env's keyword) or ``trace=`` (the DRAM env's own)."""
    if workload is None:
        return trace
    if trace is not None and not (isinstance(trace, str) and trace == default):
        raise InvalidParameterError(f"give the trace once, as workload= or trace=, not both "
                                    f"(workload={workload!r}, trace={trace!r})")
    return workload


def load_trace(trace: str | Path | Trace, clk_mhz: float = 800.0) -> Trace:
    """A built-in trace name, a path of an ``.stl`` file, or a :class:`Trace` (returned as is)."""
    clk_mhz = check_clock(clk_mhz)
    if isinstance(trace, Trace):
        return trace
    if not isinstance(trace, str | Path):
        raise InvalidParameterError(f"trace (or workload) must be a built-in name, a path or a Trace, got "
                                    f"{type(trace).__name__} {trace!r}")
    if str(trace) in BUILTIN_TRACES:
        t = parse_stl(builtin_trace_path(str(trace)), clk_mhz)
        return Trace(str(trace), t.cycle, t.is_write, t.address, clk_mhz)
    path = Path(trace)
    if not path.is_file():
        close = suggest(str(trace), BUILTIN_TRACES)
        raise WorkloadNotFoundError(f"trace {str(trace)!r} is neither a built-in ({', '.join(BUILTIN_TRACES)}"
                                    f"{'; did you mean ' + close + '?' if close else ''}) nor an existing .stl file")
    return parse_stl(path, clk_mhz)


def wrap_addresses(address: np.ndarray, capacity: int, name: str) -> np.ndarray:
    """Drop address bits above the capacity (DRAMSys's behaviour), warning once with the count."""
    over = int(np.count_nonzero(address >= np.uint64(capacity)))
    if over:
        warnings.warn(f"trace {name}: {over} address(es) at or above the memory capacity "
                      f"({capacity} B); their upper bits are dropped, as DRAMSys does", UserWarning, stacklevel=3)
    return address & np.uint64(capacity - 1)


# ---- generator ------------------------------------------------------------------------------------

GENERATOR_KINDS = ("stream", "random", "strided", "mixture")


def generate_trace(kind: str, n: int = 10_000, seed: int = 0, *, request_bytes: int = 64,
                   capacity: int = 1 << 30, stride: int = 4096, locality: float = 0.5,
                   run_length: int = 100, read_ratio: float = 1.0, start_random: bool = False,
                   interval: int = 1, name: str | None = None) -> Trace:
    """Generate a seeded synthetic trace (same arguments => identical trace, on every platform).

    Args:
        kind: ``stream`` (sequential from 0), ``random`` (uniform aligned addresses), ``strided``
            (fixed ``stride`` bytes) or ``mixture`` (runs of ~``run_length`` requests, each run
            sequential with probability ``locality`` and uniformly random otherwise).
        n: number of requests.
        seed: seed of ``numpy.random.default_rng``.
        request_bytes: bytes per request (address alignment).
        capacity: address range in bytes.
        stride: byte stride of ``strided``.
        locality: fraction of sequential runs in ``mixture`` (0..1).
        run_length: mean run length of ``mixture`` (run lengths are uniform in [run/2, 3·run/2]).
        read_ratio: probability that a request is a read.
        start_random: ``mixture`` only: start with a random run instead of a sequential one.
        interval: trace cycles between requests.
        name: label of the trace.
    """
    if kind not in GENERATOR_KINDS:
        raise UnknownNameError("trace kind", kind, GENERATOR_KINDS)
    if n < 1:
        raise InvalidParameterError(f"a trace needs at least one request, got n={n}")
    if not 0.0 <= locality <= 1.0 or not 0.0 <= read_ratio <= 1.0:
        raise InvalidParameterError(f"locality and read_ratio must lie in [0, 1], got {locality}, {read_ratio}")
    rng = np.random.default_rng(seed)
    slots = capacity // request_bytes
    if kind == "stream":
        idx = np.arange(n, dtype=np.int64) % slots
    elif kind == "random":
        idx = rng.integers(0, slots, n, dtype=np.int64)
    elif kind == "strided":
        idx = (np.arange(n, dtype=np.int64) * max(1, stride // request_bytes)) % slots
    else:
        idx = np.empty(n, np.int64)
        pos, seq_next, sequential = 0, 0, not start_random
        while pos < n:
            length = int(rng.integers(max(1, run_length // 2), run_length + run_length // 2 + 1))
            length = min(length, n - pos)
            if sequential:
                idx[pos:pos + length] = (seq_next + np.arange(length)) % slots
                seq_next += length
            else:
                idx[pos:pos + length] = rng.integers(0, slots, length, dtype=np.int64)
            pos += length
            sequential = bool(rng.random() < locality)
    writes = rng.random(n) >= read_ratio if read_ratio < 1.0 else np.zeros(n, bool)
    return Trace(name or kind, np.arange(n, dtype=np.int64) * interval, writes,
                 (idx * request_bytes).astype(np.uint64))


def write_stl(trace: Trace, path: str | Path, header: str = "") -> None:
    """Write a trace in DRAMSys ``.stl`` format (``header`` lines become ``#`` comments)."""
    lines = [f"# {h}" for h in header.splitlines()]
    lines += [f"{c}:\t{'write' if w else 'read'}\t0x{a:X}"
              for c, w, a in zip(trace.cycle.tolist(), trace.is_write.tolist(), trace.address.tolist(), strict=True)]
    Path(path).write_text("\n".join(lines) + "\n")


# The shipped defaults in data/dram/traces, regenerated bit for bit by experiments/dram/make_traces.py
# (a test checks it).  They mirror ArchGym's four workloads: 10,000 64-byte reads, one per cycle.
DEFAULT_TRACE_SPECS: dict[str, dict[str, object]] = {
    "stream": {"kind": "stream", "seed": 0},
    "random": {"kind": "random", "seed": 1},
    "cloud-1": {"kind": "mixture", "seed": 2, "locality": 0.5, "run_length": 100},
    "cloud-2": {"kind": "mixture", "seed": 3, "locality": 0.5, "run_length": 100, "start_random": True},
}


def default_trace_text(name: str) -> str:
    """The exact file content of a shipped default trace (header comment + requests)."""
    spec = DEFAULT_TRACE_SPECS[name]
    t = generate_trace(n=10_000, name=name, **spec)  # type: ignore[arg-type]
    args = ", ".join(f"{k}={v!r}" for k, v in spec.items())
    header = [f"# archgym default trace {name!r}: generate_trace(n=10000, {args})"]
    lines = [f"{c}:\t{'write' if w else 'read'}\t0x{a:X}"
             for c, w, a in zip(t.cycle.tolist(), t.is_write.tolist(), t.address.tolist(), strict=True)]
    return "\n".join(header + lines) + "\n"
