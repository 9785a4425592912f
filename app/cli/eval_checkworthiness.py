"""CLI command: `claimdesk eval checkworthiness` scores the check-worthiness model on a CheckThat!-layout TSV."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def checkworthiness(
    data: Path = typer.Option(..., "--data", help="Tab-separated file with columns Sentence_id, Text, class_label."),
    threshold: float | None = typer.Option(
        None, "--threshold", min=0.0, max=1.0, help="Score cut-off (default: the one shipped with the model)."
    ),
) -> None:
    """Print n, positives, precision, recall and F1 of the check-worthy class; the last line is F1=<value>."""
    import time

    from app.checkworthiness import CheckworthinessScorer, evaluate, read_labelled_tsv

    texts, labels = read_labelled_tsv(data)
    scorer = CheckworthinessScorer.load(threshold=threshold)
    started = time.perf_counter()
    scores = scorer.score_texts(texts)
    elapsed = time.perf_counter() - started
    result = evaluate(scores, labels, scorer.threshold)
    typer.echo(f"data       {data}")
    typer.echo(f"n          {result.n}")
    typer.echo(f"positives  {result.positives}")
    typer.echo(f"predicted  {result.predicted}")
    typer.echo(f"threshold  {result.threshold:.4f}")
    typer.echo(f"precision  {result.precision:.4f}")
    typer.echo(f"recall     {result.recall:.4f}")
    typer.echo(f"speed      {result.n / max(elapsed, 1e-9):.0f} sentences/s")
    typer.echo(f"F1={result.f1:.4f}")


def register(app: typer.Typer) -> None:
    """Add `checkworthiness` to the `eval` group."""
    app.command("checkworthiness")(checkworthiness)
