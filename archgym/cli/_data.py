"""``archgym dataset …`` and ``archgym proxy …``: manage trajectory datasets and proxy cost models.

Heavy imports (pandas, pyarrow, scikit-learn) happen inside the commands, so ``archgym --help``
stays fast and ``import archgym.cli`` never loads scikit-learn.  Errors are handled by the CLI's one handler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archgym.cli._common import fail, handle_errors

dataset_app = typer.Typer(add_completion=False, no_args_is_help=True,
                          help="Trajectory datasets: validate, merge, export, import, info.")
proxy_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Proxy cost models: train on logged evaluations, evaluate on others.")

Paths = Annotated[list[Path], typer.Argument(help="dataset files, directories or globs")]


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        out[key] = value if sep else key
        if not key:
            fail(f"{what} must look like CSV_NAME=NAME or NAME, got {item!r}")
    return out


@dataset_app.command()
@handle_errors
def validate(paths: Paths) -> None:
    """Check files against the schema; print each problem with its file and column."""
    from archgym import datasets

    problems = datasets.validate(paths)
    for p in problems:
        typer.echo(p)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"ok: {len(datasets.resolve_paths(paths))} file(s) valid")


@dataset_app.command()
@handle_errors
def info(paths: Paths) -> None:
    """Summarise files: rows, runs, envs, agents, simulator versions, workloads, feasibility."""
    from archgym import datasets

    df = datasets.load(paths)
    typer.echo(f"{len(df)} rows, {df['run_id'].nunique() if len(df) else 0} runs, "
               f"{len(datasets.dedupe(df)) if len(df) else 0} unique evaluations")
    for col in ("env_id", "agent", "simulator", "simulator_version", "workload"):
        if col in df and len(df):
            counts = df[col].astype(str).value_counts()
            typer.echo(f"{col:<18} " + ", ".join(f"{k} ({v})" for k, v in counts.items()))
    if len(df):
        typer.echo(f"{'feasible':<18} {100 * df['feasible'].mean():.1f}%")
        typer.echo(f"{'metrics':<18} {', '.join(c[7:] for c in datasets.metric_columns(df))}")


@dataset_app.command()
@handle_errors
def merge(paths: Paths, out: Annotated[Path, typer.Option(help="output Parquet file")]) -> None:
    """Merge files into one, dropping repeated (design, simulator version, workload) evaluations."""
    from archgym import datasets

    path = datasets.merge(paths, out)
    typer.echo(f"{len(datasets.load(path))} unique evaluations → {path}")


@dataset_app.command()
@handle_errors
def export(paths: Paths,
           out: Annotated[str, typer.Option(help="CSV path, or the Minari dataset id for --format minari")],
           format: Annotated[str, typer.Option(help="csv or minari")] = "csv",
           episode_len: Annotated[int | None, typer.Option(help="steps per episode (minari)")] = None) -> None:
    """Export to CSV, or convert to a local Minari dataset (needs `pip install minari`)."""
    from archgym import datasets

    if format == "csv":
        typer.echo(f"wrote {datasets.export_csv(paths, out)}")
    elif format == "minari":
        try:
            datasets.export_minari(paths, out, episode_len=episode_len)
        except ImportError as exc:
            fail(str(exc))
        typer.echo(f"created Minari dataset {out}")
    else:
        fail(f"--format must be csv or minari, got {format!r}")


@dataset_app.command("import")
@handle_errors
def import_(csv: Annotated[Path, typer.Argument(help="CSV with a header, one row per design")],
            env: Annotated[str, typer.Option(help="env whose design space the designs must belong to")],
            out: Annotated[Path, typer.Option(help="output directory")],
            metric: Annotated[list[str], typer.Option(help="metric column, CSV_NAME=METRIC or NAME")],
            rename: Annotated[list[str] | None, typer.Option(help="CSV_NAME=PARAM for design columns")] = None,
            ignore: Annotated[list[str] | None, typer.Option(help="CSV column to drop")] = None,
            workload: Annotated[str, typer.Option(help="workload id for all rows")] = "",
            workload_column: Annotated[str | None, typer.Option(help="CSV column holding the workload")] = None,
            simulator: Annotated[str, typer.Option(help="name of the external simulator")] = "external",
            version: Annotated[str, typer.Option(help="its version")] = "unknown") -> None:
    """Import another simulator's results as a dataset file (errors name unknown columns and bad values)."""
    from archgym import datasets
    from archgym.registry import entry, make_simulator

    sim = make_simulator(entry(env).name)
    df, meta = datasets.import_csv(csv, sim.space, _pairs(metric, "--metric"), rename=_pairs(rename, "--rename"),
                                   ignore=ignore or [], workload=workload, workload_column=workload_column,
                                   simulator=simulator, simulator_version=version, env_id=entry(env).id,
                                   metric_defs=sim.metrics)
    path = datasets.write_run(df, out, f"import-{csv.stem}", meta)
    typer.echo(f"{len(df)} rows → {path}")


