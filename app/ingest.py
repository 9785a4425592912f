"""One ingest run's machinery and outcomes: sources read, new articles grouped and embedded while the previous group
is written, stored ones checked against the chunking settings (Corpus drives it)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from retrieval.errors import RetrievalLayerError, SourceError

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from app.corpus import Corpus
    from retrieval.models import Article, Chunk
    from retrieval.store import AddStatus

# "rechunked": the text was stored already, with chunks made under other settings (see Corpus.rechunk).
Status = Literal["added", "unchanged", "rechunked", "replaced", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("added", "unchanged", "rechunked", "replaced", "failed", "skipped")
Progress = Callable[[int, int, str], None]
OnArticle = Callable[["Article", str], None]


@dataclass
class SourceOutcome:
    """What happened to one source during ingest."""

    source: str
    status: Status
    article_id: str | None = None
    title: str | None = None
    message: str | None = None
    pages_recorded: bool = False  # an unchanged PDF stored before pages were recorded has just been given them


@dataclass
class IngestReport:
    """Outcomes of one ingest run, one per source (folders expanded)."""

    outcomes: list[SourceOutcome]

    @property
    def counts(self) -> dict[str, int]:
        """Number of sources per status (every status present, zero when none)."""
        c = Counter(o.status for o in self.outcomes)
        return {s: c.get(s, 0) for s in STATUSES}

    @property
    def failed(self) -> list[SourceOutcome]:
        """The sources that could not be ingested."""
        return [o for o in self.outcomes if o.status == "failed"]


@dataclass
class RechunkResult:
    """Which articles `Corpus.rechunk` gave new chunks, and which it could not (article id -> reason)."""

    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class ReindexReport:
    """What `Corpus.reindex` did."""

    articles: int  # stored articles looked at
    rechunked: int  # of them, re-chunked under the current settings
    failed: dict[str, str]  # article id -> why its chunks could not be remade (it keeps its old ones)
    orphans_deleted: int  # articles whose chunks had no record (an interrupted ingest's), now deleted


# Said of a PDF stored before pages were recorded, when ingesting it again gave its passages their pages.
PAGES_NOTE = "page numbers recorded for its passages"


def rechunk_note(result: RechunkResult, article_id: str, chunk_size: int, shared: bool = False) -> str:
    """What a source's outcome says of its stored article whose chunks other settings made: re-chunked, or why not.
    `shared`: the size is a shared collection's, not this desk's setting."""
    if article_id in result.done:
        whose = "the shared collection's chunk size" if shared else "CLAIMDESK_CHUNK_SIZE"
        return f"its stored chunks were made with other settings: re-chunked at {chunk_size} characters ({whose})"
    why = result.failed.get(article_id, "the article was deleted meanwhile")
    return f"its stored chunks were made with other settings and could not be remade: {why}"


def failure(source: str, exc: BaseException) -> SourceOutcome:
    """A failed outcome for `source`, with the reason a reader can act on."""
    if isinstance(exc, SourceError):
        return SourceOutcome(source, "failed", message=exc.reason)
    if isinstance(exc, RetrievalLayerError):
        return SourceOutcome(source, "failed", message=str(exc))
    # a store failure for one source must not lose the others
    return SourceOutcome(source, "failed", message=f"could not store it: {exc}")


# One group = one embedding call and one Chroma write (HNSW inserts run while the next group embeds). With the
# batched embedder graph, 256 chunks per call took ~25% less CPU than 64 on SciFact chunks (length-sorted, less
# padding); with the fused graph that embeds one text per run, grouping only saves Chroma write calls.
GROUP_CHUNKS = 256
GROUP_ARTICLES = 64


@dataclass
class _Pending:
    index: int
    source: str
    article: Article
    chunks: list[Chunk]
    notes: str | None


class IngestRun:
    """One ingest run: reads sources, groups new articles, embeds a group while the previous one is written."""

    def __init__(self, corpus: Corpus, total: int, on_article: OnArticle | None, *, private_urls: bool = True) -> None:
        self.corpus = corpus
        self.private_urls = private_urls
        self.on_article = on_article
        self.slots: list[SourceOutcome | None] = [None] * total
        self.group: list[_Pending] = []
        self.seen: dict[str, str] = {}  # article id -> source, for articles queued (or found stored) in this run
        self.current: dict[str, str] = {}  # source -> the stored article id its text is, for unchanged sources
        self.stale: dict[str, int] = {}  # stored article id -> its slot, for those chunked under other settings
        self.writing: tuple[list[_Pending], Future[list[AddStatus | Exception]]] | None = None

    def load(self, i: int, source: str) -> None:
        """Read source `i` and queue its article (or record why not)."""
        from retrieval.loaders import read_source

        settings = self.corpus.settings
        name = self.corpus.source_name(source)
        try:
            loaded = read_source(
                source,
                max_bytes=settings.max_source_bytes,
                timeout=settings.url_timeout,
                allow_private=self.private_urls,
            )
        except Exception as exc:
            self.slots[i] = failure(name, exc)
            return
        article = loaded.article
        if article.source == source and name != source:
            article = article.model_copy(update={"source": name})
        self.add(i, name, article, "; ".join(loaded.notes) or None)

    def add(self, i: int, source: str, article: Article, notes: str | None) -> None:
        """Queue a loaded article for embedding, unless it is already stored or queued."""
        from retrieval.chunking import chunk_article

        try:
            # Checked before embedding, so unchanged content costs no model time.
            known = self.seen.get(article.id) or self.corpus.store.stored_source(article.id)
            if known is not None:
                if known != article.source:  # the same text under another name: say which name it is kept under
                    twin = f"the same text as {known}, which it stays recorded under"
                    notes = f"{notes}; {twin}" if notes else twin
                paged = article.id not in self.seen and self.corpus.record_pages(article)
                if paged:
                    notes = f"{notes}; {PAGES_NOTE}" if notes else PAGES_NOTE
                self.slots[i] = SourceOutcome(article.source, "unchanged", article.id, article.title, notes, paged)
                if known == article.source:
                    self.current[article.source] = article.id  # see finish(): other versions of it go
                # A failed check leaves the article as it is stored (the outcome "unchanged" stays true).
                with contextlib.suppress(Exception):
                    if article.id not in self.seen and self.corpus.stale_chunks(article):
                        self.stale[article.id] = i
                self.seen[article.id] = known
                return
            chunks = chunk_article(article, self.corpus.chunk_size)
        except Exception as exc:
            self.slots[i] = failure(source, exc)
            return
        self.seen[article.id] = article.source
        self.group.append(_Pending(i, source, article, chunks, notes))

    def rechunk_stale(self) -> None:
        """Re-chunk the stored articles this run met whose chunks other settings made; never fails the run."""
        if not self.stale:
            return
        try:
            result = self.corpus.rechunk(list(self.stale))
        except Exception as exc:
            result = RechunkResult(failed=dict.fromkeys(self.stale, str(exc)))
        for aid, i in self.stale.items():
            slot = self.slots[i]
            if slot is None:
                continue
            if aid in result.done:
                slot.status = "rechunked"
            note = rechunk_note(result, aid, self.corpus.chunk_size, self.corpus.settings.use_chroma_server)
            slot.message = f"{slot.message}; {note}" if slot.message else note

    def drop_other_versions(self) -> None:
        """Remove second live versions of the unchanged sources (left by two ingests of one changed file at the
        same moment), in one query for the whole run; never fails the run."""
        with contextlib.suppress(Exception):  # a cleanup: the next ingest of the source tries again
            self.corpus.store.drop_other_versions(self.current)

    def drive(self, steps: Iterator[None], background: bool = True) -> None:
        """Run `steps` (each queues one article), flushing full groups; `background=False` writes inline."""
        from concurrent.futures import ThreadPoolExecutor

        if not background:
            self._loop(steps, None)
            return
        # One writer and at most one group waiting for it: memory stays bounded, Chroma sees one writer.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="claimdesk-writer") as writer:
            self._loop(steps, writer)

    def _loop(self, steps: Iterator[None], writer: ThreadPoolExecutor | None) -> None:
        for _ in steps:
            if self.group_full():
                self.flush(writer)
        self.flush(writer)
        self.finish()

    def group_full(self) -> bool:
        return len(self.group) >= GROUP_ARTICLES or sum(len(p.chunks) for p in self.group) >= GROUP_CHUNKS

    def flush(self, writer: ThreadPoolExecutor | None) -> None:
        """Embed the current group (while the previous one is written), then hand it to the writer."""
        batch, self.group = self.group, []
        if not batch:
            return
        try:
            prepared = self.corpus.store.prepare([(p.article, p.chunks, True) for p in batch])
        except Exception as exc:  # nothing of this group was written
            for p in batch:
                self.slots[p.index] = failure(p.source, exc)
            return
        self.finish()
        if writer is not None:
            self.writing = (batch, writer.submit(self.corpus.store.write, prepared))
            return
        from concurrent.futures import Future

        done: Future[list[AddStatus | Exception]] = Future()
        try:
            done.set_result(self.corpus.store.write(prepared))
        except Exception as exc:
            done.set_exception(exc)
        self.writing = (batch, done)

    def finish(self) -> None:
        """Wait for the group being written and record its outcomes."""
        if self.writing is None:
            return
        batch, future = self.writing
        self.writing = None
        try:
            results: list[AddStatus | Exception] = future.result()
        except Exception as exc:
            results = [exc] * len(batch)
        for p, result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                self.slots[p.index] = failure(p.source, result)
                continue
            if self.on_article is not None and result in ("added", "replaced"):
                self.on_article(p.article, result)
            self.slots[p.index] = SourceOutcome(p.article.source, result, p.article.id, p.article.title, p.notes)
