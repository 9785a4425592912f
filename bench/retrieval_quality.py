"""Retrieval quality on SciFact and Climate-FEVER: BM25, dense, the product's search and fusion variants.

Embedding a corpus is the slow part (SciFact: ~16k chunks, minutes), so every chunk vector and query vector is
cached in an .npz under --cache-dir, keyed by the corpus file, chunk size, index-text version and embedder
identity. The BM25 index (retrieval.bm25.BM25Index, the product's tokenizer and scores) is rebuilt from the
cached texts in seconds; dense candidates are exact cosine top-n over the cached vectors (the product asks
Chroma's HNSW, which agrees on nearly all of the top few hundred). Each query's two candidate lists are computed
once and every variant (RRF grids, score fusion, pooling, the learned ranker) is scored on them.

Judged queries are split in two fixed halves by a hash of the query id (retrieval.evaluation.split_query_ids):
settings are chosen on the TUNE half only and every number in the table is on the TEST half. `--product`
also re-runs the real HybridSearcher over a Chroma store filled from the cached vectors (test half), to show
that the simulated `product` row is what users get.

    .venv/bin/python bench/retrieval_quality.py                      # both data sets, full corpora
    .venv/bin/python bench/retrieval_quality.py --product            # + the real HybridSearcher (slower)
    .venv/bin/python bench/retrieval_quality.py --depth 100          # the product's default candidates per list
    .venv/bin/python bench/retrieval_quality.py --timing             # + microseconds per fusion, side by side
    .venv/bin/python bench/retrieval_quality.py --chunk-size 250     # near-sentence chunks (embeds again once)

Rows: bm25, dense, `rrf k=5 w=1/1 (old product)`, RRF and score fusion tuned per data set and on both tune halves
together, the product's score fusion (retrieval.ranking.fused_scores defaults, with the chunks only BM25 found
scored by their own cosine, as HybridSearcher does since 2026-12-07; the row before it gave them the dense list's
last cosine), sum-of-top-2-chunks pooling, and the learned ranker (--ranker, default the shipped retrieval/data/ranker.json from bench/train_ranker.py).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import pickle
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retrieval.bm25 import K1, TOKENIZER_VERSION, B, BM25Index
from retrieval.chunking import chunk_article
from retrieval.embeddings import MiniLMEmbedder
from retrieval.evaluation import (
    BeirDataset,
    beir_articles,
    load_beir,
    ndcg_at_k,
    percentile,
    recall_at_k,
    split_query_ids,
)
from retrieval.minilm_graph import model_paths
from retrieval.ranking import (
    DEFAULT_ALPHA,
    DEFAULT_BM25_POWER,
    FEATURES,
    RANKER_PATH,
    LinearRanker,
    fused_scores,
    rrf_scores,
)
from retrieval.store import INDEX_TEXT_VERSION, index_text

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {
    "scifact": ("scifact/beir/corpus.jsonl", "scifact/beir/queries_train.jsonl", "scifact/beir/qrels_train.tsv"),
    "climate_fever": (
        "climate_fever/beir/corpus.jsonl",
        "climate_fever/beir/queries.jsonl",
        "climate_fever/beir/qrels.tsv",
    ),
}
GRID_K = (1, 2, 3, 5, 10, 20, 60)
GRID_W = (0.35, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)  # BM25 weight, dense weight 1
GRID_ALPHA = tuple(round(a, 2) for a in np.arange(0.0, 1.01, 0.05))
GRID_POWER = (1.0, 2.0)
PROBES = 16
MIN_PROBE_COSINE = 0.99  # the embedder is allowed to drift this little (speed-ups); more means re-embed

Hits = list[tuple[str, float]]
Scorer = Callable[[Hits, Hits, Mapping[str, str]], dict[str, float]]


@dataclass
class Prepared:
    """One data set with its chunks, cached vectors, query vectors and candidate lists."""

    name: str
    dataset: BeirDataset
    doc_ids: dict[str, list[str]]  # article id -> BEIR doc ids
    chunk_ids: list[str]
    article_of: dict[str, str]  # chunk id -> article id
    texts: list[str]  # what is embedded and BM25-indexed (index_text)
    vectors: np.ndarray
    query_vectors: dict[str, np.ndarray]
    tune: list[str]
    test: list[str]
    key: str
    candidates: dict[str, tuple[Hits, Hits]] | None = None


def _cache_key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def embedder_identity(embedder: MiniLMEmbedder) -> str:
    """Model and tokenizer file sizes plus max length: a different model gives a different cache key."""
    model, tokenizer = model_paths()
    return f"minilm:{model.stat().st_size}:{tokenizer.stat().st_size}:{embedder.max_length}"


def prepare(name: str, eval_dir: Path, cache_dir: Path, chunk_size: int) -> Prepared:
    """Chunk the corpus as the product does and load (or compute and cache) every chunk and query vector."""
    files = [eval_dir / f for f in DATASETS[name]]
    dataset = load_beir(*files, name=name)
    articles, doc_ids = beir_articles(dataset, title_in_text=True)
    chunk_ids: list[str] = []
    article_of: dict[str, str] = {}
    texts: list[str] = []
    for article in articles:
        for chunk in chunk_article(article, chunk_size):
            chunk_ids.append(chunk.id)
            article_of[chunk.id] = article.id
            texts.append(index_text(article.title, chunk.text, chunk.start))
    embedder = MiniLMEmbedder()
    stat = files[0].stat()
    key = _cache_key(
        files[0], stat.st_size, stat.st_mtime_ns, chunk_size, INDEX_TEXT_VERSION, embedder_identity(embedder)
    )
    path = cache_dir / f"{name}-c{chunk_size}-{key}.npz"
    text_sha = hashlib.sha256("\n\0".join(texts).encode()).hexdigest()
    query_ids = list(dataset.queries)
    if path.is_file():
        data = np.load(path)
        if str(data["text_sha"][0]) != text_sha:
            raise SystemExit(f"{path} was built from other chunk texts; delete it and run again")
        vectors, qvecs = data["vectors"], data["qvecs"]
        query_ids = [str(q) for q in data["qids"]]
        # The key cannot see a changed embedding graph: re-embed a few chunks and compare with the cached vectors.
        probe = list(range(0, len(texts), max(1, len(texts) // PROBES)))[:PROBES]
        agree = float(np.min(np.sum(embedder.embed([texts[i] for i in probe]) * vectors[probe], axis=1)))
        print(
            f"[{name}] cached vectors: {path.name}; today's embedder agrees to cosine >= {agree:.4f}", file=sys.stderr
        )
        if agree < MIN_PROBE_COSINE:
            raise SystemExit(f"{path}: the embedder changed (cosine {agree:.3f}); delete the file and run again")
    else:
        print(
            f"[{name}] embedding {len(texts)} chunks and {len(query_ids)} queries (cached in {path})", file=sys.stderr
        )
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        qvecs = embedder.embed([dataset.queries[q] for q in query_ids])
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.savez(path, vectors=vectors, qvecs=qvecs, qids=np.array(query_ids), text_sha=np.array([text_sha]))
        print(f"[{name}] embedded in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    judged = [q for q in dataset.judged_query_ids() if any(d in dataset.corpus for d in dataset.qrels[q])]
    tune, test = split_query_ids(judged)
    return Prepared(
        name=name,
        dataset=dataset,
        doc_ids=doc_ids,
        chunk_ids=chunk_ids,
        article_of=article_of,
        texts=texts,
        vectors=vectors,
        query_vectors=dict(zip(query_ids, qvecs, strict=True)),
        tune=tune,
        test=test,
        key=key,
    )


def dense_hits(prep: Prepared, query_vector: np.ndarray, depth: int) -> Hits:
    """Exact cosine top-`depth` chunks for a query vector, best first."""
    sims = prep.vectors @ query_vector
    top = np.argpartition(-sims, depth - 1)[:depth]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(prep.chunk_ids[i], float(sims[i])) for i in top]


def relevant_chunk_ids(prep: Prepared, qid: str) -> list[str]:
    """Chunk ids whose article holds a document judged relevant for `qid`, in corpus order."""
    rel = {d for d, s in prep.dataset.qrels[qid].items() if s > 0}
    arts = {a for a, docs in prep.doc_ids.items() if rel & set(docs)}
    return [c for c, a in prep.article_of.items() if a in arts]


def hold_back_quarter(
    preps: Sequence[Prepared], rng: random.Random, keep_all: bool = False
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(train, valid) query ids per data set: each TUNE half shuffled by `rng`, a quarter kept back as valid
    (none with `keep_all`). The TEST half is never touched."""
    train: dict[str, list[str]] = {}
    valid: dict[str, list[str]] = {}
    for prep in preps:
        tune = list(prep.tune)
        rng.shuffle(tune)
        cut = 0 if keep_all else len(tune) // 4
        valid[prep.name], train[prep.name] = tune[:cut], tune[cut:]
    return train, valid


