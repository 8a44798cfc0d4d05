"""Task networks and their accuracy oracles for network–accelerator co-exploration (NASAIC-style).

A :class:`~archgym.simulators.codesign.task.Task` is a searchable DNN family (its architecture
knobs), a table of *measured* accuracies for every architecture, and the layer list each
architecture runs on an accelerator.  Nothing heavy loads at import: tables load in
:func:`load_task`.
"""

from archgym.simulators.codesign.task import TASKS, Task, load_task

__all__ = ["TASKS", "Task", "load_task"]
