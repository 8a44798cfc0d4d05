"""Network–accelerator co-exploration (NASAIC, DAC'20): task networks with real accuracy oracles
and a heterogeneous ASIC of dataflow-template sub-accelerators, searched together.
``CoDesignSimulator`` is the model behind ``archgym/CoDesign-v0``."""

from archgym.simulators.codesign.hardware import TEMPLATES, Budgets, ConfigGrid, array_shape
from archgym.simulators.codesign.model import CoDesignSimulator
from archgym.simulators.codesign.workload import BUILTIN_WORKLOADS, TaskSpec, Workload, load_workload, parse_workload

__all__ = ["BUILTIN_WORKLOADS", "TEMPLATES", "Budgets", "CoDesignSimulator", "ConfigGrid", "TaskSpec", "Workload",
           "array_shape", "load_workload", "parse_workload"]