def load_candidates(prep: Prepared, depth: int, cache_dir: Path) -> dict[str, tuple[Hits, Hits]]:
    """Each judged query's BM25 and dense top-`depth` chunk lists (cached per vectors key, depth and tokenizer)."""
    path = cache_dir / f"{prep.name}-cand-{prep.key}-d{depth}-{_cache_key(TOKENIZER_VERSION, K1, B)}.pkl"
    if path.is_file():
        with path.open("rb") as handle:
            prep.candidates = pickle.load(handle)
        return prep.candidates
    index = BM25Index.build(prep.chunk_ids, [prep.article_of[c] for c in prep.chunk_ids], prep.texts)
    out: dict[str, tuple[Hits, Hits]] = {}
    for qid in prep.tune + prep.test:
        bm25 = index.search(prep.dataset.queries[qid], depth)
        out[qid] = (bm25, dense_hits(prep, prep.query_vectors[qid], depth))
    with path.open("wb") as handle:
        pickle.dump(out, handle)
    prep.candidates = out
    return out


# --- turning chunk scores into document rankings and metrics ---------------------------------------------


def doc_ranking(scores: Mapping[str, float], prep: Prepared, pool: int = 1) -> list[str]:
    """BEIR doc ids best-first: each article scored by its best chunk (pool=1) or the sum of its best `pool`."""
    per_article: dict[str, list[float]] = {}
    for cid, s in scores.items():
        per_article.setdefault(prep.article_of.get(cid, cid), []).append(s)
    if pool == 1:
        art = {a: max(v) for a, v in per_article.items()}
    else:
        art = {a: sum(sorted(v, reverse=True)[:pool]) for a, v in per_article.items()}
    ordered = sorted(art, key=lambda a: (-art[a], a))
    return [d for a in ordered for d in prep.doc_ids.get(a, ())]


