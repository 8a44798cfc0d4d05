"""DRAM memory-controller model (DRAMSys 4.0 semantics, DRAMPower v4 energy) and its real-DRAMSys adapter.

``DRAMSimulator`` is the model behind ``archgym/DRAM-v0``; ``dramsys_backend.DRAMSysSimulator`` runs a
user-supplied DRAMSys binary through the same protocol.
"""

from archgym.simulators.dram.memspec import MemSpec, MemSpecError, load_memspec
from archgym.simulators.dram.model import METRICS, SPACE, DRAMSimulator
from archgym.simulators.dram.trace import (
    Trace,
    TraceFormatError,
    generate_trace,
    load_trace,
    parse_stl,
    write_stl,
)

__all__ = ["METRICS", "SPACE", "DRAMSimulator", "MemSpec", "MemSpecError", "Trace", "TraceFormatError",
           "generate_trace", "load_memspec", "load_trace", "parse_stl", "write_stl"]
