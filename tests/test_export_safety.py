"""`claimdesk export -o`: what the output path may be (stdout names, symlinks, FIFOs, directories), and the
warnings the command prints; on a real review store (SQLite in tmp_path), files and FIFOs in tmp_path only."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest
from test_cli_export import reviewed, store_with_claims  # noqa: F401 (fixtures)
from test_reports import assert_inert, make_report, permissive_markdown
from typer.testing import CliRunner

from app.cli import app
from app.cli.export import extension_mismatch, is_stdout
from app.config import Settings
from app.errors import ExportError
from app.report_formats import render_html, render_markdown
from app.store import ReviewStore


def _export(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["export", *args])


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("-", True),
        ("/dev/stdout", True),
        ("/dev/fd/1", True),
        ("/proc/self/fd/1", True),
        ("/dev//stdout", True),
        ("/dev/stderr", False),
        ("/dev/fd/2", False),
        ("stdout", False),
        ("report.md", False),
    ],
)
def test_names_of_standard_output_mean_stdout(output: str, expected: bool) -> None:
    assert is_stdout(output) is expected


@pytest.mark.usefixtures("reviewed")
def test_a_symlink_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "published" / "report.md"
    real.parent.mkdir()
    real.write_text("old report\n", encoding="utf-8")
    link = tmp_path / "latest.md"
    link.symlink_to(real)
    result = _export("-f", "md", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8").startswith("# China, Russia")
    assert f"Replaced existing {real}." in result.stderr
    assert [p.name for p in real.parent.iterdir()] == ["report.md"]  # no temp file left beside the target


@pytest.mark.usefixtures("reviewed")
def test_a_dangling_symlink_creates_the_file_it_names(tmp_path: Path) -> None:
    link = tmp_path / "latest.md"
    link.symlink_to(tmp_path / "new.md")
    result = _export("-f", "md", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and (tmp_path / "new.md").read_text(encoding="utf-8").startswith("# China")
    assert "Replaced" not in result.output


@pytest.mark.usefixtures("reviewed")
def test_a_fifo_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "to-pipe.md"
    link.symlink_to(fifo)
    for target in (fifo, link):
        result = _export("-f", "md", "-o", str(target))
        assert result.exit_code == 1
        assert isinstance(result.exception, ExportError)
        message = str(result.exception)
        assert message == (
            f"{target} is a named pipe (FIFO); nothing was written. Give a regular file with -o, or -o - for "
            "standard output."
        )
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == ["pipe", "to-pipe.md"]


@pytest.mark.usefixtures("reviewed")
def test_a_directory_or_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    as_dir = _export("-f", "md", "-o", str(folder))
    assert as_dir.exit_code == 1 and f"{folder} is a directory" in str(as_dir.exception)
    link = tmp_path / "into-missing.md"
    link.symlink_to(tmp_path / "missing" / "r.md")
    missing = _export("-f", "md", "-o", str(link))
    assert missing.exit_code == 1
    assert f"Directory {tmp_path / 'missing'} does not exist" in str(missing.exception)
    assert link.is_symlink() and not (tmp_path / "missing").exists()


@pytest.mark.usefixtures("reviewed")
def test_overwriting_says_so_and_a_new_file_does_not(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    first = _export("-f", "md", "-o", str(out))
    assert first.exit_code == 0 and "Replaced" not in first.output
    again = _export("-f", "md", "-o", str(out))
    assert again.exit_code == 0
    assert f"Wrote 2 claims from 1 article as md to {out}." in again.stdout
    assert f"Replaced existing {out}." in again.stderr


@pytest.mark.parametrize(
    ("output", "fmt", "expected"),
    [
        ("report.csv", "html", ".csv"),
        ("report.HTML", "md", ".html"),
        ("report.json", "claimreview", None),
        ("claims.jsonld", "json", None),
        ("report.md", "md", None),
        ("report.txt", "csv", None),
        ("report", "csv", None),
        ("-", "csv", None),
    ],
)
def test_extension_mismatch(output: str, fmt: str, expected: str | None) -> None:
    assert extension_mismatch(output, fmt) == expected


@pytest.mark.usefixtures("reviewed")
def test_an_extension_of_another_format_warns_but_writes(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    result = _export("-f", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"Warning: {out} ends in .csv, but the report in it is html (as --format asked)." in result.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# -- what reviewers type -------------------------------------------------------------------------------------

CONTROLS = ("\x1b", "\x0b", "\x07", "\x85", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
            "\u2068", "\u2069")  # fmt: skip


def test_controls_typed_by_a_reviewer_never_reach_a_report(
    settings: Settings,
    store_with_claims: dict[str, str],  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    claim_id = store_with_claims["oppose"]
    with ReviewStore.open(settings) as store:
        review = store.get_review(claim_id).model_copy(
            update={
                "status": "reviewed",
                "verdict": "True",
                "notes": "Checked\x1b[31m in red\x1b[0m.\x0bSee\u2067 the \u202etranscript.\r\nSecond line.",
                "edited_statement": "China\u202b opposes\x07 unilateral sanctions.",
            }
        )
        saved = store.save_review(review, actor="Eve\u202e")
        assert saved.reviewer == "Eve"
        assert {e.actor for e in store.history(claim_id)} >= {"Eve"} and "Eve\u202e" not in {
            e.actor for e in store.history(claim_id)
        }  # the history records the cleaned name too
        assert saved.notes == "Checked in red.See the transcript.\nSecond line."
        assert saved.edited_statement == "China opposes unilateral sanctions."
    for fmt in ("md", "html"):
        out = tmp_path / f"report.{fmt}"
        result = _export("-f", fmt, "-o", str(out))
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert not [c for c in CONTROLS if c in text], fmt
        assert "Eve on " in text and "China opposes unilateral sanctions" in text


def test_a_review_stored_with_controls_still_loads_cleaned(
    settings: Settings,
    store_with_claims: dict[str, str],  # noqa: F811 (the fixture imported above)
) -> None:
    claim_id = store_with_claims["oppose"]
    with ReviewStore.open(settings) as store:
        store.save_review(store.get_review(claim_id).model_copy(update={"notes": "plain"}), actor="Ana")
    # A review saved before the model cleaned typed text (written straight into the SQLite file).
    with sqlite3.connect(settings.db_path) as conn:
        (data,) = conn.execute("SELECT data FROM reviews WHERE claim_id = ?", (claim_id,)).fetchone()
        raw = json.loads(data) | {"notes": "old\x1b]0;title\x07 note\u202e", "reviewer": "Mallory\u2066"}
        conn.execute("UPDATE reviews SET data = ? WHERE claim_id = ?", (json.dumps(raw), claim_id))
    with ReviewStore.open(settings) as store:
        loaded = store.get_review(claim_id)
    assert (loaded.notes, loaded.reviewer) == ("old note", "Mallory")
    result = _export("-f", "md", "-o", "-", "--all-claims")
    assert result.exit_code == 0 and "old note" in result.stdout


# -- long words in the HTML report ---------------------------------------------------------------------------

LONG_URL = "https://example.org/" + "a" * 3000


def _long_word_report() -> str:
    report = make_report()
    article, claim = next((a, c) for a, c in report.claims() if c.verdict == "True")
    claim.notes = f"See {LONG_URL} for the transcript."
    claim.statement = claim.quote = "Unbroken" + "x" * 800
    claim.evidence[0].text = "Evidence" + "y" * 800
    article.title = "Title" + "z" * 500
    return render_html(report)


def test_html_report_lets_long_words_break() -> None:
    css = re.search(r"<style>(.*?)</style>", _long_word_report(), re.DOTALL)
    assert css is not None
    rules: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css.group(1)):
        for selector in selectors.split(","):
            rules[selector.strip()] = rules.get(selector.strip(), "") + body
    for selector in ("h2", "h3", "blockquote", "dd", ".notes", ".evidence-text"):
        assert "overflow-wrap: anywhere" in rules.get(selector, ""), selector


@pytest.mark.browser
def test_html_report_with_a_3000_character_url_fits_the_window() -> None:
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        page.set_content(_long_word_report())
        width = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    assert width <= 1000


# -- Markdown structure --------------------------------------------------------------------------------------


def _one_claim_markdown(**changes: object) -> str:
    report = make_report()
    article = report.articles[0]
    claim = article.claims[0].model_copy(update=changes)
    return render_markdown(report.model_copy(update={"articles": [article.model_copy(update={"claims": [claim]})]}))


@pytest.mark.parametrize("ending", ["#", "##", " #", " ###"])
def test_a_heading_keeps_its_trailing_hashes(ending: str) -> None:
    statement = f"The club was ranked{ending}"
    html = permissive_markdown(_one_claim_markdown(statement=statement, original_statement=statement))
    assert f"<h3>1. {statement}</h3>" in html
    report = make_report()
    report.articles = report.articles[:1]
    report.articles[0].title = "Top story #"
    assert "<h1>Top story #</h1>" in permissive_markdown(render_markdown(report))


def test_notes_keep_their_paragraphs_and_stay_literal() -> None:
    notes = "First paragraph, line one.\nLine two.\n\n\n  Second <b>paragraph</b> # [x](javascript:y)\n\n- third"
    html = permissive_markdown(_one_claim_markdown(notes=notes))
    assert_inert(html)
    notes_html = html.split("<p><strong>Notes</strong></p>", 1)[1]
    assert notes_html.strip() == (
        "<p>First paragraph, line one.<br />\nLine two.</p>\n"
        "<p>Second &lt;b&gt;paragraph&lt;/b&gt; # [x](javascript:y)</p>\n"
        "<p>- third</p>"
    )


# -- an article with no claims yet ---------------------------------------------------------------------------


def test_export_of_an_article_not_extracted_yet_says_to_extract_it(settings: Settings, tmp_path: Path) -> None:
    from app.corpus import Corpus

    story = tmp_path / "story.txt"
    story.write_text("Budget news\nThe council approved 4.2 million dollars for roads on Monday.", encoding="utf-8")
    ingested = CliRunner().invoke(app, ["ingest", str(story)])  # into the corpus and the review store
    assert ingested.exit_code == 0, ingested.output
    with ReviewStore.open(settings) as store:
        (summary,) = store.articles()
    other = tmp_path / "other.txt"
    other.write_text("Port news\nThe port handled 12 ships in May.", encoding="utf-8")
    (outcome,) = Corpus.open(settings).ingest([str(other)]).outcomes  # the corpus alone, as before ingest filled both
    assert outcome.article_id is not None
    for article_id in (summary.id, outcome.article_id):
        for extra in ([], ["--all-claims"]):
            result = _export("-f", "md", "-o", "-", "--article", article_id, *extra)
            assert result.exit_code == 1 and not result.stdout
            assert str(result.exception) == (
                f"Article {article_id} has no claims yet: run `claimdesk extract {article_id}` first; nothing was "
                "written."
            )
    unknown = _export("-f", "md", "-o", "-", "--article", "0000")
    assert unknown.exit_code == 1 and "No article with id '0000'" in str(unknown.exception)