def metrics(prep: Prepared, rankings: Mapping[str, list[str]]) -> tuple[float, float, float]:
    """Mean nDCG@10, Recall@10 and Recall@100 over the queries in `rankings`."""
    out = np.zeros(3)
    for qid, ranking in rankings.items():
        judged = prep.dataset.qrels[qid]
        out += (ndcg_at_k(ranking, judged, 10), recall_at_k(ranking, judged, 10), recall_at_k(ranking, judged, 100))
    return tuple(float(v) for v in out / max(len(rankings), 1))  # type: ignore[return-value]


def score_with(
    prep: Prepared,
    scorer: Scorer,
    queries: Sequence[str],
    pool: int = 1,
    candidates: Mapping[str, tuple[Hits, Hits]] | None = None,
) -> tuple[float, float, float]:
    """Metrics of `scorer` over `queries` from the cached candidate lists (or `candidates`)."""
    lists = candidates if candidates is not None else prep.candidates
    assert lists is not None
    ranks = {q: doc_ranking(scorer(*lists[q], prep.article_of), prep, pool) for q in queries}
    return metrics(prep, ranks)


def with_own_cosines(prep: Prepared) -> dict[str, tuple[Hits, Hits]]:
    """The candidate lists as the product scores them since 2026-12-07: the chunks only BM25 found are appended to
    the dense list with their own cosine (HybridSearcher reads their vectors from Chroma)."""
    assert prep.candidates is not None
    rows = {c: i for i, c in enumerate(prep.chunk_ids)}
    out: dict[str, tuple[Hits, Hits]] = {}
    for qid, (bm25, dense) in prep.candidates.items():
        found = {c for c, _ in dense}
        extra = [c for c, _ in bm25 if c not in found]
        sims = prep.vectors[[rows[c] for c in extra]] @ prep.query_vectors[qid] if extra else []
        out[qid] = (bm25, [*dense, *((c, float(s)) for c, s in zip(extra, sims, strict=True))])
    return out


