"""Deprecated location of the Agent contract; it lives in :mod:`archgym.agent` now.

Kept so that ``from archgym.agents.base import Agent`` in user code still works.
"""

from archgym.agent import Agent, finite_reward
from archgym.errors import BudgetExhausted

__all__ = ["Agent", "BudgetExhausted", "finite_reward"]
