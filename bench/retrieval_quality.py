"""Retrieval quality on SciFact and Climate-FEVER: BM25, dense, plain RRF and a tuned fusion, side by side.

Each data set is indexed through the product (chunk_article -> MiniLMEmbedder -> ChunkStore) into a store kept
under --cache-dir, so a second run embeds nothing. Judged queries are split in two fixed halves by a hash of
the query id (retrieval.evaluation.split_query_ids): fusion settings are chosen on the TUNE half only and every
number in the table is on the TEST half. The "tuned" row is re-run through the real HybridSearcher (chunk level)
or retrieval.ranking.fuse_documents (document level) with the chosen settings.

    .venv/bin/python bench/retrieval_quality.py                          # both data sets, full corpora
    .venv/bin/python bench/retrieval_quality.py --datasets climate_fever --chunk-size 600
    .venv/bin/python bench/retrieval_quality.py --max-docs 1500          # quick: judged docs + hard negatives
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retrieval.bm25 import tokenize
from retrieval.evaluation import (
    BeirDataset,
    BeirDocument,
    PrefetchedEmbedder,
    documents_by_best_chunk,
    index_dataset,
    load_beir,
    ndcg_at_k,
    percentile,
    recall_at_k,
    split_query_ids,
)
from retrieval.models import Evidence
from retrieval.ranking import FusionParams, LinearRanker, document_features, fuse_documents
from retrieval.search import DEFAULT_RRF_K, HybridSearcher
from retrieval.store import ChunkStore, persistent_client

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {
    "scifact": ("scifact/beir/corpus.jsonl", "scifact/beir/queries_train.jsonl", "scifact/beir/qrels_train.tsv"),
    "climate_fever": (
        "climate_fever/beir/corpus.jsonl",
        "climate_fever/beir/queries.jsonl",
        "climate_fever/beir/qrels.tsv",
    ),
}
GRID_K = (1, 5, 10, 20, 40, 60, 100)
GRID_W = ((1.0, 0.5), (1.0, 0.75), (1.0, 1.0), (0.75, 1.0), (0.5, 1.0), (0.35, 1.0))


def subset(dataset: BeirDataset, max_docs: int, seed: int = 13) -> BeirDataset:
    """Judged documents, then each judged query's top BM25 documents (hard negatives), then random fill."""
    import bm25s

    keep: dict[str, None] = {}
    for qid in dataset.judged_query_ids():
        keep.update(dict.fromkeys(d for d in dataset.qrels[qid] if d in dataset.corpus))
    docs = list(dataset.corpus.values())
    retriever = bm25s.BM25()
    retriever.index([tokenize(f"{d.title} {d.text}") for d in docs], show_progress=False)
    vocab = retriever.vocab_dict
    for depth in range(1, 21):
        for qid in dataset.judged_query_ids():
            tokens = [t for t in tokenize(dataset.queries[qid]) if t in vocab]
            if tokens and len(keep) < max_docs:
                scores = retriever.get_scores(tokens)
                keep[docs[int(scores.argsort()[-depth])].id] = None
    rest = [d.id for d in docs if d.id not in keep]
    random.Random(seed).shuffle(rest)
    keep.update(dict.fromkeys(rest[: max(0, max_docs - len(keep))]))
    corpus = {d: dataset.corpus[d] for d in keep}
    return BeirDataset(corpus=corpus, queries=dataset.queries, qrels=dataset.qrels, name=dataset.name)


def mean_metrics(rankings: dict[str, list[str]], dataset: BeirDataset) -> tuple[float, float, float]:
    """Mean nDCG@10, Recall@10 and Recall@100 over the queries in `rankings`."""
    n = len(rankings)
    out = [0.0, 0.0, 0.0]
    for qid, ranking in rankings.items():
        judged = dataset.qrels[qid]
        out[0] += ndcg_at_k(ranking, judged, 10)
        out[1] += recall_at_k(ranking, judged, 10)
        out[2] += recall_at_k(ranking, judged, 100)
    return out[0] / n, out[1] / n, out[2] / n


def timed(
    call: Callable[[str], list[Evidence]], queries: dict[str, str]
) -> tuple[dict[str, list[Evidence]], list[float]]:
    """Run `call` on every query, returning its hits and per-query milliseconds."""
    hits: dict[str, list[Evidence]] = {}
    ms: list[float] = []
    for qid, text in queries.items():
        t = time.perf_counter()
        hits[qid] = call(text)
        ms.append((time.perf_counter() - t) * 1000)
    return hits, ms


