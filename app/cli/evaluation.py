"""CLI group `claimdesk eval`: retrieval and check-worthiness evaluation."""

from __future__ import annotations

import typer


def register(eval_app: typer.Typer) -> None:
    """Add `eval retrieval` and `eval checkworthiness`."""
    from app.cli import eval_checkworthiness, eval_retrieval

    eval_retrieval.register(eval_app)
    eval_checkworthiness.register(eval_app)
