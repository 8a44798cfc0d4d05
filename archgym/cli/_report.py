"""``archgym report DIR``: one offline HTML report (and PNG/PDF figures) of a directory of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archgym.cli._common import one_thread


def report(
    directory: Annotated[Path, typer.Argument(help="directory of run files (archgym run --out, a sweep's out:); "
                                                   "searched recursively")],
    out: Annotated[Path | None, typer.Option(help="the HTML file (default: DIR/report.html)")] = None,
    figures: Annotated[Path | None, typer.Option(help="directory for PNG/PDF figures and CSV tables "
                                                      "(default: next to the HTML, <name>_figures/)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the bootstrap and the importance forests")] = 0,
    importance: Annotated[bool, typer.Option(help="knob importance (a forest per metric; the slowest part)")] = True,
    spec: Annotated[Path | None, typer.Option(help="the sweep spec that wrote the runs: name scenarios as it does")]
    = None,
) -> None:
    """Write an offline HTML report: best reward vs evaluations with bootstrap CIs, configuration
    ranking, best designs, parallel coordinates, Pareto fronts and knob importance."""
    one_thread()
    from archgym.report import build_report

    rep = build_report(directory, out=out, figures_dir=figures, seed=seed, importance=importance, spec=spec)
    runs = sum(len(s.runs) for s in rep.scenarios)
    typer.echo(f"{runs} runs in {len(rep.scenarios)} scenario(s)")
    for s in rep.scenarios:
        typer.echo(f"  {s.label}: {len(s.runs)} runs, agents {', '.join(sorted(s.runs['agent'].unique()))}")
    typer.echo(f"report:  {rep.html}")
    if rep.figures:
        typer.echo(f"figures: {rep.figures[0].parent}/ ({len(rep.figures)} files)")
