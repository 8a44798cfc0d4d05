"""The end-of-sweep summary: per scenario × agent, what finished, failed or is pending, and how well.

Read from the result files (not from one call's runs), so it describes the whole sweep however
many calls it took.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archgym.sweep._execute import is_finished
from archgym.sweep._spec import Sweep


def summary_rows(sweep: Sweep, out: str | Path) -> list[tuple[str, ...]]:
    """Per scenario × agent: runs finished / failed / pending and best-reward quantiles.

    Reads the result files (not just this call's runs), so the table describes the whole sweep.
    """
    import numpy as np
    import pyarrow.parquet as pq

    out = Path(out)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r, rid in zip(sweep.runs, sweep.ids, strict=True):
        g = groups.setdefault((r.scenario, r.agent_label or r.agent), {"best": [], "failed": 0, "pending": 0})
        path = out / f"{rid}.parquet"
        if is_finished(path, rid, r.budget):
            g["best"].append(float(np.nanmax(pq.read_table(path, columns=["reward"]).column(0).to_numpy())))
        elif (out / "failed" / f"{rid}.json").is_file():
            g["failed"] += 1
        else:
            g["pending"] += 1
    rows = []
    for (scenario, agent), g in groups.items():
        best = np.array(g["best"])
        stats = (f"{np.median(best):.4g}", f"{best.max():.4g}") if len(best) else ("-", "-")
        rows.append((scenario, agent, str(len(best)), str(g["failed"]), str(g["pending"]), *stats))
    return rows
