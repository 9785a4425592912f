"""The corpus facade: ingest sources, list and delete articles, search evidence (retrieval errors -> app errors)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from app.config import Settings
from app.errors import IngestError, RetrievalError
from retrieval.errors import EmbeddingModelMissing, RetrievalLayerError, SourceError, StoreUnavailable

if TYPE_CHECKING:
    from retrieval.embeddings import MiniLMEmbedder
    from retrieval.models import Article, Chunk, Evidence
    from retrieval.search import HybridSearcher
    from retrieval.store import ChunkStore

Status = Literal["added", "unchanged", "replaced", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("added", "unchanged", "replaced", "failed", "skipped")
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
            store = ChunkStore(client, settings.collection, MiniLMEmbedder(), index_dir)
        return cls(settings, store, HybridSearcher(store))

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
        status = self.store.add_article(article, chunks, replace_same_source=replace_same_source)
        if on_article is not None and status in ("added", "replaced"):
            on_article(article, status)
        return SourceOutcome(article.source, status, article.id, article.title, "; ".join(notes) or None)

    def ingest(
        self,
        sources: Sequence[str],
        progress: Progress | None = None,
        on_article: OnArticle | None = None,
    ) -> IngestReport:
        """Ingest files, folders and URLs; a bad source is reported as failed and the rest still go in."""
        from retrieval.loaders import expand_sources_detailed, read_source

        expansion = expand_sources_detailed(sources)
        outcomes = [SourceOutcome(s, "skipped", message="hidden file or unsupported type") for s in expansion.skipped]
        total = len(expansion.sources)
        for i, source in enumerate(expansion.sources):
            if progress is not None:
                progress(i, total, source)
            try:
                loaded = read_source(
                    source, max_bytes=self.settings.max_source_bytes, timeout=self.settings.url_timeout
                )
                outcomes.append(self._store_loaded(loaded.article, loaded.notes, on_article))
            except SourceError as exc:
                outcomes.append(SourceOutcome(source, "failed", message=exc.reason))
            except RetrievalLayerError as exc:
                outcomes.append(SourceOutcome(source, "failed", message=str(exc)))
            except Exception as exc:  # a store failure for one source must not lose the others
                outcomes.append(SourceOutcome(source, "failed", message=f"could not store it: {exc}"))
        if progress is not None:
            progress(total, total, "")
        return IngestReport(outcomes)

    def ingest_bytes(self, name: str, data: bytes, on_article: OnArticle | None = None) -> SourceOutcome:
        """Ingest an upload (never replaces another article); a bad file is a failed outcome with its reason."""
        from retrieval.loaders import read_bytes

        try:
            loaded = read_bytes(name, data, max_bytes=self.settings.max_source_bytes)
            # Two uploads may share a file name without being the same document: never replace on name alone.
            return self._store_loaded(loaded.article, loaded.notes, on_article, replace_same_source=False)
        except SourceError as exc:
            return SourceOutcome(name, "failed", message=exc.reason)
        except RetrievalLayerError as exc:
            return SourceOutcome(name, "failed", message=str(exc))
        except Exception as exc:
            return SourceOutcome(name, "failed", message=f"could not store it: {exc}")

    def ingest_one(self, source: str, on_article: OnArticle | None = None) -> SourceOutcome:
        """Ingest one file or URL, raising IngestError with the reason when it fails."""
        report = self.ingest([source], on_article=on_article)
        bad = report.failed
        if bad:
            raise IngestError(f"{bad[0].source}: {bad[0].message}")
        return report.outcomes[-1]

    def articles(self) -> list[Article]:
        """Every article, newest ingest first."""
        with _retrieval_errors():
            return self.store.articles()

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
