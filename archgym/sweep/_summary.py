"""The end-of-sweep summary: per scenario × configuration, what finished, failed or is pending, and
how well.

Read from the result files (not from one call's runs), so it describes the whole sweep however
many calls it took.  A *configuration* is an agent with one set of hyperparameters on one
simulator configuration (``config_hash``): a grid's configurations get one row each, named by the
hyperparameters that vary between the agent's runs, so the table is the hyperparameter lottery at
a glance rather than an average over it.  :func:`write_summary` saves it next to the runs as
``summary.csv`` and ``summary.md`` (atomic writes), so a finished sweep directory explains itself.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from archgym._files import atomic_write_text
from archgym.sweep._execute import is_finished
from archgym.sweep._spec import RunSpec, Sweep, _config_hash

SUMMARY_HEADER = ("scenario", "agent", "config", "config_hash", "finished", "failed", "pending", "median best",
                  "max best")
SUMMARY_FILES = ("summary.csv", "summary.md")


def _varied(runs: list[RunSpec]) -> dict[str, list[str]]:
    """Per agent label: the hyperparameter keys whose values differ between its runs."""
    by_agent: dict[str, list[RunSpec]] = {}
    for r in runs:
        by_agent.setdefault(r.agent_label or r.agent, []).append(r)
    out = {}
    for agent, rs in by_agent.items():
        keys = {k for r in rs for k in r.hparams}
        out[agent] = sorted(k for k in keys if len({json.dumps(r.hparams.get(k), sort_keys=True, default=str)
                                                    for r in rs}) > 1)
    return out


def summary_rows(sweep: Sweep, out: str | Path) -> list[tuple[str, ...]]:
    """Per scenario × agent × configuration: runs finished / failed / pending and best-reward quantiles.

    Columns are :data:`SUMMARY_HEADER`; ``config`` lists the hyperparameters that vary between the
    agent's runs (``default`` when it ran one configuration).  Reads the result files (not just
    this call's runs), so the table describes the whole sweep.
    """
    import numpy as np
    import pyarrow.parquet as pq

    out = Path(out)
    varied = _varied(list(sweep.runs))
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for r, rid in zip(sweep.runs, sweep.ids, strict=True):
        agent = r.agent_label or r.agent
        config = ", ".join(f"{k}={r.hparams.get(k)!r}" for k in varied[agent]) or "default"
        key = (r.scenario, agent, config, _config_hash(r.env_id, r.env_kwargs))
        g = groups.setdefault(key, {"best": [], "failed": 0, "pending": 0})
        path = out / f"{rid}.parquet"
        if is_finished(path, rid, r.budget):
            g["best"].append(float(np.nanmax(pq.read_table(path, columns=["reward"]).column(0).to_numpy())))
        elif (out / "failed" / f"{rid}.json").is_file():
            g["failed"] += 1
        else:
            g["pending"] += 1
    rows = []
    for key, g in groups.items():
        best = np.array(g["best"])
        stats = (f"{np.median(best):.4g}", f"{best.max():.4g}") if len(best) else ("-", "-")
        rows.append((*key, str(len(best)), str(g["failed"]), str(g["pending"]), *stats))
    return rows


def summary_markdown(rows: list[tuple[str, ...]]) -> str:
    """The summary as a Markdown table (``|`` in cells escaped)."""

    def cell(x: str) -> str:
        return str(x).replace("|", "\\|")

    lines = ["| " + " | ".join(SUMMARY_HEADER) + " |", "|" + "---|" * len(SUMMARY_HEADER)]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_summary(sweep: Sweep, out: str | Path, rows: list[tuple[str, ...]] | None = None) -> tuple[Path, Path]:
    """Save the summary as ``<out>/summary.csv`` and ``<out>/summary.md`` (each written atomically).

    Returns:
        The two paths.
    """
    out = Path(out)
    rows = summary_rows(sweep, out) if rows is None else rows
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SUMMARY_HEADER)
    writer.writerows(rows)
    title = f"# Sweep {sweep.name or sweep.source}: summary\n\n"
    return (atomic_write_text(out / SUMMARY_FILES[0], buf.getvalue()),
            atomic_write_text(out / SUMMARY_FILES[1], title + summary_markdown(rows)))
