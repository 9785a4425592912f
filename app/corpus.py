"""The corpus facade: ingest sources, list and delete articles, search evidence (retrieval errors -> app errors)."""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.config import Settings
from app.errors import IngestError, RetrievalError
from retrieval.errors import EmbeddingModelMissing, RetrievalLayerError, SourceError, StoreUnavailable
from retrieval.loaders import is_url

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from retrieval.embeddings import MiniLMEmbedder
    from retrieval.models import Article, ArticleInfo, Chunk, Evidence
    from retrieval.search import HybridSearcher
    from retrieval.store import AddStatus, ChunkStore

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


@contextmanager
def _retrieval_errors() -> Iterator[None]:
    try:
        yield
    except EmbeddingModelMissing as exc:
        raise RetrievalError(str(exc)) from exc
    except StoreUnavailable as exc:
        raise RetrievalError(str(exc)) from exc
    except RetrievalLayerError as exc:
        raise RetrievalError(str(exc)) from exc


def local_source_name(source: str, workspace: Path) -> str:
    """The name a local file is recorded under: its path relative to the workspace (the folder holding the data
    directory; the current folder in the default setup), else its absolute path. "in/a.txt", "./in/a.txt" and
    "/abs/in/a.txt" are then one source, so a changed file replaces its earlier version however it was typed,
    and the same relative path typed from another folder is not mistaken for it. URLs are kept as given."""
    if is_url(source):
        return source
    path = Path(os.path.abspath(Path(source).expanduser()))  # normalised, symlinks kept as named
    try:
        return str(path.relative_to(workspace))
    except ValueError:
        return str(path)


def _failure(source: str, exc: BaseException) -> SourceOutcome:
    if isinstance(exc, SourceError):
        return SourceOutcome(source, "failed", message=exc.reason)
    if isinstance(exc, RetrievalLayerError):
        return SourceOutcome(source, "failed", message=str(exc))
    # a store failure for one source must not lose the others
    return SourceOutcome(source, "failed", message=f"could not store it: {exc}")


# One group = one embedding call and one Chroma write (HNSW inserts run while the next group embeds). With the
# batched embedder graph, 256 chunks per call took ~25% less CPU than 64 on SciFact chunks (length-sorted, less
# padding); with the fused graph that embeds one text per run, grouping only saves Chroma write calls.
_GROUP_CHUNKS = 256
_GROUP_ARTICLES = 64


@dataclass
class _Pending:
    index: int
    source: str
    article: Article
    chunks: list[Chunk]
    notes: str | None


class _IngestRun:
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
            self.slots[i] = _failure(name, exc)
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
                self.slots[i] = SourceOutcome(article.source, "unchanged", article.id, article.title, notes)
                if known == article.source:
                    self.current[article.source] = article.id  # see finish(): other versions of it go
                # A failed check leaves the article as it is stored (the outcome "unchanged" stays true).
                with contextlib.suppress(Exception):
                    if article.id not in self.seen and self.corpus.stale_chunks(article):
                        self.stale[article.id] = i
                self.seen[article.id] = known
                return
            chunks = chunk_article(article, self.corpus.settings.chunk_size)
        except Exception as exc:
            self.slots[i] = _failure(source, exc)
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
                note = f"its stored chunks were made with other settings: {self.corpus._rechunked_at()}"
            else:
                why = result.failed.get(aid, "the article was deleted meanwhile")
                note = f"its stored chunks were made with other settings and could not be remade: {why}"
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
        return len(self.group) >= _GROUP_ARTICLES or sum(len(p.chunks) for p in self.group) >= _GROUP_CHUNKS

    def flush(self, writer: ThreadPoolExecutor | None) -> None:
        """Embed the current group (while the previous one is written), then hand it to the writer."""
        batch, self.group = self.group, []
        if not batch:
            return
        try:
            prepared = self.corpus.store.prepare([(p.article, p.chunks, True) for p in batch])
        except Exception as exc:  # nothing of this group was written
            for p in batch:
                self.slots[p.index] = _failure(p.source, exc)
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
                self.slots[p.index] = _failure(p.source, result)
                continue
            if self.on_article is not None and result in ("added", "replaced"):
                self.on_article(p.article, result)
            self.slots[p.index] = SourceOutcome(p.article.source, result, p.article.id, p.article.title, p.notes)


