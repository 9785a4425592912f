"""The corpus facade: ingest sources, list and delete articles, search evidence (retrieval errors -> app errors).

The ingest run itself and its outcome types live in app.ingest (re-exported here, where callers import them)."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Settings
from app.errors import IngestError, RetrievalError
from app.ingest import (
    GROUP_ARTICLES,
    GROUP_CHUNKS,
    PAGES_NOTE,
    STATUSES,
    IngestReport,
    IngestRun,
    OnArticle,
    Progress,
    RechunkResult,
    ReindexReport,
    SourceOutcome,
    Status,
    failure,
    rechunk_note,
)
from retrieval.errors import EmbeddingModelMissing, RetrievalLayerError, StoreUnavailable
from retrieval.parsers import is_url

__all__ = [
    "STATUSES",
    "Corpus",
    "IngestReport",
    "RechunkResult",
    "ReindexReport",
    "SourceOutcome",
    "Status",
    "local_source_name",
    "workspace_id",
]

if TYPE_CHECKING:
    from retrieval.embeddings import MiniLMEmbedder
    from retrieval.models import Article, ArticleInfo, Chunk, Evidence
    from retrieval.search import HybridSearcher
    from retrieval.store import ChunkStore


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


_WORKSPACE_FILE = "workspace-id"


def workspace_id(data_dir: Path) -> str:
    """A stable id of this workspace, recorded with each article written: on a shared Chroma server, the same
    relative file name in two workspaces is two documents.

    Made once from the machine and the data directory's path and then kept in the data directory with the path it
    was last used at, so a project folder that is moved or renamed stays the same workspace (its local files, named
    relative to it, still replace their earlier versions), while a copy of a data directory whose original is still
    there with the same id gets an id of its own (else the two desks' `articles/today.txt` would replace each other
    on the server). A data directory from before the file existed gets the id it always had."""
    import hashlib
    import socket

    path = data_dir / _WORKSPACE_FILE
    here = Path(os.path.abspath(data_dir))
    saved, where = _read_workspace_file(path)
    if saved is not None:
        if where == here:
            return saved
        if where is None or not _still_used_elsewhere(where, here, saved):
            _write_workspace_file(path, saved, here)  # moved or renamed (or an older file): remember where it is
            return saved
    made = hashlib.sha256(f"{socket.gethostname()}:{here}".encode()).hexdigest()[:16]
    _write_workspace_file(path, made, here)
    return made


def _read_workspace_file(path: Path) -> tuple[str | None, Path | None]:
    """The id a workspace file holds and the data directory it was written for (None for an older file)."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        lines = path.read_text(encoding="utf-8").splitlines()
        if lines and re.fullmatch(r"[0-9a-f]{16}", lines[0].strip()):
            where = lines[1].strip() if len(lines) > 1 else ""
            return lines[0].strip(), Path(where) if where else None
    return None, None


def _still_used_elsewhere(original: Path, here: Path, workspace: str) -> bool:
    """Whether `original` is another data directory (not `here` by another path) holding the same workspace id:
    then `here` is a copy of it."""
    try:
        if not original.is_dir() or os.path.samefile(original, here):
            return False
    except OSError:
        return False
    return _read_workspace_file(original / _WORKSPACE_FILE)[0] == workspace


def _write_workspace_file(path: Path, workspace: str, here: Path) -> None:
    with contextlib.suppress(OSError):  # unwritable: the id is still right for this run
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{_WORKSPACE_FILE}.{os.getpid()}")
        part.write_text(f"{workspace}\n{here}\n", encoding="utf-8")
        part.replace(path)


