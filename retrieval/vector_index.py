"""Nearest-chunk queries over the chunk collection's MiniLM vectors: the dense side of a `retrieval.store.ChunkStore`,
with exclude/only-article filters applied exactly through the BM25 index's chunk -> article map."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from retrieval.bm25 import BM25Index
from retrieval.chroma_rows import where_article

_MAX_LOCAL_FILTER = 5000  # chunks up to which article filters are applied here rather than by Chroma


class VectorIndex:
    """Dense queries (cosine similarity to a query vector) over the chunks in Chroma, with article filters."""

    def __init__(
        self,
        chunk_col: Any,
        bm25: Callable[[], BM25Index],
        chunk_rows: Callable[[Sequence[str]], dict[str, tuple[str, dict[str, Any]]]],
    ) -> None:
        """`chunk_col`: the Chroma chunk collection; `bm25`: the store's BM25 index, with other processes' writes
        applied (its chunk -> article map filters by article); `chunk_rows`: chunk text and metadata by id."""
        self.chunk_col = chunk_col
        self.bm25 = bm25
        self.get_chunk_rows = chunk_rows

    def _query(
        self,
        query_vector: np.ndarray,
        n: int,
        exclude_article_ids: Collection[str],
        only_article_ids: Collection[str] | None,
        include: list[str],
    ) -> list[tuple[str, float, str | None, dict[str, Any] | None]]:
        if n <= 0 or (only_article_ids is not None and not only_article_ids):
            return []

        def run(n_results: int, where: dict[str, Any] | None, inc: list[str]) -> list[tuple[str, float, Any, Any]]:
            res = self.chunk_col.query(query_embeddings=[query_vector], n_results=n_results, where=where, include=inc)
            k = len(res["ids"][0])
            docs = res["documents"][0] if res.get("documents") else [None] * k
            metas = res["metadatas"][0] if res.get("metadatas") else [None] * k
            return [
                (cid, 1.0 - float(d), doc, meta)
                for cid, d, doc, meta in zip(res["ids"][0], res["distances"][0], docs, metas, strict=True)
            ]

        def with_rows(hits: list[tuple[str, float]]) -> list[tuple[str, float, Any, Any]]:
            if "documents" not in include:
                return [(cid, sim, None, None) for cid, sim in hits]
            rows = self.get_chunk_rows([cid for cid, _ in hits])
            return [(cid, sim, *rows[cid]) for cid, sim in hits if cid in rows]

        # Chroma's metadata filters build an allow-list per query (`$nin` on one article costs ~0.5 s at
        # 100k chunks), so the BM25 index's chunk -> article map is used to filter exactly, and Chroma's
        # `where` is the fallback when that map may be stale.
        index = self.bm25()
        if only_article_ids is not None:
            allowed = index.chunk_ids_for(set(only_article_ids) - set(exclude_article_ids))
            drop = set(exclude_article_ids)
            if len(allowed) <= _MAX_LOCAL_FILTER:
                got = self.chunk_col.get(ids=allowed, include=["embeddings", "metadatas"]) if allowed else None
                if got is None or not len(got["ids"]):
                    return []
                keep = [i for i, m in enumerate(got["metadatas"]) if m.get("article_id") not in drop]
                vecs = np.asarray(got["embeddings"], dtype=np.float32)[keep]
                sims = vecs @ np.asarray(query_vector, dtype=np.float32)
                order = np.argsort(-sims, kind="stable")[:n]
                return with_rows([(got["ids"][keep[i]], float(sims[i])) for i in order])
            return run(n, where_article(exclude_article_ids, only_article_ids), include)
        if exclude_article_ids:
            excluded = len(index.chunk_ids_for(exclude_article_ids))
            if excluded <= _MAX_LOCAL_FILTER:
                article_of = index.article_of()
                raw = run(n + excluded, None, ["distances"])
                if all(cid in article_of for cid, *_ in raw):
                    drop = set(exclude_article_ids)
                    kept = [(cid, sim) for cid, sim, *_ in raw if article_of[cid] not in drop]
                    if len(kept) >= n or len(raw) < n + excluded:
                        return with_rows(kept[:n])
            # unknown chunk ids: another writer changed Chroma since the index was built
        return run(n, where_article(exclude_article_ids, only_article_ids), include)

    def dense(
        self,
        query_vector: np.ndarray,
        n: int,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[tuple[str, float, str, dict[str, Any]]]:
        """Nearest chunks as (id, cosine similarity, text, metadata); excluded/only articles never leak."""
        rows = self._query(
            query_vector, n, exclude_article_ids, only_article_ids, ["documents", "metadatas", "distances"]
        )
        return [(cid, sim, doc or "", meta or {}) for cid, sim, doc, meta in rows]

    def cosines(self, query_vector: np.ndarray, ids: Sequence[str]) -> list[tuple[str, float]]:
        """(id, cosine similarity to `query_vector`) of the stored chunks among `ids`, read from Chroma: for
        candidates the dense search did not return (unknown ids are left out)."""
        if not ids:
            return []
        got = self.chunk_col.get(ids=list(ids), include=["embeddings"])
        vectors = got.get("embeddings")
        if vectors is None or not len(got["ids"]):
            return []
        matrix = np.asarray(vectors, dtype=np.float32)
        query = np.asarray(query_vector, dtype=np.float32)
        sims = matrix @ query / (np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(query)) + 1e-12)
        return list(zip(got["ids"], (float(s) for s in sims), strict=True))

    def dense_ids(
        self,
        query_vector: np.ndarray,
        n: int,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Nearest chunks as (id, cosine similarity) only: cheaper when most candidates are not shown."""
        rows = self._query(query_vector, n, exclude_article_ids, only_article_ids, ["distances"])
        return [(cid, sim) for cid, sim, _, _ in rows]
