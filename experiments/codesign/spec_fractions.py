"""How common spec-meeting designs are on each built-in workload of ``archgym/CoDesign-v0``.

Over ``--n`` uniformly random designs (seed 0) of the joint space: the fraction within the PE and
bandwidth budgets (feasible), meeting each spec, and meeting all of them; and the quantiles of each
specced metric over feasible designs (what the default specs were chosen from).  Also the same for
the most accurate networks with random hardware (the hardware-only space).

    python experiments/codesign/spec_fractions.py [--n 20000] [--workloads cifar10+digits cifar10x2]
"""

from __future__ import annotations

import argparse

import numpy as np

from archgym.registry import make_simulator


def fractions(sim, n: int) -> dict[str, float]:
    r = sim.evaluate(sim.space.sample_indices(np.random.default_rng(0), n))
    feas = r["feasible"]
    out = {"feasible": float(feas.mean())}
    meets_all = feas.copy()
    for k, v in sim.spec.specs().items():
        ok = feas & (r[k] <= v)
        out[f"{k} <= {v:g}"] = float(ok.mean())
        meets_all &= ok
    out["meets all specs"] = float(meets_all.mean())
    out["quantiles"] = {k: np.quantile(r[k][feas], [0.1, 0.25, 0.5, 0.75, 0.9]).round(4).tolist()
                        for k in sim.spec.specs()}
    return out


def main() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from study import best_networks

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--workloads", nargs="+", default=["cifar10+digits", "cifar10x2"])
    a = ap.parse_args()
    for w in a.workloads:
        sim = make_simulator("CoDesign", workload=w)
        hw = make_simulator("CoDesign", workload=w, fixed=best_networks(sim))
        for label, s in (("joint space", sim), ("most accurate networks, random hardware", hw)):
            f = fractions(s, a.n)
            q = f.pop("quantiles")
            print(f"\n{w} — {label} ({a.n} random designs)")
            for k, v in f.items():
                print(f"  {k:32s} {100 * v:6.2f} %")
            for k, v in q.items():
                print(f"  {k:18s} p10/25/50/75/90 over feasible: {v}")


if __name__ == "__main__":
    main()
