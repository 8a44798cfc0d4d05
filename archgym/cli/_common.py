"""Shared pieces of the command line: error handling, argument parsing, tables and plots.

Why one error handler for every command: a CLI user must never see a raw traceback.  Every error
archgym raises deliberately derives from :class:`~archgym.errors.ArchGymError` and carries a
message that says what to change, so the handler prints that one line and exits with status 2;
file-system errors (a missing file, ``--out`` naming a file) are treated the same way.  Anything
else is a bug: one line saying so, status 1.  ``archgym --debug …`` re-raises instead, to show the
traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from archgym.errors import ArchGymError, InvalidParameterError, RunInterrupted

F = TypeVar("F", bound=Callable[..., Any])

#: set by ``archgym --debug``: re-raise errors so their traceback shows
DEBUG = {"on": False}


def fail(msg: str, code: int = 2) -> None:
    """Print one error line and exit (status 2: bad input)."""
    typer.secho(f"error: {msg}", fg="red", err=True)
    raise typer.Exit(code)


def handle_errors(fn: F) -> F:
    """Wrap a command: archgym and OS errors become one line and exit status 2; Ctrl-C one line
    (for a run: how many evaluations were kept, where, and how to resume) and status 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RunInterrupted as exc:
            if DEBUG["on"]:
                raise
            where = (f"partial run kept at {exc.path}; rerun the same command to resume" if exc.path
                     else "nothing kept (no output directory)")
            fail(f"interrupted after {exc.done} of {exc.budget} evaluations; {where}", code=130)
        except KeyboardInterrupt:
            if DEBUG["on"]:
                raise
            fail("interrupted", code=130)
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:  # the reader went away (`archgym envs | head`): nothing to report
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail again
            raise typer.Exit(141) from None  # 128 + SIGPIPE, as a shell reports it
        except (ArchGymError, OSError) as exc:
            if DEBUG["on"]:
                raise
            fail(_describe(exc))
        except Exception as exc:  # a bug, not bad input: still one line, and how to see more
            if DEBUG["on"]:
                raise
            fail(f"unexpected {type(exc).__name__}: {exc} (this is a bug in archgym; rerun with --debug "
                 "for the traceback and report it)", code=1)

    return wrapper  # type: ignore[return-value]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def one_thread() -> None:
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
        if not sep or not key.strip():
            raise InvalidParameterError(f"{what} must look like key=value, got {item!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def load_config(text: str) -> Any:
    """A JSON value given inline, or the contents of a JSON/YAML file (safe loader)."""
    p = Path(text)
    if p.is_file():
        from archgym._text import YamlError, load_yaml, read_text

        try:
            return load_yaml(read_text(p, "objective", max_bytes=2**20))
        except YamlError as exc:
            raise InvalidParameterError(f"{p}{', ' + exc.where if exc.where else ''}: not valid JSON/YAML "
                                        f"({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParameterError(f"not valid JSON ({exc.msg} at character {exc.pos}) and not a file: {text!r}"
                                    ) from None


def print_result(result: Any) -> None:
    """The results table of a run."""
    traj = result.trajectory
    typer.echo(f"\n{result.env_id} | agent {result.agent} | seed {result.seed} | {result.budget} evaluations "
               f"| {int(traj['feasible'].sum())} feasible | {traj['wall_time_s'].sum():.2f} s")
    typer.echo(f"best reward {result.best_reward:.6g} at evaluation {result.best_step}")
    rows = [(k, str(v)) for k, v in result.best_design.items()]
    rows += [(k, f"{v:.6g}") for k, v in result.best_metrics.items()]
    table(["best design / metric", "value"], rows)
    if result.hypervolume is not None:
        print_pareto(result)


#: at most this many Pareto designs are printed (all of them are rows of the dataset)
MAX_PARETO_ROWS = 25


def print_pareto(result: Any) -> None:
    """The Pareto designs of a multi-objective run: each distinct design with its objective metrics.

    Why the objective's metrics only: a row of every metric would not fit a terminal; the dataset
    (and ``archgym report``) has them all.
    """
    from archgym.datasets import DESIGN_PREFIX, METRIC_PREFIX

    front = result.pareto
    goals = json.loads(str(result.trajectory["objective"].iloc[0])).get("goals", {})
    knobs = [c for c in front.columns if c.startswith(DESIGN_PREFIX)]
    front = front.drop_duplicates(subset=knobs)
    first = METRIC_PREFIX + next(iter(goals)) if goals else "step"
    front = front.sort_values([first, "step"], kind="stable")
    typer.echo(f"Pareto front: {len(front)} distinct designs, hypervolume {result.hypervolume:.6g} "
               f"(goals: {', '.join(f'{k} {g}' for k, g in goals.items())})")
    header = ["evaluation"] + [k[len(DESIGN_PREFIX):] for k in knobs] + list(goals)
    rows = [tuple([str(int(r["step"]) + 1)] + [str(r[k]) for k in knobs]
                  + [f"{float(r[METRIC_PREFIX + g]):.6g}" for g in goals]) for _, r in front.head(MAX_PARETO_ROWS).iterrows()]
    table(header, rows)
    if len(front) > MAX_PARETO_ROWS:
        typer.echo(f"... and {len(front) - MAX_PARETO_ROWS} more Pareto designs (all in the dataset; "
                   "`archgym report` lists them with every metric)")


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


def table(header: list[str], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    typer.echo(line)
    typer.echo("  ".join("-" * w for w in widths))
    for r in rows:
        typer.echo("  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)))
