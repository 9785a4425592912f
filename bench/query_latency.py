"""Query latency of the product's search path (BM25, dense, hybrid) at 10k and 100k synthetic chunks.

Chunks are synthetic sentences over a Zipf-distributed vocabulary, written through ChunkStore.add_article with
precomputed random unit vectors (so 100k chunks need no model time); every query then goes through the real
path: MiniLM query embedding, Chroma HNSW, the BM25 index and score fusion in HybridSearcher.

    .venv/bin/python bench/query_latency.py                 # 10k and 100k chunks, 100 queries each
    .venv/bin/python bench/query_latency.py --sizes 10000 --queries 50
    .venv/bin/python bench/query_latency.py --sizes 10000 --bm25-sizes 10000 100000   # BM25 table at 100k too

The first table is the BM25 index alone at --bm25-sizes (in memory, no Chroma, seconds to build): adding one
article then searching, against the whole bm25s rebuild the index did before.
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

import retrieval.keyword_index as keyword_index_module
from retrieval.chunking import chunk_id_for
from retrieval.evaluation import PrefetchedEmbedder, percentile
from retrieval.models import Article, Chunk, content_id
from retrieval.search import HybridSearcher
from retrieval.store import ChunkStore, index_text, persistent_client

VOCAB = 30_000
CHUNKS_PER_ARTICLE = 50


def _words(rng: np.random.Generator, n: int) -> list[str]:
    # Zipf(1.1) over a fixed vocabulary gives BM25 realistic posting-list lengths.
    ranks = np.minimum(rng.zipf(1.1, n), VOCAB)
    return [f"w{r}" for r in ranks]


def _sentence(rng: np.random.Generator) -> str:
    return " ".join(_words(rng, int(rng.integers(12, 40)))) + "."


def _synthetic(rng: np.random.Generator, a: int, now: datetime) -> tuple[Article, list[Chunk]]:
    sentences = [_sentence(rng) for _ in range(CHUNKS_PER_ARTICLE)]
    text = " ".join(sentences)
    article = Article(id=content_id(text), title=f"synthetic {a}", source=f"synthetic:{a}", text=text, ingested_at=now)
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
    return article, chunks


def _add_articles(
    store: ChunkStore, embedder: PrefetchedEmbedder, rng: np.random.Generator, first: int, n_chunks: int
) -> None:
    now = datetime.now(UTC)
    group: list[tuple[Article, list[Chunk], bool]] = []
    for a in range(first // CHUNKS_PER_ARTICLE, (first + n_chunks) // CHUNKS_PER_ARTICLE):
        article, chunks = _synthetic(rng, a, now)
        vectors = rng.standard_normal((len(chunks), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        embedder.preload([index_text(article.title, c.text, c.start) for c in chunks], vectors)
        group.append((article, chunks, False))
        if len(group) == 20:  # the grouped write path of `claimdesk ingest`
            store.write(store.prepare(group))
            embedder.release()
            group = []
    if group:
        store.write(store.prepare(group))
        embedder.release()


def _add_one_then_search(
    store: ChunkStore, embedder: PrefetchedEmbedder, rng: np.random.Generator, a: int, query: str
) -> tuple[float, float]:
    """Milliseconds for add_article of one 50-chunk article (Chroma + BM25), then for the first BM25 search."""
    article, chunks = _synthetic(rng, a, datetime.now(UTC))
    vectors = rng.standard_normal((len(chunks), 384)).astype(np.float32)
    embedder.preload([index_text(article.title, c.text, c.start) for c in chunks], vectors)
    t = time.perf_counter()
    store.add_article(article, chunks, replace_same_source=False)
    added = time.perf_counter() - t
    t = time.perf_counter()
    store.bm25().search(query, 10)
    embedder.release()
    return added * 1000, (time.perf_counter() - t) * 1000


def _reopen_ms(work: Path, embedder: PrefetchedEmbedder, runs: int = 3) -> tuple[float, float, float, float]:
    """Median ms to open a new ChunkStore on the written data (load the saved BM25 index and check its ids against
    Chroma's), the store's id listing alone (timed again after the open), the same listing in pages of 5,000 (the
    earlier page size), and the first bm25() call after the open."""
    totals, listings, paged, firsts = [], [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        store = ChunkStore(persistent_client(work / "chroma"), "latency", embedder, work / "index")
        totals.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        store.keywords.all_chunk_rows([])
        listings.append((time.perf_counter() - t) * 1000)
        saved_page = keyword_index_module._ID_PAGE
        keyword_index_module._ID_PAGE = 5000  # the store's own listing at the page size it used before
        try:
            t = time.perf_counter()
            store.keywords.all_chunk_rows([])
            paged.append((time.perf_counter() - t) * 1000)
        finally:
            keyword_index_module._ID_PAGE = saved_page
        t = time.perf_counter()
        store.bm25()
        firsts.append((time.perf_counter() - t) * 1000)
    return tuple(statistics.median(x) for x in (totals, listings, paged, firsts))  # type: ignore[return-value]


def bm25_rows(sizes: list[int], queries: list[str], seed: int) -> list[tuple[int, str, float, float]]:
    """The BM25 index alone (no Chroma): incremental add vs the old whole rebuild with bm25s, and latency."""
    import bm25s

    from retrieval.bm25 import BM25Index, tokenize

    rows: list[tuple[int, str, float, float]] = []
    for size in sizes:
        rng = np.random.default_rng(seed)
        texts = [_sentence(rng) for _ in range(size)]
        ids = [f"c{i}" for i in range(size)]
        aids = [f"a{i // CHUNKS_PER_ARTICLE}" for i in range(size)]
        t = time.perf_counter()
        idx = BM25Index.build(ids, aids, texts)
        rows.append((size, "new index: full build (rebuild / first open)", (time.perf_counter() - t) * 1000, 0.0))
        t = time.perf_counter()
        old = bm25s.BM25()
        old.index([tokenize(x) for x in texts], show_progress=False)
        old_s = time.perf_counter() - t
        rows.append((size, "old: bm25s whole rebuild after any write", old_s * 1000, 0.0))
        adds, firsts = [], []
        for k in range(10):
            extra = [_sentence(rng) for _ in range(CHUNKS_PER_ARTICLE)]
            t = time.perf_counter()
            idx.add([f"n{k}-{i}" for i in range(len(extra))], [f"new{k}"] * len(extra), extra)
            adds.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            idx.search(queries[k], 10)
            firsts.append((time.perf_counter() - t) * 1000)
        rows.append((size, "new: add one 50-chunk article", statistics.median(adds), max(adds)))
        rows.append((size, "new: first search after it", statistics.median(firsts), max(firsts)))
        t = time.perf_counter()
        idx.remove({f"new{k}" for k in range(5)})
        rows.append((size, "new: remove 5 articles", (time.perf_counter() - t) * 1000, 0.0))
        wall = []
        for q in queries:
            t = time.perf_counter()
            idx.search(q, 100)
            wall.append((time.perf_counter() - t) * 1000)
        rows.append((size, "new: search (n=100), median / p95", statistics.median(wall), percentile(wall, 95)))
        wall = []
        for q in queries:
            t = time.perf_counter()
            toks = [x for x in tokenize(q) if x in old.vocab_dict]
            scores = old.get_scores(toks) if toks else np.zeros(1)
            np.argpartition(-scores, min(99, len(scores) - 1))
            wall.append((time.perf_counter() - t) * 1000)
        rows.append((size, "old: bm25s scores (n=100), median / p95", statistics.median(wall), percentile(wall, 95)))
        print(f"bm25 alone at {size}: done", file=sys.stderr)
    return rows


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
    parser.add_argument(
        "--bm25-sizes", type=int, nargs="+", default=[100_000], help="sizes for the BM25-index-alone table"
    )
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    queries = [" ".join(_words(rng, int(rng.integers(6, 16)))) for _ in range(args.queries)]
    index_rows = bm25_rows(sorted(args.bm25_sizes), queries, args.seed)
    rows = []
    adds = []
    reopens: list[tuple[int, float, float, float, float]] = []
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
            store.bm25()
            first_s = time.perf_counter() - t
            searcher.search("warm up", 10)
            print(f"{have} chunks: wrote in {ingest_s:.0f}s, first bm25() {first_s:.3f}s", file=sys.stderr)
            timings = [_add_one_then_search(store, embedder, rng, 10_000_000 + have + k, queries[k]) for k in range(5)]
            adds.append((have, statistics.median(t for t, _ in timings), statistics.median(f for _, f in timings)))
            reopens.append((store.count(), *_reopen_ms(Path(work), embedder)))
            have = store.count()
            rows.append((have, "embed", *_stats(_time(lambda q, k: embedder.embed([q]), queries))))
            for name, fn in (
                ("bm25", searcher.search_bm25),
                ("dense", searcher.search_dense),
                ("hybrid", searcher.search),
            ):
                rows.append((have, name, *_stats(_time(fn, queries))))

    print(f"BM25 index alone (synthetic chunks, no Chroma), {args.queries} queries (ms)")
    print(f"{'chunks':>8} {'what':<46} {'median':>10} {'max/p95':>9}")
    for size, name, med, other in index_rows:
        print(f"{size:>8} {name:<46} {med:>10.1f} {other:>9.1f}")
    for size in sorted(args.bm25_sizes):
        old = next(m for s_, n, m, _ in index_rows if s_ == size and n.startswith("old: bm25s whole"))
        add = next(m for s_, n, m, _ in index_rows if s_ == size and n == "new: add one 50-chunk article")
        first = next(m for s_, n, m, _ in index_rows if s_ == size and n == "new: first search after it")
        print(
            f"{size:>8} add one article then first search: {add + first:.1f} ms vs whole rebuild "
            f"{old:.0f} ms = {old / (add + first):.0f}x faster"
        )
    print()
    print("Store: add one 50-chunk article (store.add_article: Chroma + BM25 + segment file), then first BM25 search")
    print(f"{'chunks':>8} {'add ms':>8} {'first search ms':>16}")
    for size, add_ms, first_ms in adds:
        print(f"{size:>8} {add_ms:>8.1f} {first_ms:>16.1f}")
    print()
    print("Reopen: a new ChunkStore on the same data (what every process start pays): median of 3 (ms)")
    print(
        f"{'chunks':>8} {'open total':>11} {'id listing alone':>17} {'ids in pages of 5,000':>22} {'first bm25()':>13}"
    )
    for size, total, listing, paged, first in reopens:
        print(f"{size:>8} {total:>11.0f} {listing:>17.0f} {paged:>22.0f} {first:>13.1f}")
    print()
    print(f"Query latency, k=10, candidates={args.candidates}, {args.queries} queries (ms)")
    print("(embed = the MiniLM query embedding alone, included in dense and hybrid)")
    print(f"{'chunks':>8} {'method':<8} {'median':>8} {'p95':>8} {'cpu med':>8}")
    for size, name, med, p95, cpu in rows:
        print(f"{size:>8} {name:<8} {med:>8.1f} {p95:>8.1f} {cpu:>8.1f}")
    if rows:
        worst = max(p95 for _, name, _, p95, _ in rows if name == "hybrid")
        print(f"hybrid p95 worst={worst:.1f} ms (target <= 100 ms)")


if __name__ == "__main__":
    main()