# --- the variants ---------------------------------------------------------------------------------------


def only_bm25(bm25: Hits, dense: Hits, article_of: Mapping[str, str]) -> dict[str, float]:
    """BM25 list alone."""
    return {c: s for c, s in bm25}


def only_dense(bm25: Hits, dense: Hits, article_of: Mapping[str, str]) -> dict[str, float]:
    """Dense list alone."""
    return {c: s for c, s in dense}


def rrf(k: float, wb: float, wd: float = 1.0) -> Scorer:
    """Weighted RRF (retrieval.ranking.rrf_scores)."""
    return lambda b, d, a: rrf_scores(b, d, k=k, weights=(wb, wd))


def convex(alpha: float, power: float) -> Scorer:
    """Score fusion as the product does it (retrieval.ranking.fused_scores)."""
    return lambda b, d, a: fused_scores(b, d, alpha=alpha, power=power)


def learned(ranker: LinearRanker) -> Scorer:
    """The linear ranker over candidate_features (retrieval.ranking)."""
    return ranker.scores


def tune_grid(
    preps: Sequence[Prepared], grid: Sequence[tuple[str, Scorer, int]]
) -> list[tuple[float, str, list[float]]]:
    """(mean tune nDCG@10 over `preps`, label, per-set tune nDCG@10) for every grid entry, best first."""
    out = []
    for label, scorer, pool in grid:
        per = [score_with(p, scorer, p.tune, pool)[0] for p in preps]
        out.append((float(np.mean(per)), label, per))
    out.sort(key=lambda r: -r[0])
    return out


def variants(preps: Sequence[Prepared], ranker: LinearRanker | None) -> list[tuple[str, str, tuple[float, ...]]]:
    """Every variant's TEST-half metrics per data set; settings picked on the TUNE halves."""
    rrf_grid = [(f"rrf k={k} w={w}/1", rrf(k, w), 1) for k, w in itertools.product(GRID_K, GRID_W)]
    convex_grid = [(f"score a={a} p={p:g}", convex(a, p), 1) for a, p in itertools.product(GRID_ALPHA, GRID_POWER)]
    scorers: dict[str, Scorer] = {label: s for label, s, _ in rrf_grid + convex_grid}
    product = f"score a={DEFAULT_ALPHA} p={DEFAULT_BM25_POWER:g} (product)"
    product_scorer: Scorer = lambda b, d, a: fused_scores(b, d)  # noqa: E731 - the product's defaults
    rows: list[tuple[str, str, tuple[float, ...]]] = []

    def add(
        prep: Prepared, method: str, scorer: Scorer, pool: int = 1, lists: dict[str, tuple[Hits, Hits]] | None = None
    ) -> None:
        rows.append((prep.name, method, score_with(prep, scorer, prep.test, pool, lists)))

    joint_rrf = tune_grid(preps, rrf_grid)
    joint_convex = tune_grid(preps, convex_grid)
    for label in (joint_rrf, joint_convex):
        print("best on both tune halves: " + ", ".join(f"{r[1]} {r[0]:.4f}" for r in label[:5]), file=sys.stderr)
    for prep in preps:
        add(prep, "bm25", only_bm25)
        add(prep, "dense", only_dense)
        add(prep, "rrf k=5 w=1/1 (old product)", rrf(5, 1.0))
        best = tune_grid([prep], rrf_grid)[0][1]
        add(prep, f"{best} (tuned on this set)", scorers[best])
        add(prep, f"{joint_rrf[0][1]} (tuned on both)", scorers[joint_rrf[0][1]])
        best_c = tune_grid([prep], convex_grid)[0][1]
        add(prep, f"{best_c} (tuned on this set)", scorers[best_c])
        add(prep, f"{joint_convex[0][1]} (tuned on both)", scorers[joint_convex[0][1]])
        own = with_own_cosines(prep)
        add(prep, product, product_scorer, lists=own)
        add(
            prep,
            "score, keyword-only chunks at the dense list's last cosine (product before 2026-12-07)",
            product_scorer,
        )
        add(prep, "rrf k=5 w=1/1, sum of top-2 chunks", rrf(5, 1.0), pool=2)
        add(prep, "score (product), sum of top-2 chunks", product_scorer, pool=2, lists=own)
        if ranker is not None:
            add(prep, "learned ranker (shipped weights)", learned(ranker))
            add(prep, "learned ranker, sum of top-2 chunks", learned(ranker), pool=2)
    return rows


