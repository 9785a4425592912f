"""CLI commands: `extract` (claims from articles into the review store) and `claims` (list an article's claims)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import typer

from app.errors import ExtractionError, ModelUnavailableError, RetrievalError, StoreError

if TYPE_CHECKING:
    from app.config import Settings
    from app.extraction import Extractor
    from app.store import ReviewStore
    from retrieval.models import Article

__all__ = ["register"]

STRATEGIES = ("auto", "cascade", "whole-article")


def _open_corpus(settings: Settings) -> Any:
    try:
        from app.corpus import Corpus  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # a build without the corpus still extracts what the review store holds
        return None
    return Corpus.open(settings)


def _in_corpus(settings: Settings, article_id: str) -> bool:
    """Whether the corpus holds `article_id` (ingested, perhaps not extracted yet)."""
    corpus = _open_corpus(settings)
    return corpus is not None and any(a.id == article_id for a in corpus.article_infos())


def _articles(settings: Settings, store: ReviewStore, ids: list[str], all_: bool) -> list[Article]:
    """The articles to extract from: by id from the review store (else the corpus), or every known one."""
    corpus = None
    if all_:
        # Earlier versions of a changed source are not extracted again (their text is no longer the source's).
        summaries = store.articles()
        found = {s.id: store.get_article(s.id) for s in summaries if s.replaced_by is None}
        replaced = {s.id for s in summaries if s.replaced_by is not None}
        corpus = _open_corpus(settings)
        for item in corpus.article_infos() if corpus is not None else []:
            if (item.id not in found or found[item.id] is None) and item.id not in replaced:
                found[item.id] = corpus.get_article(item.id)
        articles = [a for a in found.values() if a is not None]
        if not articles:
            raise StoreError("No articles to extract from; add some with `claimdesk ingest PATH_OR_URL` first.")
        return articles
    out: list[Article] = []
    for article_id in dict.fromkeys(ids):
        article = store.get_article(article_id)
        if article is None:
            corpus = corpus or _open_corpus(settings)
            try:
                article = corpus.get_article(article_id) if corpus is not None else None
            except RetrievalError:  # unknown there too: the message below says what to do
                article = None
        if article is None:
            raise StoreError(
                f"Article {article_id} is not in the corpus; `claimdesk articles` lists the ids of ingested articles."
            )
        out.append(article)
    return out


def _extractor(settings: Settings, llm_spec: str | None, strategy: str | None) -> Extractor:
    from app.checkworthiness import CheckworthinessScorer  # type: ignore[import-not-found,unused-ignore]
    from app.extraction import build_extractor
    from app.llm import build_llm  # type: ignore[import-not-found,unused-ignore]

    scorer = CheckworthinessScorer.load(threshold=settings.extraction_threshold)
    llm = build_llm(settings, spec=llm_spec or settings.llm)
    extractor: Extractor = build_extractor(settings, llm, scorer, strategy=strategy)
    return extractor


def extract(
    article_ids: list[str] | None = typer.Argument(None, help="Article ids (see `claimdesk articles`)."),
    all_: bool = typer.Option(False, "--all", help="Extract from every ingested article."),
    llm: str | None = typer.Option(
        None,
        "--llm",
        help="local | none | openai:MODEL | anthropic:MODEL | ollama:MODEL | openai-compatible:MODEL (default: "
        "CLAIMDESK_LLM).",
    ),
    strategy: str | None = typer.Option(
        None, "--strategy", help="auto | cascade | whole-article (default: CLAIMDESK_EXTRACTION_STRATEGY)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print a JSON array (one object per article run) instead of a table."
    ),
    skip_done: bool = typer.Option(
        False,
        "--skip-done",
        help="Skip articles whose last run with this model and prompt finished without failures (retry the rest).",
    ),
) -> None:
    """Extract checkable claims from articles and store them for review (`--llm none`: scorer only, instant)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from app.config import get_settings
    from app.llm import retry_notices
    from app.store import ReviewStore

    if strategy is not None and strategy not in STRATEGIES:
        raise typer.BadParameter(f"use one of {', '.join(STRATEGIES)}", param_hint="--strategy")
    if not article_ids and not all_:
        raise typer.BadParameter("give one or more article ids, or --all", param_hint="ARTICLE_IDS")
    settings = get_settings()
    store = ReviewStore.open(settings)
    rows: list[dict[str, Any]] = []
    articles: list[Any] = []
    try:
        articles = _articles(settings, store, list(article_ids or []), all_)
        extractor = _extractor(settings, llm, strategy)
        if skip_done:
            done = [a for a in articles if _done_by(store, a.id, extractor)]
            articles = [a for a in articles if a not in done]
            if done:
                typer.echo(f"Skipped {len(done)} article(s) already extracted with this model and prompt.", err=True)
            if not articles:
                if as_json:
                    typer.echo("[]")
                return
        failed: list[str] = []
        stopped: ModelUnavailableError | None = None
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        with progress, retry_notices(lambda line: progress.console.print(line, markup=False, highlight=False)):
            for article in articles:
                task = progress.add_task(article.title[:40] or article.id, total=None)

                def step(done: int, total: int, task: Any = task) -> None:
                    progress.update(task, completed=done, total=total or None)

                store.upsert_article(article)
                started = time.perf_counter()
                try:
                    result = extractor.extract(article, progress=step)
                except ModelUnavailableError as exc:
                    # No retry mends it (a refused key, an unreachable server, calls failing in a row): stop here
                    # instead of sending the same failing call for every sentence of every remaining article.
                    todo = len(articles) - len(rows)
                    stopped = ModelUnavailableError(
                        f"{exc} Stopped at article {article.id}; {todo} article(s) not extracted"
                        + (f" ({len(rows)} tried before it, listed above)." if rows else ".")
                    )
                    break
                except ExtractionError as exc:
                    # Keep what was validated before the model gave up; the reviewer still gets those.
                    from app.models import ExtractionRun

                    kept = [c for c in exc.kept if hasattr(c, "quote")]
                    run = exc.run if isinstance(exc.run, ExtractionRun) else None  # recorded, failures and all
                    saved = store.save_claims(article.id, kept, run=run)  # type: ignore[arg-type]
                    failed.append(f"{article.id}: {exc}")
                    rows.append(
                        {"title": article.title, **(run.model_dump(mode="json") if run else {"article_id": article.id}),
                         "error": str(exc), "attempts": exc.attempts, "claims_kept": len(kept), "added": saved.added,
                         "updated": saved.upgraded, "unchanged": saved.unchanged, "partial": True,
                         "seconds": round(time.perf_counter() - started, 2)}
                    )  # fmt: skip
                    continue
                saved = store.save_claims(article.id, result.claims, run=result.run)
                row = {"title": article.title, **result.run.model_dump(mode="json")}
                row.update(
                    added=saved.added,
                    updated=saved.upgraded,
                    unchanged=saved.unchanged,
                    partial=bool(result.run.failures),
                    seconds=round(time.perf_counter() - started, 2),
                )
                rows.append(row)
                if result.run.failures:
                    failed.append(
                        f"{article.id}: {len(result.run.failures)} part(s) failed ({result.run.failures[-1]})"
                    )
                progress.remove_task(task)
    except KeyboardInterrupt:
        # Say what was finished (committed) before the interruption; the article under way stores nothing.
        _print_runs(rows, as_json)
        typer.echo(f"Interrupted after {len(rows)} of {len(articles)} article(s); the ones listed are saved.", err=True)
        raise
    finally:
        store.close()
    _print_runs(rows, as_json)
    if stopped is not None:
        raise stopped
    if failed:
        saved_any = any(r.get("added") or r.get("updated") or r.get("unchanged") for r in rows if r.get("partial"))
        raise ExtractionError(
            f"Extraction was incomplete for {len(failed)} article(s)"
            + ("; what was extracted before each failure is saved" if saved_any else "")
            + ". Add --skip-done to the same command to retry only those (claims already stored are not duplicated). "
            + " | ".join(failed)
        )


