"""Fidelity of SoC-v0's ``farsi`` formulation against FARSI's own runs (../shared/farsi/calibration.csv).

Every reference design is mapped with ``design_from_reference`` and evaluated by the model; the
table gives, per workload and metric, the median and 90th-percentile |relative error| and the
Spearman rank correlation, plus the error on FARSI's initial design (design 0).

    python experiments/soc/fidelity.py [--farsi-dir ../shared/farsi]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from archgym.simulators.soc import SoCSimulator
from archgym.simulators.soc.farsi import design_from_reference

METRICS = {"latency": ("latency_ms", "latency_s", 1e-3), "power": ("power_mW", "power_W", 1e-3),
           "area": ("area_mm2", "area_m2", 1e-6), "energy": ("energy_mJ", "energy_J", 1e-3)}


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def compare(farsi_dir: Path) -> list[dict]:
    rows = list(csv.DictReader((farsi_dir / "calibration.csv").open()))
    sims: dict[str, SoCSimulator] = {}
    per: dict[str, dict[str, list[tuple[float, float, bool]]]] = {}
    for row in rows:
        kwargs, design = design_from_reference(row, farsi_dir / "database")
        sim = sims.setdefault(row["workload"], SoCSimulator(**kwargs))
        r = sim.evaluate([design])
        for m, (ours, theirs, scale) in METRICS.items():
            per.setdefault(row["workload"], {}).setdefault(m, []).append(
                (float(r[ours][0]) * scale, float(row[theirs]), row["design_id"] == "0"))
    out = []
    for w, metrics in per.items():
        for m, vals in metrics.items():
            model = np.array([v[0] for v in vals])
            ref = np.array([v[1] for v in vals])
            err = np.abs(model / ref - 1.0)
            d0 = next(abs(v[0] / v[1] - 1.0) for v in vals if v[2])
            out.append({"workload": w, "metric": m, "designs": len(vals), "median_err_pct": 100 * float(np.median(err)),
                        "p90_err_pct": 100 * float(np.quantile(err, 0.9)), "max_err_pct": 100 * float(err.max()),
                        "spearman": spearman(model, ref), "design0_err_pct": 100 * d0})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--farsi-dir", default=str(Path(__file__).resolve().parents[2].parent / "shared" / "farsi"))
    args = ap.parse_args()
    print("| workload | metric | designs | median err % | P90 err % | max err % | Spearman | design 0 err % |")
    print("|---|---|---|---|---|---|---|---|")
    for r in compare(Path(args.farsi_dir)):
        print(f"| {r['workload']} | {r['metric']} | {r['designs']} | {r['median_err_pct']:.2g} | {r['p90_err_pct']:.2g} "
              f"| {r['max_err_pct']:.2g} | {r['spearman']:.4f} | {r['design0_err_pct']:.2g} |")


if __name__ == "__main__":
    main()
