"""Successive vs hardware-only vs co-exploration on ``archgym/CoDesign-v0`` (NASAIC's comparison).

One command runs what is missing and rewrites the report (resumable: every finished job leaves a
JSON summary in ``<out>/jobs/``, every run its trajectory in ``<out>/runs/``; a Ctrl-C keeps the
evaluations done, which the next start replays)::

    nice -n 19 python experiments/codesign/study.py [--out runs/codesign] [--budget 300] [--seeds 10]
        [--workloads cifar10+digits cifar10x2] [--agents random ga bo ppo marl] [--report-only]

Methods, all at the same budget of ``B`` simulator evaluations per run:

* ``successive``: NAS for accuracy alone — the network knobs searched for the weighted mean
  accuracy (``weighted_mean`` objective) with the hardware fixed to :data:`DEFAULT_HW` — for
  ``B // 2`` evaluations; then the hardware (sub-accelerators and mapping) searched for the
  networks found, under the workload's specs (the env's default objective), for ``B - B // 2``.
  The same agent and seed run both stages.
* ``hardware_only``: the most accurate network of every task fixed (the table's best), the hardware
  searched under the specs for ``B`` evaluations.
* ``coexplore``: the joint space under the specs for ``B`` evaluations.

Writes ``experiments/codesign/results.md`` (tables) and ``experiments/codesign/figures/codesign.png``
from the job summaries (:mod:`report`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ENV = "archgym/CoDesign-v0"
METHODS = ("successive", "hardware_only", "coexplore")
AGENTS: dict[str, dict[str, Any]] = {"random": {}, "ga": {}, "bo": {}, "ppo": {}, "marl": {}}
#: the "reasonable default" chip of the NAS stage: one NVDLA-like and one ShiDianNao-like
#: sub-accelerator, half the PE budget and 36 of the 64 GB/s between them, one network on each
DEFAULT_HW = {"sa0_template": "ws_nvdla", "sa0_pes": 1024, "sa0_bw": 8, "sa0_sram_kB": 64,
              "sa1_template": "os_shidiannao", "sa1_pes": 1024, "sa1_bw": 4, "sa1_sram_kB": 32}


def simulator(workload: str, fixed: dict[str, Any] | None = None) -> Any:
    from archgym.registry import make_simulator

    return make_simulator("CoDesign", workload=workload, fixed=fixed or {})


def network_knobs(sim: Any) -> list[str]:
    return [k for names in sim.network_knobs.values() for k in names]


def default_hw(sim: Any) -> dict[str, Any]:
    """DEFAULT_HW plus task i on sub-accelerator i (mod the number of sub-accelerators)."""
    maps = {f"{t.label}_sa": f"sa{i % sim.n_sa}" for i, t in enumerate(sim.spec.tasks)} if sim.n_sa > 1 else {}
    return {**{k: v for k, v in DEFAULT_HW.items() if k in sim.full_space}, **maps}


def best_networks(sim: Any) -> dict[str, Any]:
    """The knob values of every task's most accurate network (main accuracy; first of ties)."""
    out = {}
    for task, names in zip(sim.tasks, sim.network_knobs.values(), strict=True):
        arch = int(np.argmax(task.accuracy_table[:, 0]))
        for k, i in zip(names, task.knob_indices(arch)[0].tolist(), strict=True):
            out[k] = sim.full_space[k].value_at(np.array([i]))[0].item()
    return out


def _run(workload: str, fixed: dict[str, Any], objective: dict[str, Any] | None, agent: str, budget: int,
         seed: int, out: Path) -> Any:
    import archgym

    kwargs: dict[str, Any] = {"workload": workload, "fixed": fixed}
    if objective is not None:
        kwargs["objective"] = objective
    return archgym.run(ENV, agent, budget, seed=seed, log_dir=out / "runs", env_kwargs=kwargs,
                       agent_kwargs=AGENTS[agent])


def _summary(res: Any, sim: Any) -> dict[str, Any]:
    df = res.trajectory
    meets = df["feasible"].to_numpy(bool).copy()
    for k, v in sim.spec.specs().items():
        meets &= df[f"metric.{k}"].to_numpy(float) <= v
    first = int(np.argmax(meets)) if meets.any() else None
    return {"best_reward": res.best_reward, "best_design": res.best_design, "best_metrics": res.best_metrics,
            "best_feasible": bool(df["feasible"].iloc[res.best_step]), "best_meets_specs": bool(meets[res.best_step]),
            "evaluations_to_first_spec_meeting": None if first is None else first + 1,
            "spec_meeting_fraction": float(meets.mean()), "run_id": res.run_id}


def job(workload: str, method: str, agent: str, seed: int, budget: int, out: Path) -> dict[str, Any]:
    """Run one (method, agent, seed) on one workload; returns its JSON summary."""
    full = simulator(workload)
    t0 = time.process_time()
    if method == "coexplore":
        res = _run(workload, {}, None, agent, budget, seed, out)
        summary = _summary(res, full)
    elif method == "hardware_only":
        res = _run(workload, best_networks(full), None, agent, budget, seed, out)
        summary = _summary(res, full)
    else:  # successive: NAS alone on the default chip, then hardware for the networks found
        weights = {f"accuracy_{t.label}": t.weight for t in full.spec.tasks}
        nas = _run(workload, default_hw(full), {"kind": "weighted_mean", "weights": weights}, agent, budget // 2,
                   seed, out)
        nets = {k: nas.best_design[k] for k in network_knobs(full)}
        res = _run(workload, nets, None, agent, budget - budget // 2, seed, out)
        summary = {**_summary(res, full), "nas_best_design": nets,
                   "nas_best_accuracy": nas.best_metrics["weighted_accuracy"],
                   "nas_meets_specs_on_default_hw": _summary(nas, full)["best_meets_specs"]}
    return {"workload": workload, "method": method, "agent": agent, "seed": seed, "budget": budget,
            "cpu_s": round(time.process_time() - t0, 2), **summary}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/codesign")
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--workloads", nargs="+", default=["cifar10+digits", "cifar10x2"])
    ap.add_argument("--agents", nargs="+", default=list(AGENTS), choices=list(AGENTS))
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--report-dir", default=str(HERE), help="where results.md and figures/ go")
    a = ap.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    from archgym._files import atomic_write_text

    out = Path(a.out)
    (out / "jobs").mkdir(parents=True, exist_ok=True)
    todo = [(w, m, ag, s) for w in a.workloads for s in range(a.seeds) for m in a.methods for ag in a.agents]
    if not a.report_only:
        for i, (w, m, ag, s) in enumerate(todo):
            path = out / "jobs" / f"{w}__{m}__{ag}__{s}__{a.budget}.json"
            if path.exists():
                continue
            t = time.perf_counter()
            rec = job(w, m, ag, s, a.budget, out)
            atomic_write_text(path, json.dumps(rec, indent=1, default=float))
            print(f"[{i + 1}/{len(todo)}] {w} {m} {ag} seed {s}: reward {rec['best_reward']:.4f} "
                  f"meets specs {rec['best_meets_specs']} ({time.perf_counter() - t:.1f} s)", flush=True)
    sys.path.insert(0, str(HERE))
    from report import write_report

    write_report(out / "jobs", a.budget, Path(a.report_dir))


if __name__ == "__main__":
    main()
