"""The SoC design space in its two formulations.

* ``"allocation"`` — how many cores, which IPs (unroll 0 = not allocated), which systolic
  sub-accelerators (size 0 = none), clocks, memories and bus; tasks are mapped by the built-in
  HEFT-like list scheduler.
* ``"mapping"`` — ArchGym's FARSI formulation: the same block sizes plus one ``map_<task>`` knob per
  task naming the PE slot it runs on.  A slot is allocated exactly when some task is mapped to it
  (an unused block would only add area and leakage), so the knobs that allocate in the first
  formulation (``n_cores``, unroll/size 0) are absent here.

PE slots are, in order: ``core0 … core{C-1}``, one IP per non-DNN task kind of the workload, and
``sa0 … sa{S-1}`` (only for workloads with DNN tasks).  In the mapping formulation a task's
choices are ``core0 … core{C-1}``, ``ip`` (the IP of its own kind) and the ``sa`` slots; choosing a
PE that cannot run the task (``ip`` for a DNN layer, ``sa`` for a non-DNN task) is a valid design
that is reported infeasible.
"""

from __future__ import annotations

from archgym.errors import InvalidParameterError, UnknownNameError
from archgym.simulators.soc.workload import TaskGraph
from archgym.simulators.systolic import DATAFLOWS
from archgym.spaces import Categorical, DesignSpace, Integer, Ordinal, Parameter

FORMULATIONS = ("allocation", "mapping", "farsi")  # farsi: see simulators/soc/farsi.py
CORE_FREQS_MHZ = (400, 600, 800, 1000, 1200)
ACCEL_FREQS_MHZ = (100, 200, 400, 800)
UNROLLS = (1, 2, 4, 8, 16)
SA_SIZES = (8, 16, 32, 64)
SRAM_KB = (0, 32, 128, 512, 2048)
SRAM_WIDTHS_B = (4, 8, 16, 32, 64)
DRAM_WIDTHS_B = (0, 2, 4, 8)
BUS_WIDTHS_B = (4, 8, 16, 32, 64)
BUS_FREQS_MHZ = (100, 200, 400, 800)


def slot_names(graph: TaskGraph, max_cores: int, n_sa: int) -> tuple[str, ...]:
    """Names of the PE slots, in the order used by the simulator's tables."""
    sas = tuple(f"sa{j}" for j in range(n_sa)) if graph.has_dnn else ()
    return tuple(f"core{j}" for j in range(max_cores)) + tuple(f"ip_{k}" for k in graph.kinds) + sas


def build_space(graph: TaskGraph, formulation: str, max_cores: int, n_sa: int) -> DesignSpace:
    """The design space of ``graph`` under ``formulation``."""
    if formulation not in FORMULATIONS[:2]:
        raise UnknownNameError("formulation", formulation, FORMULATIONS)
    if max_cores < 1:
        raise InvalidParameterError(f"max_cores must be >= 1, got {max_cores}")
    alloc = formulation == "allocation"
    params: list[Parameter] = []
    if alloc:
        params.append(Integer("n_cores", low=0, high=max_cores, doc="general-purpose cores allocated"))
    params.append(Ordinal("core_freq_MHz", values=CORE_FREQS_MHZ, doc="clock of the cores"))
    unrolls = ((0,) if alloc else ()) + UNROLLS
    for k in graph.kinds:
        params.append(Ordinal(f"ip_{k}_unroll", values=unrolls,
                              doc=f"lanes of the {k!r} IP" + (" (0 = not allocated)" if alloc else "")))
    if graph.has_dnn:
        sizes = ((0,) if alloc else ()) + SA_SIZES
        for j in range(n_sa):
            params.append(Ordinal(f"sa{j}_size", values=sizes, doc="systolic array rows = cols"
                                  + (" (0 = none)" if alloc else "")))
            params.append(Categorical(f"sa{j}_dataflow", choices=DATAFLOWS, doc="os / ws / is stationary"))
    params += [
        Ordinal("accel_freq_MHz", values=ACCEL_FREQS_MHZ, doc="clock of IPs and systolic arrays"),
        Ordinal("sram_kB", values=SRAM_KB, doc="on-chip SRAM (0 = none)"),
        Ordinal("sram_width_B", values=SRAM_WIDTHS_B, doc="SRAM port width, at the bus clock"),
        Ordinal("dram_width_B", values=DRAM_WIDTHS_B, doc="DRAM interface width (0 = no DRAM)"),
        Ordinal("bus_width_B", values=BUS_WIDTHS_B, doc="shared bus width"),
        Ordinal("bus_freq_MHz", values=BUS_FREQS_MHZ, doc="bus (and SRAM) clock"),
    ]
    if not alloc:
        choices = tuple(f"core{j}" for j in range(max_cores)) + ("ip",)
        choices += tuple(f"sa{j}" for j in range(n_sa)) if graph.has_dnn else ()
        for t in graph.tasks:
            params.append(Categorical(f"map_{t.name}", choices=choices, doc=f"PE running task {t.name!r}"))
    return DesignSpace(tuple(params))
