"""Sweeps: a YAML spec of envs × objectives × agents × hyperparameters × seeds, run resumably on a
process pool or a Ray cluster.

The spec format and its checks live in ``_spec`` (:func:`load_spec`, :func:`expand`), execution,
resume and failure records in ``_execute`` (:func:`run_sweep`, :func:`pending`), and the
end-of-sweep table in ``_summary`` (:func:`summary_rows`, saved as ``summary.csv``/``summary.md`` by
:func:`write_summary`).
"""

from archgym.errors import SweepError, SweepSpecError
from archgym.sweep._execute import SweepReport, is_finished, pending, run_sweep
from archgym.sweep._spec import RunSpec, Sweep, expand, load_spec
from archgym.sweep._summary import SUMMARY_HEADER, summary_markdown, summary_rows, write_summary

__all__ = ["SUMMARY_HEADER", "RunSpec", "Sweep", "SweepError", "SweepReport", "SweepSpecError", "expand", "is_finished",
           "load_spec", "pending", "run_sweep", "summary_markdown", "summary_rows", "write_summary"]
