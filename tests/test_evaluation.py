"""Retrieval evaluation: metrics on hand-made rankings, BEIR reading, and `claimdesk eval retrieval` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.errors import IngestError
from retrieval.evaluation import (
    BeirFormatError,
    documents_by_best_chunk,
    format_table,
    load_beir,
    ndcg_at_k,
    percentile,
    read_corpus,
    read_qrels,
    read_queries,
    recall_at_k,
    split_query_ids,
)
from retrieval.models import Evidence

# --- metrics ------------------------------------------------------------------------------------------------


def test_ndcg_perfect_and_empty() -> None:
    assert ndcg_at_k(["a", "b", "x"], {"a": 1, "b": 1}) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"a": 1}) == 0.0
    assert ndcg_at_k(["a"], {}) == 0.0  # no relevant document: defined as 0, not a division error


def test_ndcg_single_relevant_at_rank_three() -> None:
    # DCG = 1/log2(4) = 0.5; IDCG = 1/log2(2) = 1.
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}) == pytest.approx(0.5)


def test_ndcg_graded_relevance_uses_linear_gain_and_ideal_order() -> None:
    judgements = {"a": 2, "b": 1, "c": 0}
    dcg = 1 / math.log2(2) + 2 / math.log2(3)  # b at rank 1, a at rank 2
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(["b", "a", "c"], judgements) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["b", "a"], judgements) == pytest.approx(0.8597, abs=1e-4)


def test_ndcg_cutoff_and_duplicates() -> None:
    ranking = [f"x{i}" for i in range(10)] + ["a"]
    assert ndcg_at_k(ranking, {"a": 1}, 10) == 0.0
    assert ndcg_at_k(ranking, {"a": 1}, 11) == pytest.approx(1 / math.log2(12))
    # A repeated relevant id earns its gain once.
    assert ndcg_at_k(["a", "a", "b"], {"a": 1, "b": 1}) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "a"], {"a": 1, "b": 1}) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_ideal_dcg_is_cut_at_k() -> None:
    # Twelve relevant documents, the first ten of them retrieved: a perfect top ten.
    judgements = {f"r{i}": 1 for i in range(12)}
    assert ndcg_at_k([f"r{i}" for i in range(10)], judgements, 10) == pytest.approx(1.0)


def test_recall_at_k() -> None:
    judgements = {"a": 1, "b": 2, "c": 0, "d": 1}
    ranking = ["a", "x", "c", "b", "y"]
    assert recall_at_k(ranking, judgements, 1) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, judgements, 4) == pytest.approx(2 / 3)
    assert recall_at_k(ranking, judgements, 100) == pytest.approx(2 / 3)
    assert recall_at_k(ranking, {"c": 0}, 10) == 0.0


def test_percentile() -> None:
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([10, 20], 95) == pytest.approx(19.5)
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert math.isnan(percentile([], 95))


def test_documents_by_best_chunk_keeps_first_occurrence_and_expands_duplicates() -> None:
    def ev(article_id: str, score: float) -> Evidence:
        return Evidence(
            chunk_id=f"{article_id}-{score}",
            article_id=article_id,
            title="",
            source="",
            text="",
            start=0,
            end=0,
            score=score,
        )

    hits = [ev("A", 0.9), ev("B", 0.8), ev("A", 0.7), ev("Z", 0.6), ev("C", 0.5)]
    ranked = documents_by_best_chunk(hits, {"A": ["d1"], "B": ["d2", "d3"], "C": ["d4"]})
    assert ranked == ["d1", "d2", "d3", "d4"]


def test_split_is_deterministic_and_disjoint() -> None:
    ids = [str(i) for i in range(200)]
    tune, test = split_query_ids(ids)
    assert split_query_ids(ids) == (tune, test)
    assert not set(tune) & set(test)
    assert sorted(tune + test, key=int) == ids
    assert 60 < len(tune) < 140


# --- BEIR reading -------------------------------------------------------------------------------------------


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_corpus_text_may_be_a_list_of_sentences(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            {"_id": "1", "title": "T", "text": ["First sentence.", "Second sentence."]},
            {"_id": 2, "text": "Plain text, no title."},
        ],
    )
    corpus = read_corpus(path)
    assert corpus["1"].text == "First sentence. Second sentence."
    assert corpus["1"].title == "T"
    assert corpus["2"].title == "" and corpus["2"].text == "Plain text, no title."


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"_id": "1", "text": "ok"}\n{"_id": "2", "text": \n', "line 2: not valid JSON"),
        ('{"_id": "1", "text": 5}\n', 'line 1: "text" must be a string'),
        ('{"text": "no id"}\n', 'line 1: missing "_id"'),
        ('["a list"]\n', "line 1: expected a JSON object"),
        ("\n\n", "no documents found"),
    ],
)
def test_malformed_corpus_lines_name_the_line(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BeirFormatError, match=reason):
        read_corpus(path)


def test_queries_and_qrels(tmp_path: Path) -> None:
    queries = _write_jsonl(tmp_path / "q.jsonl", [{"_id": "q1", "text": "a claim", "label": "SUPPORTS"}])
    assert read_queries(queries) == {"q1": "a claim"}
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\textra\nq1\td1\t1\tSUPPORTS\nq1\td2\t0\tNEI\n", encoding="utf-8")
    assert read_qrels(qrels) == {"q1": {"d1": 1, "d2": 0}}


def test_qrels_errors(tmp_path: Path) -> None:
    bad_header = tmp_path / "a.tsv"
    bad_header.write_text("q\td\ts\nq1\td1\t1\n", encoding="utf-8")
    with pytest.raises(BeirFormatError, match="header"):
        read_qrels(bad_header)
    bad_score = tmp_path / "b.tsv"
    bad_score.write_text("query-id\tcorpus-id\tscore\nq1\td1\thigh\n", encoding="utf-8")
    with pytest.raises(BeirFormatError, match="line 2: score 'high' is not a number"):
        read_qrels(bad_score)
    with pytest.raises(BeirFormatError, match="file not found"):
        read_qrels(tmp_path / "missing.tsv")


def test_judged_queries_need_a_relevant_document(tmp_path: Path) -> None:
    corpus = _write_jsonl(tmp_path / "c.jsonl", [{"_id": "d1", "text": "x"}])
    queries = _write_jsonl(tmp_path / "q.jsonl", [{"_id": "q1", "text": "a"}, {"_id": "q2", "text": "b"}])
    qrels = tmp_path / "r.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t0\nq2\td1\t1\nq9\td1\t1\n", encoding="utf-8")
    assert load_beir(corpus, queries, qrels).judged_query_ids() == ["q2"]
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t0\n", encoding="utf-8")
    with pytest.raises(BeirFormatError, match="no query in the qrels has a relevant document"):
        load_beir(corpus, queries, qrels)


# --- the CLI end to end -------------------------------------------------------------------------------------

_DOCS = [
    ("d1", "Volcanoes", ["Volcanic eruptions release sulfur dioxide.", "The aerosols cool the planet for years."]),
    ("d2", "Coral reefs", "Marine heatwaves bleach coral reefs. Bleached corals may die within weeks."),
    ("d3", "Arctic sea ice", ["Arctic sea ice has declined since 1979.", "September extent fell most."]),
    ("d4", "Wind power", "Wind turbines convert kinetic energy into electricity."),
    ("d5", "Glaciers", "Mountain glaciers are retreating on every continent."),
]
_QUERIES = [
    ("q1", "Eruptions of volcanoes cool the climate"),
    ("q2", "The Great Barrier Reef corals are bleaching"),
    ("q3", "Arctic sea ice extent is shrinking"),
    ("q4", "Turbines make electricity from wind"),
]


def _tiny_beir(tmp_path: Path) -> tuple[Path, Path, Path]:
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", [{"_id": i, "title": t, "text": x} for i, t, x in _DOCS])
    queries = _write_jsonl(tmp_path / "queries.jsonl", [{"_id": i, "text": t} for i, t in _QUERIES])
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq3\td3\t1\nq3\td5\t0\nq4\td4\t1\n", encoding="utf-8"
    )
    return corpus, queries, qrels


def test_eval_retrieval_end_to_end(tmp_path: Path) -> None:
    corpus, queries, qrels = _tiny_beir(tmp_path)
    args = ["eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels)]
    result = CliRunner().invoke(app, [*args, "--depth", "100"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("nDCG@10 hybrid=")
    value = lines[-1].split("=", 1)[1]
    assert len(value.split(".")[1]) == 4
    # Four easy queries over five distinct documents: every method must find them.
    assert float(value) > 0.9
    table = "\n".join(lines)
    for method in ("bm25", "dense", "rrf", "hybrid+ranker", "hybrid"):
        assert any(line.startswith(method) for line in lines), table
    assert "4 queries" in table


def test_eval_retrieval_limit_and_split(tmp_path: Path) -> None:
    corpus, queries, qrels = _tiny_beir(tmp_path)
    args = ["eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels)]
    result = CliRunner().invoke(app, [*args, "--limit", "2", "--depth", "100"])
    assert result.exit_code == 0, result.output
    assert "2 queries (all)" in result.stdout
    bad = CliRunner().invoke(app, [*args, "--split", "dev"])
    assert bad.exit_code == 1
    assert isinstance(bad.exception, IngestError)
    assert "--split must be one of all, tune, test" in str(bad.exception)


def test_eval_retrieval_missing_file_exits_1(tmp_path: Path) -> None:
    corpus, queries, _ = _tiny_beir(tmp_path)
    missing = tmp_path / "nope.tsv"
    result = CliRunner().invoke(
        app, ["eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(missing)]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, IngestError)
    assert f"{missing}: file not found" in str(result.exception)


def test_eval_retrieval_malformed_corpus_exits_1(tmp_path: Path) -> None:
    corpus, queries, qrels = _tiny_beir(tmp_path)
    corpus.write_text('{"_id": "d1", "text": "ok"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels)]
    )
    assert result.exit_code == 1
    assert "line 2: not valid JSON" in str(result.exception)


def test_main_prints_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from app.cli import main

    corpus, queries, _ = _tiny_beir(tmp_path)
    argv = ["claimdesk", "eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries)]
    monkeypatch.setattr(sys, "argv", [*argv, "--qrels", str(tmp_path / "gone.tsv")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"Error: {tmp_path / 'gone.tsv'}: file not found. Check the path and the BEIR layout (see --help)."]


def test_format_table_lists_every_method() -> None:
    from retrieval.evaluation import MethodResult

    table = format_table([MethodResult("bm25", 0.5, 0.6, 0.7, [1.0, 3.0], 2)], title="t")
    assert table.splitlines()[0] == "t"
    assert "0.5000" in table and "2.0" in table


# --- fusion and the learned ranker (retrieval.ranking) ------------------------------------------------------


def test_rrf_scores_match_hand_computation() -> None:
    from retrieval.ranking import rrf_scores

    bm25 = [("a1", 9.0), ("b1", 5.0), ("a2", 1.0)]
    dense = [("b1", 0.8), ("c1", 0.7)]
    # k=1: b1 = 1/3 + 1/2, a1 = 1/2, c1 = 1/3, a2 = 1/4.
    assert rrf_scores(bm25, dense, k=1) == pytest.approx({"b1": 5 / 6, "a1": 0.5, "c1": 1 / 3, "a2": 0.25})
    # A heavy dense weight puts c1 (10/3) above a1 but not above b1 (1/3 + 10/2).
    heavy = rrf_scores(bm25, dense, k=1, weights=(1.0, 10.0))
    assert sorted(heavy, key=lambda c: -heavy[c]) == ["b1", "c1", "a1", "a2"]
    assert rrf_scores([], [], k=5) == {}


def test_fused_scores_by_hand() -> None:
    from retrieval.ranking import fused_scores

    bm25 = [("a1", 8.0), ("b1", 4.0)]
    dense = [("c1", 0.9), ("b1", 0.6)]
    scores = fused_scores(bm25, dense, alpha=0.25, power=1.0)
    # a1: BM25 top, absent from dense -> the dense list's last cosine 0.6; c1: no BM25 score.
    assert scores == pytest.approx({"a1": 0.25 + 0.75 * 0.6, "b1": 0.25 * 0.5 + 0.75 * 0.6, "c1": 0.75 * 0.9})
    assert sorted(scores, key=lambda c: -scores[c]) == ["a1", "c1", "b1"]  # 0.70 > 0.675 > 0.575
    squared = fused_scores(bm25, dense, alpha=0.25, power=2.0)
    assert squared["b1"] == pytest.approx(0.25 * 0.25 + 0.75 * 0.6)
    keyword = fused_scores(bm25, dense, alpha=1.0)
    assert sorted(keyword, key=lambda c: -keyword[c])[:2] == ["a1", "b1"]
    # defaults: alpha 0.2, squared BM25 share
    assert fused_scores([("x", 3.0)], [("x", 0.5)]) == pytest.approx({"x": 0.2 + 0.8 * 0.5})
    assert fused_scores([], [("x", 0.5)], alpha=0.25) == pytest.approx({"x": 0.375})
    assert fused_scores([("x", 3.0)], [], alpha=0.25) == pytest.approx({"x": 0.25})
    assert fused_scores([], []) == {}


def test_candidate_features_by_hand() -> None:
    from retrieval.ranking import FEATURES, candidate_features

    bm25 = [("a1", 8.0), ("b1", 4.0), ("a2", 2.0)]
    dense = [("c1", 0.9), ("b1", 0.6)]
    article_of = {"a1": "A", "a2": "A", "b1": "B"}  # c1 unknown: its own article
    ids, x = candidate_features(bm25, dense, article_of)
    assert ids == ["a1", "b1", "a2", "c1"]
    assert x.shape == (4, len(FEATURES))
    r1, r2, r3 = 5 / 6, 5 / 7, 5 / 8
    expected = {
        # bm25_norm, bm25_rank, dense_sim, dense_gap, dense_rank, in_both, article_hits
        "a1": [1.0, r1, 0.6, 0.3, 0.0, 0.0, math.log(3)],
        "b1": [0.5, r2, 0.6, 0.3, r2, 1.0, math.log(2)],
        "a2": [0.25, r3, 0.6, 0.3, 0.0, 0.0, math.log(3)],
        "c1": [0.0, 0.0, 0.9, 0.0, r1, 0.0, math.log(2)],
    }
    for cid, row in zip(ids, x, strict=True):
        assert row.tolist() == pytest.approx(expected[cid]), cid
    empty_ids, empty = candidate_features([], [], {})
    assert empty_ids == [] and empty.shape == (0, len(FEATURES))


def test_linear_ranker_scores_a_known_toy_ranking() -> None:
    from retrieval.ranking import FEATURES, LinearRanker

    bm25 = [("a1", 8.0), ("b1", 4.0), ("a2", 2.0)]
    dense = [("c1", 0.9), ("b1", 0.6)]
    article_of = {"a1": "A", "a2": "A", "b1": "B", "c1": "C"}

    def order(weights: tuple[float, ...], bias: float = 0.0) -> list[str]:
        scores = LinearRanker(weights, bias).scores(bm25, dense, article_of)
        return sorted(scores, key=lambda c: -scores[c])

    assert order((1.0, 0, 0, 0, 0, 0, 0)) == ["a1", "b1", "a2", "c1"]  # keyword score alone
    assert order((0, 0, 1.0, 0, 0, 0, 0))[0] == "c1"  # cosine alone
    assert order((0, 0, 0, 0, 0, 1.0, 0))[0] == "b1"  # agreement alone
    assert order((0, 0, 0, 0, 0, 0, 1.0))[:2] in (["a1", "a2"], ["a2", "a1"])  # most chunks of one article
    scores = LinearRanker((1.0, 2.0, 0, 0, 0, 0, 0), bias=-1.0).scores(bm25, dense, article_of)
    assert scores["a1"] == pytest.approx(1.0 + 2 * 5 / 6 - 1.0)
    ranker = LinearRanker(tuple(float(i) for i in range(len(FEATURES))), 0.5)
    assert LinearRanker.from_json(ranker.to_json(note="x")) == ranker
    with pytest.raises(ValueError, match="different feature list"):
        LinearRanker.from_json('{"features": ["x"], "weights": [1], "bias": 0}')
    with pytest.raises(ValueError, match="one per feature"):
        LinearRanker((1.0,))


def test_shipped_ranker_prefers_agreement_and_higher_scores() -> None:
    from retrieval.ranking import FEATURES, default_ranker

    ranker = default_ranker()
    assert len(ranker.weights) == len(FEATURES)
    article_of = {"both": "B", "kw": "K", "sem": "S"}
    # "both" tops both lists; "kw" and "sem" each appear in one list only, just below it.
    scores = ranker.scores([("both", 9.0), ("kw", 8.5)], [("both", 0.8), ("sem", 0.79)], article_of)
    assert max(scores, key=lambda c: scores[c]) == "both"
    # Within one list, a better keyword score or a closer embedding never lowers a candidate.
    kw = ranker.scores([("x", 9.0), ("y", 3.0)], [("z", 0.5)], {})
    assert kw["x"] > kw["y"]
    sem = ranker.scores([("z", 1.0)], [("x", 0.9), ("y", 0.5)], {})
    assert sem["x"] > sem["y"]


def test_prefetched_embedder_serves_prefetched_and_does_not_keep_others() -> None:
    import numpy as np

    from retrieval.evaluation import PrefetchedEmbedder

    embedder = PrefetchedEmbedder()
    fake = np.eye(384, dtype=np.float32)[:2]
    embedder.preload(["a", "b"], fake)
    assert np.array_equal(embedder.embed(["b", "a"]), fake[::-1])
    assert embedder.texts_embedded == 0
    out = embedder.embed(["a", "a query"])
    assert np.array_equal(out[0], fake[0])
    assert embedder.texts_embedded == 1
    embedder.embed(["a query"])
    assert embedder.texts_embedded == 2  # embedded again: queries are never cached
    embedder.release()
    assert embedder.embed([]).shape == (0, 384)
