"""The toy problems of :mod:`archgym.testing`, under the name the tests import them by."""

from archgym.testing import MostlyInfeasible, ToySimulator

__all__ = ["MostlyInfeasible", "ToySimulator"]
