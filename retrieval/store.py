"""Chroma-backed storage of chunks (embedded) and article records: the change marker other processes catch up by,
the collection's recorded chunk size, writes and deletions. The store owns the BM25 index kept in step with them
(`retrieval.keyword_index.KeywordIndex`), the article-record reads (`retrieval.article_records.ArticleRecords`) and
the dense queries (`retrieval.vector_index.VectorIndex`), and delegates to them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from retrieval.article_records import ArticleRecords
from retrieval.bm25 import BM25Index
from retrieval.chroma_rows import (
    INDEX_TEXT_VERSION,
    PreparedArticle,
    article_meta,
    chunk_meta,
    chunk_pages,
    http_client,
    index_text,
    persistent_client,
    safe_name,
)
from retrieval.chunking import CHUNKER
from retrieval.embeddings import ChromaMiniLM, MiniLMEmbedder
from retrieval.errors import StoreUnavailable
from retrieval.keyword_index import KeywordIndex
from retrieval.minilm_graph import DIMENSIONS
from retrieval.models import Article, ArticleInfo, Chunk
from retrieval.pages import chunk_page_fields
from retrieval.vector_index import VectorIndex

# Callers import the client factories and the indexed-text helpers from here, as before the split.
__all__ = [
    "INDEX_TEXT_VERSION",
    "AddStatus",
    "ChunkStore",
    "PreparedArticle",
    "http_client",
    "index_text",
    "persistent_client",
]

AddStatus = Literal["added", "unchanged", "replaced"]
_MARKER = "claimdesk_change"
# The chunk size a shared collection is chunked at, on the chunk collection (whose metadata nothing else writes).
_CHUNK_SIZE = "claimdesk_chunk_size"
_CHUNKER = "claimdesk_chunker"
_NO_CHUNK = "claimdesk-no-chunk"  # never a chunk id (those are 20 hex digits): deleting it changes nothing


class ChunkStore:
    """Chunks (with MiniLM embeddings) and article records in Chroma, plus their BM25 index on disk (`keywords`);
    article records are read through `records`, and dense queries run through `vectors`."""

    def __init__(
        self, client: Any, collection: str, embedder: MiniLMEmbedder, index_dir: Path, *, workspace: str = ""
    ) -> None:
        # Which workspace writes here: on a shared server, a local file's name ("articles/today.txt") is another
        # user's file in theirs, and a "replace" of it must not delete their article. URLs are one document.
        self.workspace = workspace
        self.client = client
        self.name = collection
        self.embedder = embedder
        self._ef = ChromaMiniLM(embedder)
        try:
            # Our function is passed explicitly every time: Chroma's default would try to download a model.
            self.chunk_col = client.get_or_create_collection(
                collection, embedding_function=self._ef, configuration={"hnsw": {"space": "cosine"}}
            )
            # Article records carry a constant 1-d vector so nothing is embedded for them.
            self.article_col = client.get_or_create_collection(
                f"{collection}_articles", embedding_function=None, configuration={"hnsw": {"space": "l2"}}
            )
        except Exception as exc:
            raise StoreUnavailable(f"Cannot open Chroma collection '{collection}': {exc}") from exc
        self._refuse_foreign(collection)
        self._marker = self._change_marker()
        # An embedded store's vector index lives in this process: another process's writes reach Chroma's log on
        # disk, but this process's index takes them in only when it next writes (see _catch_up).
        self._embedded = bool(getattr(client.get_settings(), "is_persistent", False))
        self.max_batch = max(1, min(1000, int(client.get_max_batch_size())))
        self.index_dir = Path(index_dir) / safe_name(collection)
        self.keywords = KeywordIndex(self.chunk_col, self.index_dir, self._changed_elsewhere)
        self.records = ArticleRecords(self.article_col)
        self.vectors = VectorIndex(self.chunk_col, self.bm25, self.get_chunk_rows)

    def _refuse_foreign(self, collection: str) -> None:
        """Refuse a collection someone else made under this name (rows without claimdesk's metadata, or vectors of
        another width): searching it failed with "KeyError: 'article_id'; try again", and ingest wrote into it."""
        try:
            peek = self.chunk_col.get(limit=1, include=["metadatas", "embeddings"])
        except Exception as exc:
            raise StoreUnavailable(f"Cannot read Chroma collection '{collection}': {exc}") from exc
        metas = peek.get("metadatas") or []
        vectors = peek.get("embeddings")
        width = len(vectors[0]) if vectors is not None and len(vectors) else DIMENSIONS
        if (metas and "article_id" not in (metas[0] or {})) or width != DIMENSIONS:
            raise StoreUnavailable(
                f"The Chroma collection '{collection}' was not made by claimdesk (its rows have no article ids, or "
                f"{width}-dimensional vectors where claimdesk's are {DIMENSIONS}). Choose another name "
                "with CLAIMDESK_COLLECTION."
            )

    # ---- change marker -----------------------------------------------------------------------------
    # Every write stamps the article collection's metadata with a fresh token. Another process (another data
    # directory on a shared server has its own BM25 index and no segments from us) sees the token change and
    # checks its index against Chroma's ids: the chunk count alone missed a replacement with as many chunks.
    def _change_marker(self) -> str | None:
        try:
            meta = self.client.get_collection(f"{self.name}_articles", embedding_function=None).metadata or {}
        except Exception:
            return None
        value = meta.get(_MARKER)
        return str(value) if value is not None else None

    def _stamp_change(self) -> None:
        token = uuid.uuid4().hex
        try:
            meta = dict(self.article_col.metadata or {})
            self.article_col.modify(metadata={**meta, _MARKER: token})
        except Exception:
            return  # never fail a write for it: the count check still catches most changes
        self._marker = token

    def _changed_elsewhere(self) -> bool:
        """Whether another process wrote since this one last looked (the marker moved); this process's vector
        index is then brought up to those writes."""
        marker = self._change_marker()
        if marker == self._marker:
            return False
        self._marker = marker
        self._catch_up()
        return True

    # ---- the collection's chunk size ------------------------------------------------------------------
    def recorded_chunking(self) -> tuple[int | None, str | None]:
        """The chunk size and chunker (retrieval.chunking.CHUNKER) recorded on the collection, each None when none
        is, read afresh: another process may have changed them."""
        meta = self.client.get_collection(self.name, embedding_function=self._ef).metadata or {}
        size, chunker = meta.get(_CHUNK_SIZE), meta.get(_CHUNKER)
        # (only a size CLAIMDESK_CHUNK_SIZE could have set: a value written by hand must not chunk at 1 character)
        return (
            size if isinstance(size, int) and not isinstance(size, bool) and 100 <= size <= 8000 else None,
            chunker if isinstance(chunker, str) and 0 < len(chunker) <= 40 else None,
        )

    def record_chunking(self, size: int) -> None:
        """Record `size` and this version's chunker as the collection's (Chroma replaces a collection's metadata
        whole: the current metadata is read afresh and kept)."""
        meta = dict(self.client.get_collection(self.name, embedding_function=self._ef).metadata or {})
        self.chunk_col.modify(metadata={**meta, _CHUNK_SIZE: int(size), _CHUNKER: CHUNKER})

    def _catch_up(self) -> None:
        """Bring this process's vector index up to another process's writes (embedded store only).

        Embedded Chroma applies its write log to the in-memory vector index of a process only when that process
        writes: a workbench open while `claimdesk ingest` ran kept missing the new articles' vectors (their
        keyword hits still came, ranked on half their score) until it ingested something itself. Deleting an id
        that no chunk has is a write that changes nothing and applies the log (4 ms)."""
        if not self._embedded:
            return  # a server applies every client's writes itself
        try:
            self.chunk_col.delete(ids=[_NO_CHUNK])
        except Exception:
            return  # the next search still works, on the vectors this process has

    # ---- the BM25 index (retrieval.keyword_index) ---------------------------------------------------
    def bm25(self) -> BM25Index:
        """The BM25 index, with other processes' writes applied (or rebuilt when it cannot be trusted)."""
        return self.keywords.index()

    def rebuild_bm25(self) -> BM25Index:
        """Rebuild the BM25 index from the chunks in Chroma and save it."""
        return self.keywords.rebuild()

    # ---- writes -----------------------------------------------------------------------------------
    def is_stored(self, article_id: str) -> bool:
        """True when the article's record exists (so it is complete)."""
        return article_id in self.complete_articles([article_id])

    def complete_articles(self, article_ids: Collection[str]) -> set[str]:
        """Those of `article_ids` whose record exists: chunks of any other article are what an interrupted write
        (a killed ingest, a server that failed between the two writes) left behind, never evidence."""
        return self.records.complete_articles(article_ids)

    def stored_source(self, article_id: str) -> str | None:
        """The source a stored article is recorded under; None when it is not stored (or not complete)."""
        return self.records.stored_source(article_id)

    def prepare(self, items: Sequence[tuple[Article, Sequence[Chunk], bool]]) -> list[PreparedArticle]:
        """Embed the chunks of several articles in one call (full ONNX batches); nothing is written yet."""
        texts = [[index_text(a.title, c.text, c.start) for c in chunks] for a, chunks, _ in items]
        vectors = self.embedder.embed([t for ts in texts for t in ts])
        out: list[PreparedArticle] = []
        lo = 0
        for (article, chunks, replace), ts in zip(items, texts, strict=True):
            out.append(PreparedArticle(article, list(chunks), ts, vectors[lo : lo + len(ts)], replace))
            lo += len(ts)
        return out

    def add_article(self, article: Article, chunks: Sequence[Chunk], *, replace_same_source: bool = True) -> AddStatus:
        """Store an article and its chunks: unchanged if already present, replaced if its source changed."""
        if self.is_stored(article.id):
            return "unchanged"  # (a second live version of its source is removed by the ingest run, once per run)
        # Embed before writing anything, so a failing model leaves the store untouched.
        result = self.write(self.prepare([(article, chunks, replace_same_source)]))[0]
        if isinstance(result, Exception):
            raise result
        return result

    def write(self, prepared: Sequence[PreparedArticle]) -> list[AddStatus | Exception]:
        """Write embedded articles (chunks first, records last); one result per article, in order.

        A failure leaves none of the failed articles' chunks behind; the others of the group are then written
        one by one, so one bad article costs only itself.
        """
        if not prepared:
            return []
        present = set(self.article_col.get(ids=[p.article.id for p in prepared], include=[])["ids"])
        todo = [p for p in prepared if p.article.id not in present]
        try:
            statuses = self._write_group(todo) if todo else {}
        except Exception as exc:
            # Retried one by one so that only the article at fault fails.
            single = len(todo) == 1
            statuses = {todo[0].article.id: exc} if single else {p.article.id: self.write([p])[0] for p in todo}
        return [statuses.get(p.article.id, "unchanged") for p in prepared]

    def _ours(self, meta: dict[str, Any]) -> bool:
        """Whether an article record's source means the same document for this workspace: a URL always; a local
        file when this workspace (or a claimdesk that did not record workspaces) wrote it."""
        source = str(meta.get("source", ""))
        theirs = meta.get("workspace")
        return "://" in source or not theirs or not self.workspace or theirs == self.workspace

    def drop_other_versions(self, current: dict[str, str]) -> int:
        """Delete other live versions of sources whose current text is stored (`current`: source -> its article
        id): two ingests of one changed file at the same moment each looked for the other's version before either
        had written it, and both stayed. The version matching the file is kept. Returns how many were deleted."""
        if not current:
            return 0
        # A few sources: asked for by name; many: every record's metadata, filtered here (one "$in" over hundreds
        # of sources costs more than reading the records).
        if len(current) <= 20:
            got = self.article_col.get(where={"source": {"$in": sorted(current)}}, include=["metadatas"])
            rows = list(zip(got["ids"], got["metadatas"], strict=True))
        else:
            rows = [(aid, meta) for aid, _, meta in self.records.article_pages(["metadatas"])]
        dropped = 0
        for other, meta in rows:
            if other != current.get(str(meta.get("source", "")), other) and self._ours(meta):
                dropped += self.delete_article(other)
        return dropped

    def _write_group(self, group: Sequence[PreparedArticle]) -> dict[str, AddStatus | Exception]:
        aids = [p.article.id for p in group]
        sources = sorted({p.article.source for p in group if p.replace_same_source})
        same_source: dict[str, list[str]] = {}
        if sources:
            got = self.article_col.get(where={"source": {"$in": sources}}, include=["metadatas"])
            for old, meta in zip(got["ids"], got["metadatas"], strict=True):
                if self._ours(meta):
                    same_source.setdefault(str(meta.get("source", "")), []).append(old)
        leftovers = self._delete_leftovers(group)
        try:
            self._upsert_chunks(group)
            # The records are written last: a record's presence means its article is complete.
            self.article_col.upsert(
                ids=aids,
                embeddings=[[1.0]] * len(group),
                documents=[p.article.text for p in group],
                metadatas=[{**article_meta(p.article), "workspace": self.workspace} for p in group],
            )
        except Exception:
            self._delete_chunks(aids)
            self.keywords.apply(leftovers, [])
            raise
        self.keywords.apply(leftovers, group)
        self._stamp_change()
        out: dict[str, AddStatus | Exception] = {}
        for p in group:
            olds = (
                [o for o in same_source.get(p.article.source, []) if o != p.article.id] if p.replace_same_source else []
            )
            for old in olds:
                self.delete_article(old)
            out[p.article.id] = "replaced" if olds else "added"
        return out

    def _upsert_chunks(self, group: Sequence[PreparedArticle]) -> None:
        rows = [(p, c, v) for p in group for c, v in zip(p.chunks, p.vectors, strict=True)]
        for lo in range(0, len(rows), self.max_batch):
            batch = rows[lo : lo + self.max_batch]
            self.chunk_col.upsert(
                ids=[c.id for _, c, _ in batch],
                embeddings=np.stack([v for _, _, v in batch]),
                documents=[c.text for _, c, _ in batch],
                metadatas=[chunk_meta(p.article, c) for p, c, _ in batch],
            )

    def chunk_ids(self, article_ids: Collection[str]) -> set[str]:
        """Ids of the stored chunks of `article_ids`, read from the BM25 index (which holds exactly Chroma's, and is
        checked against Chroma again when it knows none of an article's: another process may have just written it)."""
        return self.keywords.chunk_ids(article_ids)

    def rechunk(self, prepared: Sequence[PreparedArticle]) -> None:
        """Give stored articles new chunks (`prepared`, made with other chunking settings); their records stay.

        The new chunks are written before the old ones are deleted: an interrupted run leaves an article with
        both (which the next `rechunk` of it finishes), never with none.
        """
        if not prepared:
            return
        aids = [p.article.id for p in prepared]
        old = self.chunk_ids(aids)
        self._upsert_chunks(prepared)
        self._delete_chunk_ids(sorted(old - {c.id for p in prepared for c in p.chunks}))
        self.keywords.apply(set(aids), prepared)
        self._stamp_change()

    def record_pages(self, article: Article) -> bool:
        """Give a stored PDF ingested before pages (or their printed labels) were recorded its pages: the page starts
        and labels on its record, each chunk's pages on the chunk (metadata only, nothing is embedded again). False
        when there is nothing to add: `article` has no pages, is not stored, or its record has them already."""
        if not article.page_starts:
            return False
        record = self.article_col.get(ids=[article.id], include=["metadatas"])
        if not record["ids"]:
            return False
        meta = record["metadatas"][0] or {}
        if meta.get("page_starts") and (meta.get("page_labels") or not article.page_labels):
            return False
        chunks = self.chunk_col.get(where={"article_id": article.id}, include=["metadatas"])
        if chunks["ids"]:
            metas = [
                {**m, **chunk_page_fields(article.page_starts, int(m["start"]), int(m["end"]), article.page_labels)}
                for m in chunks["metadatas"]
            ]
            self.chunk_col.update(ids=chunks["ids"], metadatas=metas)
        # The record last, as at ingest: once it has pages, so have the chunks.
        pages = {k: v for k, v in article_meta(article).items() if k in ("page_starts", "page_labels")}
        self.article_col.update(ids=[article.id], metadatas=[{**meta, **pages}])
        return True

    def verify_index(self) -> None:
        """Check the BM25 index against Chroma's chunk ids now (not at the next periodic check) and rebuild it if
        they differ: what maintenance reads from it must be all of Chroma."""
        self.keywords.verify()

    def orphan_articles(self) -> set[str]:
        """Ids of articles that have chunks but no record: what an interrupted write left (never shown as
        evidence), or an ingest in another process between its two writes at this moment."""
        with self.keywords.lock:
            self.verify_index()
            indexed = set(self.bm25().article_ids())
        return indexed - self.complete_articles(indexed)

    def delete_orphans(self, article_ids: Collection[str]) -> int:
        """Delete the chunks of those `article_ids` that still have no record; returns how many articles had some."""
        gone = set(article_ids) - self.complete_articles(article_ids)
        if not gone:
            return 0
        removed = self._delete_chunks(sorted(gone))
        self.keywords.apply(removed, [])
        self._stamp_change()
        return len(removed)

    def _delete_leftovers(self, group: Sequence[PreparedArticle]) -> set[str]:
        """Delete chunks an interrupted earlier write of these articles left in Chroma; returns their ids.

        Looked up by chunk id (the new chunks' ids and those the BM25 index knows): Chroma's metadata filter
        scans the whole collection, ~0.5 s at 100k chunks, for what is nearly always nothing.
        """
        with self.keywords.lock:
            idx = self.keywords.current
            if idx is None:
                return self._delete_chunks([p.article.id for p in group])
            owner = {c.id: p.article.id for p in group for c in p.chunks}
            for p in group:
                owner.update(dict.fromkeys(idx.chunk_ids_for([p.article.id]), p.article.id))
        found = self.chunk_col.get(ids=sorted(owner), include=[])["ids"]
        self._delete_chunk_ids(found)
        return {owner[cid] for cid in found}

    def _delete_chunk_ids(self, ids: Sequence[str]) -> None:
        """Delete chunks by id, in batches Chroma accepts."""
        for lo in range(0, len(ids), self.max_batch):
            self.chunk_col.delete(ids=ids[lo : lo + self.max_batch])

    def _delete_chunks(self, article_ids: Sequence[str]) -> set[str]:
        """Delete the chunks of `article_ids` from Chroma; returns the articles that had any."""
        where: dict[str, Any] = (
            {"article_id": article_ids[0]} if len(article_ids) == 1 else {"article_id": {"$in": list(article_ids)}}
        )
        got = self.chunk_col.get(where=where, include=["metadatas"])
        self._delete_chunk_ids(got["ids"])
        return {str(m["article_id"]) for m in got["metadatas"] or []}

    def delete_article(self, article_id: str) -> bool:
        """Remove an article's record and chunks; False when it was not there."""
        had_record = self.is_stored(article_id)
        removed = self._delete_chunks([article_id])
        if had_record:
            self.article_col.delete(ids=[article_id])
        self.keywords.apply(removed, [])
        self._stamp_change()
        return had_record or bool(removed)

    # ---- reads (article records: retrieval.article_records) ------------------------------------------
    def articles(self) -> list[Article]:
        """All complete articles, with their text, newest ingest first."""
        return self.records.articles()

    def article_infos(self) -> list[ArticleInfo]:
        """Every article's title, source and dates without reading the texts, newest ingest first."""
        return self.records.article_infos()

    def articles_by_id(self, article_ids: Sequence[str]) -> list[Article]:
        """The stored ones of `article_ids`, with their texts, in the order given."""
        return self.records.articles_by_id(article_ids)

    def get_article(self, article_id: str) -> Article | None:
        """One article by id, or None."""
        return self.records.get_article(article_id)

    # ---- reads (chunks) ---------------------------------------------------------------------------
    def chunks(self, article_id: str) -> list[Chunk]:
        """An article's chunks in order."""
        page = self.chunk_col.get(where={"article_id": article_id}, include=["documents", "metadatas"])
        out = [
            Chunk(
                id=cid,
                article_id=article_id,
                index=int(m["index"]),
                start=int(m["start"]),
                end=int(m["end"]),
                text=doc,
                **chunk_pages(m),
            )
            for cid, doc, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        ]
        out.sort(key=lambda c: c.index)
        return out

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self.chunk_col.count())

    def get_chunk_rows(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """Chunk text and metadata for `ids`."""
        if not ids:
            return {}
        page = self.chunk_col.get(ids=list(ids), include=["documents", "metadatas"])
        return {
            cid: (doc, meta) for cid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        }

    # ---- dense queries (retrieval.vector_index) ----------------------------------------------------
    def dense(
        self,
        query_vector: np.ndarray,
        n: int,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[tuple[str, float, str, dict[str, Any]]]:
        """Nearest chunks as (id, cosine similarity, text, metadata); excluded/only articles never leak."""
        return self.vectors.dense(
            query_vector, n, exclude_article_ids=exclude_article_ids, only_article_ids=only_article_ids
        )

    def cosines(self, query_vector: np.ndarray, ids: Sequence[str]) -> list[tuple[str, float]]:
        """(id, cosine similarity to `query_vector`) of the stored chunks among `ids`, read from Chroma: for
        candidates the dense search did not return (unknown ids are left out)."""
        return self.vectors.cosines(query_vector, ids)

    def dense_ids(
        self,
        query_vector: np.ndarray,
        n: int,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Nearest chunks as (id, cosine similarity) only: cheaper when most candidates are not shown."""
        return self.vectors.dense_ids(
            query_vector, n, exclude_article_ids=exclude_article_ids, only_article_ids=only_article_ids
        )
