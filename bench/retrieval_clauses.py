"""Two cheap changes to score fusion, measured on the tune and test halves of Climate-FEVER and SciFact.

Run:  .venv/bin/python bench/retrieval_clauses.py [--depth 100]

Everything is the product's search as bench/retrieval_quality.py simulates it (cached MiniLM vectors of "title +
chunk", 600-character chunks, the product's BM25, `--depth` candidates per list, documents ranked by their best
chunk, score fusion 0.2 x (bm25 / top)^2 + 0.8 x cosine). Rows:
  product         the fusion as shipped: a chunk only BM25 found gets the dense list's last cosine (a bound)
  exact cosine    every candidate gets its own cosine (the product would read those vectors from Chroma)
  clauses lam=L   exact cosine, mixed with the best cosine of the claim's clauses: (1 - L) x cos(claim) + L x
                  max cos(clause); clauses are the claim split at commas, semicolons and "and", "but", "which",
                  "that", ... (at least 3 words each; a claim with fewer than two such parts keeps its cosine)
Clause vectors are embedded by the product's MiniLM (2-4 more query embeddings, ~3 ms each).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import retrieval_quality as R  # noqa: E402

from retrieval.embeddings import MiniLMEmbedder  # noqa: E402
from retrieval.ranking import fused_scores  # noqa: E402

_SPLIT = re.compile(r"\s*(?:[,;:]|\s(?:and|but|while|whereas|because|which|that|so)\s)\s*")
LAMBDAS = (0.2, 0.35, 0.5)


def clauses(claim: str) -> list[str]:
    """The claim's parts of three words or more; none when fewer than two."""
    parts = [p for p in _SPLIT.split(claim) if len(p.split()) >= 3]
    return parts if len(parts) >= 2 else []


def variants(prep: R.Prepared, embedder: MiniLMEmbedder) -> R.VariantScores:
    """Each row's scores: row name -> query id -> chunk id -> score."""
    assert prep.candidates is not None
    rows = {c: i for i, c in enumerate(prep.chunk_ids)}
    queries = prep.tune + prep.test
    parts = {q: clauses(prep.dataset.queries[q]) for q in queries}
    flat = [p for q in queries for p in parts[q]]
    vectors = embedder.embed(flat) if flat else np.zeros((0, 384), dtype=np.float32)
    out: R.VariantScores = {"product": {}, "exact cosine": {}}
    out.update({f"clauses lam={lam}": {} for lam in LAMBDAS})
    lo = 0
    for q in queries:
        bm25, dense = prep.candidates[q]
        clause_vectors = vectors[lo : lo + len(parts[q])]
        lo += len(parts[q])
        out["product"][q] = fused_scores(bm25, dense)
        top = max((s for _, s in bm25), default=0.0) or 1.0
        keyword = {c: 0.2 * (s / top) ** 2 for c, s in bm25}
        ids = list(dict.fromkeys([c for c, _ in bm25] + [c for c, _ in dense]))
        docs = prep.vectors[[rows[c] for c in ids]]
        cosine = docs @ prep.query_vectors[q]
        best_clause = (docs @ clause_vectors.T).max(axis=1) if len(clause_vectors) else cosine
        out["exact cosine"][q] = {c: keyword.get(c, 0.0) + 0.8 * float(s) for c, s in zip(ids, cosine, strict=True)}
        for lam in LAMBDAS:
            mixed = (1 - lam) * cosine + lam * best_clause
            out[f"clauses lam={lam}"][q] = {
                c: keyword.get(c, 0.0) + 0.8 * float(s) for c, s in zip(ids, mixed, strict=True)
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    R.data_arguments(parser)
    parser.add_argument("--depth", type=int, default=100, help="candidates per list (the product's 100)")
    args = parser.parse_args()
    embedder = MiniLMEmbedder()

    def split(prep: R.Prepared) -> str:
        claims = prep.tune + prep.test
        return (
            f"{sum(1 for q in claims if clauses(prep.dataset.queries[q]))} of {len(claims)} claims split into clauses"
        )

    R.variant_table("Score fusion variants", args, lambda prep: variants(prep, embedder), split)


if __name__ == "__main__":
    main()