def fusion_timing(preps: Sequence[Prepared], repeats: int = 5) -> str:
    """Median and p95 microseconds per query of each fusion on the cached candidate lists (interleaved runs)."""
    from retrieval.ranking import default_ranker

    ranker = default_ranker()
    calls: dict[str, Scorer] = {
        "rrf k=5": rrf(5, 1.0),
        "score (product)": lambda b, d, a: fused_scores(b, d),
        "learned ranker": ranker.scores,
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for prep in preps:
            assert prep.candidates is not None
            for qid in prep.test:
                for name, call in calls.items():  # interleaved: the three see the same machine load
                    started = time.perf_counter()
                    call(*prep.candidates[qid], prep.article_of)
                    times[name].append((time.perf_counter() - started) * 1e6)
    base = statistics.median(times["rrf k=5"])
    lines = [f"{'fusion of two candidate lists':<30} {'median us':>10} {'p95 us':>8} {'x rrf':>6}"]
    for name, us in times.items():
        med = statistics.median(us)
        lines.append(f"{name:<30} {med:>10.0f} {percentile(us, 95):>8.0f} {med / base:>6.2f}")
    return "\n".join(lines)


# --- the real product over a Chroma store filled from the cached vectors -----------------------------------


def product_run(
    prep: Prepared, depth: int, chunk_size: int, work: Path
) -> tuple[tuple[float, float, float], list[float]]:
    """TEST-half metrics and per-query ms of the real HybridSearcher.search (store built from cached vectors)."""
    from retrieval.evaluation import PrefetchedEmbedder, documents_by_best_chunk
    from retrieval.search import HybridSearcher
    from retrieval.store import ChunkStore, persistent_client

    embedder = PrefetchedEmbedder()
    embedder.preload(prep.texts, prep.vectors)  # every chunk text is preloaded: nothing runs through the model
    store = ChunkStore(persistent_client(work / "chroma"), "bench", embedder, work / "index")
    articles, doc_ids = beir_articles(prep.dataset, title_in_text=True)
    for article in articles:
        store.add_article(article, chunk_article(article, chunk_size))
    embedder.release()
    store.bm25()
    searcher = HybridSearcher(store, candidates=depth)
    searcher.search("warm up", 1)
    ms: list[float] = []
    ranks: dict[str, list[str]] = {}
    for qid in prep.test:
        started = time.perf_counter()
        hits = searcher.search(prep.dataset.queries[qid], depth)
        ms.append((time.perf_counter() - started) * 1000)
        ranks[qid] = documents_by_best_chunk(hits, doc_ids)
    return metrics(prep, ranks), ms


def data_arguments(parser: argparse.ArgumentParser) -> None:
    """--eval-dir and --cache-dir, as every retrieval bench takes them (the data read in place, vectors cached)."""
    # (CLAIMDESK_EVAL_DIR, as the README and the check-worthiness benches take it)
    eval_dir = Path(os.environ.get("CLAIMDESK_EVAL_DIR", ROOT.parent / "shared" / "eval"))
    parser.add_argument("--eval-dir", type=Path, default=eval_dir)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".claimdesk" / "bench-cache")


