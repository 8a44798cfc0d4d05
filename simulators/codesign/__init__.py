"""Network–accelerator co-exploration (NASAIC, DAC'20): task networks with real accuracy oracles
and a heterogeneous ASIC of dataflow-template sub-accelerators, searched together.

A :class:`~archgym.simulators.codesign.task.Task` is a searchable DNN family (its architecture
knobs), a table of *measured* accuracies for every architecture, and the layer list each
architecture runs on an accelerator.  Nothing heavy loads at import: tables load in
:func:`load_task`.  ``CoDesignSimulator`` is the model behind ``archgym/CoDesign-v0``.
"""

from archgym.simulators.codesign.hardware import TEMPLATES, ChipBudgets, ConfigGrid, array_shape
from archgym.simulators.codesign.model import CoDesignSimulator
from archgym.simulators.codesign.task import TASKS, Task, load_task
from archgym.simulators.codesign.workload import (
           BUILTIN_WORKLOADS,
           TaskSpec,
           Workload,
           load_workload,
           parse_workload,
)

__all__ = ["BUILTIN_WORKLOADS", "TASKS", "TEMPLATES", "ChipBudgets", "CoDesignSimulator", "ConfigGrid", "Task", "TaskSpec",
           "Workload", "array_shape", "load_task", "load_workload", "parse_workload"]
