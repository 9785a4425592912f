"""CLI commands for the corpus: `ingest`, `search`, `articles`, `delete`, `reindex`."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from app.errors import RetrievalError, StoreError

if TYPE_CHECKING:
    from app.corpus import Corpus, IngestReport
    from app.store_schema import ArticleSummary

__all__ = ["register"]


def _open() -> Corpus:
    from app.config import get_settings
    from app.corpus import Corpus

    return Corpus.open(get_settings())


def _no_data_dir() -> bool:
    """For commands that only read: True (after saying so) when the data directory does not exist, instead of
    creating an empty store in whatever folder the command was run from."""
    from app.config import get_settings

    settings = get_settings()
    if settings.use_chroma_server or settings.data_dir.exists():
        return False
    typer.echo(
        f"No articles yet: there is no claimdesk data directory at {settings.data_dir.resolve()} "
        "(CLAIMDESK_DATA_DIR, relative to the folder you run claimdesk from). Run it from the folder where you "
        "ingested, set CLAIMDESK_DATA_DIR, or add articles with `claimdesk ingest PATH_OR_URL`."
    )
    return True


@contextmanager
def _progress_bar(verb: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on stderr (gone when done); yields `update(done, total, name)`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(verb, total=None)

        def update(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{verb} {name[:40]}")

        yield update


def _print_report(report: IngestReport) -> None:
    for o in report.outcomes:
        if o.status in ("added", "replaced", "unchanged", "rechunked"):
            note = f"  ({o.message})" if o.message else ""
            typer.echo(f"{o.status:<9} {o.article_id}  {o.title}  <- {o.source}{note}")
    for o in report.outcomes:
        if o.status == "skipped":
            typer.echo(f"skipped   {o.source}: {o.message}")
    for o in report.outcomes:
        if o.status == "failed":
            typer.echo(f"FAILED    {o.source}: {o.message}", err=True)
    c = report.counts
    rechunked = f", {c['rechunked']} re-chunked" if c["rechunked"] else ""
    typer.echo(
        f"{c['added']} added, {c['unchanged']} unchanged{rechunked}, {c['replaced']} replaced, "
        f"{c['failed']} failed, {c['skipped']} skipped."
    )
    if c["rechunked"]:
        typer.echo(
            "note      the chunking settings changed since some articles were stored (CLAIMDESK_CHUNK_SIZE, or a "
            "newer claimdesk): `claimdesk reindex` re-chunks every stored article, not only those ingested now."
        )


def _earlier_versions(report: IngestReport, replaced: dict[str, list[ArticleSummary]]) -> None:
    """Say what became of a replaced article's earlier versions: the review store keeps their claims and reviews
    (quoting the old text) on record, out of the review queue and reports."""
    for outcome in report.outcomes:
        if outcome.status != "replaced":
            continue  # (another ingest running at the same moment may have replaced something)
        for old in replaced.get(outcome.article_id or "", []):
            work = [
                f"{old.reviewed + old.in_progress} with a review" if old.reviewed + old.in_progress else "",
                f"{old.drafts} with an unsaved draft" if old.drafts else "",
            ]
            worked_on = "; ".join(w for w in work if w)
            typer.echo(
                f"note      the earlier version {old.id} of {old.source} is marked replaced: its "
                f"{old.claim_count} claim(s){f' ({worked_on})' if worked_on else ''} stay on record "
                "but leave the review queue and reports; the Review page shows their decisions beside the same "
                f"sentences of the new version once you `claimdesk extract {outcome.article_id}`."
            )


def ingest(
    sources: list[str] = typer.Argument(..., help="Files, folders (recursive) or http(s) URLs."),
) -> None:
    """Add articles to the corpus (re-ingesting unchanged files adds nothing)."""
    if any(not s.strip() for s in sources):
        # Path("") is the current folder: an unset shell variable must not ingest everything below it.
        raise typer.BadParameter(
            "an empty path was given (an unset shell variable?); name the files, folders or URLs to ingest",
            param_hint="SOURCES",
        )
    from app.workbench import Workbench

    corpus = _open()
    with _progress_bar("Ingesting") as bar:

        def progress(done: int, total: int, source: str) -> None:
            bar(done, total, source.rsplit("/", 1)[-1])

        # Through the workbench: every stored article is mirrored into the review store, which then marks the
        # earlier versions of a changed source as replaced.
        workbench = Workbench(corpus.settings, corpus=corpus)
        before = {a.id: a for a in workbench.articles() if a.replaced_by is None}
        report = workbench.ingest_paths(sources, progress=progress)
        notice = corpus.chunking_notice() if report.counts["added"] + report.counts["replaced"] else None
        replaced: dict[str, list[ArticleSummary]] = {}
        for summary in workbench.articles():
            if summary.replaced_by is not None and summary.id in before and summary.claim_count:
                replaced.setdefault(summary.replaced_by, []).append(summary)
        workbench.close()
    _print_report(report)
    _earlier_versions(report, replaced)
    if notice:
        typer.echo(f"note      {notice}.")
    if report.counts["failed"]:
        raise typer.Exit(1)


def search(
    text: str = typer.Argument(..., help="What to look for (a claim or keywords)."),
    k: int = typer.Option(10, "-k", "--k", min=1, max=200, help="Number of passages."),
    exclude_article: list[str] = typer.Option([], "--exclude-article", help="Leave out this article id."),
    only_article: list[str] = typer.Option([], "--only-article", help="Search only this article id."),
) -> None:
    """Hybrid (keyword + semantic) evidence search over the corpus."""
    from app.page_reading import shown_passage
    from retrieval.pages import passage_pages

    if not text.strip():
        raise typer.BadParameter("give some text to search for (a claim or keywords)", param_hint="TEXT")
    if _no_data_dir():
        return
    corpus = _open()
    if exclude_article or only_article:
        known = {a.id for a in corpus.article_infos()}
        unknown = [a for a in (*exclude_article, *only_article) if a not in known]
        if unknown:
            raise RetrievalError(
                f"No article with id {unknown[0]!r} in the corpus; run `claimdesk articles` to list ids."
            )
    hits = corpus.search(text, k, exclude_article_ids=exclude_article, only_article_ids=only_article or None)
    if not hits:
        typer.echo(
            f"No evidence found ({corpus.store.count()} chunks in the corpus; "
            "add articles with `claimdesk ingest PATH_OR_URL`)."
        )
        _other_corpus_hint(corpus.store.count())
        return
    for e in hits:
        typer.echo(
            f"{e.rank:>2}. {e.score:.4f}  {e.title}  [{e.article_id} {e.start}-{e.end} chunk {e.chunk_id}]  "
            f"{e.source}{passage_pages(e)}"
        )
        body = " ".join(shown_passage(e.text, e.page).split())  # a PDF's words whole
        typer.echo(textwrap.indent(textwrap.fill(body, width=100), "    "))


def _other_corpus_hint(chunks: int) -> None:
    """An empty corpus beside a review database that lists articles: this data directory was used with another
    Chroma (a server, the embedded store, another collection). Say which one this is, not just "No articles"."""
    if chunks:
        return
    from app.config import get_settings
    from app.store import ReviewStore

    settings = get_settings()
    with ReviewStore.open(settings) as store:
        listed = len([a for a in store.articles() if a.replaced_by is None])  # earlier versions are not in a corpus
    if not listed:
        return
    where = (
        f"the Chroma server at {settings.chroma_host or 'localhost'}:{settings.chroma_port}"
        if settings.use_chroma_server
        else f"the embedded store in {settings.chroma_path}"
    )
    typer.echo(
        f"Note: the review database in {settings.data_dir} lists {listed} article(s), but {where} (collection "
        f"{settings.collection!r}) holds none: was this data directory used with another Chroma? Check CHROMA_HOST, "
        "CHROMA_PORT, CLAIMDESK_CHROMA_MODE and CLAIMDESK_COLLECTION, or ingest the articles again.",
        err=True,
    )


def articles() -> None:
    """List ingested articles: id, published, ingested, claims and how many are reviewed, title, source."""
    from app.config import get_settings
    from app.store import ReviewStore

    if _no_data_dir():
        return
    items = _open().article_infos()
    if not items:
        typer.echo("No articles yet; add some with `claimdesk ingest PATH_OR_URL`.")
        _other_corpus_hint(0)
        return
    # The review store's counts: which articles still need `claimdesk extract`, and how far their review is (an
    # article of a shared corpus that this data directory never extracted shows "-").
    with ReviewStore.open(get_settings()) as store:
        counts = {s.id: s for s in store.articles()}
    typer.echo("id                published   ingested          claims  reviewed  title  <- source")
    for a in items:
        published = a.published.date().isoformat() if a.published else "-"
        ingested = a.ingested_at.strftime("%Y-%m-%d %H:%M")
        summary = counts.get(a.id)
        claims, reviewed = (summary.claim_count, summary.reviewed) if summary else ("-", "-")
        typer.echo(f"{a.id}  {published:<10}  {ingested}  {claims:>6}  {reviewed:>8}  {a.title}  <- {a.source}")


def delete(
    article_id: str = typer.Argument(..., help="Article id (see `claimdesk articles`)."),
    force: bool = typer.Option(
        False, "--force", help="Delete even when some of its claims have reviews or unsaved drafts."
    ),
    reviewer: str = typer.Option("cli", "--reviewer", help="Your name, recorded in the history of the deletion."),
) -> None:
    """Remove an article: its chunks from the corpus, its claims and their reviews from the review store."""
    from app.config import get_settings
    from app.workbench import Workbench

    settings = get_settings()
    workbench = Workbench(settings)
    summary = next((s for s in workbench.store.articles() if s.id == article_id), None)
    worked_on = summary.reviewed + summary.in_progress if summary is not None else 0
    if settings.use_chroma_server and not force:
        raise StoreError(
            f"The corpus is on a shared Chroma server ({settings.chroma_host or 'localhost'}:{settings.chroma_port}, "
            f"collection {settings.collection}): other data directories may have claims and reviews on article "
            f"{article_id} that this one cannot see"
            + (f" (this one has {worked_on} reviewed)" if worked_on else "")
            + ". Add --force to delete it from the shared corpus."
        )
    drafts = summary.drafts if summary is not None else 0
    if (worked_on or drafts) and not force:
        what = " and ".join(
            part
            for part in (
                f"{worked_on} claim(s) with a review" if worked_on else "",
                f"{drafts} reviewer draft(s) not saved yet" if drafts else "",
            )
            if part
        )
        raise StoreError(
            f"Article {article_id} has {what}; deleting it deletes them too (the history keeps a record of saved "
            "reviews, not of drafts). Export or save them first if you need them, then add --force."
        )
    claims, reviews = workbench.delete_article(article_id, actor=reviewer.strip() or "cli")
    typer.echo(f"Deleted article {article_id} ({claims} claim(s), {reviews} review(s)).")


def reindex(
    force: bool = typer.Option(
        False, "--force", help="On a shared Chroma server: re-chunk every data directory's articles at this size."
    ),
) -> None:
    """Re-chunk stored articles after CLAIMDESK_CHUNK_SIZE changed, and delete chunks an interrupted ingest left.

    Only articles whose chunks differ from what the settings make are embedded again; they keep ids and reviews.
    """
    from app.config import get_settings

    if _no_data_dir():
        return
    settings = get_settings()
    if settings.use_chroma_server and not force:
        raise StoreError(
            f"The corpus is on a shared Chroma server ({settings.chroma_host or 'localhost'}:{settings.chroma_port}, "
            f"collection {settings.collection}): re-chunking at {settings.chunk_size} characters changes the chunks "
            "every data directory searches, and makes it the size they all ingest at. Add --force to do it."
        )
    corpus = _open()
    # First, so that other workspaces chunk what they ingest meanwhile at the new size too.
    corpus.set_chunk_size()
    with _progress_bar("Checking") as bar:
        report = corpus.reindex(bar)
    for aid, why in report.failed.items():
        typer.echo(f"FAILED    {aid}: its chunks could not be remade ({why}); it keeps its old ones", err=True)
    typer.echo(
        f"{report.articles} article(s): {report.rechunked} re-chunked at {settings.chunk_size} characters, "
        f"{report.articles - report.rechunked - len(report.failed)} already matched, {len(report.failed)} failed."
    )
    if report.orphans_deleted:
        typer.echo(
            f"Deleted the chunks of {report.orphans_deleted} article(s) that an interrupted ingest left without a "
            "record (search never showed them)."
        )
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command()(ingest)
    app.command()(search)
    app.command()(articles)
    app.command()(delete)
    app.command()(reindex)