def _done_by(store: Any, article_id: str, extractor: Extractor) -> bool:
    """Whether the article's last extraction run was made by this extractor's kind, model and prompt and finished
    without failures."""
    runs = store.extraction_runs(article_id)
    if not runs:
        return False
    last = runs[-1]
    llm = getattr(extractor, "llm", None)
    prompt = getattr(extractor, "prompt", None)
    model = llm.model_id if llm is not None else None
    same = (last.model == model or (llm is None and last.strategy == "scorer")) and (
        prompt is None or last.prompt_hash == prompt.sha256
    )
    return bool(same and not last.failures)


def _print_runs(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Extraction")
    for col in ("article", "title", "strategy", "kept", "new", "updated", "discarded (ungrounded)", "failures", "s"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["article_id"],
            str(r.get("title", ""))[:50],
            r.get("strategy", "-"),
            str(r.get("claims_kept", 0)),
            str(r.get("added", 0)),
            str(r.get("updated", 0)),
            str(r.get("discarded_ungrounded", 0)),
            str(len(r.get("failures", []))) if "error" not in r else "all",
            str(r.get("seconds", "")),
        )
    from rich.markup import escape

    console = Console(width=140)
    console.print(table)
    for r in rows:
        for line in r.get("failures", []):
            console.print(f"[yellow]{r['article_id']}[/] {escape(line)}", markup=True, highlight=False)
        if r.get("dropped_over_limit"):
            console.print(
                f"[yellow]{r['article_id']}[/] {r['dropped_over_limit']} less check-worthy claim(s) left out by "
                "CLAIMDESK_MAX_CLAIMS; raise it to keep them.",
                markup=True,
                highlight=False,
            )


def claims(
    article_id: str = typer.Argument(..., help="Article id (see `claimdesk articles`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the claims as JSON."),
) -> None:
    """List an article's claims, most check-worthy first."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from app.config import get_settings
    from app.store import ReviewStore
    from retrieval.pages import page_suffix_at

    settings = get_settings()
    with ReviewStore.open(settings) as store:
        found = store.claims(article_id)
        article = store.get_article(article_id)
        if not found and article is None and not _in_corpus(settings, article_id):
            raise StoreError(
                f"No article {article_id} in the corpus or the review store; `claimdesk articles` lists the ids "
                "of ingested articles."
            )
    if as_json:
        typer.echo(json.dumps([c.model_dump(mode="json") for c in found], indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo(f"No claims for article {article_id} yet; run `claimdesk extract {article_id}`.")
        return
    table = Table(title=f"Claims of {article_id}")
    for col in ("score", "type", "claimant", "when", "statement", "quote at", "id"):
        table.add_column(col, overflow="fold")
    for c in found:
        statement = f"[needs context] {c.statement}" if c.needs_context else c.statement
        table.add_row(
            f"{c.checkworthiness:.2f}",
            c.claim_type,
            escape(c.claimant or "-"),
            escape(c.time_reference or "-"),
            escape(statement),
            f"{c.start}-{c.end}"
            + (page_suffix_at(article.page_starts, article.page_labels, c.start) if article else ""),
            c.id,
        )
    Console(width=160).print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("extract")(extract)
    app.command("claims")(claims)
