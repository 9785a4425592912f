"""PDF page labels: a report whose front matter is numbered i, ii prints "1" on its third page. Citations name a page
as the PDF prints it ("p. 1"), links still open the PDF's own page (`#page=3`), and the workbench says both where a
reviewer may need either ("page 1 as printed, page 3 of the PDF")."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from fakes import claim_at
from helpers_pdf import pdf_with_pages
from typer.testing import CliRunner

from app.cli import app
from app.config import Settings
from app.models import CitedEvidence, Review
from app.page_reading import article_body_html
from app.report_formats import render_html, render_json, render_markdown
from app.reports import ReportOptions, assemble_report
from app.workbench import Workbench
from retrieval.loaders import load_bytes
from retrieval.pages import decode_labels, encode_labels, page_name, page_rule, page_suffix, printed_labels

MB = 1_000_000
runner = CliRunner()

PAGES = [
    ["Harbour Fund Annual Report 2025", "Foreword by the chair of the fund."],
    ["Contents", "Spending, audit, outlook."],
    ["Spending on the harbour wall rose to 6.2 million pounds in 2025."],
    ["Two contracts worth 1.4 million pounds were awarded without a tender."],
]
# Pages i and ii, then 1, 2: the PDF's third page is printed "1".
ROMAN_THEN_ARABIC = "0 << /S /r >> 2 << /S /D >>"


def test_a_pdfs_page_labels_are_read_when_they_say_more_than_its_page_numbers() -> None:
    article = load_bytes("report.pdf", pdf_with_pages(PAGES, page_labels=ROMAN_THEN_ARABIC), max_bytes=MB)
    assert article.page_labels == ("i", "ii", "1", "2") and len(article.page_starts) == 4
    prefixed = load_bytes("annex.pdf", pdf_with_pages(PAGES, page_labels="0 << /S /D /P (A-) >>"), max_bytes=MB)
    assert prefixed.page_labels == ("A-1", "A-2", "A-3", "A-4")
    assert load_bytes("r.pdf", pdf_with_pages(PAGES, page_labels="0 << /S /D /St 41 >>"), max_bytes=MB).page_labels == (
        "41",
        "42",
        "43",
        "44",
    )
    # Labels that are just the page numbers, none at all, or a damaged label tree: nothing recorded, text the same.
    plain = load_bytes("r.pdf", pdf_with_pages(PAGES), max_bytes=MB)
    assert plain.page_labels == ()
    assert load_bytes("r.pdf", pdf_with_pages(PAGES, page_labels="0 << /S /D >>"), max_bytes=MB).page_labels == ()
    damaged = load_bytes("r.pdf", pdf_with_pages(PAGES, page_labels="0 garbage"), max_bytes=MB)
    assert damaged.page_labels == () and damaged.text == plain.text and damaged.id == plain.id
    assert article.id == plain.id  # labels do not change the text, so not the article either


def test_page_label_helpers() -> None:
    assert printed_labels(["i", "ii", "1"], 3) == ("i", "ii", "1")
    assert printed_labels(["1", "2", "3"], 3) == () and printed_labels(["i", "ii"], 3) == ()
    assert page_name(("i", "ii", "1"), 3) == "1" and page_name(("i", "", "1"), 2) == "2" and page_name((), 7) == "7"
    assert page_suffix(3, label="1") == ", p. 1" and page_suffix(2, 3, "ii", "1") == ", pp. ii-1"
    assert page_rule(("i", "ii", "1"), 3) == "page 1 (PDF page 3)" and page_rule((), 3) == "page 3"
    assert decode_labels(encode_labels(("i", "A-1, 2"))) == ("i", "A-1, 2")
    assert decode_labels(None) == () and decode_labels("[1]") == () and decode_labels("{") == ()


@pytest.fixture
def desk(tmp_path: Path, settings: Settings) -> Workbench:
    """A workbench whose corpus holds the labelled report, one chunk per page."""
    wb = Workbench(settings.model_copy(update={"chunk_size": 80}))
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_with_pages(PAGES, page_labels=ROMAN_THEN_ARABIC))
    (outcome,) = wb.ingest_paths([str(path)]).outcomes
    assert outcome.status == "added", outcome
    return wb


def test_citations_name_the_printed_page_and_links_open_the_pdfs_own(desk: Workbench, settings: Settings) -> None:
    wall = next(h for h in desk.corpus.search("harbour wall spending", 3) if "harbour wall" in h.text)
    assert (wall.page, wall.page_label) == (3, "1")
    article = desk.corpus.get_article(wall.article_id)
    assert article.page_labels == ("i", "ii", "1", "2")  # read back from Chroma
    searched = runner.invoke(app, ["search", "harbour wall spending", "-k", "1"])
    assert searched.exit_code == 0 and "report.pdf, p. 1\n" in searched.output, searched.output

    quote = "Two contracts worth 1.4 million pounds were awarded without a tender."
    claim = claim_at(article, quote)
    desk.store.save_claims(article.id, [claim])
    assert desk.quote_page(claim) == "page 2 as printed, page 4 of the PDF"
    # Without labels the Review page names the PDF's own page; a text article has none.
    for name, data, expected in (
        ("plain.pdf", pdf_with_pages([["A copy without page labels"], *PAGES[1:]]), "page 4 of the PDF"),
        ("plain.txt", quote.encode(), None),
    ):
        other = desk.get_article(desk.ingest_upload(name, data).article_id or "")
        assert other is not None
        assert desk.quote_page(claim_at(other, quote)) == expected
    listed = runner.invoke(app, ["claims", article.id])
    assert listed.exit_code == 0 and ", p. 2" in listed.output and ", p. 4" not in listed.output
    cited = runner.invoke(
        app, ["review", claim.id, "--verdict", "True", "--reviewer", "ann", "--evidence", wall.chunk_id]
    )
    assert cited.exit_code == 0, cited.output
    history = runner.invoke(app, ["history", claim.id])
    assert ", p. 1 <" in history.output, history.output

    review = desk.store.get_review(claim.id)
    assert isinstance(review, Review)
    (kept,) = review.evidence
    assert (kept.page, kept.page_label) == (3, "1")
    assert CitedEvidence.from_evidence(wall).page_label == "1"
    report = assemble_report(
        [(article, [(claim, review)])], ReportOptions(), rating_scale={"True": 1}, publisher_name="Desk"
    )
    (rc,) = [c for _, c in report.claims()]
    assert (rc.page, rc.source_link) == ("2", f"{article.source}#page=4")
    md = render_markdown(report)
    assert "Quote in source, p. 2 (report.pdf)" in md and f"{article.title}, p. 1" in md
    assert "Quote in source, p. 2" in render_html(report)
    data = json.loads(render_json(report))
    (jc,) = data["articles"][0]["claims"]
    assert jc["page"] == "2" and jc["evidence"][0]["page"] == 3 and jc["evidence"][0]["page_label"] == "1"

    shown = html.unescape(article_body_html(article, []))
    assert "page ii (PDF page 2)" in shown and "page 2 (PDF page 4)" in shown


def test_a_pdf_stored_before_labels_were_read_gets_them_when_ingested_again(desk: Workbench, tmp_path: Path) -> None:
    article = next(iter(desk.corpus.article_infos()))
    # As the previous version stored it: pages, but no labels on the record or the chunks.
    store = desk.corpus.store
    record = store.article_col.get(ids=[article.id], include=["metadatas"])
    # Chroma keeps a key an update leaves out, so the labels are overwritten with nothing rather than dropped.
    store.article_col.update(ids=[article.id], metadatas=[{**(record["metadatas"][0] or {}), "page_labels": ""}])
    chunks = store.chunk_col.get(where={"article_id": article.id}, include=["metadatas"])
    metas = [{**m, "page_label": "", "page_end_label": ""} for m in chunks["metadatas"]]
    store.chunk_col.update(ids=chunks["ids"], metadatas=metas)
    assert desk.corpus.get_article(article.id).page_labels == ()

    (outcome,) = desk.ingest_paths([str(tmp_path / "report.pdf")]).outcomes
    assert outcome.status == "unchanged" and outcome.pages_recorded, outcome
    assert desk.corpus.get_article(article.id).page_labels == ("i", "ii", "1", "2")
    assert [c.page_label for c in store.chunks(article.id)] == ["i", "ii", "1", "2"]
    mirrored = desk.store.get_article(article.id)
    assert mirrored is not None and mirrored.page_labels == ("i", "ii", "1", "2")
    (again,) = desk.ingest_paths([str(tmp_path / "report.pdf")]).outcomes
    assert not again.pages_recorded
