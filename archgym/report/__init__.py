"""Reports: one offline HTML page (plus PNG/PDF figures) for any directory of runs or any sweep.

``archgym report DIR`` calls :func:`build_report`.  Per scenario (env × workload × simulator
configuration × objective) it shows best reward vs evaluations per agent with bootstrap intervals,
the ranking of configurations when agents ran hyperparameter grids, the best design per agent,
parallel coordinates of the runs' best designs, the Pareto front and its attainment over seeds for
multi-objective runs, and knob importance.

The pieces are public so scripts (the lottery studies) reuse them: :func:`read_directory`,
:func:`bootstrap_band`, :func:`config_ranking`, :func:`pareto_designs`, :func:`knob_importance`.
pandas, matplotlib, plotly and scikit-learn load only when a function runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Band", "Importance", "Report", "Scenario", "agent_bands", "attainment", "attainment_surfaces",
           "bootstrap_band", "build_report", "config_ranking", "has_grids", "knob_importance", "pareto_designs",
           "read_directory"]

_WHERE = {
    "Band": "_curves", "agent_bands": "_curves", "bootstrap_band": "_curves", "config_ranking": "_curves",
    "has_grids": "_curves", "Importance": "_importance", "knob_importance": "_importance",
    "attainment": "_pareto", "attainment_surfaces": "_pareto", "pareto_designs": "_pareto",
    "Report": "_build", "build_report": "_build", "Scenario": "_runs", "read_directory": "_runs",
}


def __getattr__(name: str) -> Any:
    """Load the implementing module on first use (PEP 562), so ``import archgym.report`` is cheap."""
    if name not in _WHERE:
        raise AttributeError(f"module 'archgym.report' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"archgym.report.{_WHERE[name]}"), name)
