"""Document-level ranking from BM25 and dense chunk hits: reciprocal rank fusion at chunk or document level.

HybridSearcher fuses chunk ranks; an article with many matching chunks (or a long one) then gets several
chances while its best chunk alone decides its place. Fusing at document level ranks each article once per
list, by its best chunk there, before RRF: the same inputs, one less way for chunking to bias the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from retrieval.models import Evidence

Level = Literal["chunk", "document"]


@dataclass(frozen=True)
class FusionParams:
    """RRF settings: `rrf_k` damps rank differences; weights are (bm25, dense); `level` picks what is fused."""

    rrf_k: float = 60.0
    weights: tuple[float, float] = (1.0, 1.0)
    level: Level = "chunk"

    def label(self) -> str:
        """Short text for tables, e.g. `chunk k=60 w=1.0/1.0`."""
        return f"{self.level} k={self.rrf_k:g} w={self.weights[0]:g}/{self.weights[1]:g}"


def _first_seen(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def fuse_documents(bm25: Sequence[Evidence], dense: Sequence[Evidence], params: FusionParams) -> list[str]:
    """Article ids best-first, fusing two best-first chunk lists with weighted RRF at the chosen level."""
    wb, wd = params.weights
    scores: dict[str, float] = {}
    if params.level == "chunk":
        chunk_score: dict[str, float] = {}
        article_of: dict[str, str] = {}
        for weight, hits in ((wb, bm25), (wd, dense)):
            for rank, hit in enumerate(hits, 1):
                chunk_score[hit.chunk_id] = chunk_score.get(hit.chunk_id, 0.0) + weight / (params.rrf_k + rank)
                article_of[hit.chunk_id] = hit.article_id
        for chunk_id, score in chunk_score.items():
            aid = article_of[chunk_id]
            scores[aid] = max(scores.get(aid, 0.0), score)
    else:
        for weight, hits in ((wb, bm25), (wd, dense)):
            for rank, aid in enumerate(_first_seen([h.article_id for h in hits]), 1):
                scores[aid] = scores.get(aid, 0.0) + weight / (params.rrf_k + rank)
    return sorted(scores, key=lambda a: (-scores[a], a))
