"""Query latency of the product's search path (BM25, dense, hybrid) at 10k and 100k synthetic chunks.

Chunks are synthetic sentences over a Zipf-distributed vocabulary, written through ChunkStore.add_article with
precomputed random unit vectors (so 100k chunks need no model time); every query then goes through the real
path: MiniLM query embedding, Chroma HNSW, the BM25 index and RRF in HybridSearcher.

    .venv/bin/python bench/query_latency.py                 # 10k and 100k chunks, 100 queries each
    .venv/bin/python bench/query_latency.py --sizes 10000 --queries 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retrieval.chunking import chunk_id_for
from retrieval.evaluation import PrefetchedEmbedder, percentile
from retrieval.models import Article, Chunk, content_id
from retrieval.search import HybridSearcher
from retrieval.store import ChunkStore, persistent_client

VOCAB = 30_000
CHUNKS_PER_ARTICLE = 50


def _words(rng: np.random.Generator, n: int) -> list[str]:
    # Zipf(1.1) over a fixed vocabulary gives BM25 realistic posting-list lengths.
    ranks = np.minimum(rng.zipf(1.1, n), VOCAB)
    return [f"w{r}" for r in ranks]


def _sentence(rng: np.random.Generator) -> str:
    return " ".join(_words(rng, int(rng.integers(12, 40)))) + "."


def _add_articles(
    store: ChunkStore, embedder: PrefetchedEmbedder, rng: np.random.Generator, first: int, n_chunks: int
) -> None:
    now = datetime.now(UTC)
    for a in range(first // CHUNKS_PER_ARTICLE, (first + n_chunks) // CHUNKS_PER_ARTICLE):
        sentences = [_sentence(rng) for _ in range(CHUNKS_PER_ARTICLE)]
        text = " ".join(sentences)
        article = Article(
            id=content_id(text), title=f"synthetic {a}", source=f"synthetic:{a}", text=text, ingested_at=now
        )
        chunks, pos = [], 0
        for i, s in enumerate(sentences):
            chunks.append(
                Chunk(
                    id=chunk_id_for(article.id, i, pos, pos + len(s)),
                    article_id=article.id,
                    index=i,
                    start=pos,
                    end=pos + len(s),
                    text=s,
                )
            )
            pos += len(s) + 1
        vectors = rng.standard_normal((len(chunks), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        embedder.preload([c.text for c in chunks], vectors)
        store.add_article(article, chunks)
        embedder.release()


def _time(fn: object, queries: list[str]) -> tuple[list[float], list[float]]:
    """Wall and process-CPU milliseconds per query (CPU time is steadier when other jobs share the cores)."""
    wall, cpu = [], []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        fn(q, 10)  # type: ignore[operator]
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def _stats(timings: tuple[list[float], list[float]]) -> tuple[float, float, float]:
    wall, cpu = timings
    return statistics.median(wall), percentile(wall, 95), statistics.median(cpu)


def main() -> None:
    """Build the synthetic store size by size and print median/p95 latency per method."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--candidates", type=int, default=100, help="HybridSearcher candidates per list")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    queries = [" ".join(_words(rng, int(rng.integers(6, 16)))) for _ in range(args.queries)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="claimdesk-latency-") as work:
        embedder = PrefetchedEmbedder()
        store = ChunkStore(persistent_client(Path(work) / "chroma"), "latency", embedder, Path(work) / "index")
        searcher = HybridSearcher(store, candidates=args.candidates)
        have = 0
        for size in sorted(args.sizes):
            t = time.perf_counter()
            _add_articles(store, embedder, rng, have, size - have)
            have = store.count()
            ingest_s = time.perf_counter() - t
            t = time.perf_counter()
            store.bm25()  # the first search after writes rebuilds BM25; time it separately
            rebuild_s = time.perf_counter() - t
            searcher.search("warm up", 10)
            print(f"{have} chunks: wrote in {ingest_s:.0f}s, BM25 rebuild {rebuild_s:.1f}s", file=sys.stderr)
            rows.append((have, "embed", *_stats(_time(lambda q, k: embedder.embed([q]), queries))))
            for name, fn in (
                ("bm25", searcher.search_bm25),
                ("dense", searcher.search_dense),
                ("hybrid", searcher.search),
            ):
                rows.append((have, name, *_stats(_time(fn, queries))))

    print(f"Query latency, k=10, candidates={args.candidates}, {args.queries} queries (ms)")
    print("(embed = the MiniLM query embedding alone, included in dense and hybrid)")
    print(f"{'chunks':>8} {'method':<8} {'median':>8} {'p95':>8} {'cpu med':>8}")
    for size, name, med, p95, cpu in rows:
        print(f"{size:>8} {name:<8} {med:>8.1f} {p95:>8.1f} {cpu:>8.1f}")
    worst = max(p95 for _, name, _, p95, _ in rows if name == "hybrid")
    print(f"hybrid p95 worst={worst:.1f} ms (target <= 100 ms)")


if __name__ == "__main__":
    main()
