"""`claimdesk export` through Typer's CliRunner on a real review store (SQLite file in tmp_path)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from fakes import claim_at
from typer.testing import CliRunner

from app.cli import app
from app.config import Settings
from app.errors import ExportError
from app.models import Claim, Review
from app.report_formats import read_json
from app.store import ReviewStore
from retrieval.models import Article, content_id

TESTS = Path(__file__).resolve().parent
SEED = TESTS.parent / "seeds" / "china-russia-sanctions.txt"
SCHEMA = json.loads((TESTS / "schemas" / "claimreview.schema.json").read_text(encoding="utf-8"))

QUOTES = {
    "oppose": "We firmly oppose unilateral sanctions",
    "expelled": "Russia expelled 10 US diplomats in response",
    "washington": "Washington imposed sanctions on both Russia and China this month",
}


def _article() -> Article:
    text = SEED.read_text(encoding="utf-8")
    return Article(
        id=content_id(text),
        title=text.splitlines()[0],
        source="https://news.example.com/china-russia",
        text=text,
        published=datetime(2026, 4, 19, tzinfo=UTC),
        ingested_at=datetime(2026, 4, 20, tzinfo=UTC),
    )


def _claim(article: Article, quote: str, claimant: str | None = None) -> Claim:
    return claim_at(article, quote, statement=f"Statement: {quote}.", claimant=claimant)


@pytest.fixture
def store_with_claims(settings: Settings) -> dict[str, str]:
    """A real store holding the seed article and three claims, none reviewed; returns name -> claim id."""
    article = _article()
    claims = {name: _claim(article, quote, "Wang Wenbin") for name, quote in QUOTES.items()}
    with ReviewStore.open(settings) as store:
        store.upsert_article(article)
        store.save_claims(article.id, list(claims.values()))
    return {name: c.id for name, c in claims.items()} | {"article": article.id}


def _review(settings: Settings, claim_id: str, **changes: object) -> None:
    with ReviewStore.open(settings) as store:
        current = store.get_review(claim_id)
        store.save_review(Review.model_validate({**current.model_dump(), **changes}), actor="Ana Ruiz")


@pytest.fixture
def reviewed(settings: Settings, store_with_claims: dict[str, str]) -> dict[str, str]:
    """Two claims reviewed (True, Unverifiable), one left unreviewed."""
    _review(settings, store_with_claims["oppose"], status="reviewed", verdict="True", notes="Transcript checked.")
    _review(settings, store_with_claims["expelled"], status="reviewed", verdict="Unverifiable")
    return store_with_claims


def test_export_markdown_writes_the_file_and_says_so(reviewed: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = CliRunner().invoke(app, ["export", "--format", "md", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote 2 claims from 1 article as md to {out}." in result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# China, Russia to Support Each Other")
    assert "Transcript checked\\." not in text and "Transcript checked." in text
    assert "| True | 1 |" in text and "| Unverifiable | 1 |" in text
    assert "Washington imposed" not in text  # unreviewed claims stay out by default


def test_export_json_to_stdout_round_trips(reviewed: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["export", "-f", "json", "-o", "-", "--all-claims"])
    assert result.exit_code == 0, result.output
    report = read_json(result.stdout)
    assert report.claim_count == 3
    assert report.summary == {"True": 1, "Unverifiable": 1, "Unreviewed": 1}
    assert "Wrote 3 claims from 1 article as json to stdout." in result.stderr


def test_export_csv_bytes_are_utf8_with_bom_and_crlf_rows(reviewed: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "claims.csv"
    result = CliRunner().invoke(app, ["export", "-f", "csv", "-o", str(out), "--verdict", "true"])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    # The BOM makes Excel read the file as UTF-8; it appears exactly once, before the header.
    assert raw.startswith(b"\xef\xbb\xbfclaim_id,") and raw.count(b"\xef\xbb\xbf") == 1
    assert raw.count(b"\r\n") == 2 and b"\r\r\n" not in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [r["claim_id"] for r in rows] == [reviewed["oppose"]]


def test_export_html_for_one_article(reviewed: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "article.html"
    result = CliRunner().invoke(app, ["export", "-f", "html", "-o", str(out), "--article", reviewed["article"]])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    assert "<title>China, Russia to Support Each Other" in html


def test_export_claimreview_validates(publisher: dict[str, str], reviewed: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "claimreview.json"
    result = CliRunner().invoke(app, ["export", "-f", "claimreview", "-o", str(out)])
    assert result.exit_code == 0, result.output
    items = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(items, SCHEMA)
    assert {i["reviewRating"]["alternateName"] for i in items} == {"True", "Unverifiable"}
    report_url = publisher["CLAIMDESK_REPORT_URL"]
    assert sorted(i["url"] for i in items) == sorted(
        f"{report_url}#claim-{reviewed[n]}" for n in ("oppose", "expelled")
    )


def test_export_claimreview_refuses_unreviewed_and_keeps_the_old_file(
    publisher: dict[str, str], reviewed: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "claimreview.json"
    out.write_text("previous export\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", "-f", "claimreview", "-o", str(out), "--all-claims"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ExportError)
    message = str(result.exception)
    assert f"claim {reviewed['washington']}: not reviewed yet (status unreviewed), no verdict" in message
    assert reviewed["oppose"] not in message
    assert out.read_text(encoding="utf-8") == "previous export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_claimreview_leaves_out_not_checkable(
    publisher: dict[str, str], settings: Settings, reviewed: dict[str, str], tmp_path: Path
) -> None:
    _review(settings, reviewed["washington"], status="reviewed", not_checkable=True)
    out = tmp_path / "cr.json"
    result = CliRunner().invoke(app, ["export", "-f", "claimreview", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 claims (1 not-checkable left out) from 1 article" in result.output
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 2


def test_export_with_nothing_reviewed_says_review_first(store_with_claims: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = CliRunner().invoke(app, ["export", "-f", "md", "-o", str(out)])
    assert result.exit_code == 1
    assert isinstance(result.exception, ExportError)
    assert "No reviewed claims to export" in str(result.exception)
    assert "--all-claims" in str(result.exception)
    assert not out.exists()


def test_export_date_filters(reviewed: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    ok = CliRunner().invoke(
        app, ["export", "-f", "json", "-o", str(out), "--since", "2000-01-01", "--until", "2999-12-31"]
    )
    assert ok.exit_code == 0, ok.output
    assert read_json(out.read_text(encoding="utf-8")).claim_count == 2
    none = CliRunner().invoke(app, ["export", "-f", "json", "-o", str(out), "--since", "2999-01-01"])
    assert none.exit_code == 1
    assert "No claims match these filters" in str(none.exception)
    swapped = CliRunner().invoke(
        app, ["export", "-f", "md", "-o", "-", "--since", "2026-05-02", "--until", "2026-05-01"]
    )
    assert swapped.exit_code == 1
    assert "--since 2026-05-02 is after --until 2026-05-01" in str(swapped.exception)


def test_export_unknown_article_and_bad_paths(reviewed: dict[str, str], tmp_path: Path) -> None:
    unknown = CliRunner().invoke(app, ["export", "-f", "md", "-o", "-", "--article", "0000"])
    assert unknown.exit_code == 1
    assert "No article with id '0000'" in str(unknown.exception)
    missing_dir = CliRunner().invoke(app, ["export", "-f", "md", "-o", str(tmp_path / "nope" / "r.md")])
    assert missing_dir.exit_code == 1
    assert "does not exist" in str(missing_dir.exception)
    bad_format = CliRunner().invoke(app, ["export", "-f", "pdf", "-o", "-"])
    assert bad_format.exit_code == 2
    assert "pdf" in bad_format.output


def test_bom_only_in_csv_files_not_in_stdout_or_other_formats(reviewed: dict[str, str], tmp_path: Path) -> None:
    piped = CliRunner().invoke(app, ["export", "-f", "csv", "-o", "-", "--all-claims"])
    assert piped.exit_code == 0, piped.output
    assert piped.stdout.startswith("claim_id,")
    out = tmp_path / "claims.json"
    assert CliRunner().invoke(app, ["export", "-f", "json", "-o", str(out), "--all-claims"]).exit_code == 0
    assert out.read_bytes().startswith(b"{")


def test_export_names_claims_that_still_need_context(settings: Settings) -> None:
    article = _article()
    leaning = claim_at(article, "The statement came a few days after", statement="The statement came a few days after")
    leaning = leaning.model_copy(update={"needs_context": True})
    with ReviewStore.open(settings) as store:
        store.upsert_article(article)
        store.save_claims(article.id, [leaning])
    _review(settings, leaning.id, status="reviewed", verdict="True")
    result = CliRunner().invoke(app, ["export", "--format", "md", "-o", "-"])
    assert result.exit_code == 0
    assert "1 exported claim(s) are flagged 'needs context'" in result.stderr and leaning.id in result.stderr
    _review(settings, leaning.id, edited_statement="Wang's statement came a few days after the sanctions.")
    again = CliRunner().invoke(app, ["export", "--format", "md", "-o", "-"])
    assert "needs context" not in again.stderr
