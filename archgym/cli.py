"""The ``archgym`` command line: list envs and agents, run a study, manage datasets and proxies.

Heavy modules load inside commands, so ``archgym --help`` is quick.  Sub-command groups for
datasets and proxies live in :mod:`archgym.cli_data`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="archgym: design-space exploration of hardware accelerators.")


def _one_thread() -> None:
    """One thread per process: on a 2-core machine, two torch threads made training 27x slower."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def parse_value(text: str) -> Any:
    """``--set`` values: JSON when it parses (numbers, booleans, lists, null), else the raw string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(items: list[str] | None, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{what} must look like key=value, got {item!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


@app.command()
def envs() -> None:
    """List registered envs with their design-space sizes."""
    import archgym
    from archgym.registry import ENVS, make_simulator

    rows = []
    for e in ENVS.values():
        try:
            sim = make_simulator(e.name)
            rows.append((e.id, f"{sim.space.size:.3g}", str(len(sim.space)), ", ".join(sim.metric_names[:4]),
                         e.summary))
        except Exception as exc:  # show the env even if its default workload fails to load
            rows.append((e.id, "?", "?", f"error: {exc}", e.summary))
    _table(["env", "designs", "knobs", "metrics (first 4)", "what"], rows)
    del archgym


@app.command()
def agents() -> None:
    """List registered agents with their hyperparameters and defaults."""
    from archgym.agents import AGENTS, agent_class

    rows = []
    for name in AGENTS:
        cls = agent_class(name)
        hp = ", ".join(f"{k}={v!r}" for k, v in cls.hyperparameters().items())
        rows.append((name, cls.__name__, hp or "-"))
    _table(["agent", "class", "hyperparameters (defaults)"], rows)


@app.command()
def run(
    env: Annotated[str, typer.Option(help="env id, e.g. archgym/DRAM-v0")] = "archgym/Systolic-v0",
    agent: Annotated[str, typer.Option(help="agent name (see `archgym agents`)")] = "random",
    budget: Annotated[int, typer.Option(help="simulator evaluations")] = 200,
    seed: Annotated[int, typer.Option()] = 0,
    out: Annotated[Path, typer.Option(help="output directory (dataset, plot)")] = Path("runs"),
    set_: Annotated[list[str] | None, typer.Option("--set", help="agent hyperparameter key=value")] = None,
    env_arg: Annotated[list[str] | None, typer.Option("--env-arg", help="env kwarg key=value "
                                                      "(e.g. workload=resnet18, trace=random)")] = None,
    objective: Annotated[str | None, typer.Option(help="objective as JSON or a path to a JSON/YAML file")] = None,
    plot: Annotated[bool, typer.Option(help="write best-reward-vs-evaluations PNG")] = True,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Run one DSE study: print the best design and write the dataset and a plot."""
    _one_thread()
    import archgym
    from archgym.runner import run as run_study

    env_kwargs = parse_assignments(env_arg, "--env-arg")
    if objective:
        env_kwargs["objective"] = _load_config(objective)
    hp = parse_assignments(set_, "--set")
    try:
        result = run_study(env, agent, budget, seed, log_dir=out, env_kwargs=env_kwargs, agent_kwargs=hp,
                           progress=progress)
    except (KeyError, TypeError, ValueError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    print_result(result)
    if plot:
        png = out / f"{result.run_id}.png"
        plot_best_so_far({f"{result.agent} (seed {seed})": result.best_so_far()}, png,
                         title=f"{result.env_id}: best reward vs evaluations")
        typer.echo(f"plot:    {png}")
    typer.echo(f"dataset: {result.path}")
    del archgym


@app.command()
def sweep(
    spec: Annotated[Path, typer.Argument(help="sweep spec (YAML): budget, seeds, envs (+objectives), agents (+grids)")],
    out: Annotated[Path | None, typer.Option(help="directory of run files (default: the spec's out:); "
                                                  "finished runs found there are skipped")] = None,
    workers: Annotated[int, typer.Option(help="parallel processes (default: all cores)")] = 0,
    backend: Annotated[str, typer.Option(help="local (process pool) or ray")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: RAY_ADDRESS, else local Ray)")] = None,
    batch_size: Annotated[int, typer.Option(help="runs per Ray task (default: ~8 tasks per cluster CPU)")] = 0,
    dry_run: Annotated[bool, typer.Option(help="only count runs done and pending")] = False,
    progress: Annotated[bool, typer.Option(help="progress bar (runs done, failed, ETA)")] = True,
) -> None:
    """Run a sweep of env × objective × agent × hyperparameters × seeds; resumable and parallel."""
    _one_thread()
    from archgym.sweep import SweepSpecError, load_spec, pending, run_sweep, summary_rows

    try:
        sw = load_spec(spec)
    except SweepSpecError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    target = out if out is not None else (Path(sw.out) if sw.out else None)
    if target is None:
        typer.secho(f"error: {spec}: no output directory; give out: in the spec or --out", fg="red", err=True)
        raise typer.Exit(2)
    todo = pending(sw, target) if target.is_dir() else list(sw.runs)
    typer.echo(f"{len(sw.runs)} runs in {spec}: {len(sw.runs) - len(todo)} done, {len(todo)} to run -> {target}/")
    if dry_run:
        return
    try:
        report = run_sweep(sw, target, workers=workers or None, backend=backend, address=address,
                           batch_size=batch_size or None, progress=progress)
    except RuntimeError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    _table(["scenario", "agent", "finished", "failed", "pending", "median best", "max best"], summary_rows(sw, target))
    typer.echo(f"this call: {len(report.done)} runs done, {len(report.failed)} failed, {report.skipped} already "
               f"finished; {report.wall_s:.1f} s ({report.runs_per_s:.2f} runs/s, backend {backend})")
    for f in report.failed[:5]:
        typer.secho(f"failed {f['run_id']}: {f['error']}  (details: {target}/failed/{f['run_id']}.json)", fg="red")
    if report.failed:
        typer.echo("rerun the same command to retry failed runs")
        raise typer.Exit(1)


def _load_config(text: str) -> Any:
    p = Path(text)
    if p.is_file():
        import yaml

        return yaml.safe_load(p.read_text())
    return json.loads(text)


def print_result(result: Any) -> None:
    """The results table of a run."""
    traj = result.trajectory
    typer.echo(f"\n{result.env_id} | agent {result.agent} | seed {result.seed} | {result.budget} evaluations "
               f"| {int(traj['feasible'].sum())} feasible | {traj['wall_time_s'].sum():.2f} s")
    typer.echo(f"best reward {result.best_reward:.6g} at evaluation {result.best_step}")
    rows = [(k, str(v)) for k, v in result.best_design.items()]
    rows += [(k, f"{v:.6g}") for k, v in result.best_metrics.items()]
    _table(["best design / metric", "value"], rows)
    if result.hypervolume is not None:
        typer.echo(f"Pareto front: {len(result.pareto)} designs, hypervolume {result.hypervolume:.6g}")


def plot_best_so_far(curves: dict[str, Any], path: Path, title: str = "") -> Path:
    """Best-reward-so-far curves (one per label) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for label, ys in curves.items():
        ys = np.asarray(ys, dtype=float)
        ax.plot(np.arange(1, len(ys) + 1), ys, label=label)
    ax.set_xlabel("simulator evaluations")
    ax.set_ylabel("best reward so far")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _table(header: list[str], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    typer.echo(line)
    typer.echo("  ".join("-" * w for w in widths))
    for r in rows:
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)))


def _add_groups() -> None:
    from archgym.cli_data import dataset_app, proxy_app

    app.add_typer(dataset_app, name="dataset")
    app.add_typer(proxy_app, name="proxy")


_add_groups()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