@proxy_app.command()
@handle_errors
def train(paths: Paths,
          out: Annotated[Path, typer.Option(help="where to save the proxy (one file)")],
          env: Annotated[str | None, typer.Option(help="env the proxy stands in for (space, metric units)")] = None,
          estimator: Annotated[str, typer.Option(help="auto (validated on the training designs: the "
                                                 "cheapest of tree, rf, extra within 10% of the most accurate), "
                                                 "or tree, rf, extra, hgb, gp, knn, mlp, linear")] = "auto",
          metric: Annotated[list[str] | None, typer.Option(help="metrics to model (default: all)")] = None,
          workload: Annotated[str | None, typer.Option(help="pick one workload of a mixed dataset")] = None,
          test_size: Annotated[float, typer.Option(help="held-out fraction of designs")] = 0.2,
          multi_output: Annotated[bool, typer.Option(help="one model for all metrics (faster)")] = False,
          seed: Annotated[int, typer.Option()] = 0) -> None:
    """Train a proxy, print its held-out accuracy per metric, and save it.

    The workload is the data's (from the rows and file metadata), not the env's default: a proxy
    trained on ``trace=random`` runs stands in for the DRAM env on ``random``.  Data that mixes
    workloads is refused unless ``--workload`` picks one.
    """
    from archgym import datasets
    from archgym.proxy import fit_proxy
    from archgym.proxy._fit import single_workload
    from archgym.registry import entry, make_simulator

    df, meta = datasets.load_with_metadata(paths)
    where = ", ".join(str(p) for p in paths)
    workload = single_workload(df, meta, workload, where=where, option="--workload ")
    ref = None
    if env:
        ref = make_simulator(entry(env).name, **({"workload": workload} if workload else {}))
    proxy, report = fit_proxy(df, metrics=metric or None,
                              estimator=estimator, reference=ref, workload=workload, test_size=test_size,
                              seed=seed, multi_output=multi_output, metadata=meta)
    if "selection" in report.extra:
        rows = report.extra["selection"]
        typer.echo("estimator chosen by validation on the training designs (worst-metric rel. RMSE %):")
        for r in rows:
            mark = "  <- chosen" if r["chosen"] else ""
            typer.echo(f"  {r['estimator']:6s} {r['worst']:.3f} %  {r['us_per_design']:.2f} µs/design{mark}")
    typer.echo(report.to_markdown())
    typer.echo(f"saved {proxy.save(out)}  (use it as: gymnasium.make(ENV_ID, backend='proxy:{out}'))")


@proxy_app.command("eval")
@handle_errors
def eval_(proxy: Annotated[Path, typer.Argument(help="a saved proxy")], paths: Paths,
          workload: Annotated[str | None, typer.Option(help="pick one workload of a mixed dataset")] = None) -> None:
    """Score a saved proxy on other logged evaluations (all rows are held out)."""
    from archgym.proxy import ProxySimulator, evaluate_proxy
    from archgym.proxy._fit import format_score

    table = evaluate_proxy(ProxySimulator.load(proxy), paths, workload=workload)
    typer.echo("| metric | rel. RMSE % | MAPE % | R² | Kendall τ | n |\n|---|---|---|---|---|---|")
    for name, r in table.iterrows():
        cells = " | ".join(format_score(r, c) for c in ("rel_rmse_pct", "mape_pct", "r2", "kendall_tau"))
        typer.echo(f"| {name} | {cells} | {int(r['n'])} |")
