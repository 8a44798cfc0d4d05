"""Heterogeneous SoC assembled from templates (cores, fixed-function IPs, systolic DNN
sub-accelerators, SRAM/DRAM, a shared bus) running task-graph workloads, FARSI-style.
``SoCSimulator`` is the model behind ``archgym/SoC-v0``."""

from archgym.simulators.soc.model import METRICS, SoCSimulator
from archgym.simulators.soc.space import FORMULATIONS, build_space
from archgym.simulators.soc.templates import (
                                              DEFAULT_LIBRARY,
                                              BusTemplate,
                                              CoreTemplate,
                                              IPTemplate,
                                              Library,
                                              MemoryTemplate,
                                              SystolicTemplate,
)
from archgym.simulators.soc.workload import BUILTIN_WORKLOADS, Task, TaskGraph, WorkloadError, load_workload

__all__ = ["BUILTIN_WORKLOADS", "DEFAULT_LIBRARY", "FORMULATIONS", "METRICS", "BusTemplate", "CoreTemplate",
           "IPTemplate", "Library", "MemoryTemplate", "SoCSimulator", "SystolicTemplate", "Task", "TaskGraph",
           "WorkloadError", "build_space", "load_workload"]
