"""``archgym envs | agents | run | sweep``: list what is registered, run one study, run a sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archgym.cli._common import (
    fail,
    load_config,
    one_thread,
    parse_assignments,
    plot_best_so_far,
    print_result,
    table,
)


def envs() -> None:
    """List registered envs with their design-space sizes."""
    from archgym.registry import ENVS, make_simulator

    rows = []
    for e in ENVS.values():
        try:
            sim = make_simulator(e.name)
            rows.append((e.id, f"{sim.space.size:.3g}", str(len(sim.space)), ", ".join(sim.metric_names[:4]),
                         e.summary))
        except Exception as exc:  # show the env even if its default workload fails to load
            rows.append((e.id, "?", "?", f"error: {exc}", e.summary))
    table(["env", "designs", "knobs", "metrics (first 4)", "what"], rows)


def agents() -> None:
    """List registered agents with their hyperparameters and defaults."""
    from archgym.registry import AGENTS, agent_class

    rows = []
    for name in AGENTS:
        cls = agent_class(name)
        hp = ", ".join(f"{k}={v!r}" for k, v in cls.hyperparameters().items())
        rows.append((name, cls.__name__, hp or "-"))
    table(["agent", "class", "hyperparameters (defaults)"], rows)


def run(
    env: Annotated[str, typer.Option(help="env id, e.g. archgym/DRAM-v0")] = "archgym/Systolic-v0",
    agent: Annotated[str, typer.Option(help="agent name (see `archgym agents`)")] = "random",
    budget: Annotated[int, typer.Option(min=1, help="simulator evaluations")] = 200,
    seed: Annotated[int, typer.Option()] = 0,
    out: Annotated[Path, typer.Option(help="output directory (dataset, plot)")] = Path("runs"),
    set_: Annotated[list[str] | None, typer.Option("--set", help="agent hyperparameter key=value")] = None,
    env_arg: Annotated[list[str] | None, typer.Option("--env-arg", help="env kwarg key=value "
                                                      "(e.g. workload=resnet18, trace=random)")] = None,
    objective: Annotated[str | None, typer.Option(help="objective as JSON or a path to a JSON/YAML file "
                                                      "(forms and examples below)")] = None,
    plot: Annotated[bool, typer.Option(help="write best-reward-vs-evaluations PNG")] = True,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Run one DSE study: print the best design and write the dataset and a plot.

    --objective takes an objective's JSON form (or a JSON/YAML file holding it); the reward is
    higher-is-better for every kind. Metric names are the env's (archgym envs). Examples:

    \b
    target (ArchGym's: reward 1/(1+distance); norm l1, l2 or linf):
      '{"kind": "target", "targets": {"power_mW": 1000, "time_ns": 1e5},
        "norm": "l2"}'
    budgets (reward 1 when every metric is within its budget):
      '{"kind": "budgets", "budgets": {"latency_ms": 2, "area_mm2": 10}}'
    minimize / maximize one metric:
      '{"kind": "minimize", "metric": "energy_mJ"}'
      '{"kind": "maximize", "metric": "bandwidth_Gbps"}'
    weighted_sum (goals default to min; scales normalise):
      '{"kind": "weighted_sum", "weights": {"latency_ms": 1, "energy_mJ": 0.5},
        "scales": {"energy_mJ": 10}}'
    weighted_mean (metrics on a common range, e.g. accuracies in %, in [0, 1]):
      '{"kind": "weighted_mean", "weights": {"accuracy_cifar10": 2,
        "accuracy_digits": 1}, "lower": 0, "upper": 100}'
    constrained (an inner objective subject to budgets):
      '{"kind": "constrained", "budgets": {"area_mm2": 10},
        "objective": {"kind": "minimize", "metric": "energy_mJ"}}'
    multi (Pareto search: prints the Pareto designs and the hypervolume):
      '{"kind": "multi", "goals": {"latency_ms": "min", "area_mm2": "min"},
        "ref_point": {"latency_ms": 200, "area_mm2": 100}}'
    """
    one_thread()
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is an existing file; give a directory (created if missing)")
    from archgym.runner import run as run_study

    env_kwargs = parse_assignments(env_arg, "--env-arg")
    if objective:
        env_kwargs["objective"] = load_config(objective)
    hp = parse_assignments(set_, "--set")
    result = run_study(env, agent, budget, seed, log_dir=out, env_kwargs=env_kwargs, agent_kwargs=hp,
                       progress=progress)
    print_result(result)
    if plot:
        png = out / f"{result.run_id}.png"
        plot_best_so_far({f"{result.agent} (seed {seed})": result.best_so_far()}, png,
                         title=f"{result.env_id}: best reward vs evaluations")
        typer.echo(f"plot:    {png}")
    typer.echo(f"dataset: {result.path}")


def sweep(
    spec: Annotated[Path, typer.Argument(help="sweep spec (YAML): budget, seeds, envs (+objectives), agents (+grids)")],
    out: Annotated[Path | None, typer.Option(help="directory of run files (default: the spec's out:); "
                                                  "finished runs found there are skipped")] = None,
    workers: Annotated[int, typer.Option(min=0, help="parallel processes (default 0: all cores)")] = 0,
    backend: Annotated[str, typer.Option(help="local (process pool) or ray")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: RAY_ADDRESS, else local Ray)")] = None,
    batch_size: Annotated[int, typer.Option(min=0, help="runs per Ray task (default 0: ~8 tasks per cluster CPU)")] = 0,
    dry_run: Annotated[bool, typer.Option(help="only count runs done and pending")] = False,
    progress: Annotated[bool, typer.Option(help="progress bar (runs done, failed, ETA)")] = True,
) -> None:
    """Run a sweep of env × objective × agent × hyperparameters × seeds; resumable and parallel."""
    one_thread()
    from archgym.sweep import SUMMARY_HEADER, load_spec, pending, run_sweep, summary_rows, write_summary

    if backend not in ("local", "ray"):
        fail(f"--backend must be 'local' or 'ray', got {backend!r}")
    sw = load_spec(spec)
    target = out if out is not None else (Path(sw.out) if sw.out else None)
    if target is None:
        fail(f"{spec}: no output directory; give out: in the spec or --out")
    if target.exists() and not target.is_dir():
        fail(f"output directory {target} is an existing file; give a directory (created if missing)")
    todo = pending(sw, target) if target.is_dir() else list(sw.runs)
    typer.echo(f"{len(sw.runs)} runs in {spec}: {len(sw.runs) - len(todo)} done, {len(todo)} to run -> {target}/")
    if dry_run:
        return
    try:
        report = run_sweep(sw, target, workers=workers or None, backend=backend, address=address,
                           batch_size=batch_size or None, progress=progress)
        rows = summary_rows(sw, target)
        table(list(SUMMARY_HEADER), rows)
        csv_path, md_path = write_summary(sw, target, rows)
    except KeyboardInterrupt:  # finished runs are kept, in-flight ones kept partial files
        typer.secho("interrupted — rerun the same command to resume", err=True)
        raise typer.Exit(130) from None
    typer.echo(f"summary: {csv_path}, {md_path}  (full report: archgym report {target})")
    typer.echo(f"this call: {len(report.done)} runs done, {len(report.failed)} failed, {report.skipped} already "
               f"finished; {report.wall_s:.1f} s ({report.runs_per_s:.2f} runs/s, backend {backend})")
    for f in report.failed[:5]:
        typer.secho(f"failed {f['run_id']}: {f['error']}  (details: {target}/failed/{f['run_id']}.json)", fg="red")
    if report.failed:
        typer.echo("rerun the same command to retry failed runs")
        raise typer.Exit(1)
