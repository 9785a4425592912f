"""Hybrid evidence search: BM25 and dense candidates scored by convex score fusion (or RRF, or a learned ranker)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal

from retrieval.chroma_rows import chunk_pages
from retrieval.models import Evidence
from retrieval.ranking import DEFAULT_ALPHA, DEFAULT_BM25_POWER, LinearRanker, default_ranker, fused_scores, rrf_scores
from retrieval.store import ChunkStore

Fusion = Literal["score", "rrf", "learned"]


def _complete(store: ChunkStore, rows: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """`rows` without chunks of articles that have no record (left by an interrupted write: not evidence)."""
    live = store.complete_articles({str(meta["article_id"]) for _, meta in rows.values()})
    return {cid: row for cid, row in rows.items() if str(row[1]["article_id"]) in live}


def _evidence(cid: str, doc: str, meta: dict[str, Any], **scores: Any) -> Evidence:
    return Evidence(
        chunk_id=cid,
        article_id=str(meta["article_id"]),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        text=doc,
        start=int(meta["start"]),
        end=int(meta["end"]),
        **chunk_pages(meta),
        **scores,
    )


# RRF settings (fusion="rrf", the default until score fusion beat it). k=5 was chosen on the held-out TUNE halves
# (bench/retrieval_quality.py); it was 60. A small k lets the top few ranks of each list dominate. Equal weights: with the stemmed BM25, (0.75, 1.0) scored lower on the Climate-FEVER
# tune half (0.415 vs 0.421 nDCG@10), only 0.004 higher on SciFact-1000's, and put a paraphrase above the exact
# seed sentence (tests/test_search.py).
DEFAULT_RRF_K = 5
DEFAULT_WEIGHTS = (1.0, 1.0)
# Score fusion (retrieval.ranking.fused_scores, tuned on the TUNE halves) beat RRF k=5 on the TEST halves of both
# SciFact and Climate-FEVER at depth 100 and 300; the learned ranker (the fit cross-validation picked on the tune
# halves, retrained for k1 1.2 / b 0.3) is 0.021 below it on SciFact's test half and level on Climate-FEVER's
# (0.880 / 0.432 vs 0.901 / 0.430), so it is an option, not the default.
DEFAULT_FUSION: Fusion = "score"


class HybridSearcher:
    """Ranks chunks from BM25 and MiniLM dense candidates; article filters apply inside both retrievers.

    `fusion="score"` scores candidates by alpha * (BM25 / top BM25) ** 2 + (1 - alpha) * cosine; `"rrf"` by weighted
    reciprocal rank fusion (`rrf_k`, `weights`); `"learned"` by `ranker` (the shipped one by default).
    """

    def __init__(
        self,
        store: ChunkStore,
        *,
        rrf_k: int = DEFAULT_RRF_K,
        weights: tuple[float, float] = DEFAULT_WEIGHTS,
        candidates: int = 100,
        fusion: Fusion = DEFAULT_FUSION,
        alpha: float = DEFAULT_ALPHA,
        ranker: LinearRanker | None = None,
    ) -> None:
        self.store = store
        self.rrf_k = rrf_k
        self.weights = weights
        self.candidates = candidates
        self.fusion = fusion
        self.alpha = alpha
        self.ranker = ranker if ranker is not None or fusion != "learned" else default_ranker()

    def _bm25(
        self, query: str, n: int, exclude: Collection[str], only: Collection[str] | None
    ) -> list[tuple[str, float]]:
        if only is not None and not only:
            return []
        return self.store.bm25().search(query, n, exclude_article_ids=exclude, only_article_ids=only)

    def _dense(
        self, query: str, n: int, exclude: Collection[str], only: Collection[str] | None
    ) -> list[tuple[str, float, str, dict[str, Any]]]:
        vec = self.store.embedder.embed([query])[0]
        return self.store.dense(vec, n, exclude_article_ids=exclude, only_article_ids=only)

    def passages(self, chunk_ids: Sequence[str]) -> list[Evidence]:
        """The stored passages with these ids (unknown ids are left out), in the order asked, unscored."""
        rows = _complete(self.store, self.store.get_chunk_rows(list(dict.fromkeys(chunk_ids))))
        return [_evidence(cid, *rows[cid], score=0.0) for cid in dict.fromkeys(chunk_ids) if cid in rows]

    def search_bm25(
        self,
        query: str,
        k: int = 10,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[Evidence]:
        """Keyword-only ranking (score = BM25 score)."""
        hits = self._bm25(query, k, exclude_article_ids, only_article_ids)
        rows = _complete(self.store, self.store.get_chunk_rows([cid for cid, _ in hits]))
        out: list[Evidence] = []
        for rank, (cid, score) in enumerate(hits, 1):
            if cid in rows:
                doc, meta = rows[cid]
                out.append(_evidence(cid, doc, meta, score=score, bm25_score=score, bm25_rank=rank, rank=rank))
        return out

    def search_dense(
        self,
        query: str,
        k: int = 10,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[Evidence]:
        """Embedding-only ranking (score = cosine similarity)."""
        hits = self._dense(query, k, exclude_article_ids, only_article_ids)
        live = self.store.complete_articles({str(meta["article_id"]) for _, _, _, meta in hits})
        return [
            _evidence(cid, doc, meta, score=sim, dense_score=sim, dense_rank=rank, rank=rank)
            for rank, (cid, sim, doc, meta) in enumerate(hits, 1)
            if str(meta["article_id"]) in live
        ]

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        exclude_article_ids: Collection[str] = (),
        only_article_ids: Collection[str] | None = None,
    ) -> list[Evidence]:
        """Top `k` chunks by the configured fusion of the BM25 and dense candidates (filters applied before)."""
        if not query.strip() or k <= 0:
            return []
        n = max(self.candidates, k)
        bm25 = self._bm25(query, n, exclude_article_ids, only_article_ids)
        vec = self.store.embedder.embed([query])[0]
        # Candidates come back as ids only; text and metadata are fetched for the k shown.
        dense = self.store.dense_ids(vec, n, exclude_article_ids=exclude_article_ids, only_article_ids=only_article_ids)
        extra: list[tuple[str, float]] = []
        if self.fusion == "score":
            # A chunk only BM25 found is scored with its own cosine, read from Chroma, not with the dense list's
            # last one (a bound, which held keyword matches down): Climate-FEVER's test half 0.429 -> 0.437,
            # SciFact's 0.901 -> 0.899 (bench/retrieval_clauses.py, "exact cosine", depth 100).
            found = {cid for cid, _ in dense}
            extra = self.store.cosines(vec, [cid for cid, _ in bm25 if cid not in found])
            fused = fused_scores(bm25, [*dense, *extra], alpha=self.alpha, power=DEFAULT_BM25_POWER)
        elif self.fusion == "learned" and self.ranker is not None:
            # the BM25 index's chunk -> article map: how many candidates each article has is a feature
            fused = self.ranker.scores(bm25, dense, self.store.bm25().article_of())
        else:
            fused = rrf_scores(bm25, dense, k=self.rrf_k, weights=self.weights)
        info: dict[str, dict[str, Any]] = {}
        for rank, (cid, score) in enumerate(bm25, 1):
            info.setdefault(cid, {}).update(bm25_score=score, bm25_rank=rank)
        for rank, (cid, sim) in enumerate(dense, 1):
            info.setdefault(cid, {}).update(dense_score=sim, dense_rank=rank)
        for cid, sim in extra:  # a cosine, without a place in the dense list
            info.setdefault(cid, {}).update(dense_score=sim)
        # A few more than k: chunks of an incomplete article (no record) are dropped below.
        ranked = sorted(fused, key=lambda c: (-fused[c], c))
        top = ranked[: k + 5]
        rows = _complete(self.store, self.store.get_chunk_rows(top))
        if len(rows) < min(k, len(top)) and len(ranked) > len(top):
            top = ranked[: 4 * k + 20]
            rows = _complete(self.store, self.store.get_chunk_rows(top))
        out: list[Evidence] = []
        for cid in top:
            if len(out) == k:
                break
            if cid not in rows:  # deleted by another writer since the BM25 index was built, or incomplete
                continue
            doc, meta = rows[cid]
            out.append(_evidence(cid, doc, meta, score=fused[cid], rank=len(out) + 1, **info[cid]))
        return out