class Corpus:
    """Articles, chunks and hybrid evidence search over the configured Chroma store."""

    def __init__(self, settings: Settings, store: ChunkStore, searcher: HybridSearcher) -> None:
        self.settings = settings
        self.store = store
        self.searcher = searcher
        # (a shared collection's recorded chunk size and chunker, and when they were read)
        self._shared: tuple[int | None, str | None, float] | None = None

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

    # ---- chunk size and chunker ----------------------------------------------------------------------
    # On a shared server every workspace must chunk alike: one whose CLAIMDESK_CHUNK_SIZE differed re-chunked the
    # texts it shared with the others at its size on ingest, and theirs re-chunked them back. The collection
    # records its size (the first workspace to ingest sets it); ingest there chunks at that size, and only
    # `claimdesk reindex --force` changes it. It records the chunker too (retrieval.chunking.CHUNKER): a workspace
    # running another claimdesk version, whose sentence splitter cuts other spans, keeps the stored chunks instead
    # of re-chunking them its way (and the other version re-chunking them back), until its `reindex --force`
    # makes its chunker the collection's. An embedded store is one workspace's: its setting is the size, and its
    # version's chunker re-chunks what it meets.
    _SHARED_SECONDS = 5.0  # how long a read of the shared collection's chunking is trusted

    def _shared_chunking(self) -> tuple[int | None, str | None]:
        """A shared collection's recorded (size, chunker), read at most every _SHARED_SECONDS."""
        now = time.monotonic()
        if self._shared is None or now - self._shared[2] > self._SHARED_SECONDS:
            with _retrieval_errors():
                size, chunker = self.store.recorded_chunking()
            self._shared = (size, chunker, now)
        return self._shared[0], self._shared[1]

    @property
    def chunk_size(self) -> int:
        """The size ingest and re-chunking use: the setting, or a shared collection's recorded size."""
        if not self.settings.use_chroma_server:
            return self.settings.chunk_size
        return self._shared_chunking()[0] or self.settings.chunk_size

    @property
    def other_chunker(self) -> str | None:
        """The chunker a shared collection records when it is not this version's (its stored chunks are then kept
        as they are, never re-chunked here); None otherwise."""
        from retrieval.chunking import CHUNKER

        if not self.settings.use_chroma_server:
            return None
        chunker = self._shared_chunking()[1]
        return chunker if chunker is not None and chunker != CHUNKER else None

    def _claim_chunk_size(self) -> None:
        """Before writing to a shared collection that records no chunk size yet: record ours (and a collection
        from before chunkers were recorded gets this version's, at the size it has)."""
        if not self.settings.use_chroma_server:
            return
        with _retrieval_errors():
            size, chunker = self.store.recorded_chunking()
            if size is None or chunker is None:
                self.store.record_chunking(size or self.settings.chunk_size)
        self._shared = None

    def set_chunk_size(self) -> None:
        """Make the setting and this version's chunker a shared collection's (what `reindex --force` does first, so
        that other workspaces chunk new articles at it while the stored ones are re-chunked)."""
        if self.settings.use_chroma_server:
            with _retrieval_errors():
                self.store.record_chunking(self.settings.chunk_size)
            self._shared = None

    def chunking_notice(self) -> str | None:
        """What to tell a user whose CLAIMDESK_CHUNK_SIZE or chunker a shared collection overrides (None when it
        does not)."""
        size, other = self.chunk_size, self.other_chunker
        parts = []
        if size != self.settings.chunk_size:
            parts.append(
                f"the shared collection {self.settings.collection} is chunked at {size} characters, so ingest chunks "
                f"at {size} too: CLAIMDESK_CHUNK_SIZE={self.settings.chunk_size} applies here only after "
                "`claimdesk reindex --force`, which re-chunks every workspace's articles at it"
            )
        if other is not None:
            parts.append(
                f"the shared collection {self.settings.collection} was chunked by another claimdesk version (chunker "
                f"{other!r}): its stored articles keep those chunks here, while what this version adds is chunked "
                "its own way; `claimdesk reindex --force` re-chunks every workspace's articles with this version's"
            )
        return "; ".join(parts) or None

    def _store_loaded(
        self,
        loaded_article: Article,
        notes: list[str],
        on_article: OnArticle | None,
        replace_same_source: bool = True,
    ) -> SourceOutcome:
        from retrieval.chunking import chunk_article

        article = loaded_article
        self._claim_chunk_size()
        chunks: list[Chunk] = chunk_article(article, self.chunk_size)
        status: Status = self.store.add_article(article, chunks, replace_same_source=replace_same_source)
        paged = status == "unchanged" and self.record_pages(article)
        if paged:
            notes = [*notes, PAGES_NOTE]
        if status == "unchanged":
            result: RechunkResult | None
            try:
                result = self.rechunk([article.id]) if self._stale(article.id, chunks) else None
            except Exception as exc:  # the article is stored as it was: still "unchanged", with the reason
                result = RechunkResult(failed={article.id: str(exc)})
            if result is not None:
                status = "rechunked" if article.id in result.done else status
                notes = [*notes, rechunk_note(result, article.id, self.chunk_size, self.settings.use_chroma_server)]
        if on_article is not None and status in ("added", "replaced"):
            on_article(article, status)
        return SourceOutcome(article.source, status, article.id, article.title, "; ".join(notes) or None, paged)

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
        if expansion.sources:
            self._claim_chunk_size()
        run = IngestRun(self, total, on_article, private_urls=private_urls)

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
        if articles:
            self._claim_chunk_size()
        run = IngestRun(self, len(articles), on_article)

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
            return failure(name, exc)

    def ingest_one(self, source: str, on_article: OnArticle | None = None) -> SourceOutcome:
        """Ingest one file or URL, raising IngestError with the reason when it fails."""
        report = self.ingest([source], on_article=on_article)
        bad = report.failed
        if bad:
            raise IngestError(f"{bad[0].source}: {bad[0].message}")
        return report.outcomes[-1]

    def record_pages(self, article: Article) -> bool:
        """Record a re-ingested PDF's pages if it was stored before pages were (see ChunkStore.record_pages); a
        failure leaves it as it was, without pages, and is not the ingest's."""
        try:
            return self.store.record_pages(article)
        except Exception:
            return False

    def _stale(self, article_id: str, chunks: Sequence[Chunk]) -> bool:
        """Whether a stored article must be re-chunked into `chunks`: its stored chunks are other ones (chunk ids
        name their spans, so one set comparison tells), and no other claimdesk version's chunker made them on a
        shared collection (those are kept: see "chunk size and chunker" above)."""
        return self.other_chunker is None and {c.id for c in chunks} != self.store.chunk_ids([article_id])

    def stale_chunks(self, article: Article) -> bool:
        """Whether a stored article's chunks differ from those the current settings make of its text (chunk_size
        changed since, or the sentence splitter did), unless another version's chunker made them (_stale)."""
        from retrieval.chunking import chunk_article

        with _retrieval_errors():
            return self._stale(article.id, chunk_article(article, self.chunk_size))

    def rechunk(self, article_ids: Sequence[str], progress: Progress | None = None) -> RechunkResult:
        """Re-chunk those stored articles whose chunks the current settings would not make (their records, claims
        and reviews stay: the text is the same). Embeds in groups, as ingest does; a group that fails is reported
        and the others go on."""
        from retrieval.chunking import chunk_article

        result = RechunkResult()
        group: list[tuple[Article, Sequence[Chunk], bool]] = []
        size = self.chunk_size

        def flush() -> None:
            try:
                self.store.rechunk(self.store.prepare(group))
                result.done.extend(a.id for a, _, _ in group)
            except Exception as exc:  # those articles keep their old chunks, which still work
                result.failed.update({a.id: f"{type(exc).__name__}: {exc}" for a, _, _ in group})
            group.clear()

        with _retrieval_errors():
            for lo in range(0, len(article_ids), GROUP_ARTICLES):
                page = self.store.articles_by_id(article_ids[lo : lo + GROUP_ARTICLES])
                for n, article in enumerate(page):
                    if progress is not None:
                        progress(lo + n, len(article_ids), article.title)
                    chunks = chunk_article(article, size)
                    if self._stale(article.id, chunks):
                        group.append((article, chunks, False))
                    if sum(len(c) for _, c, _ in group) >= GROUP_CHUNKS:
                        flush()
            if group:
                flush()
        if progress is not None:
            progress(len(article_ids), len(article_ids), "")
        return result

    def reindex(self, progress: Progress | None = None, *, orphan_grace: float = 3.0) -> ReindexReport:
        """Bring every stored article's chunks in line with the current settings, and delete chunks that have
        no article (left by an interrupted ingest; search never shows them). Those are listed first, and at
        least `orphan_grace` seconds pass before they are deleted (the re-chunking runs in between), and only
        those still without a record go: an ingest in another process writes an article's chunks a moment before
        its record."""
        import time

        with _retrieval_errors():
            # (checks the BM25 index against Chroma first: the chunk ids rechunk compares are read from it too)
            orphans = self.store.orphan_articles()
            ids = [info.id for info in self.store.article_infos()]
        rechunked = self.rechunk(ids, progress)
        with _retrieval_errors():
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
