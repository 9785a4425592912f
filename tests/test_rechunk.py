"""Chunking settings changed after ingest: re-ingest and `claimdesk reindex` re-chunk stored articles (real Chroma,
real embedder), keep their ids, claims and reviews, and delete chunks an interrupted ingest left."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_ingest_pipeline import CountingEmbedder, FailingEmbedder, open_corpus
from typer.testing import CliRunner

from app.cli import app
from app.config import Settings, get_settings
from app.corpus import Corpus
from retrieval.chunking import chunk_article
from retrieval.embeddings import MiniLMEmbedder
from retrieval.models import Article, content_id
from retrieval.store import ChunkStore

PLACES = ["Northgate", "Eastwick", "Southmoor", "Westbury", "Hillcrest", "Riverside"]


def story(i: int) -> str:
    """A headline and ~1,400 characters of distinct sentences (several chunks at 200, few at 600)."""
    place = PLACES[i % len(PLACES)]
    body = " ".join(
        f"The {place} council said on day {d} that {100 + 7 * d + i} households in ward {d} were reconnected."
        for d in range(1, 15)
    )
    return f"{place} power cuts, report {i}\n\n{body}\n"


def write_stories(folder: Path, n: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"story-{i}.txt"
        path.write_text(story(i), encoding="utf-8")
        paths.append(path)
    return paths


def resized(settings: Settings, chunk_size: int) -> Settings:
    return settings.model_copy(update={"chunk_size": chunk_size})


def assert_chunked_at(corpus: Corpus, article: Article, chunk_size: int) -> None:
    """The store holds exactly the chunks `chunk_size` makes of the article, in Chroma and in BM25 alike."""
    want = chunk_article(article, chunk_size)
    got = corpus.store.chunks(article.id)
    assert [(c.id, c.start, c.end, c.text) for c in got] == [(c.id, c.start, c.end, c.text) for c in want]
    assert corpus.store.chunk_ids([article.id]) == {c.id for c in want}


def assert_index_matches_chroma(store: ChunkStore) -> None:
    ids = set(store.chunk_col.get(include=[])["ids"])
    assert set(store.bm25().live_ids()) == ids and len(store.bm25()) == len(ids)


def test_reingest_after_a_chunk_size_change_rechunks_only_the_stale_articles(
    settings: Settings, tmp_path: Path
) -> None:
    paths = write_stories(tmp_path / "news", 3)
    before = open_corpus(settings, MiniLMEmbedder())
    assert before.ingest([str(p) for p in paths[:2]]).counts["added"] == 2
    old_ids = {aid: before.store.chunk_ids([aid]) for aid in (a.id for a in before.articles())}

    emb = CountingEmbedder()
    corpus = open_corpus(resized(settings, 200), emb)
    report = corpus.ingest([str(tmp_path / "news")])
    by_name = {Path(o.source).name: o for o in report.outcomes}
    assert [by_name[f"story-{i}.txt"].status for i in range(3)] == ["rechunked", "rechunked", "added"]
    assert "re-chunked at 200 characters (CLAIMDESK_CHUNK_SIZE)" in (by_name["story-0.txt"].message or "")
    for article in corpus.articles():
        assert_chunked_at(corpus, article, 200)
        assert not old_ids.get(article.id, set()) & corpus.store.chunk_ids([article.id])  # old spans all gone
    assert_index_matches_chroma(corpus.store)
    assert sum(emb.calls) == corpus.store.count()  # each new chunk embedded once, in groups
    # the article ids (and so their claims and reviews) are the same
    assert {a.id for a in corpus.articles()} >= set(old_ids)
    hit = corpus.search("Eastwick households in ward 9 reconnected", 1)[0]
    assert "ward 9" in hit.text and len(hit.text) <= 200

    emb.calls.clear()
    again = corpus.ingest([str(tmp_path / "news")])
    assert again.counts["unchanged"] == 3 and again.counts["rechunked"] == 0 and emb.calls == []


def test_reindex_rechunks_the_whole_corpus_once(settings: Settings, tmp_path: Path) -> None:
    write_stories(tmp_path / "news", 5)
    assert open_corpus(settings, MiniLMEmbedder()).ingest([str(tmp_path / "news")]).counts["added"] == 5

    emb = CountingEmbedder()
    corpus = open_corpus(resized(settings, 300), emb)
    seen: list[int] = []
    report = corpus.reindex(lambda done, total, title: seen.append(done), orphan_grace=0)
    assert (report.articles, report.rechunked, report.failed, report.orphans_deleted) == (5, 5, {}, 0)
    assert seen[-1] == 5
    for article in corpus.articles():
        assert_chunked_at(corpus, article, 300)
    assert_index_matches_chroma(corpus.store)
    assert len(emb.calls) < 5  # grouped like ingest

    emb.calls.clear()
    report = corpus.reindex(orphan_grace=0)
    assert (report.rechunked, report.orphans_deleted) == (0, 0) and emb.calls == []

    # a new process (fresh index load) sees the new chunks
    reopened = open_corpus(resized(settings, 300), MiniLMEmbedder())
    assert_index_matches_chroma(reopened.store)
    assert all(not reopened.stale_chunks(a) for a in reopened.articles())


def test_a_failing_model_keeps_the_old_chunks_and_says_why(settings: Settings, tmp_path: Path) -> None:
    paths = write_stories(tmp_path / "news", 2)
    first = open_corpus(settings, MiniLMEmbedder())
    first.ingest([str(p) for p in paths])
    (article, other) = first.articles()

    corpus = open_corpus(resized(settings, 200), FailingEmbedder())
    report = corpus.ingest([str(paths[0])])
    (outcome,) = report.outcomes
    assert outcome.status == "unchanged"
    assert "could not be remade: RuntimeError: model crashed" in (outcome.message or "")
    assert_chunked_at(corpus, article, settings.chunk_size)  # untouched, still searchable
    assert_index_matches_chroma(corpus.store)

    result = corpus.reindex(orphan_grace=0)
    assert result.rechunked == 0 and set(result.failed) == {article.id, other.id}


def test_an_interrupted_rechunk_is_finished_by_the_next(settings: Settings, tmp_path: Path) -> None:
    (path,) = write_stories(tmp_path / "news", 1)
    first = open_corpus(settings, MiniLMEmbedder())
    first.ingest([str(path)])
    (article,) = first.articles()
    old = first.store.chunk_ids([article.id])

    corpus = open_corpus(resized(settings, 200), MiniLMEmbedder())
    # what a crash between writing the new chunks and deleting the old leaves: both sets in Chroma
    corpus.store._upsert_chunks(corpus.store.prepare([(article, chunk_article(article, 200), False)]))
    corpus.store.rebuild_bm25()
    assert corpus.store.chunk_ids([article.id]) > old
    assert corpus.stale_chunks(article)

    assert corpus.rechunk([article.id]).done == [article.id]
    assert_chunked_at(corpus, article, 200)
    assert_index_matches_chroma(corpus.store)


def test_reindex_deletes_chunks_an_interrupted_ingest_left_and_keeps_complete_articles(
    settings: Settings, tmp_path: Path
) -> None:
    (path,) = write_stories(tmp_path / "news", 1)
    corpus = open_corpus(settings, MiniLMEmbedder())
    corpus.ingest([str(path)])
    (kept,) = corpus.articles()
    text = "A mayor resigned over the Larkspur tunnel fraud."
    lost = Article(
        id=content_id(text), title="Half-written", source="half.txt", text=text, ingested_at=datetime.now(UTC)
    )
    corpus.store._upsert_chunks(corpus.store.prepare([(lost, chunk_article(lost, 600), False)]))  # no record
    assert corpus.store.orphan_articles() == {lost.id}
    assert all(e.article_id != lost.id for e in corpus.search("Larkspur tunnel fraud", 5))  # never shown

    # an article whose record arrives during the grace period is not deleted
    assert corpus.store.delete_orphans({kept.id}) == 0

    report = corpus.reindex(orphan_grace=0)
    assert (report.articles, report.rechunked, report.orphans_deleted) == (1, 0, 1)
    assert corpus.store.orphan_articles() == set()
    assert corpus.store.chunks(lost.id) == []
    assert_chunked_at(corpus, kept, settings.chunk_size)
    assert_index_matches_chroma(corpus.store)


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_cli_reindex_keeps_claims_and_reviews_and_cited_passages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.store import ReviewStore

    paths = write_stories(tmp_path / "news", 2)
    assert run("ingest", str(tmp_path / "news")).exit_code == 0
    r = run("extract", "--all", "--llm", "none", "--json")
    assert r.exit_code == 0, r.output
    with ReviewStore.open(get_settings()) as store:
        claim = next(c for c, _ in store.queue())
        claims_before = sorted(c.id for c, _ in store.queue())
    hit = run("search", claim.quote, "-k", "1", "--exclude-article", claim.article_id).stdout
    chunk_id = hit.split(" chunk ")[1].split("]")[0]
    r = run("review", claim.id, "--reviewer", "ana", "--verdict", "True", "--evidence", chunk_id)
    assert r.exit_code == 0, r.output
    with ReviewStore.open(get_settings()) as store:
        cited_before = store.get_review(claim.id).evidence  # type: ignore[union-attr]

    monkeypatch.setenv("CLAIMDESK_CHUNK_SIZE", "250")
    get_settings.cache_clear()
    r = run("ingest", str(paths[0]))
    assert r.exit_code == 0, r.output
    assert "0 added, 0 unchanged, 1 re-chunked, 0 replaced" in r.stdout
    assert "`claimdesk reindex` re-chunks every stored article" in r.stdout

    r = run("reindex")
    assert r.exit_code == 0, r.output
    assert "2 article(s): 1 re-chunked at 250 characters, 1 already matched, 0 failed." in r.stdout
    with ReviewStore.open(get_settings()) as store:
        assert sorted(c.id for c, _ in store.queue()) == claims_before
        review = store.get_review(claim.id)
        assert review is not None and review.verdict == "True" and review.evidence == cited_before
    # the passages search shows now are the 250-character ones, and citing one works
    hit = run("search", claim.quote, "-k", "1", "--exclude-article", claim.article_id).stdout
    new_chunk = hit.split(" chunk ")[1].split("]")[0]
    assert new_chunk != chunk_id
    r = run("review", claim.id, "--reviewer", "ana", "--evidence", new_chunk)
    assert r.exit_code == 0, r.output


def test_cli_reindex_on_a_shared_server_asks_for_force(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.errors import StoreError

    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    get_settings.cache_clear()
    r = run("reindex")
    assert r.exit_code == 1 and isinstance(r.exception, StoreError)
    assert "shared Chroma server" in str(r.exception) and "--force" in str(r.exception)


def test_an_upload_of_stored_text_rechunks_it_or_says_why_not(settings: Settings) -> None:
    data = story(3).encode()
    open_corpus(settings, MiniLMEmbedder()).ingest_bytes("story.txt", data)
    failing = open_corpus(resized(settings, 200), FailingEmbedder()).ingest_bytes("story.txt", data)
    assert failing.status == "unchanged"
    assert "could not be remade: RuntimeError: model crashed" in (failing.message or "")
    corpus = open_corpus(resized(settings, 200), MiniLMEmbedder())
    outcome = corpus.ingest_bytes("story.txt", data)
    assert outcome.status == "rechunked"
    assert "re-chunked at 200 characters (CLAIMDESK_CHUNK_SIZE)" in (outcome.message or "")
    (article,) = corpus.articles()
    assert_chunked_at(corpus, article, 200)
    assert corpus.ingest_bytes("story.txt", data).status == "unchanged"