def run_dataset(name: str, args: argparse.Namespace) -> list[tuple[str, str, tuple[float, float, float], str]]:
    """Index one data set (cached), tune fusion on the tune half, score every method on the test half."""
    files = [args.eval_dir / f for f in DATASETS[name]]
    dataset = load_beir(*files, name=name)
    if args.max_docs and len(dataset.corpus) > args.max_docs:
        dataset = subset(dataset, args.max_docs)
    if args.title_in_text:
        # The store embeds and indexes chunk text only: putting the title on the first line tests its worth.
        corpus = {
            d.id: BeirDocument(d.id, d.title, f"{d.title}\n{d.text}" if d.title else d.text)
            for d in dataset.corpus.values()
        }
        dataset = BeirDataset(corpus=corpus, queries=dataset.queries, qrels=dataset.qrels, name=name)
    judged = [q for q in dataset.judged_query_ids() if any(d in dataset.corpus for d in dataset.qrels[q])]
    tune, test = split_query_ids(judged)
    title = "+title" if args.title_in_text else ""
    label = f"{name}{title} ({len(dataset.corpus)} docs, chunk {args.chunk_size})"
    print(f"[{label}] indexing; tune {len(tune)} / test {len(test)} queries", file=sys.stderr)

    work = args.cache_dir / f"{name}{title}-{len(dataset.corpus)}-c{args.chunk_size}"
    embedder = PrefetchedEmbedder()
    store = ChunkStore(persistent_client(work / "chroma"), "bench", embedder, work / "index")
    t = time.perf_counter()
    doc_ids = index_dataset(dataset, store, embedder, args.chunk_size)
    print(f"[{label}] {store.count()} chunks ready in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    store.bm25()
    searcher = HybridSearcher(store, candidates=args.depth)
    searcher.search_dense("warm up", 1)

    def docs(evidence: Sequence[Evidence]) -> list[str]:
        return documents_by_best_chunk(evidence, doc_ids)

    def to_docs(article_ids: list[str]) -> list[str]:
        return [d for a in article_ids for d in doc_ids.get(a, ())]

    rows = []
    every = {q: dataset.queries[q] for q in tune + test}
    test_q = {q: every[q] for q in test}
    saved = work / f"hits-d{args.depth}.json"
    if args.reuse_hits and saved.is_file():
        data = json.loads(saved.read_text(encoding="utf-8"))
        bm25_hits, dense_hits, rrf_hits = (
            {q: [Evidence.model_validate(h) for h in hs] for q, hs in data[key].items()}
            for key in ("bm25", "dense", "rrf")
        )
        bm25_ms = dense_ms = rrf_ms = [float("nan")]
    else:
        bm25_hits, bm25_ms = timed(lambda q: searcher.search_bm25(q, args.depth), every)
        dense_hits, dense_ms = timed(lambda q: searcher.search_dense(q, args.depth), every)
        rrf_hits, rrf_ms = timed(lambda q: searcher.search(q, args.depth), test_q)
        slim = {"text": "", "title": "", "source": ""}  # ids and scores are all the tuning needs
        saved.write_text(
            json.dumps(
                {
                    key: {q: [h.model_copy(update=slim).model_dump() for h in hs] for q, hs in hits.items()}
                    for key, hits in (("bm25", bm25_hits), ("dense", dense_hits), ("rrf", rrf_hits))
                }
            ),
            encoding="utf-8",
        )

    def lat(ms: list[float]) -> str:
        if not ms or ms[0] != ms[0]:  # reused hits carry no timing
            return "-"
        return f"{statistics.median(ms):.0f}/{percentile(ms, 95):.0f}"

    name = f"{name}{title}"
    rows.append((name, "bm25", mean_metrics({q: docs(bm25_hits[q]) for q in test}, dataset), lat(bm25_ms)))
    rows.append((name, "dense", mean_metrics({q: docs(dense_hits[q]) for q in test}, dataset), lat(dense_ms)))
    rows.append(
        (
            name,
            f"rrf k={DEFAULT_RRF_K} (product)",
            mean_metrics({q: docs(rrf_hits[q]) for q in test}, dataset),
            lat(rrf_ms),
        )
    )

    # Tune on the tune half only, from the cached candidate lists.
    grid = [
        FusionParams(float(k), w, level) for level, k, w in itertools.product(("chunk", "document"), GRID_K, GRID_W)
    ]
    scored = []
    for params in grid:
        ranks = {q: to_docs(fuse_documents(bm25_hits[q], dense_hits[q], params)) for q in tune}
        scored.append((mean_metrics(ranks, dataset)[0], params))
    scored.sort(key=lambda s: -s[0])
    best_tune, best = scored[0]
    print(f"[{label}] best on tune: {best.label()} nDCG@10={best_tune:.4f}", file=sys.stderr)
    for score, params in scored[:5]:
        print(f"    {params.label():<28} tune nDCG@10={score:.4f}", file=sys.stderr)

    if best.level == "chunk":
        tuned = HybridSearcher(store, rrf_k=int(best.rrf_k), weights=best.weights, candidates=args.depth)
        hits, ms = timed(lambda q: tuned.search(q, args.depth), test_q)
        tuned_rank = {q: docs(hits[q]) for q in test}
        latency = lat(ms)
    else:
        tuned_rank = {q: to_docs(fuse_documents(bm25_hits[q], dense_hits[q], best)) for q in test}
        latency = "bm25+dense"  # the two lists above, fused in microseconds
    rows.append((name, f"tuned {best.label()}", mean_metrics(tuned_rank, dataset), latency))

    if name == "scifact" and not args.title_in_text:
        ranker = train_ranker(dataset, tune, bm25_hits, dense_hits, doc_ids)
        args.ranker_path.parent.mkdir(parents=True, exist_ok=True)
        args.ranker_path.write_text(ranker.to_json(), encoding="utf-8")
        print(f"[{label}] ranker trained on the tune half -> {args.ranker_path}", file=sys.stderr)
    if args.ranker_path.is_file():
        ranker = LinearRanker.from_json(args.ranker_path.read_text(encoding="utf-8"))
        learned = {q: to_docs(ranker.rank(bm25_hits[q], dense_hits[q])) for q in test}
        rows.append((name, "learned (SciFact tune half)", mean_metrics(learned, dataset), "bm25+dense"))
    return rows


def train_ranker(
    dataset: BeirDataset,
    query_ids: Sequence[str],
    bm25_hits: dict[str, list[Evidence]],
    dense_hits: dict[str, list[Evidence]],
    doc_ids: dict[str, list[str]],
) -> LinearRanker:
    """Logistic regression on document features; label = the article holds a relevant document."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x: list[list[float]] = []
    y: list[int] = []
    for qid in query_ids:
        judged = dataset.qrels[qid]
        for aid, feats in document_features(bm25_hits[qid], dense_hits[qid]).items():
            x.append(feats)
            y.append(int(any(judged.get(d, 0) > 0 for d in doc_ids.get(aid, ()))))
    model = LogisticRegression(C=1.0, max_iter=1000).fit(np.array(x), np.array(y))
    return LinearRanker(tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]))


def main() -> None:
    """Run the chosen data sets and print the side-by-side table (test-half numbers)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "claimdesk-bench")
    parser.add_argument("--chunk-size", type=int, default=600)
    parser.add_argument("--depth", type=int, default=300, help="chunks fetched per list per query")
    parser.add_argument("--max-docs", type=int, default=0, help="0 = full corpus")
    parser.add_argument("--reuse-hits", action="store_true", help="reuse the saved candidate lists (no timing)")
    parser.add_argument(
        "--ranker-path",
        type=Path,
        default=Path.home() / ".cache" / "claimdesk-bench" / "ranker.json",
        help="where the SciFact-trained ranker weights are written and read",
    )
    parser.add_argument("--title-in-text", action="store_true", help="index 'title\\ntext' as the article text")
    args = parser.parse_args()

    rows = []
    for name in args.datasets:
        rows.extend(run_dataset(name, args))
    print(f"Retrieval quality, TEST half of the judged queries (settings tuned on the TUNE half); depth {args.depth}")
    print(f"{'data set':<20} {'method':<34} {'nDCG@10':>8} {'R@10':>7} {'R@100':>7} {'ms med/p95':>11}")
    for name, method, (ndcg, r10, r100), ms in rows:
        print(f"{name:<20} {method:<34} {ndcg:>8.4f} {r10:>7.4f} {r100:>7.4f} {ms:>11}")


if __name__ == "__main__":
    main()
