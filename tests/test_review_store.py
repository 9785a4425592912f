"""The review store on a real SQLite file: round trips, idempotence, queue, stats, history, conflicts."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes import claim_at

from app.config import Settings
from app.errors import ConflictError, ExportError, StoreError
from app.models import CitedEvidence, Claim, Draft, ExtractionRun, Provenance, Review, claim_id_for, utcnow
from app.store import ReviewStore
from app.store_schema import SCHEMA_VERSION
from retrieval.models import Article, content_id
from retrieval.sentences import split_sentences

SEED = Path(__file__).resolve().parent.parent / "seeds" / "china-russia-sanctions.txt"


def make_article(text: str | None = None, *, source: str = "seeds/china-russia-sanctions.txt") -> Article:
    """An article built the way ingest builds one (id = content hash)."""
    text = text if text is not None else SEED.read_text(encoding="utf-8")
    return Article(
        id=content_id(text),
        title=text.splitlines()[0],
        source=source,
        text=text,
        published=datetime(2022, 3, 1, tzinfo=UTC),
        ingested_at=utcnow(),
    )


def make_claims(article: Article, n: int, *, model: str = "qwen-test", prompt_hash: str = "ph123") -> list[Claim]:
    """n grounded claims, one per sentence, with distinct check-worthiness scores (not in position order)."""
    sentences = [s for s in split_sentences(article.text) if len(s.text) > 30][:n]
    assert len(sentences) == n
    types = ("statistic", "quotation", "event", "policy")
    return [
        Claim.model_validate(
            {
                "id": claim_id_for(article.id, s.start, s.end),
                "article_id": article.id,
                "quote": s.text,
                "start": s.start,
                "end": s.end,
                "statement": f"Statement {i}",
                "claim_type": types[i % len(types)],
                "checkworthiness": round(((i * 7) % n) / n, 3),
                "provenance": Provenance(
                    extractor="cascade", model=model, prompt_name="extract", prompt_hash=prompt_hash
                ),
            },
            context={"article_text": article.text},
        )
        for i, s in enumerate(sentences)
    ]


@pytest.fixture
def store(settings: Settings) -> ReviewStore:
    """A store on a fresh SQLite file under tmp_path."""
    s = ReviewStore.open(settings)
    yield s
    s.close()


@pytest.fixture
def seeded(store: ReviewStore) -> tuple[ReviewStore, Article, list[Claim]]:
    """The store with the seed article and 6 claims saved."""
    article = make_article()
    store.upsert_article(article, actor="ingest")
    claims = make_claims(article, 6)
    store.save_claims(article.id, claims)
    return store, article, claims


def evidence(chunk_id: str, article: Article) -> CitedEvidence:
    """A cited passage from `article`."""
    return CitedEvidence(
        chunk_id=chunk_id, article_id=article.id, title=article.title, source=article.source, text=article.text[:50]
    )


# -- schema ----------------------------------------------------------------------------------------------


def test_schema_is_wal_versioned_and_reopenable(settings: Settings) -> None:
    ReviewStore.open(settings).close()
    store = ReviewStore.open(settings)  # second open must not re-run the migration
    store.close()
    conn = sqlite3.connect(settings.db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


def test_many_stores_can_create_one_fresh_file_at_once(tmp_path: Path) -> None:
    # Separate connections lock like separate processes: all race to set WAL and run the migration.
    path = tmp_path / "fresh" / "race.sqlite3"
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def open_and_write(n: int) -> None:
        try:
            barrier.wait()
            with ReviewStore(path, rating_scale={"True": 5}) as s:
                s.upsert_article(make_article(f"Article {n}\n\nBody of article {n}.", source=str(n)))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with ReviewStore(path, rating_scale={"True": 5}) as s:
        assert len(s.articles()) == 8
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


def test_newer_schema_is_refused(settings: Settings) -> None:
    ReviewStore.open(settings).close()
    conn = sqlite3.connect(settings.db_path)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer claimdesk"):
        ReviewStore.open(settings)


def test_a_file_that_is_not_a_database_gives_a_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "junk.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable claimdesk database"):
        ReviewStore(bad, rating_scale={"True": 5})


# -- articles --------------------------------------------------------------------------------------------


def test_article_round_trip_and_update(store: ReviewStore) -> None:
    article = make_article()
    store.upsert_article(article, actor="ingest")
    assert store.get_article(article.id) == article
    assert store.get_article("missing") is None

    renamed = article.model_copy(update={"title": "New title"})
    store.upsert_article(renamed, actor="ann")
    store.upsert_article(renamed, actor="ann")  # no change -> no event
    assert store.get_article(article.id) == renamed
    actions = [(e.actor, e.action) for e in store.article_history(article.id)]
    assert actions == [("ingest", "article_added"), ("ann", "article_updated")]
    assert store.article_history(article.id)[1].changes["title"] == {"old": article.title, "new": "New title"}


def test_articles_summary_counts(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, article, claims = seeded
    other = make_article("Another article\n\nIt has one sentence that is long enough to count here.", source="b")
    store.upsert_article(other)
    store.save_review(Review(claim_id=claims[0].id, status="reviewed", verdict="False"), actor="ann")
    store.save_review(Review(claim_id=claims[1].id, status="in_progress"), actor="ann")
    store.save_review(Review(claim_id=claims[2].id, status="reviewed", not_checkable=True), actor="ann")
    summaries = {s.id: s for s in store.articles()}
    s = summaries[article.id]
    assert (s.claim_count, s.unreviewed, s.in_progress, s.reviewed, s.not_checkable) == (6, 3, 1, 2, 1)
    assert s.title == article.title and s.source == article.source and s.published == article.published
    empty = summaries[other.id]
    assert (empty.claim_count, empty.unreviewed, empty.reviewed) == (0, 0, 0)


# -- claims ----------------------------------------------------------------------------------------------


def test_save_claims_is_idempotent_and_records_the_run(store: ReviewStore) -> None:
    article = make_article()
    store.upsert_article(article)
    claims = make_claims(article, 5)
    run = ExtractionRun(article_id=article.id, strategy="cascade", model="qwen-test", prompt_hash="ph123")
    first = store.save_claims(article.id, claims, run=run)
    second = store.save_claims(article.id, [*claims, *make_claims(article, 6)[5:]], run=run)
    assert (first.added, first.unchanged) == (5, 0)
    assert (second.added, second.unchanged) == (1, 5)
    assert len(store.claims(article.id)) == 6
    assert len(store.extraction_runs(article.id)) == 2
    assert store.extraction_runs(article.id)[0] == run
    extracted = [e for e in store.article_history(article.id) if e.action == "claim_extracted"]
    assert len(extracted) == 6  # one per stored claim, none for the repeats


def test_claims_come_back_equal_and_ranked(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, article, claims = seeded
    stored = store.claims(article.id)
    assert sorted(stored, key=lambda c: c.id) == sorted(claims, key=lambda c: c.id)
    keys = [(-c.checkworthiness, c.start) for c in stored]
    assert keys == sorted(keys)
    assert [c.checkworthiness for c in stored] != [c.checkworthiness for c in claims]  # order was really changed
    assert store.claims() == stored
    assert store.get_claim(claims[3].id) == claims[3]
    assert store.get_claim("nope") is None


def test_ungrounded_claim_is_refused(store: ReviewStore) -> None:
    article = make_article()
    store.upsert_article(article)
    good = make_claims(article, 2)
    bad = good[1].model_copy(update={"quote": "Words that are not in the article at all"})
    with pytest.raises(StoreError, match="not in article"):
        store.save_claims(article.id, [good[0], bad])
    assert store.claims(article.id) == []  # nothing half-saved


def test_claims_for_an_article_the_store_has_not_seen_are_kept(store: ReviewStore) -> None:
    article = make_article()
    claims = make_claims(article, 2)
    assert store.save_claims(article.id, claims).added == 2
    assert len(store.claims(article.id)) == 2


# -- reviews ---------------------------------------------------------------------------------------------


def test_default_review_is_unreviewed_version_zero(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, _, claims = seeded
    review = store.get_review(claims[0].id)
    assert (review.status, review.verdict, review.version, review.evidence) == ("unreviewed", None, 0, [])


def test_save_review_round_trip(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, article, claims = seeded
    before = utcnow()
    saved = store.save_review(
        Review(
            claim_id=claims[0].id,
            status="reviewed",
            verdict="mostly TRUE",
            evidence=[evidence("c1", article)],
            notes="checked the transcript",
        ),
        actor="ann",
    )
    assert saved.version == 1 and saved.verdict == "Mostly true" and saved.reviewer == "ann"
    assert saved.created_at is not None and saved.updated_at is not None and saved.created_at >= before
    assert store.get_review(claims[0].id) == saved

    again = store.save_review(saved.model_copy(update={"notes": "second look", "reviewer": "bob"}), actor="bob")
    assert again.version == 2 and again.created_at == saved.created_at and again.updated_at >= saved.updated_at
    assert store.get_review(claims[0].id).notes == "second look"


def test_wrong_verdict_lists_valid_labels(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, _, claims = seeded
    with pytest.raises(StoreError) as err:
        store.save_review(Review(claim_id=claims[0].id, verdict="Pants on fire"), actor="ann")
    message = str(err.value)
    assert "Pants on fire" in message
    assert all(label in message for label in store.rating_scale)
    assert store.get_review(claims[0].id).version == 0


def test_review_of_unknown_claim_is_refused(store: ReviewStore) -> None:
    with pytest.raises(StoreError, match="No claim with id 'ghost'"):
        store.save_review(Review(claim_id="ghost", verdict="True"), actor="ann")
    # the refused write left no transaction open: the next write goes through
    store.upsert_article(make_article())
    assert len(store.articles()) == 1


def test_conflict_between_two_stores_on_one_file(
    settings: Settings, seeded: tuple[ReviewStore, Article, list[Claim]]
) -> None:
    first, _, claims = seeded
    cid = claims[0].id
    first.save_review(Review(claim_id=cid, status="in_progress"), actor="ann")
    second = ReviewStore.open(settings)
    try:
        a = first.get_review(cid)
        b = second.get_review(cid)
        assert a.version == b.version == 1
        won = first.save_review(a.model_copy(update={"verdict": "True", "status": "reviewed"}), actor="ann")
        with pytest.raises(ConflictError) as err:
            second.save_review(b.model_copy(update={"verdict": "False", "status": "reviewed"}), actor="bob")
        assert "changed by ann" in str(err.value) and "reload" in str(err.value)
        assert err.value.current == won  # the newer state, for the UI to show
        assert second.get_review(cid).verdict == "True"
        assert [e.actor for e in second.history(cid) if e.action == "review_saved"] == ["ann", "ann"]
        # bob's refused attempt is kept, so his verdict is not silently lost
        refused = [e for e in second.history(cid) if e.action == "review_conflict"]
        assert [e.actor for e in refused] == ["bob"]
        assert refused[0].changes["attempted_version"] == 1 and refused[0].changes["current_version"] == 2
        assert refused[0].changes["attempted"]["verdict"] == {"current": "True", "attempted": "False"}
        # after reloading, bob's save goes through
        assert (
            second.save_review(second.get_review(cid).model_copy(update={"verdict": "False"}), actor="bob").version == 3
        )
    finally:
        second.close()


def test_first_save_must_carry_version_zero(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, _, claims = seeded
    with pytest.raises(ConflictError):
        store.save_review(Review(claim_id=claims[0].id, verdict="True", version=3), actor="ann")


# -- history ---------------------------------------------------------------------------------------------


def test_history_records_who_what_when_and_model_context(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, article, claims = seeded
    cid = claims[1].id
    t0 = utcnow()
    r1 = store.save_review(
        Review(claim_id=cid, status="reviewed", verdict="False", evidence=[evidence("c7", article)]), actor="ann"
    )
    r2 = store.save_review(
        r1.model_copy(
            update={"edited_statement": "Better wording", "evidence": [*r1.evidence, evidence("c9", article)]}
        ),
        actor="bob",
    )
    store.save_review(r2.model_copy(update={"not_checkable": True, "verdict": None}), actor="cy")

    events = store.history(cid)
    assert [e.action for e in events] == [
        "claim_extracted",
        "review_saved",
        "evidence_cited",
        "review_saved",
        "statement_edited",
        "evidence_cited",
        "review_saved",
        "rejected_not_checkable",
    ]
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert all(e.claim_id == cid and e.article_id == article.id for e in events)
    assert all(e.at >= t0 for e in events[1:])
    extracted = events[0]
    assert (extracted.actor, extracted.changes["model"], extracted.changes["prompt_hash"]) == (
        "extractor",
        "qwen-test",
        "ph123",
    )
    saved = events[1]
    assert saved.actor == "ann"
    assert saved.changes["diff"]["verdict"] == {"old": None, "new": "False"}
    assert saved.changes["diff"]["status"] == {"old": "unreviewed", "new": "reviewed"}
    assert saved.changes["evidence_ids"] == ["c7"]
    assert (saved.changes["model"], saved.changes["prompt_hash"]) == ("qwen-test", "ph123")
    assert events[2].changes["evidence_ids"] == ["c7"] and events[2].changes["passages"][0]["chunk_id"] == "c7"
    assert events[3].changes["evidence_ids"] == ["c7", "c9"] and events[5].changes["evidence_ids"] == ["c9"]
    assert events[4].actor == "bob"
    assert events[4].changes == {"model_statement": "Statement 1", "old": None, "new": "Better wording"}
    assert events[6].changes["diff"]["verdict"] == {"old": "False", "new": None}
    assert events[7].actor == "cy"


def test_history_is_append_only(seeded: tuple[ReviewStore, Article, list[Claim]], settings: Settings) -> None:
    store, _, claims = seeded
    store.save_review(Review(claim_id=claims[0].id, verdict="True"), actor="ann")
    conn = sqlite3.connect(settings.db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE history SET actor = 'mallory'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM history")
    finally:
        conn.close()
    assert all(e.actor != "mallory" for e in store.history(claims[0].id))
    assert len(store.history(claims[0].id)) == 2


# -- queue, stats, delete --------------------------------------------------------------------------------


def test_queue_filters_and_order(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, article, claims = seeded
    store.save_review(Review(claim_id=claims[0].id, status="reviewed", verdict="False"), actor="ann")
    store.save_review(Review(claim_id=claims[1].id, status="reviewed", verdict="True"), actor="ann")
    store.save_review(Review(claim_id=claims[2].id, status="in_progress"), actor="ann")
    store.save_review(Review(claim_id=claims[3].id, status="reviewed", not_checkable=True), actor="ann")

    everything = store.queue()
    assert len(everything) == 6
    scores = [c.checkworthiness for c, _ in everything]
    assert scores == sorted(scores, reverse=True)
    assert all(r.claim_id == c.id for c, r in everything)

    def ids(**kw: str) -> set[str]:
        return {c.id for c, _ in store.queue(**kw)}

    assert ids(status="unreviewed") == {claims[4].id, claims[5].id}
    assert ids(status="reviewed") == {claims[0].id, claims[1].id, claims[3].id}
    assert ids(status="in_progress") == {claims[2].id}
    assert ids(status="not_checkable") == {claims[3].id}
    assert ids(verdict="false") == {claims[0].id}
    assert ids(claim_type="statistic") == {c.id for c in claims if c.claim_type == "statistic"}
    assert ids(article_id=article.id, status="reviewed", verdict="True") == {claims[1].id}
    assert ids(article_id="other") == set()
    with pytest.raises(StoreError, match="Unknown status"):
        store.queue(status="done")


def test_stats(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, article, claims = seeded
    store.save_review(Review(claim_id=claims[0].id, status="reviewed", verdict="False"), actor="ann")
    store.save_review(Review(claim_id=claims[1].id, status="reviewed", verdict="False"), actor="ann")
    store.save_review(Review(claim_id=claims[2].id, status="in_progress", verdict="True"), actor="ann")
    stats = store.stats()
    assert stats.total_claims == 6
    assert stats.by_status == {"unreviewed": 3, "in_progress": 1, "reviewed": 2}
    # the in-progress "True" is a draft: counted apart, as reports count it (it was a third verdict bar)
    assert stats.by_verdict["False"] == 2 and stats.by_verdict["True"] == 0 and stats.draft_verdicts == 1
    assert set(stats.by_verdict) == set(store.rating_scale)
    assert [a.id for a in stats.per_article] == [article.id]


def test_delete_article_keeps_history(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, article, claims = seeded
    store.save_review(Review(claim_id=claims[0].id, verdict="True"), actor="ann")
    store.delete_article(article.id, actor="editor")
    assert store.get_article(article.id) is None
    assert store.claims(article.id) == []
    assert store.get_claim(claims[0].id) is None
    assert store.get_review(claims[0].id).version == 0
    assert store.extraction_runs(article.id) == []
    assert store.articles() == [] and store.stats().total_claims == 0
    last = store.article_history(article.id)[-1]
    assert (last.actor, last.action) == ("editor", "article_deleted")
    assert last.changes["claims_removed"] == 6 and last.changes["reviews_removed"] == 1
    assert [e.action for e in store.history(claims[0].id)] == ["claim_extracted", "review_saved", "article_deleted"]
    with pytest.raises(StoreError, match="No article"):
        store.delete_article(article.id, actor="editor")


def test_one_store_shared_by_threads(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, _, claims = seeded
    errors: list[BaseException] = []

    def work(claim: Claim) -> None:
        try:
            for _ in range(20):
                current = store.get_review(claim.id)
                store.save_review(current.model_copy(update={"notes": f"{current.version}"}), actor="t")
                store.queue()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(store.get_review(c.id).version == 20 for c in claims)


def _as_scorer_only(claim: Claim) -> Claim:
    return claim.model_copy(
        update={"statement": claim.quote, "provenance": Provenance(extractor="scorer", model="none")}
    )


def test_model_rewrite_upgrades_unreviewed_scorer_claims_only(store: ReviewStore) -> None:
    article = make_article()
    store.upsert_article(article)
    rewritten = make_claims(article, 3)
    scorer_only = [_as_scorer_only(c) for c in rewritten]
    assert store.save_claims(article.id, scorer_only).added == 3
    # a reviewer starts on the first claim: its scorer wording must stay what they saw
    first = store.get_review(scorer_only[0].id)
    store.save_review(first.model_copy(update={"status": "in_progress", "notes": "checking"}), actor="ana")

    result = store.save_claims(article.id, rewritten)

    assert (result.added, result.unchanged, result.upgraded) == (0, 1, 2)
    stored = {c.id: c for c in store.claims(article.id)}
    assert stored[rewritten[0].id].provenance.extractor == "scorer"
    assert stored[rewritten[1].id].statement == rewritten[1].statement
    assert stored[rewritten[1].id].provenance.model == "qwen-test"
    # a second model run changes nothing, and a later scorer-only run never downgrades a rewrite
    assert store.save_claims(article.id, rewritten).upgraded == 0
    assert store.save_claims(article.id, scorer_only).upgraded == 0
    assert store.get_claim(rewritten[2].id).statement == rewritten[2].statement  # type: ignore[union-attr]
    actions = [e.action for e in store.history(rewritten[1].id)]
    assert actions.count("claim_extracted") == 2


def test_a_later_extraction_refreshes_unreviewed_claims_and_leaves_reviewed_ones(store: ReviewStore) -> None:
    article = make_article()
    store.upsert_article(article)
    first = [c.model_copy(update={"claimant": "US government"}) for c in make_claims(article, 2)]
    store.save_claims(article.id, first)
    store.save_review(store.get_review(first[0].id).model_copy(update={"notes": "checking"}), actor="ana")
    # a newer claimdesk names the right claimant for the same spans (same ids), made a moment later
    later = [
        c.model_copy(
            update={"claimant": "Russia", "provenance": c.provenance.model_copy(update={"created_at": utcnow()})}
        )
        for c in first
    ]

    result = store.save_claims(article.id, later)

    assert (result.added, result.unchanged, result.upgraded) == (0, 1, 1)
    assert store.get_claim(first[0].id).claimant == "US government"  # type: ignore[union-attr]  # reviewed: kept
    assert store.get_claim(first[1].id).claimant == "Russia"  # type: ignore[union-attr]
    # the same extraction again, only its time differs: nothing changes
    again = [
        c.model_copy(update={"provenance": c.provenance.model_copy(update={"created_at": utcnow()})}) for c in later
    ]
    assert store.save_claims(article.id, again).upgraded == 0


def _span_claim(article: Article, quote: str, statement: str, extractor: str) -> Claim:
    provenance = Provenance(extractor=extractor, model="m")  # type: ignore[arg-type]
    return claim_at(
        article, quote, statement=statement, claim_type="statistic", checkworthiness=0.8, provenance=provenance
    )


SENTENCE = "The new customs system cut waiting times by 40 percent, the port authority said on Monday."


def test_a_models_claim_supersedes_the_scorer_claim_on_the_same_sentence(store: ReviewStore) -> None:
    article = make_article(f"Port news\n{SENTENCE}", source="port.txt")
    store.upsert_article(article, actor="ingest")
    triage = _span_claim(article, SENTENCE, SENTENCE, "scorer")
    store.save_claims(article.id, [triage])
    clause = SENTENCE.split(",")[0]
    model = _span_claim(article, clause, "The port's new customs system cut waiting times by 40 percent.", "cascade")
    result = store.save_claims(article.id, [model])
    assert (result.added, result.upgraded) == (0, 1)
    assert [c.id for c in store.claims(article.id)] == [model.id]  # one claim for one sentence
    assert any(e.action == "claim_superseded" for e in store.history(triage.id))
    # the scorer's triage run again does not bring its claim back beside the model's
    again = store.save_claims(article.id, [triage])
    assert (again.added, again.unchanged) == (0, 1) and [c.id for c in store.claims(article.id)] == [model.id]


@pytest.mark.parametrize("work", ["review", "draft"])
def test_a_claim_someone_worked_on_is_never_superseded(store: ReviewStore, work: str) -> None:
    article = make_article(f"Port news\n{SENTENCE}", source="port.txt")
    store.upsert_article(article, actor="ingest")
    triage = _span_claim(article, SENTENCE, SENTENCE, "scorer")
    store.save_claims(article.id, [triage])
    if work == "review":
        store.save_review(Review(claim_id=triage.id, status="reviewed", verdict="True", reviewer="ana"), actor="ana")
    else:  # an unsaved form kept for its reviewer went with the superseded claim
        store.save_draft(Draft(claim_id=triage.id, reviewer="ana", base=Review(claim_id=triage.id), notes="port?"))
    clause = SENTENCE.split(",")[0]
    model = _span_claim(article, clause, "The port's new customs system cut waiting times by 40 percent.", "cascade")
    store.save_claims(article.id, [model])
    assert {c.id for c in store.claims(article.id)} == {triage.id, model.id}
    if work == "draft":
        assert [d.notes for d in store.drafts("ana")] == ["port?"]
        (summary,) = store.articles()
        assert summary.drafts == 1  # `claimdesk delete` asks for --force


def test_a_re_run_with_a_trimmed_quote_replaces_the_unreviewed_claim(store: ReviewStore) -> None:
    article = make_article(f"Port news\n{SENTENCE}", source="port.txt")
    store.upsert_article(article, actor="ingest")
    statement = "The port's new customs system cut waiting times by 40 percent."
    first = _span_claim(article, SENTENCE, statement, "whole-article")
    store.save_claims(article.id, [first])
    trimmed = _span_claim(article, SENTENCE.split(",")[0], statement, "whole-article")
    store.save_claims(article.id, [trimmed])
    assert [c.id for c in store.claims(article.id)] == [trimmed.id]
    # a different claim on an overlapping span stays beside it
    quote = "waiting times by 40 percent, the port authority said"  # overlaps the trimmed quote
    other = _span_claim(article, quote, "The port authority reported the change on Monday.", "cascade")
    store.save_claims(article.id, [other])
    assert {c.id for c in store.claims(article.id)} == {trimmed.id, other.id}


def test_a_re_run_that_rewords_and_trims_replaces_the_unreviewed_claim_of_the_earlier_run(store: ReviewStore) -> None:
    sentence = '"We have cut 1,274 jobs from the public payroll since 2022," Finance Minister Lena Ortiz said.'
    article = make_article(f"Payroll\n{sentence}", source="payroll.txt")
    store.upsert_article(article, actor="ingest")
    first = _span_claim(article, sentence, f"Reportedly, {sentence}", "whole-article")
    store.save_claims(article.id, [first])
    clause = '"We have cut 1,274 jobs from the public payroll since 2022'
    again = _span_claim(
        article, clause, "In short: we have cut 1,274 jobs from the public payroll since 2022.", "whole-article"
    )
    saved = store.save_claims(article.id, [again])
    assert [c.id for c in store.claims(article.id)] == [again.id] and saved.upgraded == 1
    # two clauses of one sentence from the same run both stay
    both = [
        _span_claim(article, clause, "Ortiz said 1,274 jobs were cut.", "whole-article"),
        _span_claim(
            article, "Finance Minister Lena Ortiz said", "Lena Ortiz is the finance minister.", "whole-article"
        ),
    ]
    store.save_claims(article.id, both)
    assert {c.id for c in store.claims(article.id)} >= {c.id for c in both}


def test_a_draft_round_trips_per_reviewer_and_is_replaced_then_dropped(
    seeded: tuple[ReviewStore, Article, list[Claim]],
) -> None:
    store, article, claims = seeded
    cited = evidence("c-custom", article)
    base = store.get_review(claims[0].id)
    draft = Draft(
        claim_id=claims[0].id,
        reviewer="ann",
        base=base,
        verdict="False",
        notes="typed",
        cited=[cited],
        query="a custom query",
    )
    store.save_draft(draft)
    store.save_draft(Draft(claim_id=claims[1].id, reviewer="bob", base=store.get_review(claims[1].id), notes="b"))
    assert store.drafts("ann") == [draft]  # the cited passage itself comes back, not only its id
    assert [d.notes for d in store.drafts("bob")] == ["b"]
    store.save_draft(draft.model_copy(update={"notes": "typed more", "updated_at": utcnow()}))
    assert [d.notes for d in store.drafts("ann")] == ["typed more"]
    store.delete_draft(claims[0].id, "ann")
    assert store.drafts("ann") == [] and len(store.drafts("bob")) == 1
    with pytest.raises(StoreError, match="reviewer's name"):
        store.save_draft(Draft(claim_id=claims[0].id, reviewer=" ", base=base))


def test_drafts_go_with_their_claims(seeded: tuple[ReviewStore, Article, list[Claim]]) -> None:
    store, article, claims = seeded
    store.save_draft(Draft(claim_id=claims[0].id, reviewer="ann", base=store.get_review(claims[0].id), notes="x"))
    store.save_draft(Draft(claim_id="no-such-claim", reviewer="ann", base=Review(claim_id="no-such-claim")))
    assert [d.claim_id for d in store.drafts("ann")] == [claims[0].id]  # nothing to save a missing claim's draft to
    store.delete_article(article.id, actor="ann")
    assert store.drafts("ann") == []


def test_a_version_1_database_gains_the_drafts_table(settings: Settings) -> None:
    from app.store_schema import _V1, _statements, connect

    db = settings.db_path
    conn = connect(db)
    for statement in _statements(_V1):
        conn.execute(statement)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version (version) VALUES (1)")
    conn.close()
    store = ReviewStore.open(settings)
    assert store.db_path == db
    article = make_article()
    store.upsert_article(article)
    claim = make_claims(article, 1)[0]
    store.save_claims(article.id, [claim])
    store.save_draft(Draft(claim_id=claim.id, reviewer="ann", base=store.get_review(claim.id), notes="kept"))
    assert [d.notes for d in store.drafts("ann")] == ["kept"]
    check = sqlite3.connect(db)
    assert check.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)] == [(3,)]


def test_a_newer_version_of_a_source_replaces_the_earlier_one_in_queue_stats_and_reports(
    seeded: tuple[ReviewStore, Article, list[Claim]],
) -> None:
    from app.reports import ReportOptions, build_report

    store, old, claims = seeded
    store.save_review(Review(claim_id=claims[0].id, status="reviewed", verdict="False"), actor="ann")
    new = make_article(old.text.replace("Beijing", "Beijing officials", 1))
    store.upsert_article(new)
    store.save_claims(new.id, make_claims(new, 2))
    assert store.mark_current(new.id) == [old.id]
    assert store.mark_current(new.id) == []  # once
    summaries = {s.id: s for s in store.articles()}
    assert summaries[old.id].replaced_by == new.id and summaries[old.id].replaced_at is not None
    assert summaries[new.id].replaced_by is None
    assert {c.article_id for c, _ in store.queue()} == {new.id}  # the Review page's queue
    assert len(store.queue(include_replaced=True)) == 8
    assert len(store.queue(article_id=old.id)) == 6  # asked for by id: still there (earlier reviews panel)
    stats = store.stats()
    assert stats.total_claims == 2 and stats.earlier_version_claims == 6 and stats.by_verdict["False"] == 0
    assert [a.id for a in stats.per_article] == [new.id]
    # the reviewed claim of the earlier version is not published as current, and the report says so
    report = build_report(store, ReportOptions(), publisher_name="Desk")
    assert report.claim_count == 0 and report.earlier_left_out == 1
    with pytest.raises(ExportError, match=rf"Article {old.id} is an earlier version .* replaced by {new.id}"):
        build_report(store, ReportOptions(article_ids=[old.id]), publisher_name="Desk")
    marked = build_report(store, ReportOptions(include_earlier=True), publisher_name="Desk")
    (article,) = marked.articles
    assert article.id == old.id and article.replaced_by == new.id
    assert article.claims[0].source_link == old.source  # no span into text the source no longer has
    # the file is put back to its earlier text: that version is current again
    assert store.mark_current(old.id) == [new.id]
    assert {c.article_id for c, _ in store.queue()} == {old.id}
    actions = [e.action for e in store.article_history(old.id)]
    assert actions[-2:] == ["article_replaced", "article_current"]


def test_a_version_2_database_marks_each_sources_earlier_versions(settings: Settings) -> None:
    from app.store_schema import _V1, _V2, _statements, connect

    conn = connect(settings.db_path)
    for statement in _statements(_V1) + _statements(_V2):
        conn.execute(statement)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version (version) VALUES (2)")
    rows = [("a1", "in/a.txt", "2026-01-01T00:00:00+00:00"), ("a2", "in/a.txt", "2026-02-01T00:00:00+00:00"),
            ("a3", "in/a.txt", "2026-03-01T00:00:00+00:00"), ("b1", "in/b.txt", "2026-01-01T00:00:00+00:00"),
            ("u1", "story.txt", "2026-01-01T00:00:00+00:00"), ("u2", "story.txt", "2026-02-01T00:00:00+00:00")]  # fmt: skip
    for aid, source, at in rows:
        conn.execute(
            "INSERT INTO articles (id, title, source, published, ingested_at, data) VALUES (?, 't', ?, NULL, ?, '{}')",
            (aid, source, at),
        )
    conn.close()
    with ReviewStore.open(settings) as store:
        replaced = store.replaced_versions()
    # two uploads of one name (a bare file name) stay two current articles
    assert {aid: newer for aid, (newer, _) in replaced.items()} == {"a1": "a3", "a2": "a3"}


def test_reviews_elsewhere_match_the_same_or_a_slightly_edited_sentence_in_other_current_articles(
    store: ReviewStore,
) -> None:
    from app.repeated_claims import reviews_elsewhere

    long = "The harbour board approved 4.2 million dollars for new cranes on Monday."
    short = "The harbour board approved the plan."  # too short to be the same claim about the same event
    texts = {
        "wire": f"Wire\n\n{long} {short} Unions welcomed the decision on the same day.",
        "copy": f"Copy\n\n{long.replace('Monday', 'Monday evening')} {short}",
        "old": f"Old\n\n{long} It was a long meeting with several items.",
        "new": f"New\n\n{long} It was a long meeting with several items and a vote.",
    }
    articles = {k: make_article(t, source=f"{k}.txt") for k, t in texts.items()}
    articles["new"] = articles["new"].model_copy(update={"source": "old.txt"})  # a new version of old.txt
    claims: dict[str, list[Claim]] = {}
    for name, article in articles.items():
        store.upsert_article(article, actor="ingest")
        claims[name] = make_claims(article, 2)
        store.save_claims(article.id, claims[name])
    store.mark_current(articles["new"].id)  # "old" is now an earlier version
    for name in ("wire", "old"):
        for claim in claims[name]:
            store.save_review(Review(claim_id=claim.id, status="reviewed", verdict="False"), actor="ann")

    copy_long, copy_short = claims["copy"]
    assert copy_short.quote == short and reviews_elsewhere(store, copy_short) == []  # (wire's is reviewed too)
    # the wire copy, its "on Monday" without "evening": the earlier version "old" is never offered
    assert [(s.id, c.quote) for s, c, _ in reviews_elsewhere(store, copy_long)] == [(articles["wire"].id, long)]
    # the new version's own earlier version is app/earlier_versions' to show; the wire's (exact) comes first
    found = reviews_elsewhere(store, claims["new"][0])
    assert [s.id for s, _, _ in found] == [articles["wire"].id]
    # an unreviewed claim elsewhere brings nothing
    assert reviews_elsewhere(store, claims["wire"][0]) == []


def test_decided_sentences_are_read_again_only_after_the_store_changed(
    seeded: tuple[ReviewStore, Article, list[Claim]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.repeated_claims import DecidedSentences, reviews_elsewhere

    store, _, claims = seeded
    reads: list[int] = []
    real = store.decided_sentences
    monkeypatch.setattr(store, "decided_sentences", lambda: reads.append(1) or real())
    cache = DecidedSentences()
    for claim in claims[:3]:
        reviews_elsewhere(store, claim, cache)
    assert len(reads) == 1
    store.save_review(Review(claim_id=claims[0].id, status="reviewed", verdict="False"), actor="ann")
    assert [row[0] for row in cache.rows(store)] == [claims[0].id] and len(reads) == 2
    reviews_elsewhere(store, claims[1], cache)
    assert len(reads) == 2
