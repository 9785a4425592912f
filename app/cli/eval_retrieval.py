"""CLI command: `claimdesk eval retrieval` scores BM25, dense, RRF, the learned ranker and the product's hybrid
search (`hybrid`, the last line) on a BEIR-layout data set."""

from __future__ import annotations

from pathlib import Path

import typer

from app.errors import IngestError, RetrievalError

__all__ = ["register"]

_SPLITS = ("all", "tune", "test")


def retrieval(
    corpus: Path = typer.Option(..., "--corpus", help="BEIR corpus.jsonl (_id, title, text)."),
    queries: Path = typer.Option(..., "--queries", help="BEIR queries.jsonl (_id, text)."),
    qrels: Path = typer.Option(..., "--qrels", help="Qrels TSV with header 'query-id corpus-id score'."),
    split: str = typer.Option(
        "all", "--split", help="Which judged queries: all, or the tune/test half of a fixed hash split."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Evaluate at most this many queries."),
    chunk_size: int | None = typer.Option(
        None, "--chunk-size", min=100, max=8000, help="Chunk length in characters (default: the setting)."
    ),
    depth: int = typer.Option(300, "--depth", min=100, max=2000, help="Chunks fetched per query."),
    title: bool = typer.Option(
        True, "--title/--no-title", help="Index each document as 'title, newline, text' (as a text file is)."
    ),
) -> None:
    """Index a BEIR corpus into a throw-away store and print nDCG@10, Recall@10/100 and latency per method."""
    import tempfile

    from app.config import get_settings
    from retrieval.errors import RetrievalLayerError
    from retrieval.evaluation import (
        BeirFormatError,
        EvalConfig,
        evaluate_dataset,
        format_table,
        load_beir,
        split_query_ids,
    )

    if split not in _SPLITS:
        raise IngestError(f"--split must be one of {', '.join(_SPLITS)} (got {split!r}).")
    try:
        dataset = load_beir(corpus, queries, qrels)
    except BeirFormatError as exc:
        raise IngestError(f"{exc}. Check the path and the BEIR layout (see --help).") from exc
    query_ids = dataset.judged_query_ids()
    if split != "all":
        tune, test = split_query_ids(query_ids)
        query_ids = tune if split == "tune" else test
    if limit is not None:
        query_ids = query_ids[:limit]
    if not query_ids:
        raise IngestError(f"No judged queries in the '{split}' split; use --split all.")

    config = EvalConfig(chunk_size=chunk_size or get_settings().chunk_size, depth=depth, title_in_text=title)
    typer.echo(
        f"Indexing {len(dataset.corpus)} documents (chunk size {config.chunk_size}); "
        f"{len(query_ids)} queries, {config.depth} chunks per query, titles {'in' if title else 'not in'} text.",
        err=True,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="claimdesk-eval-") as work:
            results = evaluate_dataset(dataset, Path(work), config, query_ids=query_ids)
    except RetrievalLayerError as exc:
        raise RetrievalError(f"Retrieval evaluation failed: {exc}") from exc
    typer.echo(format_table(results, title=f"{dataset.name}: {len(query_ids)} queries ({split})"))
    hybrid = next(r for r in results if r.method == "hybrid")
    typer.echo(f"nDCG@10 hybrid={hybrid.ndcg_at_10:.4f}")


def register(app: typer.Typer) -> None:
    """Add `retrieval` to the `eval` group."""
    app.command("retrieval")(retrieval)