# Chunk scores of each variant a bench compares: variant -> query id -> chunk id -> score.
VariantScores = dict[str, dict[str, dict[str, float]]]


def variant_table(
    title: str,
    args: argparse.Namespace,
    variants_of: Callable[[Prepared], VariantScores],
    note_of: Callable[[Prepared], str],
) -> None:
    """Print nDCG@10 of each variant on Climate-FEVER's and SciFact's tune and test halves (documents ranked by their
    best chunk), over the cached candidate lists at `args.depth`; `note_of` says something of each set in the title."""
    table: dict[str, list[float]] = {}
    notes = []
    for name in ("climate_fever", "scifact"):
        prep = prepare(name, args.eval_dir, args.cache_dir, 600)
        load_candidates(prep, args.depth, args.cache_dir)
        notes.append(f"{name}: {note_of(prep)}")
        for row, scores in variants_of(prep).items():
            for queries in (prep.tune, prep.test):
                table.setdefault(row, []).append(metrics(prep, {q: doc_ranking(scores[q], prep) for q in queries})[0])
    print(f"{title}, depth {args.depth}; nDCG@10 ({'; '.join(notes)})")
    print(f"{'variant':<18} {'CF tune':>8} {'CF test':>8} {'SF tune':>8} {'SF test':>8}")
    for row, cells in table.items():
        print(f"{row:<18} " + " ".join(f"{v:>8.4f}" for v in cells))


def main() -> None:
    """Run the chosen data sets and print the side-by-side table (test-half numbers)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    data_arguments(parser)
    parser.add_argument("--chunk-size", type=int, default=600)
    parser.add_argument("--depth", type=int, default=300, help="chunks per list per query (eval's default)")
    parser.add_argument("--ranker", type=Path, default=RANKER_PATH, help="learned ranker weights to score")
    parser.add_argument("--product", action="store_true", help="also run the real HybridSearcher (test half)")
    parser.add_argument("--timing", action="store_true", help="time each fusion on the cached candidate lists")
    args = parser.parse_args()

    preps = []
    for name in args.datasets:
        prep = prepare(name, args.eval_dir, args.cache_dir, args.chunk_size)
        started = time.perf_counter()
        load_candidates(prep, args.depth, args.cache_dir)
        print(
            f"[{name}] {len(prep.chunk_ids)} chunks, tune {len(prep.tune)} / test {len(prep.test)} queries; "
            f"candidates in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
        preps.append(prep)
    ranker = LinearRanker.from_json(args.ranker.read_text(encoding="utf-8")) if args.ranker.is_file() else None
    rows = variants(preps, ranker)
    if args.product:
        import tempfile

        for prep in preps:
            with tempfile.TemporaryDirectory(prefix="claimdesk-rq-") as work:
                result, ms = product_run(prep, args.depth, args.chunk_size, Path(work))
            label = f"HybridSearcher.search (ms med {statistics.median(ms):.1f} p95 {percentile(ms, 95):.1f})"
            rows.append((prep.name, label, result))

    if args.timing:
        print(fusion_timing(preps))
    print(
        f"Retrieval quality, TEST half of the judged queries (settings tuned on the TUNE half); "
        f"chunk {args.chunk_size}, depth {args.depth}; ranker features: {', '.join(FEATURES)}"
    )
    print(f"{'data set':<14} {'method':<52} {'nDCG@10':>8} {'R@10':>7} {'R@100':>7}")
    for name, method, (ndcg, r10, r100) in rows:
        print(f"{name:<14} {method:<52} {ndcg:>8.4f} {r10:>7.4f} {r100:>7.4f}")


if __name__ == "__main__":
    main()
