"""Compare the DRAM model with the real DRAMSys 4.0 runs in ``calibration.csv``; print markdown tables.

Usage: ``python experiments/dram/fidelity.py [path/to/shared/dramsys]`` (default ``../shared/dramsys``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from archgym.simulators.dram import SPACE, DRAMSimulator

TRACES = ("stream", "random", "cloud-1", "cloud-2")
PAIRS = (("time_ns", "total_time_ns"), ("energy_pJ", "energy_pJ"), ("power_mW", "power_mW"))


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def compare(dramsys_dir: Path, traces: tuple[str, ...] = TRACES) -> pd.DataFrame:
    """One row per (trace, metric): median and P90 |relative error| and Spearman correlation."""
    cal = pd.read_csv(dramsys_dir / "calibration.csv")
    rows = []
    for tr in traces:
        sub = cal[cal.trace == f"{tr}.stl"]
        sim = DRAMSimulator(trace=dramsys_dir / f"{tr}.stl")
        res = sim.evaluate(sub[list(SPACE.names)].reset_index(drop=True))
        for ours, theirs in PAIRS:
            ref = sub[theirs].to_numpy()
            err = np.abs(res[ours] / ref - 1.0)
            rows.append({"trace": tr, "metric": ours, "median_err_pct": 100 * np.median(err),
                         "p90_err_pct": 100 * np.quantile(err, 0.9), "max_err_pct": 100 * err.max(),
                         "spearman": spearman(res[ours], ref), "n": len(sub)})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """A markdown table (no optional dependency), floats with three decimals."""
    cols = list(table.columns)
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    d = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared" / "dramsys"
    t0 = time.process_time()
    table = compare(d)
    print(markdown(table))
    print(f"\nCPU time {time.process_time() - t0:.1f} s")


if __name__ == "__main__":
    main()
