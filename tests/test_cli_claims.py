"""`claimdesk extract` and `claimdesk claims` through Typer's runner, on a real store under tmp_path."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fakes import GARBAGE, QueueChatModel, RuleScorer, fake_handle
from typer.testing import CliRunner

from app.checkworthiness import CheckworthinessScorer
from app.cli import app
from app.config import Settings, get_settings
from app.errors import ExtractionError, StoreError
from app.names import named_in_full
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
    # each kept as the scorer makes it: the sentence as written (its names in full)
    assert len(kept) == len(picked) and all(c.statement == named_in_full(c.quote, article.text, c.start) for c in kept)
    assert run.failures and run.last_raw_output == GARBAGE and run.claims_kept == len(kept)


@contextlib.contextmanager
def _failing_provider(status: int) -> Iterator[tuple[str, list[str]]]:
    """An OpenAI-compatible server on loopback that answers every chat call with `status`; yields (base URL,
    request paths seen)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.path)
            body = json.dumps({"error": {"message": f"fake error {status}", "type": "x"}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def _three_articles(settings: Settings) -> list[str]:
    from app.models import utcnow

    ids = []
    with ReviewStore.open(settings) as store:
        for n in range(3):
            text = f"Budget {n}\n\nThe council approved a budget of {n + 3} million dollars for schools in 2024."
            store.upsert_article(Article(id=content_id(text), title=f"Budget {n}", source=f"b{n}.txt", text=text,
                                         ingested_at=utcnow()))  # fmt: skip
            ids.append(content_id(text))
    return ids


@pytest.mark.parametrize(("status", "says", "max_requests"), [(401, "refused the key", 1), (503, "in a row", 6)])
# 401: the first call stops the run; 503 (retried once by the client): the third failed call in a row does
def test_a_provider_no_retry_can_mend_stops_the_whole_run(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, status: int, says: str, max_requests: int
) -> None:
    _three_articles(settings)
    with _failing_provider(status) as (url, seen):
        monkeypatch.setenv("CLAIMDESK_LLM_BASE_URL", url)
        get_settings.cache_clear()
        result = runner.invoke(app, ["extract", "--all", "--llm", "openai-compatible:m", "--strategy", "cascade"])
    assert result.exit_code == 1
    message = str(result.exception)
    assert says in message and "article(s) not extracted" in message
    assert len(seen) <= max_requests  # not one failing call per sentence of every article
    with ReviewStore.open(settings) as store:
        # the articles tried before the run stopped keep their sentences as the scorer makes them
        assert all(c.provenance.extractor == "scorer" for c in store.claims())
        assert status != 401 or store.claims() == []


def test_a_partly_failed_run_exits_1_and_skip_done_retries_only_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import claims as claims_cli
    from app.extraction_cascade import CascadeExtractor

    ids = _three_articles(settings)

    def flaky(messages: list[object]) -> str:  # the model fails on the second article only
        text = " ".join(str(getattr(m, "content", "")) for m in messages)
        return GARBAGE if "4 million" in text else json.dumps({"claimant": None, "claim_type": "statistic"})

    extractor = CascadeExtractor(settings, fake_handle(QueueChatModel(responder=flaky)), RuleScorer())
    monkeypatch.setattr(claims_cli, "_extractor", lambda *_: extractor)
    first = runner.invoke(app, ["extract", "--all", "--json"])
    assert first.exit_code == 1 and "incomplete for 1 article(s)" in str(first.exception)
    rows = {r["article_id"]: r for r in json.loads(first.stdout)}
    assert [rows[i]["partial"] for i in ids] == [False, True, False]

    again = runner.invoke(app, ["extract", "--all", "--skip-done", "--json"])
    assert "Skipped 2 article(s)" in again.stderr
    assert [r["article_id"] for r in json.loads(again.stdout)] == [ids[1]]


def test_an_interrupted_extraction_lists_what_it_finished(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import claims as claims_cli
    from app.extraction import ScorerOnlyExtractor

    _three_articles(settings)
    inner = ScorerOnlyExtractor(settings, RuleScorer())
    done: list[str] = []

    class Interrupted:
        def extract(self, article: Article, **kwargs: object):  # type: ignore[no-untyped-def]
            if done:
                raise KeyboardInterrupt  # Ctrl-C during the second article
            done.append(article.id)
            return inner.extract(article, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(claims_cli, "_extractor", lambda *_: Interrupted())
    result = runner.invoke(app, ["extract", "--all", "--json"])
    assert result.exit_code != 0
    assert [r["article_id"] for r in json.loads(result.stdout)] == done
    assert "Interrupted after 1 of 3 article(s)" in result.stderr
