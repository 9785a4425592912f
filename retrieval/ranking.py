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


# --- a small learned ranker over the same two lists ---------------------------------------------------------

FEATURES = (
    "bm25_norm",  # best chunk's BM25 score / the query's top BM25 score
    "bm25_rrank",  # 1 / document rank in the BM25 list (0 when absent)
    "dense_sim",  # best chunk's cosine similarity (0 when absent)
    "dense_gap",  # top similarity of the query minus this document's
    "dense_rrank",  # 1 / document rank in the dense list (0 when absent)
    "in_both",  # 1 when the document is in both lists
)


def document_features(bm25: Sequence[Evidence], dense: Sequence[Evidence]) -> dict[str, list[float]]:
    """Per-article feature vectors (order of FEATURES) from best-first BM25 and dense chunk lists."""
    top_bm25 = max((h.bm25_score or h.score for h in bm25), default=1.0) or 1.0
    top_sim = max((h.dense_score or h.score for h in dense), default=0.0)
    best_b: dict[str, tuple[int, float]] = {}
    for hit in bm25:
        if hit.article_id not in best_b:
            best_b[hit.article_id] = (len(best_b) + 1, float(hit.bm25_score or hit.score))
    best_d: dict[str, tuple[int, float]] = {}
    for hit in dense:
        if hit.article_id not in best_d:
            best_d[hit.article_id] = (len(best_d) + 1, float(hit.dense_score or hit.score))
    out: dict[str, list[float]] = {}
    floor_sim = min((s for _, s in best_d.values()), default=0.0)
    for aid in dict.fromkeys([*best_b, *best_d]):
        rb, sb = best_b.get(aid, (0, 0.0))
        rd, sd = best_d.get(aid, (0, floor_sim))  # absent from the dense list: no better than its last entry
        out[aid] = [
            sb / top_bm25,
            1.0 / rb if rb else 0.0,
            sd,
            top_sim - sd,
            1.0 / rd if rd else 0.0,
            1.0 if aid in best_b and aid in best_d else 0.0,
        ]
    return out


@dataclass(frozen=True)
class LinearRanker:
    """A logistic-regression ranker: score = bias + weights . features (monotone in the probability)."""

    weights: tuple[float, ...]
    bias: float = 0.0

    def rank(self, bm25: Sequence[Evidence], dense: Sequence[Evidence]) -> list[str]:
        """Article ids best-first."""
        feats = document_features(bm25, dense)
        scores = {a: self.bias + sum(w * x for w, x in zip(self.weights, f, strict=True)) for a, f in feats.items()}
        return sorted(scores, key=lambda a: (-scores[a], a))

    def to_json(self) -> str:
        """Serialise with the feature names, so a changed feature list is caught on load."""
        import json

        return json.dumps({"features": list(FEATURES), "weights": list(self.weights), "bias": self.bias}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> LinearRanker:
        """Load weights written by `to_json`; ValueError when they were trained on other features."""
        import json

        data = json.loads(text)
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError("ranker weights were trained on a different feature list; retrain them")
        return cls(tuple(float(w) for w in data["weights"]), float(data["bias"]))


def default_ranker() -> LinearRanker:
    """The ranker shipped in retrieval/data/ (trained on the tune half of the SciFact train queries)."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "ranker_scifact.json"
    return LinearRanker.from_json(path.read_text(encoding="utf-8"))
