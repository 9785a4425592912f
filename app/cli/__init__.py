"""The `claimdesk` command line: Typer commands and the one place that turns errors into exit codes.

Commands live in sibling modules (corpus, claims, review, export, evaluation), each with `register(app)`.
Heavy libraries are imported inside commands so `claimdesk --help` stays fast.
"""

from __future__ import annotations

import sys

import typer

from app.errors import WorkbenchError

app = typer.Typer(
    name="claimdesk",
    help="LLM-assisted fact-check workbench: ingest articles, extract claims, review them, export reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
eval_app = typer.Typer(help="Evaluate retrieval and check-worthiness on public data sets.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def _register_all() -> None:
    from app.cli import claims, corpus, evaluation, export, review, ui

    for module in (corpus, claims, review, export, ui):
        module.register(app)
    evaluation.register(eval_app)


_register_all()


def fail(message: str, code: int = 1) -> None:
    """Print one clear line to stderr and exit non-zero."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point: run the app, turning expected failures into one line and exit 1."""
    try:
        app()
    except WorkbenchError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl-C inside a command into a silent exit 130
            typer.echo("Interrupted.", err=True)
        raise
