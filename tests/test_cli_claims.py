"""`claimdesk extract` and `claimdesk claims` through Typer's runner, on a real store under tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import GARBAGE, QueueChatModel, RuleScorer, fake_handle
from typer.testing import CliRunner

from app.checkworthiness import CheckworthinessScorer
from app.cli import app
from app.config import Settings, get_settings
from app.errors import ExtractionError, StoreError
from app.store import ReviewStore
from retrieval.models import Article, content_id
from retrieval.sentences import split_sentences

SEED = Path(__file__).resolve().parent.parent / "seeds" / "china-russia-sanctions.txt"
runner = CliRunner()


@pytest.fixture
def article(settings: Settings) -> Article:
    """The seed article, stored in the review store the CLI opens."""
    from app.models import utcnow

    text = SEED.read_text(encoding="utf-8")
    art = Article(id=content_id(text), title=text.splitlines()[0], source=str(SEED), text=text, ingested_at=utcnow())
    with ReviewStore.open(settings) as store:
        store.upsert_article(art)
    return art


def test_extract_all_with_the_scorer_alone_then_list_claims(settings: Settings, article: Article) -> None:
    result = runner.invoke(app, ["extract", "--all", "--llm", "none"])
    assert result.exit_code == 0, result.output
    assert article.id in result.stdout and "scorer" in result.stdout
    with ReviewStore.open(settings) as store:
        stored = store.claims(article.id)
        (run,) = store.extraction_runs(article.id)
    assert stored and all(article.text[c.start : c.end] == c.quote for c in stored)
    assert run.strategy == "scorer" and run.claims_kept == len(stored)

    listed = runner.invoke(app, ["claims", article.id])
    assert listed.exit_code == 0, listed.output
    assert stored[0].id in listed.stdout and f"{stored[0].start}-{stored[0].end}" in listed.stdout
    # the seed's "The statement came ..." needs the article: flagged in the listing, as is its time reference
    assert any(c.needs_context for c in stored) and "[needs context]" in listed.stdout
    assert "last Thursday" in listed.stdout

    as_json = runner.invoke(app, ["claims", article.id, "--json"])
    assert as_json.exit_code == 0
    rows = json.loads(as_json.stdout)
    assert [r["id"] for r in rows] == [c.id for c in stored]
    assert [r["checkworthiness"] for r in rows] == sorted((r["checkworthiness"] for r in rows), reverse=True)
    # extraction leans to recall (threshold 0.2, below the scorer's F1-best 0.42): every seed sentence,
    # including "He said that China and Russia maintain ..." (one of the lowest, 0.47), is a claim
    assert len(stored) == len(split_sentences(article.text))
    assert any(c.quote.startswith("He said that China and Russia") and c.needs_context for c in stored)
    # the scorer alone still names claimants, by rules: the reporting subject, a headline's source, the one person
    claimant = {c.quote[:20]: c.claimant for c in stored}
    assert claimant["Russia expelled 10 U"] == "Russia" and claimant["China, Russia to Sup"] == "Beijing"
    assert claimant['"We firmly oppose un'] == "Wang Wenbin" and claimant["Washington imposed s"] is None


def test_the_check_worthiness_threshold_setting_decides_which_sentences_become_claims(
    settings: Settings, article: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMDESK_CHECKWORTHINESS_THRESHOLD", "0.9")
    get_settings.cache_clear()
    assert runner.invoke(app, ["extract", "--all", "--llm", "none"]).exit_code == 0
    with ReviewStore.open(settings) as store:
        quotes = {c.quote for c in store.claims(article.id)}
    scored = CheckworthinessScorer.load().score_article(article.text)
    assert quotes == {s.text for s in scored if s.score >= 0.9}
    assert 0 < len(quotes) < len(scored)  # the seed's sentences straddle 0.9
    assert not any(q.startswith("He said that China and Russia") for q in quotes)


def test_rerun_with_json_reports_nothing_new(article: Article) -> None:
    first = runner.invoke(app, ["extract", article.id, "--llm", "none", "--json"])
    second = runner.invoke(app, ["extract", article.id, "--llm", "none", "--json"])
    assert first.exit_code == second.exit_code == 0, first.output
    (one,), (two,) = json.loads(first.stdout), json.loads(second.stdout)
    assert one["strategy"] == "scorer" and one["added"] == one["claims_kept"] > 0
    assert two["added"] == 0 and two["updated"] == 0 and two["unchanged"] == one["claims_kept"]


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["extract"]).exit_code == 2
    bad = runner.invoke(app, ["extract", "--all", "--strategy", "fastest"])
    assert bad.exit_code == 2 and "cascade" in bad.output


def test_unknown_article_is_a_clear_error(article: Article) -> None:
    result = runner.invoke(app, ["extract", "0000deadbeef0000", "--llm", "none"])
    assert result.exit_code == 1
    assert isinstance(result.exception, StoreError) and "claimdesk articles" in str(result.exception)
    listed = runner.invoke(app, ["claims", "0000deadbeef0000"])
    assert listed.exit_code == 1 and isinstance(listed.exception, StoreError)


def test_claims_before_extraction_says_what_to_run(article: Article) -> None:
    result = runner.invoke(app, ["claims", article.id])
    assert result.exit_code == 0 and f"claimdesk extract {article.id}" in result.stdout


def test_when_the_model_gives_up_the_kept_claims_are_saved_and_the_exit_is_1(
    settings: Settings, article: Article, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import claims as claims_cli
    from app.extraction_cascade import CascadeExtractor

    garbage = CascadeExtractor(settings, fake_handle(QueueChatModel(responder=lambda _: GARBAGE)), RuleScorer())
    monkeypatch.setattr(claims_cli, "_extractor", lambda *_: garbage)
    result = runner.invoke(app, ["extract", article.id])
    assert result.exit_code == 1
    assert isinstance(result.exception, ExtractionError) and "gave up" in str(result.exception)
    picked = [s for s in split_sentences(article.text) if RuleScorer.rule(s.text) >= 0.5]
    with ReviewStore.open(settings) as store:
        kept = store.claims(article.id)
        (run,) = store.extraction_runs(article.id)  # the failed run is on record, with why it failed
    assert len(kept) == len(picked) and all(c.statement == c.quote for c in kept)
    assert run.failures and run.last_raw_output == GARBAGE and run.claims_kept == len(kept)
