"""Every error archgym raises on purpose, under one root.

Why one module: a caller (the CLI, a sweep worker, a user's notebook) can catch
:class:`ArchGymError` and know that anything else is a bug, not bad input.  Each subclass also
derives from the built-in exception that is its contract — ``ValueError`` for a bad value,
``KeyError`` for an unknown name, ``TypeError`` for a wrong kind of argument, ``RuntimeError`` for
a failed external tool — as scikit-learn's ``InvalidParameterError`` does, so code written against
the built-ins keeps working.  Unknown names carry "did you mean" suggestions, as Gymnasium's
``NameNotFound`` does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class ArchGymError(Exception):
    """Root of every error archgym raises deliberately.  Its message says what to change."""


class InvalidDesignError(ArchGymError, ValueError):
    """A design is outside its space.  The message names the parameter, the value and what is allowed."""


class InvalidParameterError(ArchGymError, ValueError):
    """A constructor or function argument (env kwarg, hyperparameter, objective field) has a bad value."""


class UnknownParameterError(InvalidParameterError, TypeError):
    """An argument name a function does not take (an unknown hyperparameter or objective field).

    Also a ``TypeError``, as Python's own "unexpected keyword argument" is.
    """


class UnknownNameError(ArchGymError, KeyError, ValueError):
    """A name (env, agent, workload, objective kind, estimator, metric, ...) is not registered.

    ``str()`` is the plain message (``KeyError`` would quote it), with close matches suggested.
    """

    def __init__(self, kind: str, name: Any, known: Iterable[Any], hint: str = "", prefix: str = ""):
        self.kind = kind
        self.name = name
        self.known = [str(k) for k in known]
        msg = f"{prefix or 'unknown ' + kind} {name!r}"
        close = suggest(name, self.known)
        if close:
            msg += f" (did you mean {close}?)"
        msg += f"; allowed: {', '.join(self.known)}" if len(self.known) <= 40 else f" ({len(self.known)} known)"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotInstalledError(ArchGymError, ImportError):
    """archgym was imported without being installed (e.g. ``python -c "import archgym"`` in the
    checkout with a Python that lacks its dependencies or its ``archgym.simulators`` mapping).

    The folders ``simulators/``, ``agents/`` and ``data/`` become ``archgym.simulators`` … only
    through the install, so without it Python reports a missing module that is no clue to the fix.
    Also an ``ImportError``, which is what a failed import is.
    """


class WorkloadError(ArchGymError, ValueError):
    """A workload (file or argument) is malformed; the message names the file, line and field."""


class WorkloadNotFoundError(WorkloadError, FileNotFoundError):
    """A workload file does not exist (also a ``FileNotFoundError``)."""


class SimulatorError(ArchGymError, RuntimeError):
    """A simulator (usually an external tool behind an adapter) failed to produce results."""


class DatasetError(ArchGymError, ValueError):
    """A dataset file or directory is unreadable or not in archgym's schema."""


class ProxyError(ArchGymError, ValueError):
    """A proxy model file is invalid, unsafe, or does not match the simulator it stands in for."""


class SweepSpecError(ArchGymError, ValueError):
    """A sweep spec is invalid.  ``file`` and ``key`` say where; the message names both."""

    def __init__(self, file: str, key: str, problem: str):
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")


class SweepError(ArchGymError, RuntimeError):
    """A sweep cannot proceed (its output directory is locked by another sweep, a backend is missing)."""


class StateError(ArchGymError, RuntimeError):
    """An object was used out of order (a step after the episode ended, a policy before training)."""


class BudgetExhausted(ArchGymError, RuntimeError):
    """An agent asked for more simulator evaluations than its budget (a control-flow signal)."""


class RunInterrupted(KeyboardInterrupt):
    """A run was interrupted (Ctrl-C); what it evaluated is kept.

    Still a ``KeyboardInterrupt`` (so an interrupt stays an interrupt), with what a caller needs to
    say how to go on: ``path`` of the kept incomplete file (``None`` without a ``log_dir``), and
    ``done`` of ``budget`` evaluations.
    """

    def __init__(self, run_id: str, done: int, budget: int, path: Any = None):
        self.run_id, self.done, self.budget, self.path = run_id, done, budget, path
        where = f"; kept in {path} — rerun the same command to resume" if path else "; nothing kept (no log_dir)"
        super().__init__(f"run {run_id} interrupted after {done} of {budget} evaluations{where}")


class SweepInterrupted(KeyboardInterrupt):
    """A sweep was interrupted (Ctrl-C); finished runs are kept, in-flight runs kept partial files.

    Still a ``KeyboardInterrupt``.  ``out`` is the sweep directory, ``done`` the runs this call
    finished, ``todo`` the runs it had to do; rerunning the same command resumes.
    """

    def __init__(self, out: Any, done: int, todo: int):
        self.out, self.done, self.todo = out, done, todo
        super().__init__(f"sweep in {out} interrupted after {done} of {todo} runs — rerun the same command to resume")


def suggest(name: Any, known: Iterable[Any], n: int = 3) -> str:
    """``"'a' or 'b'"`` for the known names closest to ``name``, or ``""`` when none is close."""
    known = [str(k) for k in known]
    text = str(name)
    close = difflib.get_close_matches(text, known, n=n, cutoff=0.6)
    if not close:  # case-insensitive and prefix matches catch 'dram' → 'DRAM', 'cloud' → 'cloud-1'
        low = text.lower()
        close = [k for k in known if k.lower() == low or (low and k.lower().startswith(low))][:n]
    return " or ".join(repr(c) for c in close)
