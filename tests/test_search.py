"""Hybrid search over a real embedded Chroma: ranking, fusion bookkeeping and article filters."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrieval.chunking import chunk_article
from retrieval.embeddings import MiniLMEmbedder
from retrieval.models import Article, content_id
from retrieval.ranking import default_ranker
from retrieval.search import HybridSearcher
from retrieval.store import ChunkStore, persistent_client

SEED = Path(__file__).resolve().parent.parent / "seeds" / "china-russia-sanctions.txt"

DOCS = {
    "banks.txt": "Several European banks stopped buying Russian government bonds in 2022. "
    "Regulators asked banks to report their exposure to sovereign debt.",
    "football.txt": "The football club signed a new striker for a record fee. "
    "Fans celebrated outside the stadium late into the night.",
    "weather.txt": "Heavy rain flooded roads across the valley on Tuesday. "
    "Forecasters expect the storm to move east by the weekend.",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[HybridSearcher, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("search")
    store = ChunkStore(persistent_client(tmp / "chroma"), "claimdesk", MiniLMEmbedder(), tmp / "bm25")
    ids: dict[str, str] = {}
    for source, text in [*DOCS.items(), ("seed.txt", SEED.read_text(encoding="utf-8"))]:
        art = Article(id=content_id(text), title=source, source=source, text=text, ingested_at=datetime.now(UTC))
        store.add_article(art, chunk_article(art, 600))
        ids[source] = art.id
    return HybridSearcher(store), ids


def test_seed_bond_sentence_ranks_first(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    searcher, ids = corpus
    hits = searcher.search("US banks barred from buying Russian government bonds", k=5)
    assert hits[0].article_id == ids["seed.txt"]
    assert "The Biden administration also barred US banks" in hits[0].text


def test_evidence_carries_provenance_and_scores(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    searcher, ids = corpus
    hits = searcher.search("football striker record fee", k=3)
    top = hits[0]
    assert top.article_id == ids["football.txt"] and top.source == "football.txt" and top.title == "football.txt"
    assert DOCS["football.txt"][top.start : top.end] == top.text
    assert top.bm25_rank == 1 and top.dense_rank == 1 and top.rank == 1
    assert top.bm25_score and top.bm25_score > 0 and top.dense_score and top.dense_score > 0
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    # The product scores by score fusion: top of the BM25 list, so 0.2 * 1 + 0.8 * its cosine.
    assert (searcher.fusion, searcher.alpha) == ("score", 0.2)
    assert top.score == pytest.approx(0.2 + 0.8 * top.dense_score)
    # RRF (k=5, equal weights) stays available.
    rrf = HybridSearcher(searcher.store, fusion="rrf")
    top_rrf = rrf.search("football striker record fee", k=3)[0]
    assert (rrf.rrf_k, rrf.weights) == (5, (1.0, 1.0))
    assert top_rrf.chunk_id == top.chunk_id and top_rrf.score == pytest.approx(2 / 6)  # rank 1 in both lists


def test_search_scores_are_the_fusions_scores(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    from retrieval.ranking import fused_scores

    searcher, _ = corpus
    store = searcher.store
    query = "Russian government bonds"
    n = searcher.candidates
    bm25 = store.bm25().search(query, n)
    dense = store.dense_ids(store.embedder.embed([query])[0], n)
    learned = HybridSearcher(store, fusion="learned")
    assert learned.ranker == default_ranker()
    for hybrid, expected in (
        (searcher, fused_scores(bm25, dense, alpha=0.2, power=2.0)),
        (learned, default_ranker().scores(bm25, dense, store.bm25().article_of())),
    ):
        hits = hybrid.search(query, k=4)
        assert [h.chunk_id for h in hits] == sorted(expected, key=lambda c: (-expected[c], c))[:4]
        assert [h.score for h in hits] == pytest.approx([expected[h.chunk_id] for h in hits])


def test_a_chunk_only_bm25_found_is_scored_with_its_own_cosine(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    """With short candidate lists, keyword matches the dense search did not return get their real cosine (read
    from Chroma), not the dense list's last one: a bound that held them down."""
    from retrieval.ranking import fused_scores

    searcher, _ = corpus
    store = searcher.store
    narrow = HybridSearcher(store, candidates=2)
    query = "banks report exposure to sovereign debt of Russia"
    vec = store.embedder.embed([query])[0]
    bm25, dense = store.bm25().search(query, 2), store.dense_ids(vec, 2)
    keyword_only = [cid for cid, _ in bm25 if cid not in dict(dense)]
    assert keyword_only  # the case under test
    own = dict(store.cosines(vec, keyword_only))
    assert set(own) == set(keyword_only) and all(own[c] < min(s for _, s in dense) + 1e-6 for c in own)
    expected = fused_scores(bm25, [*dense, *own.items()])
    assert expected != fused_scores(bm25, dense)
    hits = narrow.search(query, k=2)  # (lists of max(candidates, k) = 2)
    assert [h.chunk_id for h in hits] == sorted(expected, key=lambda c: (-expected[c], c))[:2]
    for h in hits:
        assert h.score == pytest.approx(expected[h.chunk_id])
        if h.chunk_id in own:
            assert h.dense_score == pytest.approx(own[h.chunk_id]) and h.dense_rank is None and h.bm25_rank
    assert store.cosines(vec, ["not-a-chunk"]) == []


