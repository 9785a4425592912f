"""Retrieval evaluation on BEIR-layout data sets: reading, document-level ranking, metrics and the eval runner.

BEIR layout: `corpus.jsonl` lines `{"_id", "title", "text"}` (text may be a list of sentences),
`queries.jsonl` lines `{"_id", "text"}`, and a qrels TSV with header `query-id corpus-id score` where a score
above 0 marks a relevant document. Metrics follow BEIR/pytrec_eval: nDCG@k with linear graded gains and a log2
discount, Recall@k = relevant documents in the top k / relevant documents.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.chunking import chunk_article
from retrieval.embeddings import MiniLMEmbedder
from retrieval.errors import RetrievalLayerError
from retrieval.minilm_graph import DIMENSIONS
from retrieval.models import Article, Evidence, content_id
from retrieval.search import DEFAULT_RRF_K, DEFAULT_WEIGHTS, Fusion, HybridSearcher
from retrieval.store import ChunkStore, index_text, persistent_client

# "hybrid" is the product's HybridSearcher.search as users get it (score fusion); "rrf" and "hybrid+ranker" (the
# shipped learned ranker) score the same candidates another way.
METHODS = ("bm25", "dense", "rrf", "hybrid+ranker", "hybrid")


class BeirFormatError(RetrievalLayerError):
    """A BEIR file is missing or malformed; the message names the file, the line and what is wrong."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        where = f"{path}, line {line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {reason}")
        self.path = str(path)
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BeirDocument:
    """One corpus entry; a list-of-sentences text is joined with single spaces."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class BeirDataset:
    """A corpus, its queries and graded relevance judgements (query id -> doc id -> grade)."""

    corpus: dict[str, BeirDocument]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    name: str = "beir"

    def judged_query_ids(self) -> list[str]:
        """Ids of queries that exist and have at least one relevant (grade > 0) document, in file order."""
        return [q for q in self.queries if any(g > 0 for g in self.qrels.get(q, {}).values())]


def _open_lines(path: Path) -> Iterable[tuple[int, str]]:
    if not path.is_file():
        raise BeirFormatError(path, "file not found")
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line
    except UnicodeDecodeError as exc:
        raise BeirFormatError(path, f"not UTF-8 text ({exc.reason})") from exc


def _json_object(path: Path, number: int, line: str) -> dict[str, object]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BeirFormatError(path, f"not valid JSON ({exc.msg})", number) from exc
    if not isinstance(record, dict):
        raise BeirFormatError(path, "expected a JSON object per line", number)
    if not isinstance(record.get("_id"), str | int) or str(record.get("_id")).strip() == "":
        raise BeirFormatError(path, 'missing "_id"', number)
    return record


def _text_field(path: Path, number: int, value: object, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return " ".join(part.strip() for part in value if part.strip())
    raise BeirFormatError(path, '"text" must be a string or a list of strings', number)


def read_corpus(path: Path | str) -> dict[str, BeirDocument]:
    """Read corpus.jsonl; `text` may be a string or a list of sentences; empty documents are skipped."""
    path = Path(path)
    corpus: dict[str, BeirDocument] = {}
    for number, line in _open_lines(path):
        record = _json_object(path, number, line)
        doc_id = str(record["_id"])
        text = _text_field(path, number, record.get("text"), required=True)
        title = _text_field(path, number, record.get("title"), required=False)
        if text.strip() or title.strip():
            corpus[doc_id] = BeirDocument(doc_id, title.strip(), text.strip())
    if not corpus:
        raise BeirFormatError(path, "no documents found")
    return corpus


def read_queries(path: Path | str) -> dict[str, str]:
    """Read queries.jsonl into query id -> text (extra fields such as labels are ignored)."""
    path = Path(path)
    queries: dict[str, str] = {}
    for number, line in _open_lines(path):
        record = _json_object(path, number, line)
        text = _text_field(path, number, record.get("text"), required=True).strip()
        if text:
            queries[str(record["_id"])] = text
    if not queries:
        raise BeirFormatError(path, "no queries found")
    return queries


def read_qrels(path: Path | str) -> dict[str, dict[str, int]]:
    """Read a qrels TSV (header `query-id corpus-id score`, extra columns ignored) into qid -> doc -> grade."""
    path = Path(path)
    qrels: dict[str, dict[str, int]] = {}
    header_seen = False
    for number, line in _open_lines(path):
        cells = line.rstrip("\r\n").split("\t")
        if not header_seen:
            header_seen = True
            if [c.strip().lower() for c in cells[:3]] != ["query-id", "corpus-id", "score"]:
                raise BeirFormatError(path, "expected a tab-separated header 'query-id corpus-id score'", number)
            continue
        if len(cells) < 3:
            raise BeirFormatError(path, "expected 3 tab-separated columns: query-id, corpus-id, score", number)
        try:
            grade = int(float(cells[2]))
        except ValueError as exc:
            raise BeirFormatError(path, f"score {cells[2]!r} is not a number", number) from exc
        qrels.setdefault(cells[0].strip(), {})[cells[1].strip()] = grade
    if not qrels:
        raise BeirFormatError(path, "no relevance judgements found")
    return qrels


def load_beir(corpus: Path | str, queries: Path | str, qrels: Path | str, *, name: str | None = None) -> BeirDataset:
    """Read the three BEIR files; fails if no judged query refers to a query in the queries file."""
    dataset = BeirDataset(
        corpus=read_corpus(corpus),
        queries=read_queries(queries),
        qrels=read_qrels(qrels),
        name=name or Path(corpus).parent.name or "beir",
    )
    if not dataset.judged_query_ids():
        raise BeirFormatError(qrels, "no query in the qrels has a relevant document and a text in the queries file")
    return dataset


def split_query_ids(query_ids: Sequence[str], *, salt: str = "claimdesk") -> tuple[list[str], list[str]]:
    """Deterministic half split by a hash of the id (tune, test): the same query always lands in the same half."""
    tune: list[str] = []
    test: list[str] = []
    for qid in query_ids:
        digit = hashlib.sha256(f"{salt}:{qid}".encode()).digest()[0]
        (tune if digit % 2 == 0 else test).append(qid)
    return tune, test


# --- metrics -----------------------------------------------------------------------------------------------


def dcg(grades: Sequence[float]) -> float:
    """Discounted cumulative gain with linear gains: sum(grade_i / log2(i + 2))."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(grades) if g > 0)


def ndcg_at_k(ranking: Sequence[str], judgements: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k of a ranked list of doc ids against graded judgements (grades <= 0 count as not relevant)."""
    ideal = dcg(sorted((g for g in judgements.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    seen: set[str] = set()
    grades: list[float] = []
    for doc_id in ranking:
        if len(grades) == k:
            break
        if doc_id in seen:  # a duplicate entry must not earn its gain twice
            continue
        seen.add(doc_id)
        grades.append(max(judgements.get(doc_id, 0), 0))
    return dcg(grades) / ideal


def recall_at_k(ranking: Sequence[str], judgements: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents (grade > 0) that appear in the first k entries of the ranking."""
    relevant = {d for d, g in judgements.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --- document-level ranking ---------------------------------------------------------------------------------


def documents_by_best_chunk(
    evidence: Sequence[Evidence], doc_ids_for_article: Mapping[str, Sequence[str]]
) -> list[str]:
    """Rank documents by their best chunk (the evidence list is already best-first); unknown articles dropped."""
    ranked: list[str] = []
    seen: set[str] = set()
    for item in evidence:
        for doc_id in doc_ids_for_article.get(item.article_id, ()):
            if doc_id not in seen:
                seen.add(doc_id)
                ranked.append(doc_id)
    return ranked


@dataclass
class MethodResult:
    """Scores of one retrieval method over a set of queries."""

    method: str
    ndcg_at_10: float
    recall_at_10: float
    recall_at_100: float
    latency_ms: list[float] = field(default_factory=list)
    queries: int = 0

    @property
    def median_ms(self) -> float:
        """Median query latency in milliseconds."""
        return statistics.median(self.latency_ms) if self.latency_ms else float("nan")

    @property
    def p95_ms(self) -> float:
        """95th-percentile query latency in milliseconds."""
        return percentile(self.latency_ms, 95)


Ranker = Callable[[str], list[str]]


def evaluate_ranker(
    method: str, ranker: Ranker, dataset: BeirDataset, query_ids: Sequence[str] | None = None
) -> MethodResult:
    """Run `ranker(query_text) -> doc ids best-first` on each judged query, timing each call."""
    ids = list(query_ids) if query_ids is not None else dataset.judged_query_ids()
    result = MethodResult(method, 0.0, 0.0, 0.0, queries=len(ids))
    totals = [0.0, 0.0, 0.0]
    for qid in ids:
        started = time.perf_counter()
        ranking = ranker(dataset.queries[qid])
        result.latency_ms.append((time.perf_counter() - started) * 1000)
        judgements = dataset.qrels.get(qid, {})
        totals[0] += ndcg_at_k(ranking, judgements, 10)
        totals[1] += recall_at_k(ranking, judgements, 10)
        totals[2] += recall_at_k(ranking, judgements, 100)
    if ids:
        result.ndcg_at_10, result.recall_at_10, result.recall_at_100 = (t / len(ids) for t in totals)
    return result


def format_table(results: Sequence[MethodResult], *, title: str | None = None) -> str:
    """A plain-text table: method, nDCG@10, Recall@10, Recall@100, median and p95 latency."""
    header = f"{'method':<14} {'nDCG@10':>8} {'R@10':>7} {'R@100':>7} {'med ms':>8} {'p95 ms':>8} {'queries':>8}"
    lines = [title] if title else []
    lines += [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.method:<14} {r.ndcg_at_10:>8.4f} {r.recall_at_10:>7.4f} {r.recall_at_100:>7.4f} "
            f"{r.median_ms:>8.1f} {r.p95_ms:>8.1f} {r.queries:>8d}"
        )
    return "\n".join(lines)


# --- the eval runner: index a BEIR corpus into a throw-away store, rank documents, score ---------------------


@dataclass(frozen=True)
class EvalConfig:
    """How the corpus is chunked and how deep each query looks (chunks fetched per query)."""

    chunk_size: int = 600
    depth: int = 300
    rrf_k: int = DEFAULT_RRF_K  # for the "rrf" row (plain reciprocal rank fusion)
    weights: tuple[float, float] = DEFAULT_WEIGHTS
    batch_size: int = 64
    # Index "title\ntext", as a text file with its title on line 1 is ingested (the store embeds chunk text only).
    title_in_text: bool = True


def beir_articles(dataset: BeirDataset, *, title_in_text: bool = False) -> tuple[list[Article], dict[str, list[str]]]:
    """One Article per document (source `beir:<id>`), plus article id -> BEIR doc ids (identical texts share one)."""
    articles: dict[str, Article] = {}
    doc_ids: dict[str, list[str]] = {}
    now = datetime.now(UTC)
    for doc in dataset.corpus.values():
        text = doc.text or doc.title
        if title_in_text and doc.title and doc.text:
            text = f"{doc.title}\n{doc.text}"
        aid = content_id(text)
        doc_ids.setdefault(aid, []).append(doc.id)
        if aid not in articles:
            articles[aid] = Article(id=aid, title=doc.title, source=f"beir:{doc.id}", text=text, ingested_at=now)
    return list(articles.values()), doc_ids


class PrefetchedEmbedder(MiniLMEmbedder):
    """A MiniLMEmbedder that serves texts embedded ahead of time in large length-sorted batches.

    ChunkStore.add_article embeds one article's few chunks at a time; embedding the whole corpus up front in
    batches of `batch_size` keeps the ONNX batches full, and add_article then finds every vector ready.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ready: dict[str, np.ndarray] = {}

    def prefetch(self, texts: Sequence[str]) -> None:
        """Embed `texts` now (deduplicated) and keep the vectors for later `embed` calls."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._ready))
        if todo:
            for text, vector in zip(todo, super().embed(todo), strict=True):
                self._ready[text] = vector

    def preload(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Use these vectors for these texts (benchmarks insert synthetic vectors without running the model)."""
        for text, vector in zip(texts, vectors, strict=True):
            self._ready[text] = vector

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, from the prefetched ones where available (others are embedded, not kept)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._ready))
        if not missing:
            if not texts:
                return np.zeros((0, DIMENSIONS), dtype=np.float32)
            return np.stack([self._ready[t] for t in texts])
        # Not cached: a query embedded once must cost its full time again, or latency figures would lie.
        fresh = dict(zip(missing, super().embed(missing), strict=True))
        return np.stack([self._ready[t] if t in self._ready else fresh[t] for t in texts])

    def release(self) -> None:
        """Forget the prefetched vectors (queries are then embedded normally)."""
        self._ready.clear()


def index_dataset(
    dataset: BeirDataset,
    store: ChunkStore,
    embedder: PrefetchedEmbedder,
    chunk_size: int,
    progress: Callable[[int, int], None] | None = None,
    *,
    title_in_text: bool = False,
) -> dict[str, list[str]]:
    """Chunk and store every document; returns article id -> BEIR doc ids for document-level ranking."""
    articles, doc_ids = beir_articles(dataset, title_in_text=title_in_text)
    chunked = [(a, chunk_article(a, chunk_size)) for a in articles]
    # A reused store (benchmarks keep theirs) already holds most articles: embed only what add_article will need.
    stored = _stored_ids(store)
    # the texts add_article embeds (title + chunk), so the prefetched vectors are the ones it asks for
    embedder.prefetch(
        [index_text(a.title, c.text, c.start) for a, chunks in chunked if a.id not in stored for c in chunks]
    )
    for done, (article, chunks) in enumerate(chunked, start=1):
        store.add_article(article, chunks)
        if progress is not None:
            progress(done, len(chunked))
    embedder.release()
    return doc_ids


def _stored_ids(store: ChunkStore) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while True:
        page = store.article_col.get(include=[], limit=5000, offset=offset)
        ids.update(page["ids"])
        if len(page["ids"]) < 5000:
            return ids
        offset += 5000


def method_rankers(searcher: HybridSearcher, doc_ids: Mapping[str, Sequence[str]], depth: int) -> dict[str, Ranker]:
    """Document rankers for METHODS: `depth` chunks per query, each document at its best chunk.

    `searcher` is the product's ("hybrid"); "rrf" uses its `rrf_k` and `weights`, "hybrid+ranker" the shipped
    learned ranker, both over the same candidates.
    """

    def variant(fusion: Fusion) -> HybridSearcher:
        return HybridSearcher(
            searcher.store,
            rrf_k=searcher.rrf_k,
            weights=searcher.weights,
            candidates=searcher.candidates,
            fusion=fusion,
        )

    calls = {
        "bm25": searcher.search_bm25,
        "dense": searcher.search_dense,
        "rrf": variant("rrf").search,
        "hybrid+ranker": variant("learned").search,
        "hybrid": searcher.search,
    }

    def make(call: Callable[..., list[Evidence]]) -> Ranker:
        return lambda query: documents_by_best_chunk(call(query, depth), doc_ids)

    return {name: make(call) for name, call in calls.items()}


def evaluate_dataset(
    dataset: BeirDataset,
    work_dir: Path,
    config: EvalConfig | None = None,
    *,
    query_ids: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[MethodResult]:
    """Index `dataset` into a fresh Chroma store under `work_dir` and score every method in METHODS."""
    config = config or EvalConfig()
    embedder = PrefetchedEmbedder(batch_size=config.batch_size)
    client = persistent_client(work_dir / "chroma")
    store = ChunkStore(client, "beir_eval", embedder, work_dir / "index")
    doc_ids = index_dataset(dataset, store, embedder, config.chunk_size, progress, title_in_text=config.title_in_text)
    searcher = HybridSearcher(store, rrf_k=config.rrf_k, weights=config.weights, candidates=config.depth)
    store.bm25()  # build the keyword index before the clock starts
    rankers = method_rankers(searcher, doc_ids, config.depth)
    searcher.search_dense("warm up the ONNX session", 1)
    return [evaluate_ranker(name, rankers[name], dataset, query_ids) for name in METHODS]
