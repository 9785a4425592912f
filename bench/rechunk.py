"""What a chunking change costs: re-ingest and `claimdesk reindex` on SciFact abstracts, one run, side by side.

Ingests --limit chunks' worth of SciFact abstracts at 600 characters into a throw-away embedded store, then times,
--repeats times each (medians shown):
  re-ingest, unchanged           Corpus.ingest_articles of the same articles: every one is already stored, and
                                 its chunks are compared with what the settings make (the check this bench is for)
  re-ingest, check off           the same, with that comparison skipped (the path before the check existed)
  reindex, nothing to do         Corpus.reindex with the same chunk size: reads every text and compares
and once each (they change the store):
  reindex at 300 characters      every article re-chunked and embedded again
  reindex at 300, again          nothing left to do

    .venv/bin/python bench/rechunk.py --limit 1000 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings
from app.corpus import Corpus
from bench.ingest_throughput import CORPUS, load_chunks
from retrieval.embeddings import MiniLMEmbedder
from retrieval.search import HybridSearcher
from retrieval.store import ChunkStore, persistent_client


def open_corpus(settings: Settings, embedder: MiniLMEmbedder) -> Corpus:
    store = ChunkStore(persistent_client(settings.chroma_path), "bench", embedder, settings.data_dir / "bm25")
    return Corpus(settings, store, HybridSearcher(store))


def timed(step: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    step()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=1000, help="chunks to ingest (whole articles)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()

    articles = [a for a, _ in load_chunks(args.corpus, 600, args.limit)]
    embedder = MiniLMEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", chunk_size=600)
        corpus = open_corpus(settings, embedder)
        t_ingest = timed(lambda: corpus.ingest_articles(articles))
        chunks = corpus.store.count()

        checking = corpus.stale_chunks
        runs: dict[str, list[float]] = {"re-ingest, unchanged": [], "re-ingest, check off": [], "reindex, no-op": []}
        for _ in range(args.repeats):
            report = corpus.ingest_articles(articles)  # warm
            runs["re-ingest, unchanged"].append(timed(lambda: corpus.ingest_articles(articles)))
            corpus.stale_chunks = lambda article: False  # type: ignore[method-assign]
            runs["re-ingest, check off"].append(timed(lambda: corpus.ingest_articles(articles)))
            corpus.stale_chunks = checking  # type: ignore[method-assign]
            runs["reindex, no-op"].append(timed(lambda: corpus.reindex(orphan_grace=0)))
        assert report.counts["unchanged"] == len(articles), report.counts

        smaller = open_corpus(settings.model_copy(update={"chunk_size": 300}), embedder)
        t_rechunk = timed(lambda: smaller.reindex(orphan_grace=0))
        rechunked = smaller.store.count()
        t_again = timed(lambda: smaller.reindex(orphan_grace=0))

    print(
        f"{len(articles)} SciFact abstracts, {chunks} chunks at 600 characters (first ingest {t_ingest:.1f} s); "
        f"medians of {args.repeats} interleaved runs"
    )
    print(f"{'step':<40} {'seconds':>8} {'ms / article':>13}")
    for name, values in runs.items():
        med = statistics.median(values)
        print(f"{name:<40} {med:>8.3f} {1000 * med / len(articles):>13.2f}")
    base = statistics.median(runs["re-ingest, check off"])
    print(
        f"{'reindex at 300 characters (' + str(rechunked) + ' chunks)':<40} {t_rechunk:>8.1f} "
        f"{1000 * t_rechunk / len(articles):>13.2f}"
    )
    print(f"{'reindex at 300, again':<40} {t_again:>8.3f} {1000 * t_again / len(articles):>13.2f}")
    print(
        f"re-ingest with the check / without: {statistics.median(runs['re-ingest, unchanged']) / base:.2f}x; "
        f"the first ingest / reindex at 300: {t_ingest / t_rechunk:.2f}x"
    )


if __name__ == "__main__":
    main()
