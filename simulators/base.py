"""Deprecated location of the Simulator contract; it lives in :mod:`archgym.simulator` now.

Kept so that ``from archgym.simulators.base import Simulator, Metric`` in user code still works.
"""

from archgym.errors import SimulatorError
from archgym.simulator import FEASIBLE, REASON, Metric, Simulator

__all__ = ["FEASIBLE", "REASON", "Metric", "Simulator", "SimulatorError"]
