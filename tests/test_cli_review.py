"""`claimdesk review` and `claimdesk history` through Typer's runner, on a real store under tmp_path."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app, main
from app.cli.review import StoredArticleChunks, resolve_evidence
from app.config import Settings
from app.errors import StoreError
from app.models import Claim, Provenance, Review, claim_id_for, utcnow
from app.store import ReviewStore
from retrieval.chunking import chunk_article
from retrieval.models import Article, Chunk, content_id

SEED = Path(__file__).resolve().parent.parent / "seeds" / "china-russia-sanctions.txt"
runner = CliRunner()


@pytest.fixture
def seeded(settings: Settings) -> tuple[Article, Claim]:
    """The seed article and one claim (its second paragraph) in the store configured by the environment."""
    text = SEED.read_text(encoding="utf-8")
    article = Article(
        id=content_id(text), title=text.splitlines()[0], source=str(SEED), text=text, ingested_at=utcnow()
    )
    quote = text.splitlines()[2]
    start = text.index(quote)
    claim = Claim(
        id=claim_id_for(article.id, start, start + len(quote)),
        article_id=article.id,
        quote=quote,
        start=start,
        end=start + len(quote),
        statement="Beijing pledged to deepen cooperation with Moscow.",
        checkworthiness=0.8,
        provenance=Provenance(extractor="cascade", model="qwen-test", prompt_hash="ph42"),
    )
    with ReviewStore.open(settings) as store:
        store.upsert_article(article)
        store.save_claims(article.id, [claim])
    return article, claim


def test_review_then_history(settings: Settings, seeded: tuple[Article, Claim]) -> None:
    article, claim = seeded
    chunks = chunk_article(article, settings.chunk_size)
    result = runner.invoke(
        app,
        [
            "review",
            claim.id,
            "--verdict",
            "mostly true",
            "--reviewer",
            "ann",
            "--note",
            "Matches the ministry transcript.",
            "--evidence",
            chunks[1].id,
            "--evidence",
            chunks[2].id,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output and "verdict=Mostly true" in result.output and "2 evidence" in result.output

    result = runner.invoke(
        app,
        [
            "review",
            claim.id,
            "--reviewer",
            "bob",
            "--statement",
            "China vowed closer ties with Russia.",
            "--not-checkable",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "version 2" in result.output and "not checkable" in result.output

    with ReviewStore.open(settings) as store:
        review = store.get_review(claim.id)
    # rejecting the claim as not checkable clears its verdict (the two exclude each other)
    assert (review.version, review.verdict, review.status, review.reviewer) == (2, None, "reviewed", "bob")
    assert review.notes == "Matches the ministry transcript."
    assert review.edited_statement == "China vowed closer ties with Russia." and review.not_checkable
    # evidence was frozen from the article text, with title and source
    assert [e.chunk_id for e in review.evidence] == [chunks[1].id, chunks[2].id]
    assert review.evidence[0].text == chunks[1].text == article.text[chunks[1].start : chunks[1].end]
    assert review.evidence[0].title == article.title and review.evidence[0].source == str(SEED)

    result = runner.invoke(app, ["history", claim.id])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("    ")]  # not passages
    assert [line.split("  ")[2] for line in lines] == [
        "claim_extracted",
        "review_saved",
        "evidence_cited",
        "review_saved",
        "statement_edited",
        "rejected_not_checkable",
    ]
    assert "qwen-test" in lines[0] and "ph42" in lines[0]
    assert "ann" in lines[1] and "verdict: - -> Mostly true" in lines[1] and chunks[1].id in lines[1]
    assert "bob" in lines[3]

    result = runner.invoke(app, ["history", claim.id, "--json"])
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)
    assert [e["actor"] for e in events] == ["extractor", "ann", "ann", "bob", "bob", "bob"]
    assert events[1]["changes"]["evidence_ids"] == [chunks[1].id, chunks[2].id]
    assert events[1]["changes"]["model"] == "qwen-test" and events[1]["changes"]["prompt_hash"] == "ph42"
    assert all(e["at"] for e in events)


def test_a_review_that_changes_nothing_is_not_saved_again(settings: Settings, seeded: tuple[Article, Claim]) -> None:
    """The same command twice: the second adds no version and no history line under the reviewer's name. Citing a
    passage of the claim's own article says how reports list it."""
    article, claim = seeded
    own = chunk_article(article, settings.chunk_size)[1].id
    command = ["review", claim.id, "--verdict", "True", "--reviewer", "ann", "--evidence", own]
    first = runner.invoke(app, command)
    assert first.exit_code == 0 and "version 1" in first.output, first.output
    assert f"Note: evidence {own} is from the claim's own article" in first.stderr
    assert "context, not independent evidence" in first.stderr
    again = runner.invoke(app, [*command[:4], "--reviewer", "bob", "--evidence", own])
    assert again.exit_code == 0, again.output
    assert f"Nothing to change: claim {claim.id} already says this (version 1)." in again.output
    with ReviewStore.open(settings) as store:
        review = store.get_review(claim.id)
        history = store.history(claim.id)
    assert (review.version, review.reviewer) == (1, "ann")
    assert [e.actor for e in history].count("bob") == 0
    # a note is a change
    noted = runner.invoke(app, [*command, "--note", "Checked against the transcript."])
    assert noted.exit_code == 0 and "version 2" in noted.output, noted.output


