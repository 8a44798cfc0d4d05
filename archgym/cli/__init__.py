"""The ``archgym`` command line: list envs and agents, run a study or a sweep, report on runs, manage
datasets and proxies.

Heavy modules load inside commands, so ``archgym --help`` is quick.  Every command runs under one
error handler (:func:`archgym.cli._common.handle_errors`): bad input prints one line and exits with
status 2; ``archgym --debug …`` shows the traceback instead.
"""

from __future__ import annotations

from typing import Annotated

import typer

from archgym.cli._common import DEBUG, handle_errors, parse_assignments, parse_value
from archgym.cli._data import dataset_app, proxy_app
from archgym.cli._report import report
from archgym.cli._study import agents, envs, run, sweep

__all__ = ["app", "main", "parse_assignments", "parse_value"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="archgym: design-space exploration of hardware accelerators.")


@app.callback()
def _options(debug: Annotated[bool, typer.Option("--debug", help="show tracebacks instead of one-line errors")]
             = False) -> None:
    DEBUG["on"] = debug


for _command in (envs, agents, run, sweep, report):
    app.command()(handle_errors(_command))
app.add_typer(dataset_app, name="dataset")
app.add_typer(proxy_app, name="proxy")


def main(argv: list[str] | None = None) -> None:
    """The ``archgym`` entry point: a usage error (an unknown option, a value of the wrong type, a
    missing argument) is one ``error:`` line and status 2, like every other bad input, instead of
    click's framed help box; Ctrl-C outside a run is one line and status 130."""
    import sys

    try:  # typer vendors click (the pinned typer does); fall back to click for other versions
        from typer._click.exceptions import UsageError
    except ImportError:  # pragma: no cover
        from click.exceptions import UsageError

    try:
        code = app(args=argv, prog_name="archgym", standalone_mode=False)
    except UsageError as exc:
        if DEBUG["on"]:
            raise
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        typer.secho(f"error: {exc.format_message()}{hint}", fg="red", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.secho("error: interrupted", fg="red", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