def test_a_keyword_only_ranker_reproduces_the_bm25_order(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    from retrieval.ranking import FEATURES, LinearRanker

    searcher, _ = corpus
    keyword_only = LinearRanker(tuple(1.0 if f == "bm25_norm" else 0.0 for f in FEATURES))
    ranked = HybridSearcher(searcher.store, fusion="learned", ranker=keyword_only).search("banks bonds sanctions", k=3)
    plain = searcher.search_bm25("banks bonds sanctions", 3)
    assert [h.chunk_id for h in ranked] == [h.chunk_id for h in plain]
    assert [h.score for h in ranked] == pytest.approx([h.bm25_score / plain[0].bm25_score for h in plain])


def test_exclude_filter_applies_in_both_retrievers(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    searcher, ids = corpus
    excluded = {ids["seed.txt"], ids["banks.txt"]}
    for fn in (searcher.search, searcher.search_bm25, searcher.search_dense):
        hits = fn("banks Russian government bonds", 10, exclude_article_ids=excluded)
        assert not {h.article_id for h in hits} & excluded
    # the remaining two articles still fill the dense list
    assert len(searcher.search_dense("banks bonds", 10, exclude_article_ids=excluded)) == 2


def test_only_filter_returns_k_when_they_exist(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    searcher, ids = corpus
    seed_chunks = len(searcher.store.chunks(ids["seed.txt"]))
    hits = searcher.search("weather storm flood", k=seed_chunks, only_article_ids=[ids["seed.txt"]])
    assert len(hits) == seed_chunks
    assert {h.article_id for h in hits} == {ids["seed.txt"]}
    assert searcher.search("anything", 5, only_article_ids=[]) == []


def test_bm25_and_dense_alone(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    searcher, ids = corpus
    b = searcher.search_bm25("rain flooded valley", 2)
    d = searcher.search_dense("a storm caused floods", 2)
    assert b[0].article_id == ids["weather.txt"] and b[0].bm25_rank == 1 and b[0].dense_rank is None
    assert d[0].article_id == ids["weather.txt"] and d[0].dense_rank == 1 and d[0].bm25_rank is None
    assert searcher.search_bm25("zzzqqq unknownword", 5) == []


def test_empty_query_returns_nothing(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    assert corpus[0].search("   ", 5) == []


def test_exclude_still_exact_when_bm25_view_is_stale(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    from retrieval.bm25 import BM25Index

    searcher, ids = corpus
    store = searcher.store
    seed = ids["seed.txt"]
    others = [c for source, aid in ids.items() if source != "seed.txt" for c in store.chunks(aid)]
    try:
        # An index built before another writer added the seed article: it knows none of its chunks.
        stale = BM25Index.build([c.id for c in others], [c.article_id for c in others], [c.text for c in others])
        store.keywords.install(stale, trust_for=3600)
        vec = store.embedder.embed(["US banks Russian government bonds"])[0]
        hits = store.dense_ids(vec, 2, exclude_article_ids=[seed])
        assert len(hits) == 2
        assert not {cid for cid, _ in hits} & {c.id for c in store.chunks(seed)}
    finally:
        store.keywords.install(None)


def test_local_filters_match_chromas_own_where(corpus: tuple[HybridSearcher, dict[str, str]]) -> None:
    searcher, ids = corpus
    store = searcher.store
    vec = store.embedder.embed(["sanctions on Russia and China"])[0]
    for only, exclude in (
        ([ids["seed.txt"], ids["banks.txt"]], ()),
        ([ids["seed.txt"], ids["banks.txt"]], [ids["banks.txt"]]),
        (None, [ids["seed.txt"]]),
    ):
        ours = store.dense_ids(vec, 3, exclude_article_ids=exclude, only_article_ids=only)
        clauses = []
        if only is not None:
            clauses.append({"article_id": {"$in": only}})
        if exclude:
            clauses.append({"article_id": {"$nin": list(exclude)}})
        where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
        theirs = store.chunk_col.query(query_embeddings=[vec], n_results=3, where=where, include=["distances"])
        assert [c for c, _ in ours] == theirs["ids"][0]
        assert [s for _, s in ours] == pytest.approx([1 - d for d in theirs["distances"][0]], abs=1e-4)