def test_bad_label_lists_valid_labels(settings: Settings, seeded: tuple[Article, Claim]) -> None:
    _, claim = seeded
    result = runner.invoke(app, ["review", claim.id, "--verdict", "Pants on fire", "--reviewer", "ann"])
    assert result.exit_code == 1
    assert isinstance(result.exception, StoreError)
    message = str(result.exception)
    assert "Unknown verdict 'Pants on fire'" in message
    assert all(label in message for label in settings.ratings())
    with ReviewStore.open(settings) as store:
        assert store.get_review(claim.id).version == 0


def test_main_prints_one_line_for_a_bad_label(
    seeded: tuple[Article, Claim], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, claim = seeded
    monkeypatch.setattr(sys, "argv", ["claimdesk", "review", claim.id, "--verdict", "nope", "--reviewer", "ann"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("Error: Unknown verdict 'nope'. Valid verdicts: True, ")


def test_unknown_claim(seeded: tuple[Article, Claim]) -> None:
    result = runner.invoke(app, ["review", "0000dead0000beef", "--verdict", "True", "--reviewer", "ann"])
    assert result.exit_code == 1
    assert "No claim with id '0000dead0000beef'" in str(result.exception)
    result = runner.invoke(app, ["history", "0000dead0000beef"])
    assert result.exit_code == 1
    assert "No history for '0000dead0000beef'" in str(result.exception)


def test_unknown_evidence_and_bad_status(settings: Settings, seeded: tuple[Article, Claim]) -> None:
    _, claim = seeded
    result = runner.invoke(
        app, ["review", claim.id, "--verdict", "True", "--reviewer", "ann", "--evidence", "no-such-chunk"]
    )
    assert result.exit_code == 1
    assert "Unknown evidence chunk id(s): no-such-chunk" in str(result.exception)
    result = runner.invoke(app, ["review", claim.id, "--verdict", "True", "--reviewer", "ann", "--status", "done"])
    assert result.exit_code == 1
    assert "--status reviewed or --status in_progress" in str(result.exception)
    with ReviewStore.open(settings) as store:
        assert store.get_review(claim.id).version == 0


def _reviewed(settings: Settings, claim_id: str, *options: str) -> Review:
    """Run `claimdesk review CLAIM_ID --reviewer ann OPTIONS...` and return the stored review."""
    result = runner.invoke(app, ["review", claim_id, "--reviewer", "ann", *options])
    assert result.exit_code == 0, result.output
    with ReviewStore.open(settings) as store:
        return store.get_review(claim_id)


def test_in_progress_without_verdict(settings: Settings, seeded: tuple[Article, Claim]) -> None:
    _, claim = seeded
    review = _reviewed(settings, claim.id, "--note", "Asked the ministry.")
    assert (review.status, review.verdict, review.notes) == ("in_progress", None, "Asked the ministry.")


class RecordingChunks:
    """A chunk source (our protocol) serving fixed chunks and recording what it was asked and whether closed."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = list(chunks)
        self.asked: list[str] = []
        self.closed = False

    def chunks(self, article_id: str) -> Sequence[Chunk]:
        self.asked.append(article_id)
        return [c for c in self._chunks if c.article_id == article_id]

    def close(self) -> None:
        self.closed = True


def test_fallback_source_is_opened_only_for_ids_the_first_does_not_know(
    settings: Settings, seeded: tuple[Article, Claim]
) -> None:
    article, _ = seeded
    known = chunk_article(article, settings.chunk_size)[0]
    # a chunk cut with another chunk size: only the corpus knows it
    other = Chunk(id="corpus-only", article_id=article.id, index=0, start=0, end=20, text=article.text[:20])
    corpus = RecordingChunks([other])
    opened: list[int] = []

    def open_corpus() -> RecordingChunks:
        opened.append(1)
        return corpus

    with ReviewStore.open(settings) as store:
        local = StoredArticleChunks(store, settings.chunk_size)
        cited = resolve_evidence([known.id], store=store, source=local, fallback=open_corpus)
        assert [c.chunk_id for c in cited] == [known.id] and opened == []
        cited = resolve_evidence(["corpus-only", known.id], store=store, source=local, fallback=open_corpus)
        assert [c.chunk_id for c in cited] == ["corpus-only", known.id]
        assert cited[0].text == article.text[:20] and cited[0].title == article.title
        assert opened == [1] and corpus.asked == [article.id] and corpus.closed
        with pytest.raises(StoreError, match="missing-one"):
            resolve_evidence(["missing-one"], store=store, source=local, fallback=lambda: None)


def test_history_keeps_cited_passages_and_the_articles_deletion(
    settings: Settings, seeded: tuple[Article, Claim]
) -> None:
    article, claim = seeded
    chunk = chunk_article(article, settings.chunk_size)[0]
    result = runner.invoke(app, ["review", claim.id, "--verdict", "True", "--reviewer", "ann", "--evidence", chunk.id])
    assert result.exit_code == 0, result.output
    with ReviewStore.open(settings) as store:
        store.delete_article(article.id, actor="bob")
    result = runner.invoke(app, ["history", claim.id, "--json"])
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert [e["action"] for e in events][-2:] == ["evidence_cited", "article_deleted"]
    (passage,) = events[-2]["changes"]["passages"]
    assert passage["text"] == chunk.text and passage["chunk_id"] == chunk.id  # the cited text outlives the review
    assert events[-1]["actor"] == "bob"
    # an article id shows everything recorded about the article
    result = runner.invoke(app, ["history", article.id])
    assert result.exit_code == 0 and "article_deleted" in result.stdout and "review_saved" in result.stdout
    # the plain listing shows the cited passage's text in full, not cut at 80 characters
    plain = runner.invoke(app, ["history", claim.id]).stdout
    assert f"[{chunk.id}]" in plain and " ".join(chunk.text.split())[-60:] in " ".join(plain.split())


def test_citing_a_copy_of_the_claims_sentence_is_said(settings: Settings, seeded: tuple[Article, Claim]) -> None:
    _, claim = seeded
    chunks = []
    for text in (
        f"Wire copy\n\nMOSCOW (Wires) - {claim.quote} Analysts were divided.",
        "Markets\n\nBeijing's cooperation with Moscow deepened as the West added sanctions, markets heard on Monday.",
    ):
        article = Article(id=content_id(text), title="Other", source="other.txt", text=text, ingested_at=utcnow())
        with ReviewStore.open(settings) as store:
            store.upsert_article(article)
        chunks.append(chunk_article(article, settings.chunk_size)[0])
    repeat, other = chunks
    result = runner.invoke(app, ["review", claim.id, "--reviewer", "ann", "--evidence", repeat.id])
    assert result.exit_code == 0, result.output
    assert f"Note: evidence {repeat.id}: Repeats" in result.stderr and "not independent evidence" in result.stderr
    result = runner.invoke(app, ["review", claim.id, "--reviewer", "ann", "--evidence", other.id])
    assert result.exit_code == 0 and "Repeats" not in result.stderr


def test_review_corrects_the_claimant_and_clears_it(settings: Settings, seeded: tuple[Article, Claim]) -> None:
    _, claim = seeded
    review = _reviewed(settings, claim.id, "--claimant", "  Wang   Wenbin ")
    assert review.edited_claimant == "Wang Wenbin" and review.claimant_of(claim) == "Wang Wenbin"
    assert review.status == "in_progress"  # a correction alone decides nothing
    assert _reviewed(settings, claim.id, "--claimant", "").claimant_of(claim) is None
    history = runner.invoke(app, ["history", claim.id])
    assert "edited_claimant" in history.output


def test_review_names_the_same_sentence_reviewed_in_another_article(
    settings: Settings, seeded: tuple[Article, Claim]
) -> None:
    _, claim = seeded
    text = f"Wire copy of the sanctions story\n\n{claim.quote}\n"
    copy = Article(id=content_id(text), title="Wire copy", source="copy.txt", text=text, ingested_at=utcnow())
    start = text.index(claim.quote)
    copied = claim.model_copy(
        update={"id": claim_id_for(copy.id, start, start + len(claim.quote)), "article_id": copy.id, "start": start,
                "end": start + len(claim.quote)}
    )  # fmt: skip
    with ReviewStore.open(settings) as store:
        store.upsert_article(copy)
        store.save_claims(copy.id, [copied])
    first = runner.invoke(app, ["review", claim.id, "--verdict", "False", "--reviewer", "ann"])
    assert first.exit_code == 0 and "same sentence" not in first.output  # nothing decided elsewhere yet
    agree = runner.invoke(app, ["review", copied.id, "--verdict", "False", "--reviewer", "bob"])
    assert agree.exit_code == 0, agree.output
    assert (
        "the same sentence is reviewed in 'China, Russia" in agree.stderr
        and f"claim {claim.id}): False" in agree.stderr
    )
    assert "not what was saved here" not in agree.stderr
    differ = runner.invoke(app, ["review", copied.id, "--verdict", "True", "--reviewer", "bob"])
    assert "False, by ann - not what was saved here." in differ.stderr
    # and an export that publishes both says so
    exported = runner.invoke(app, ["export", "--format", "md", "-o", "-"])
    assert exported.exit_code == 0, exported.output
    assert "Warning: the same sentence has different verdicts: " in exported.stderr
    assert (
        "False in 'China, Russia" in exported.stderr and f"True in 'Wire copy' (claim {copied.id})" in exported.stderr
    )
    alone = runner.invoke(app, ["export", "--format", "md", "-o", "-", "--article", copy.id])
    assert "different verdicts" in alone.stderr  # its copy elsewhere is decided otherwise


def test_reject_marks_claims_nobody_started_not_checkable_and_leaves_the_rest(
    settings: Settings, seeded: tuple[Article, Claim]
) -> None:
    article, claim = seeded
    quote = article.text.splitlines()[4]
    start = article.text.index(quote)
    other = claim.model_copy(
        update={"id": claim_id_for(article.id, start, start + len(quote)), "quote": quote, "start": start,
                "end": start + len(quote), "statement": quote}
    )  # fmt: skip
    with ReviewStore.open(settings) as store:
        store.save_claims(article.id, [claim, other])
    assert runner.invoke(app, ["review", claim.id, "--verdict", "False", "--reviewer", "ann"]).exit_code == 0
    typo = runner.invoke(app, ["reject", other.id, "nope", "--reviewer", "bob"])
    assert typo.exit_code == 1 and "No claim with id 'nope'" in str(typo.exception)
    with ReviewStore.open(settings) as store:
        assert store.get_review(other.id).status == "unreviewed"  # nothing saved for a batch with a typo
    done = runner.invoke(app, ["reject", claim.id, other.id, "--reviewer", "bob"])
    assert done.exit_code == 0, done.output
    assert "Marked 1 claim(s) not checkable; left 1 that had been started or decided as they were." in done.stdout
    assert f"Left {claim.id}: it had been started or decided" in done.stderr
    with ReviewStore.open(settings) as store:
        assert store.get_review(claim.id).verdict == "False"
        rejected = store.get_review(other.id)
        assert (rejected.status, rejected.not_checkable, rejected.reviewer) == ("reviewed", True, "bob")