_WORKSPACE_FILE = "workspace-id"


def workspace_id(data_dir: Path) -> str:
    """A stable id of this workspace, recorded with each article written: on a shared Chroma server, the same
    relative file name in two workspaces is two documents.

    Made once from the machine and the data directory's path and then kept in the data directory, so a project
    folder that is moved or renamed stays the same workspace (its local files, named relative to it, still replace
    their earlier versions). A data directory from before the file existed gets the id it always had."""
    import hashlib
    import socket

    path = data_dir / _WORKSPACE_FILE
    with contextlib.suppress(OSError, UnicodeDecodeError):
        saved = path.read_text(encoding="utf-8").strip()
        if re.fullmatch(r"[0-9a-f]{16}", saved):
            return saved
    made = hashlib.sha256(f"{socket.gethostname()}:{Path(os.path.abspath(data_dir))}".encode()).hexdigest()[:16]
    with contextlib.suppress(OSError):  # unwritable: the id is still this path's, as before
        data_dir.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{_WORKSPACE_FILE}.{os.getpid()}")
        part.write_text(made + "\n", encoding="utf-8")
        part.replace(path)
    return made


class Corpus:
    """Articles, chunks and hybrid evidence search over the configured Chroma store."""

    def __init__(self, settings: Settings, store: ChunkStore, searcher: HybridSearcher) -> None:
        self.settings = settings
        self.store = store
        self.searcher = searcher

    @classmethod
    def open(cls, settings: Settings) -> Corpus:
        """Open the embedded store under data_dir, or the Chroma server when CHROMA_HOST is set."""
        from retrieval.embeddings import MiniLMEmbedder
        from retrieval.search import HybridSearcher
        from retrieval.store import ChunkStore, http_client, persistent_client

        with _retrieval_errors():
            if settings.use_chroma_server:
                host = settings.chroma_host or "localhost"
                client = http_client(host, settings.chroma_port)
                # The BM25 index is per server: another server must not reuse this one's index.
                index_dir = (
                    settings.data_dir / "bm25" / re.sub(r"[^A-Za-z0-9.-]", "_", f"{host}_{settings.chroma_port}")
                )
            else:
                client = persistent_client(settings.chroma_path)
                index_dir = settings.data_dir / "bm25" / "embedded"
            # Workspaces matter only on a shared server (an embedded store has one, wherever its folder moves).
            workspace = workspace_id(settings.data_dir) if settings.use_chroma_server else ""
            store = ChunkStore(client, settings.collection, MiniLMEmbedder(), index_dir, workspace=workspace)
        return cls(settings, store, HybridSearcher(store))

    def source_name(self, source: str) -> str:
        """How a file or URL is recorded and shown (see local_source_name)."""
        return local_source_name(source, Path(os.path.abspath(self.settings.data_dir)).parent)

    @property
    def embedder(self) -> MiniLMEmbedder:
        """The shared MiniLM embedder (reuse it rather than loading another)."""
        return self.store.embedder

    def _store_loaded(
        self,
        loaded_article: Article,
        notes: list[str],
        on_article: OnArticle | None,
        replace_same_source: bool = True,
    ) -> SourceOutcome:
        from retrieval.chunking import chunk_article

        article = loaded_article
        chunks: list[Chunk] = chunk_article(article, self.settings.chunk_size)
        status: Status = self.store.add_article(article, chunks, replace_same_source=replace_same_source)
        if status == "unchanged":
            try:
                if self.stale_chunks(article):
                    result = self.rechunk([article.id])
                    if article.id not in result.done:
                        raise RetrievalError(result.failed.get(article.id, "the article was deleted meanwhile"))
                    status = "rechunked"
                    notes = [*notes, f"its stored chunks were made with other settings: {self._rechunked_at()}"]
            except Exception as exc:  # the article is stored as it was: still "unchanged", with the reason
                notes = [*notes, f"its stored chunks were made with other settings and could not be remade: {exc}"]
        if on_article is not None and status in ("added", "replaced"):
            on_article(article, status)
        return SourceOutcome(article.source, status, article.id, article.title, "; ".join(notes) or None)

    def ingest(
        self,
        sources: Sequence[str],
        progress: Progress | None = None,
        on_article: OnArticle | None = None,
        *,
        private_urls: bool = True,
    ) -> IngestReport:
        """Ingest files, folders and URLs; a bad source is reported as failed and the rest still go in.
        `private_urls=False` refuses URLs (and redirects) to loopback or private-network addresses.

        Small articles are embedded together (full model batches), and one background thread writes a group
        to Chroma while the next group is read and embedded. Outcomes keep the order of the sources.
        """
        from retrieval.loaders import expand_sources_detailed

        # Local paths are read by absolute path and recorded by source_name (see local_source_name).
        absolute = [s if is_url(s) else os.path.abspath(Path(s).expanduser()) for s in sources]
        expansion = expand_sources_detailed(absolute)
        skipped = [
            SourceOutcome(self.source_name(s), "skipped", message=expansion.reason(s)) for s in expansion.skipped
        ]
        total = len(expansion.sources)
        run = _IngestRun(self, total, on_article, private_urls=private_urls)

        def feed() -> Iterator[None]:
            for i, source in enumerate(expansion.sources):
                if progress is not None:
                    progress(i, total, source)
                run.load(i, source)
                yield None

        run.drive(feed())
        run.rechunk_stale()
        run.drop_other_versions()
        if progress is not None:
            progress(total, total, "")
        return IngestReport(skipped + [o for o in run.slots if o is not None])

    def ingest_articles(
        self, articles: Sequence[Article], on_article: OnArticle | None = None, *, background_writer: bool = True
    ) -> IngestReport:
        """Store already-loaded articles through the grouped path of `ingest` (writes overlapped unless told)."""
        run = _IngestRun(self, len(articles), on_article)

        def feed() -> Iterator[None]:
            for i, article in enumerate(articles):
                run.add(i, article.source, article, None)
                yield None

        run.drive(feed(), background=background_writer)
        run.rechunk_stale()
        run.drop_other_versions()
        return IngestReport([o for o in run.slots if o is not None])

    def ingest_bytes(
        self, name: str, data: bytes, on_article: OnArticle | None = None, *, version_of: str | None = None
    ) -> SourceOutcome:
        """Ingest an upload; a bad file is a failed outcome with its reason. An upload never replaces another
        article by its name, unless `version_of` says which source it is a new version of (recorded under that
        source, it replaces that source's current text as a re-ingested file does)."""
        from retrieval.loaders import read_bytes

        try:
            loaded = read_bytes(name, data, max_bytes=self.settings.max_source_bytes)
            if version_of is None:
                # Two uploads may share a file name without being the same document: never replace on name alone.
                return self._store_loaded(loaded.article, loaded.notes, on_article, replace_same_source=False)
            article = loaded.article.model_copy(update={"source": version_of})
            return self._store_loaded(article, loaded.notes, on_article, replace_same_source=True)
        except Exception as exc:
            return _failure(name, exc)

    def ingest_one(self, source: str, on_article: OnArticle | None = None) -> SourceOutcome:
        """Ingest one file or URL, raising IngestError with the reason when it fails."""
        report = self.ingest([source], on_article=on_article)
        bad = report.failed
        if bad:
            raise IngestError(f"{bad[0].source}: {bad[0].message}")
        return report.outcomes[-1]

    def _rechunked_at(self) -> str:
        return f"re-chunked at {self.settings.chunk_size} characters (CLAIMDESK_CHUNK_SIZE)"

    def stale_chunks(self, article: Article) -> bool:
        """Whether a stored article's chunks differ from those the current settings make of its text (chunk_size
        changed since, or the sentence splitter did): chunk ids name their spans, so one set comparison tells."""
        from retrieval.chunking import chunk_article

        with _retrieval_errors():
            wanted = {c.id for c in chunk_article(article, self.settings.chunk_size)}
            return wanted != self.store.chunk_ids([article.id])

    def rechunk(self, article_ids: Sequence[str], progress: Progress | None = None) -> RechunkResult:
        """Re-chunk those stored articles whose chunks the current settings would not make (their records, claims
        and reviews stay: the text is the same). Embeds in groups, as ingest does; a group that fails is reported
        and the others go on."""
        from retrieval.chunking import chunk_article

        result = RechunkResult()
        group: list[tuple[Article, Sequence[Chunk], bool]] = []

        def flush() -> None:
            try:
                self.store.rechunk(self.store.prepare(group))
                result.done.extend(a.id for a, _, _ in group)
            except Exception as exc:  # those articles keep their old chunks, which still work
                result.failed.update({a.id: f"{type(exc).__name__}: {exc}" for a, _, _ in group})
            group.clear()

        with _retrieval_errors():
            for lo in range(0, len(article_ids), _GROUP_ARTICLES):
                page = self.store.articles_by_id(article_ids[lo : lo + _GROUP_ARTICLES])
                for n, article in enumerate(page):
                    if progress is not None:
                        progress(lo + n, len(article_ids), article.title)
                    chunks = chunk_article(article, self.settings.chunk_size)
                    if {c.id for c in chunks} != self.store.chunk_ids([article.id]):
                        group.append((article, chunks, False))
                    if sum(len(c) for _, c, _ in group) >= _GROUP_CHUNKS:
                        flush()
            if group:
                flush()
        if progress is not None:
            progress(len(article_ids), len(article_ids), "")
        return result

    def reindex(self, progress: Progress | None = None, *, orphan_grace: float = 3.0) -> ReindexReport:
        """Bring every stored article's chunks in line with the current settings, and delete chunks that have
        no article (left by an interrupted ingest; search never shows them). `orphan_grace` seconds pass before
        those are deleted, and only those still without a record go: an ingest in another process writes an
        article's chunks a moment before its record."""
        import time

        with _retrieval_errors():
            self.store.verify_index()  # the chunk ids compared below are read from it
            ids = [info.id for info in self.store.article_infos()]
        rechunked = self.rechunk(ids, progress)
        with _retrieval_errors():
            orphans = self.store.orphan_articles()
            if orphans and orphan_grace > 0:
                time.sleep(orphan_grace)
            deleted = self.store.delete_orphans(orphans) if orphans else 0
        return ReindexReport(
            articles=len(ids), rechunked=len(rechunked.done), failed=rechunked.failed, orphans_deleted=deleted
        )

    def articles(self) -> list[Article]:
        """Every article, newest ingest first."""
        with _retrieval_errors():
            return self.store.articles()

    def article_infos(self) -> list[ArticleInfo]:
        """Every article's title, source and dates (no texts read), newest ingest first."""
        with _retrieval_errors():
            return self.store.article_infos()

    def get_article(self, article_id: str) -> Article:
        """One article; RetrievalError when the id is unknown."""
        with _retrieval_errors():
            article = self.store.get_article(article_id)
        if article is None:
            raise RetrievalError(f"No article with id {article_id!r}; run `claimdesk articles` to list ids.")
        return article

    def delete(self, article_id: str) -> bool:
        """Delete an article and its chunks; False when it did not exist."""
        with _retrieval_errors():
            return self.store.delete_article(article_id)

    def chunks(self, article_id: str) -> list[Chunk]:
        """An article's chunks in order."""
        with _retrieval_errors():
            return self.store.chunks(article_id)

    def passages(self, chunk_ids: Sequence[str]) -> list[Evidence]:
        """Passages by chunk id (what `search` showed), whether or not their article was ever extracted."""
        with _retrieval_errors():
            return self.searcher.passages(chunk_ids)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[Evidence]:
        """Hybrid (BM25 + dense) evidence search with article filters."""
        with _retrieval_errors():
            try:
                return self.searcher.search(
                    query, k, exclude_article_ids=exclude_article_ids, only_article_ids=only_article_ids
                )
            except RetrievalLayerError:
                raise
            except Exception as exc:
                raise RetrievalError(f"Search failed ({type(exc).__name__}: {exc}); try again.") from exc
