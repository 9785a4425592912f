"""PDF pages: recorded at parse time, carried by chunks into Chroma, shown on evidence, cited in reviews and reports
("p. 2"), and linked with `#page=N` (character offsets into extracted text mean nothing to a PDF viewer); a PDF's
running headers and footers are never claims, and a claim's statement reads on one line ("6.2 mil-\nlion" ->
"6.2 million")."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from fakes import claim_at
from helpers_pdf import pdf_with_pages
from typer.testing import CliRunner

from app.cli import app
from app.config import Settings
from app.corpus import Corpus
from app.highlight import evidence_html
from app.models import CitedEvidence, Claim, Review
from app.report_formats import render_markdown, shown_source
from app.reports import ReportOptions, assemble_report
from app.source_links import safe_href, source_link
from app.store import ReviewStore
from retrieval.chroma_rows import article_meta
from retrieval.chunking import chunk_article
from retrieval.decoding import strip_controls
from retrieval.loaders import load_bytes
from retrieval.models import Article, content_id
from retrieval.pages import (
    decode_starts,
    encode_starts,
    furniture_spans,
    joined_pages,
    only_furniture,
    page_at,
    page_range,
    page_suffix,
    passage_pages,
)

MB = 1_000_000
runner = CliRunner()

PAGES = [
    ["Audit of the Harbour Fund 2025", "The fund held 41 million pounds at the end of March."],
    ["Spending on the harbour wall rose to 6.2 million pounds,", "three times the amount budgeted in 2023."],
    ["The auditor found no evidence of fraud.", "Two contracts were awarded without a tender."],
]


def _clean(text: str) -> str:
    return strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))[0]


def test_each_page_starts_where_its_text_does_and_the_text_is_as_before() -> None:
    article = load_bytes("audit.pdf", pdf_with_pages(PAGES), max_bytes=MB)
    assert len(article.page_starts) == 3 and article.page_starts[0] == 0
    for starts, lines in zip(article.page_starts, PAGES, strict=True):
        assert article.text[starts:].startswith(lines[0])
    # The text (and so the article id) is what joining the pages gave before pages were recorded.
    from pypdf import PdfReader

    raw = [p.extract_text().strip("\n") for p in PdfReader(io.BytesIO(pdf_with_pages(PAGES))).pages]
    assert article.text == _clean("\n\n".join(raw)) and article.id == content_id(article.text)
    wall = article.text.index("harbour wall")
    assert page_at(article.page_starts, wall) == 2
    assert page_at(article.page_starts, article.text.index("fraud")) == 3
    assert page_at(article.page_starts, 0) == 1


def test_pages_survive_the_clean_up_or_are_not_recorded() -> None:
    pages = ["one\r\nline\x1b[31m red\x1b[0m", "gov\xadern\xadment\x07 two", "", "four"]
    text, starts = joined_pages(pages, "\n\n", _clean)
    assert text == _clean("\n\n".join(pages))
    assert [text[s:].split("\n")[0] for s in starts] == ["one", "government two", "", "four"]
    # The first marker is in the text itself: another one is used.
    text, starts = joined_pages(["a \ue000 b", "c"], "\n\n", _clean)
    assert starts == (0, text.index("c"))
    # Every marker in the text: no pages rather than wrong ones (the text is unchanged).
    every = "\ue000\ue001\ue002\uf8ff"
    assert joined_pages([every, "c"], "\n\n", _clean) == (every + "\n\nc", ())
    # A clean-up that drops what the marker sits beside cannot place the page: none are recorded.
    text, starts = joined_pages(["a", "b"], "\n\n", lambda t: re.sub(r"\n\n.", "", t))
    assert (text, starts) == ("a", ())
    assert joined_pages(["only"], "\n\n", _clean) == ("only", (0,))


def test_page_helpers() -> None:
    starts = (0, 100, 250)
    assert [page_at(starts, o) for o in (0, 99, 100, 249, 250, 999)] == [1, 1, 2, 2, 3, 3]
    assert page_range(starts, 90, 110) == (1, 2) and page_range(starts, 100, 250) == (2, 2)
    assert page_at((), 5) is None and page_range((), 0, 5) is None
    assert page_suffix(4) == ", p. 4" and page_suffix(4, 5) == ", pp. 4-5" and page_suffix(4, 4) == ", p. 4"
    assert page_suffix(None) == ""
    assert decode_starts(encode_starts(starts)) == starts
    assert decode_starts(None) == () and decode_starts("1,x") == () and decode_starts("") == ()


def test_articles_without_pages_record_none() -> None:
    article = load_bytes("note.txt", b"Spending rose to 6.2 million pounds.", max_bytes=MB)
    assert article.page_starts == () and "page_starts" not in article_meta(article)


@pytest.fixture
def corpus(settings: Settings) -> Corpus:
    """A real corpus (Chroma under tmp_path) holding the three-page audit PDF, with a small chunk size so that
    each page is its own chunk, and a text file."""
    settings = settings.model_copy(update={"chunk_size": 120})
    c = Corpus.open(settings)
    assert c.ingest_bytes("audit.pdf", pdf_with_pages(PAGES)).status == "added"
    assert c.ingest_bytes("note.txt", b"Spending on the harbour wall rose sharply, a note says.").status == "added"
    return c


def test_search_gives_each_passage_its_page(corpus: Corpus, settings: Settings) -> None:
    hits = corpus.search("spending on the harbour wall rose to 6.2 million pounds", 5)
    by_source = {h.source: h for h in hits}
    wall = next(h for h in hits if "6.2 million" in h.text)
    assert wall.page == 2 and wall.page_end is None
    assert by_source["note.txt"].page is None
    # A fresh process reads the pages back from Chroma: the article's page starts and each chunk's page.
    reopened = Corpus.open(settings.model_copy(update={"chunk_size": 120}))
    article = reopened.get_article(wall.article_id)
    assert len(article.page_starts) == 3
    chunks = reopened.store.chunks(wall.article_id)
    assert [c.page for c in chunks] == [page_at(article.page_starts, c.start) for c in chunks]
    assert all(c.page_end is None or c.page_end > (c.page or 0) for c in chunks)
    result = runner.invoke(app, ["search", "harbour wall spending 6.2 million", "-k", "3"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\] {2}\S*audit\.pdf, p\. 2\n", result.output), result.output


def test_a_passage_over_two_pages_says_both(settings: Settings) -> None:
    c = Corpus.open(settings)  # the default chunk size puts the whole audit in one or two chunks
    c.ingest_bytes("audit.pdf", pdf_with_pages(PAGES))
    (hit, *_) = c.search("harbour fund", 1)
    assert hit.page == 1 and hit.page_end is not None and hit.page_end > 1
    cited = CitedEvidence.from_evidence(hit)
    assert (cited.page, cited.page_end) == (hit.page, hit.page_end)
    pages = passage_pages(hit)
    assert pages == f", pp. 1-{hit.page_end}"
    html = evidence_html(hit.text, "harbour", title=hit.title, source=hit.source, score=1.0, pages=pages)
    assert f"audit.pdf</span>, pp. 1-{hit.page_end} · score" in html.replace("&#45;", "-")


def test_citing_a_pdf_passage_keeps_its_page_through_review_history_and_report(
    corpus: Corpus, settings: Settings
) -> None:
    audit = next(a for a in corpus.article_infos() if a.source == "audit.pdf")
    article = corpus.get_article(audit.id)
    quote = "Two contracts were awarded without a tender."
    claim = claim_at(article, quote, statement="Two harbour fund contracts were awarded without a tender.")
    with ReviewStore.open(settings) as store:
        store.upsert_article(article)
        store.save_claims(article.id, [claim])
    wall = next(c for c in corpus.store.chunks(article.id) if "harbour wall" in c.text)
    result = runner.invoke(app, ["review", claim.id, "--verdict", "True", "--reviewer", "ann", "--evidence", wall.id])
    assert result.exit_code == 0, result.output
    with ReviewStore.open(settings) as store:
        review = store.get_review(claim.id)
        assert isinstance(review, Review)
        (cited,) = review.evidence
        assert cited.page == 2
        history = runner.invoke(app, ["history", claim.id])
        assert "audit.pdf, p. 2" not in history.output and ", p. 2 <audit.pdf>" in history.output
        report = assemble_report(
            [(article, [(claim, review)])], ReportOptions(), rating_scale={"True": 1}, publisher_name="Desk"
        )
    (rc,) = [c for _, c in report.claims()]
    # The quote's link opens the PDF at its page, not at character offsets of the extracted text.
    assert rc.source_link == "audit.pdf#page=3"
    listed = runner.invoke(app, ["claims", article.id])
    assert listed.exit_code == 0 and ", p. 3" in listed.output  # the claims table says the quote's page
    md = render_markdown(report)
    assert "Quote in source, p. 3 (audit.pdf)" in md and "characters" not in md
    assert f"{article.title}, p. 2" in md
    assert "rose to 6.2 million pounds, three times" in md  # the cited passage's printed lines joined
    data = json.loads(json.dumps(review.model_dump(mode="json")))
    assert data["evidence"][0]["page"] == 2


def test_page_links() -> None:
    assert source_link("https://gov.example/r.pdf#x", "q", 0, 1, page=7) == "https://gov.example/r.pdf#page=7"
    assert source_link("/srv/r.pdf", "q", 0, 1, page=7) == "/srv/r.pdf#page=7"
    assert safe_href("/srv/r.pdf#page=7") == "file:///srv/r.pdf#page=7"
    assert source_link("/srv/r.pdf", "q", 3, 4) == "/srv/r.pdf#char=3,4"  # no pages recorded: as before
    assert shown_source("/srv/newsroom/r.pdf#page=7") == "r.pdf"  # the link's label names the page
    assert shown_source("https://gov.example/r.pdf#page=7") == "https://gov.example/r.pdf#page=7"


def test_a_pdf_stored_before_pages_were_recorded_gets_them_when_ingested_again(
    tmp_path: Path, settings: Settings
) -> None:
    from app.workbench import Workbench

    data = pdf_with_pages(PAGES)
    (tmp_path / "audit.pdf").write_bytes(data)
    wb = Workbench(settings)
    # As an earlier claimdesk stored it: the same text (the same id), no pages on the record, chunks or mirror.
    old = load_bytes("audit.pdf", data, max_bytes=MB).model_copy(update={"page_starts": ()})
    assert wb.corpus.ingest_articles([old]).outcomes[0].status == "added"
    wb.store.upsert_article(old)
    assert all(c.page is None for c in wb.corpus.store.chunks(old.id))

    (outcome,) = wb.ingest_paths([str(tmp_path / "audit.pdf")]).outcomes
    assert (outcome.status, outcome.article_id) == ("unchanged", old.id)
    assert "page numbers recorded" in (outcome.message or "")
    chunks = wb.corpus.store.chunks(old.id)
    assert chunks and all(c.page is not None for c in chunks)
    assert len(wb.corpus.get_article(old.id).page_starts) == 3
    mirrored = wb.store.get_article(old.id)
    assert mirrored is not None and len(mirrored.page_starts) == 3
    # Nothing else changed, and the next ingest has nothing to add.
    assert [c.id for c in chunks] == [c.id for c in chunk_article(old, settings.chunk_size)]
    assert [h.text for h in wb.corpus.search("harbour wall", 3)] and wb.corpus.store.count() == len(chunks)
    again = wb.ingest_upload("audit.pdf", data)
    assert again.status == "unchanged" and "page numbers" not in (again.message or "")


REPORT = [
    [
        "Harbour Fund Annual Report 2025",
        "The Harbour Fund held 41 million pounds at the end of March, up from 35",
        "million pounds a year earlier. Spending on the harbour wall rose to 6.2 mil-",
        "lion pounds, a long-",
        "term cost, the auditor said.",
        "Harbour Fund Annual Report 2025                      Page 1 of 3",
    ],
    [
        "Harbour Fund Annual Report 2025",
        "Two contracts worth 1.4 million pounds were awarded without a tender in 2024.",
        "Harbour Fund Annual Report 2025                      Page 2 of 3",
    ],
    ["Harbour Fund Annual Report 2025", "The long-term plan costs 12 million pounds over 10 years.", "- 3 -"],
]


def scorer_claims(settings: Settings, name: str, pages: list[list[str]]) -> tuple[Article, list[Claim]]:
    """The PDF of `pages` as loaded, and its claims by the scorer alone (the rule scorer: 0.9 for a figure)."""
    from fakes import RuleScorer

    from app.extraction import ScorerOnlyExtractor

    article = load_bytes(name, pdf_with_pages(pages), max_bytes=MB)
    return article, ScorerOnlyExtractor(settings, RuleScorer()).extract(article).claims


def read_quotes(claims: list[Claim]) -> list[str]:
    """The claims' quotes with their line breaks read as spaces."""
    return [" ".join(c.quote.split()) for c in claims]


def scorer_quotes(settings: Settings, name: str, pages: list[list[str]]) -> list[str]:
    """The quotes (`read_quotes`) of the claims the scorer alone makes of the PDF of `pages`."""
    return read_quotes(scorer_claims(settings, name, pages)[1])


def test_running_headers_footers_and_page_numbers_are_furniture() -> None:
    article = load_bytes("report.pdf", pdf_with_pages(REPORT), max_bytes=MB)
    spans = furniture_spans(article.text, article.page_starts)
    lines = [" ".join(article.text[a:b].split()) for a, b in spans]
    assert lines == [
        "Harbour Fund Annual Report 2025",
        "Harbour Fund Annual Report 2025 Page 1 of 3",
        "Harbour Fund Annual Report 2025",
        "Harbour Fund Annual Report 2025 Page 2 of 3",
        "Harbour Fund Annual Report 2025",
        "- 3 -",
    ]
    text = article.text
    body = text.index("Two contracts")
    assert not only_furniture(spans, text, body, text.index("\n", body))
    footer = text.index("Harbour Fund Annual Report 2025  ")
    assert only_furniture(spans, text, footer, text.index("\n", footer))
    # A text article has no pages, so nothing of it is furniture, however often a line comes back.
    assert furniture_spans("Page 1\n\nPage 1\n\nPage 1", ()) == []


def test_a_pdfs_claims_leave_out_its_furniture_and_read_on_one_line(settings: Settings) -> None:
    from fakes import QueueChatModel, RuleScorer, fake_handle

    from app.extraction_windows import WholeArticleExtractor

    article, claims = scorer_claims(settings, "report.pdf", REPORT)
    # Every header and footer has a figure, which the rule scorer rates 0.9: none is a claim.
    assert [c.statement[:20] for c in claims] == [
        "The Harbour Fund hel",
        "Spending on the harb",
        "Two contracts worth ",
        "The long-term plan c",
    ]
    wall = claims[1]
    assert "\n" in wall.quote and "6.2 mil-\nlion" in wall.quote  # the quote as the PDF has it
    # the statement on one line: "mil-lion" joined, "long-term" kept whole as the article writes it elsewhere
    assert (
        wall.statement == "Spending on the harbour wall rose to 6.2 million pounds, a long-term cost, the auditor said."
    )
    # A hosted model's claim on a footer is not kept either.
    footer = "Harbour Fund Annual Report 2025                      Page 2 of 3"
    item = {"claim_type": "other", "claimant": None, "time_reference": None, "checkworthiness": 0.6}
    answer = {"claims": [{**item, "quote": q, "statement": q} for q in (footer, "Two contracts worth 1.4 million")]}
    chat = QueueChatModel(responses=[json.dumps(answer)] * 3)
    result = WholeArticleExtractor(settings, fake_handle(chat, strong=True), RuleScorer()).extract(article)
    assert [c.quote for c in result.claims] == ["Two contracts worth 1.4 million"]


def test_flowing_statements() -> None:
    from app.extraction import flowing

    text = (
        "A long-term plan. The 2020-\n2021 season and the Anglo-\nFrench talks, a long-\nterm deal for 6.2 mil-\nlion."
    )
    assert flowing("the 6.2 mil-\nlion  deal\nwas signed", text) == "the 6.2 million deal was signed"
    assert flowing("a long-\nterm deal", text) == "a long-term deal"
    assert flowing("the Anglo-\nFrench talks", text) == "the Anglo-French talks"
    assert flowing("the 2020-\n2021 season", text) == "the 2020-2021 season"
    assert flowing("a pre- and post-war view", text) == "a pre- and post-war view"
    # a model's rewrite of a quote with a word broken over two lines
    quote = "rose to 6.2 mil-\nlion pounds, a long-\nterm cost"
    assert flowing("It rose to 6.2 mil- lion pounds, a long- term cost.", text, quote) == (
        "It rose to 6.2 million pounds, a long-term cost."
    )
    assert flowing("It rose to 6.2 mil-lion pounds.", text, quote) == "It rose to 6.2 million pounds."


def test_a_sentence_cut_by_a_page_break_is_one_claim(settings: Settings) -> None:
    pages = [
        [
            "Harbour Fund Annual Report 2025",
            "The fund held 41 million pounds at the end of March. Spending on the",
            "harbour wall rose to 6.2 mil-",
            "Harbour Fund Annual Report 2025                      Page 1 of 2",
        ],
        [
            "Harbour Fund Annual Report 2025",
            "lion pounds, three times the amount budgeted, the auditor said.",
            "Two contracts were awarded without a tender.",
            "Harbour Fund Annual Report 2025                      Page 2 of 2",
        ],
    ]
    article, claims = scorer_claims(settings, "report.pdf", pages)
    wall = next(c for c in claims if "harbour wall" in c.quote)
    # The quote is the article's text from the sentence's first word to its last, page foot and head included ...
    assert wall.quote.startswith("Spending on the") and wall.quote.endswith("the auditor said.")
    assert "Page 1 of 2" in wall.quote and wall.quote == article.text[wall.start : wall.end]
    # ... and the statement is the sentence as it reads, scored whole (the rule scorer: 0.9 for a figure).
    assert wall.statement == (
        "Spending on the harbour wall rose to 6.2 million pounds, three times the amount budgeted, the auditor said."
    )
    assert wall.checkworthiness == 0.9
    # A model's rewrite gets the same reading ("mil- lion" whole); one that fails the faithfulness check falls back
    # to the sentence as it reads, never to the page's head and foot.
    from app.extraction import make_claim

    def rewritten(statement: str) -> str:
        kw = {"checkworthiness": 0.9, "provenance": wall.provenance}
        return make_claim(article, wall.start, wall.end, statement=statement, **kw).statement

    assert rewritten("The harbour wall spending rose to 6.2 mil- lion pounds, the auditor said.") == (
        "The harbour wall spending rose to 6.2 million pounds, the auditor said."
    )
    assert rewritten("Spending rose to 9.9 billion dollars in Paris.") == wall.statement
    # A report shows the quote as a reader of the PDF sees it; JSON keeps the text layer's quote beside it.
    review = Review(claim_id=wall.id, status="reviewed", verdict="True", reviewer="ann", version=1)
    report = assemble_report(
        [(article, [(wall, review)])], ReportOptions(), rating_scale={"True": 1}, publisher_name="D"
    )
    (rc,) = [c for _, c in report.claims()]
    assert rc.quote == wall.quote and rc.quote_as_read == (
        "Spending on the harbour wall rose to 6.2 million pounds, three times the amount budgeted, the auditor said."
    )
    md = render_markdown(report)
    assert "> Spending on the harbour wall rose to 6.2 million pounds, three times" in md and "Page 1 of 2" not in md
    assert not any(c.quote.startswith("lion pounds") for c in claims)
    # A sentence that ends before the page break stays whole on its own page.
    assert [c.quote for c in claims if c.quote.startswith("The fund")] == [
        "The fund held 41 million pounds at the end of March."
    ]


def test_a_pdf_reads_reflowed_on_screen_with_its_offsets_kept() -> None:
    from app.highlight import Highlight
    from app.page_reading import PAGE_MARK, pdf_article_html, pdf_quote_html, reading_text

    pages = [
        [
            "Harbour Fund Annual Report 2025",
            "The Harbour Fund held 41 million pounds at the end of March, up from 35",
            "million pounds a year earlier. Spending on the harbour wall rose to 6.2 mil-",
            "lion pounds, three times the amount budgeted in 2023, the auditor said.",
            "Contracts",
            "Two contracts worth 1.4 million pounds were awarded without a tender in",
            "2024, and both were for emergency repairs to the wall.",
            "Harbour Fund Annual Report 2025                      Page 1 of 2",
        ],
        [
            "Harbour Fund Annual Report 2025",
            "The fund expects to close in 2027.",
            "Harbour Fund Annual Report 2025                      Page 2 of 2",
        ],
    ]
    article = load_bytes("report.pdf", pdf_with_pages(pages), max_bytes=MB)
    text, starts = article.text, article.page_starts
    shown = reading_text(text, starts)
    assert len(shown) == len(text)  # one character for one: every claim's offsets hold
    assert "up from 35 million pounds" in shown  # a soft line break is a space
    assert "6.2 mil\u200b\u200blion pounds" in shown  # a word broken at a line's end reads whole
    # A short line ends its paragraph; a heading and a page's head and foot stay on their own lines.
    assert "the auditor said.\nContracts\nTwo contracts" in shown
    assert "repairs to the wall.\nHarbour Fund Annual Report 2025 " in shown
    assert shown[starts[1] - 1] == PAGE_MARK and shown.count(PAGE_MARK) == 1
    assert reading_text("A text\narticle", ()) == "A text\narticle"
    html = pdf_article_html(text, starts, [])
    assert "6.2 million pounds" in html and "\u200b" not in html and PAGE_MARK not in html
    assert html.count('class="cd-page"') == 1 and ">page 2</div>" in html
    # The quote in its paragraph: the paragraph as it reads, not the whole page.
    quote = "Two contracts worth 1.4 million pounds"
    start = text.index(quote)
    context = pdf_quote_html(text, starts, Highlight(start, start + len(quote), "unreviewed", "t"))
    assert "Two contracts" in context and "emergency repairs to the wall." in context
    assert "Contracts<br>" not in context and "auditor" not in context and "Page 1 of 2" not in context
    before = pdf_quote_html(text, starts, Highlight(start, start + len(quote), "unreviewed", "t"), before=1)
    assert before.startswith("Contracts<br>")


def test_a_hyphen_at_a_lines_end_is_kept_or_dropped_alike_on_screen_in_statements_and_search() -> None:
    from app.extraction import flowing
    from app.page_reading import reading_text
    from retrieval.pages import hyphen_kept, whole_words

    text = (
        "The Harbour Fund set out a long-term plan for the wall in March, up from 35\n"
        "million pounds a year earlier, with what the board called a clear long-\n"
        "term cost of about 6.2 million pounds a year, the auditor said in her mil-\n"
        "lion pound report to the council in the spring, and she said the mid-\n"
        "2020 review had found no sign of fraud anywhere in the accounts of the fund."
    )
    folded = text.casefold()
    assert hyphen_kept(folded, "long", "term") and hyphen_kept(folded, "mid", "2020")
    assert hyphen_kept(folded, "Anglo", "French") and not hyphen_kept(folded, "mil", "lion")
    shown = reading_text(text, (0,)).replace("\u200b", "")
    # On screen as in statements and the search index: the article's own "long-term", a broken "million" whole.
    assert "a clear long-term cost" in shown and "her million pound" in shown and "the mid-2020 review" in shown
    assert "a clear long-term cost" in whole_words(text) and "her million pound" in whole_words(text)
    assert flowing("a long-\nterm cost of 6.2 mil-\nlion", text) == "a long-term cost of 6.2 million"
    assert len(reading_text(text, (0,))) == len(text)


def test_a_pdfs_sentences_are_not_cut_at_its_printed_lines(settings: Settings) -> None:
    pages = [
        [
            "MPs pass rental reform bill by 14 votes after late concessions",
            "MPs voted 312 to 298 on Wednesday to pass the Rental Homes (Security of",
            "Tenure) Bill, ending a fortnight of uncertainty. The minister said it would",
            'give "around 4.6 million households" a security they had never had.',
        ]
    ]
    article, claims = scorer_claims(settings, "vote.pdf", pages)
    assert [c.statement for c in claims] == [
        "MPs pass rental reform bill by 14 votes after late concessions",
        "MPs voted 312 to 298 on Wednesday to pass the Rental Homes (Security of Tenure) Bill, ending a fortnight of "
        "uncertainty.",
        'The minister said it would give "around 4.6 million households" a security they had never had.',
    ]
    assert all(c.quote == article.text[c.start : c.end] for c in claims)  # quotes as the text layer has them
    assert "Security of\nTenure" in claims[1].quote


def test_a_footer_that_ends_like_a_sentence_does_not_cut_one(settings: Settings) -> None:
    pages = [
        [
            "Wendmoor Gazette | Reports",
            "Power cut: what went wrong?",
            "Northline said its website had been updated from 07:00 on the day, but",
            "Power cut: is the grid ready?     Page 1 of 2",
        ],
        [
            "Wendmoor Gazette | Reports",
            "acknowledged that its 12 text alerts were delayed. Now the earli-",
            "est date for repairs is 2035, it said.",
            "Power cut: is the grid ready?     Page 2 of 2",
        ],
    ]
    _, claims = scorer_claims(settings, "live.pdf", pages)
    statements = [c.statement for c in claims]
    # The footer's "?" ends no sentence: the one it cut is one claim, read without the page's foot and head.
    assert (
        "Northline said its website had been updated from 07:00 on the day, but acknowledged that its 12 text alerts "
        "were delayed." in statements
    )
    assert "Now the earliest date for repairs is 2035, it said." in statements
    assert not any("Page 1" in s or "grid ready" in s or "Gazette" in s for s in statements)


def test_a_pdf_passage_reads_reflowed_on_its_card() -> None:
    from app.page_reading import passage_reading

    passage = (
        "Spending rose to 6.2 mil-\nlion pounds, a long-\nterm cost, the\nauditor said.\n\nContracts\nTwo were let."
    )
    assert passage_reading(passage) == (
        "Spending rose to 6.2 million pounds, a longterm cost, the auditor said.\n\nContracts Two were let."
    )
    # hyphenated where the passage itself writes the word so
    assert passage_reading("a long-\nterm cost and a long-term plan") == "a long-term cost and a long-term plan"


def test_a_word_broken_at_a_lines_end_is_indexed_whole(settings: Settings) -> None:
    from retrieval.chroma_rows import index_text
    from retrieval.pages import whole_words

    assert whole_words("rose to 6.2 mil-\nlion, a long-\nterm cost") == "rose to 6.2 million, a longterm cost"
    assert whole_words("a long-\nterm cost, a long-term plan") == "a long-term cost, a long-term plan"
    assert whole_words("Anglo-\nFrench") == "Anglo-\nFrench"  # a hyphen of the words
    assert index_text("Audit", "rose to 6.2 mil-\nlion", 10) == "Audit\nrose to 6.2 million"
    corpus = Corpus.open(settings)
    corpus.ingest_bytes(
        "report.pdf", pdf_with_pages([["Audit 2025", "Spending on the harbour wall rose to 6.2 mil-", "lion pounds."]])
    )
    (hit,) = corpus.search("million", 1)
    assert hit.bm25_score is not None and hit.bm25_score > 0 and "mil-\nlion" in hit.text  # stored as written
    shown = runner.invoke(app, ["search", "million", "-k", "1"])
    assert shown.exit_code == 0 and "rose to 6.2 million pounds." in shown.output  # the passage read whole


def test_a_tables_rows_in_a_pdf_are_not_claims(settings: Settings) -> None:
    table = [
        "Harbour Fund Annual Report 2025",
        "The fund's spending rose sharply in 2025, driven by the harbour wall repairs that began",
        "in the spring and the dredging contract awarded in June, the auditor said in her report.",
        "Table 3: Spending by programme (million pounds)",
        "Programme              2023     2024     2025",
        "Harbour wall           2.1      3.4      6.2",
        "Dredging               0.8      1.1      1.9",
        "Total                  2.9      4.5      8.1",
        "Source: Harbour Fund accounts, 2023-2025.",
        "Spending on dredging more than doubled between 2023 and 2025, to 1.9 million pounds.",
    ]
    quotes = scorer_quotes(settings, "table.pdf", [table])
    assert "Spending on dredging more than doubled between 2023 and 2025, to 1.9 million pounds." in quotes
    assert any(q.startswith("The fund's spending rose sharply") for q in quotes)
    assert not [q for q in quotes if "2.9 4.5" in q or "2.1 3.4" in q or q.startswith(("Source", "Programme"))]
    # pypdf often gives a table one cell a line: a figure alone is no claim either.
    cells = [
        *table[:4],
        "Programme",
        "2023",
        "2025",
        "Harbour wall",
        "2.1",
        "6.2",
        "Dredging works in the outer harbour",
    ]
    cells += ["0.8", "1.9", "Total", "2.9", "8.1", table[-1]]
    quotes = scorer_quotes(settings, "cells.pdf", [cells])
    assert table[-1] in quotes and not [q for q in quotes if not re.search("[a-z]{2}", q)], quotes
    # (the table's many short lines do not make a row's label a full line that runs on into its first figure)
    assert not [q for q in quotes if q.startswith("Dredging works")], quotes
    # A table of one figure a row (a label, then its value): no row is a claim; a key fact's "label: figure" is.
    income = ["Harbour dues and charges      41.2", "Government grant              12.1", "Total income  56.7"]
    facts = ["Visitors in 2024: 1,200,000", "Staff employed at the port: 340"]
    quotes = scorer_quotes(settings, "income.pdf", [[*table[:3], "Table 2: Income (million pounds)", *income, *facts]])
    assert not [q for q in quotes if q.split()[-1] in ("41.2", "12.1", "56.7")], quotes
    assert set(facts) <= set(quotes), quotes


def test_a_footnotes_number_after_a_full_stop_ends_the_sentence(settings: Settings) -> None:
    page = [
        "Harbour Fund Annual Report 2025",
        "Spending on the harbour wall rose to 6.2 million pounds this year.3 The auditor found that 2",
        'contracts were awarded without a tender.4 Costs at the port rose by 12%.5 The board said "costs',
        'rose by 9 percent."6 The board met in Section 4.2 The Hague office in March 2025 with 4 members.',
    ]
    article, claims = scorer_claims(settings, "notes.pdf", [page])
    quotes = read_quotes(claims)
    assert quotes[1:] == [
        "Spending on the harbour wall rose to 6.2 million pounds this year.",
        "The auditor found that 2 contracts were awarded without a tender.",
        "Costs at the port rose by 12%.",
        'The board said "costs rose by 9 percent."',
        "The board met in Section 4.2 The Hague office in March 2025 with 4 members.",  # a decimal is no footnote
    ], quotes
    assert all(article.text[c.start : c.end] == c.quote for c in claims)  # offsets into the text as it is


def test_a_page_that_ends_on_a_short_line_ends_its_sentence_there(settings: Settings) -> None:
    body = [
        "The fund's spending rose sharply in 2025, driven by the harbour wall repairs that began",
        "in the spring and the dredging contract awarded in June, the auditor said in her report.",
        "Spending on dredging more than doubled between 2023 and 2025, to 1.9 million pounds, and",
        "the board expects costs to fall by a third in 2026 once the wall is finished next spring.",
    ]
    cover = ["Harbour Fund", "Annual Report and Accounts 2025", "Presented to Parliament in March 2025"]
    heading = [*body[:2], "Dredging costs up by 40%", "Harbour Fund Annual Report 2025       Page 1 of 2"]
    for pages in ([cover, body], [heading, ["Harbour Fund Annual Report 2025       Page 2 of 2", *body[2:]]]):
        quotes = scorer_quotes(settings, "report.pdf", pages)
        # a cover's last line, or a heading at a page's foot, is no start of the next page's first sentence
        assert " ".join(body[2:]) in quotes, quotes
        # and the heading, read before the next page's paragraph (not the footer), is a heading: no claim
        assert "Dredging costs up by 40%" not in quotes


def test_a_pdfs_own_date_line_dates_it_and_its_relative_dates(settings: Settings) -> None:
    from app.page_reading import sentence_text

    lines = ["Harbour Fund", "Annual Report 2025", "Published 5 March 2025", "Spending rose last year to 6.2 million."]
    article, claims = scorer_claims(settings, "dated.pdf", [lines])
    assert article.published is not None and article.published.date().isoformat() == "2025-03-05"
    assert "Annual Report 2025\nPublished 5 March 2025\nSpending" in sentence_text(article)  # a line of its own
    claim = next(c for c in claims if "last year" in c.quote)
    assert claim.statement == "Spending rose last year (2024) to 6.2 million." and not claim.needs_context
    # A date inside a sentence is no publication date.
    undated, _ = scorer_claims(settings, "undated.pdf", [[lines[0], "On 5 March 2025 spending rose to 6.2 million."]])
    assert undated.published is None


def test_a_soft_hyphen_at_a_lines_end_joins_its_word(settings: Settings) -> None:
    # Some producers mark the hyphen that breaks a word as a soft hyphen (U+00AD), which pypdf passes on.
    pages = [["Spending on the wall rose to 6.2 mil\xad", "lion pounds, the gov\xadern\xadment said."], ["Next page."]]
    article = load_bytes("wall.pdf", pdf_with_pages(pages), max_bytes=MB)
    assert article.text.startswith("Spending on the wall rose to 6.2 million pounds, the government said.\n\nNext")
    assert page_at(article.page_starts, article.text.index("Next")) == 2
    corpus = Corpus.open(settings)
    corpus.ingest_bytes("wall.pdf", pdf_with_pages(pages))
    (hit,) = corpus.search("million", 1)
    assert hit.bm25_score is not None and hit.bm25_score > 0
    # A blank line after one is a paragraph's end, not a broken word.
    assert (
        load_bytes("n.txt", "A full stop ends it\xad\n\nHere.".encode(), max_bytes=MB).text
        == "A full stop ends it\n\nHere."
    )


def test_ligatures_are_read_as_the_letters_they_join(settings: Settings) -> None:
    pages = [
        ["Report of the financial office", "The office found that 12 staff were paid twice."],
        ["Efficient flow: the fund baffled its auditors in 2024."],
    ]
    article = load_bytes("office.pdf", pdf_with_pages(pages, ligatures=True), max_bytes=MB)
    assert article.text == "\n\n".join("\n".join(lines) for lines in pages)  # pypdf gave "ﬁnancial oﬃce"
    assert page_at(article.page_starts, article.text.index("Efficient")) == 2  # pages placed after the spelling
    corpus = Corpus.open(settings)
    corpus.ingest_bytes("office.pdf", pdf_with_pages(pages, ligatures=True))
    (hit,) = corpus.search("financial office", 1)
    assert hit.bm25_score is not None and hit.bm25_score > 0 and "financial office" in hit.text
    # Text copied out of such a PDF into a file or a web page reads the same.
    assert load_bytes("pasted.txt", "The \ufb01nancial o\ufb03ce".encode(), max_bytes=MB).text == "The financial office"
    page = b"<html><body><article><p>The &#xFB01;nancial o&#xFB03;ce paid 12 sta&#xFB00; twice in 2024.</p>"
    html = load_bytes("page.html", page + b"</article></body></html>", max_bytes=MB)
    assert "The financial office paid 12 staff twice" in html.text


def test_a_model_quoting_a_pdf_word_whole_is_grounded(settings: Settings) -> None:
    from fakes import QueueChatModel, RuleScorer, fake_handle

    from app.extraction_windows import WholeArticleExtractor
    from app.grounding import quote_spans

    text = "Spending on the harbour wall rose to 6.2 mil-\nlion pounds, a long-term cost."
    assert quote_spans(text, "rose to 6.2 million pounds") == [(29, 57)]  # the text layer's span
    assert quote_spans(text, "rose to 6.2 milion pounds") == []
    # A hosted model writes the word whole: its claim keeps the PDF's span, not discarded as ungrounded.
    pages = [["Harbour audit", "Spending on the harbour wall rose to 6.2 mil-", "lion pounds, the auditor said."]]
    article = load_bytes("audit.pdf", pdf_with_pages(pages), max_bytes=MB)
    quote = "Spending on the harbour wall rose to 6.2 million pounds, the auditor said."
    item = {"claim_type": "statistic", "claimant": "the auditor", "time_reference": None, "checkworthiness": 0.8}
    chat = QueueChatModel(responses=[json.dumps({"claims": [{**item, "quote": quote, "statement": quote}]})])
    result = WholeArticleExtractor(settings, fake_handle(chat, strong=True), RuleScorer()).extract(article)
    (claim,) = result.claims
    assert claim.quote == article.text[claim.start : claim.end] and "mil-\nlion" in claim.quote
    assert claim.statement == quote and result.run.discarded_ungrounded == 0


def test_each_page_rule_names_its_own_page_also_after_a_blank_page() -> None:
    from app.page_reading import pdf_article_html

    article = load_bytes("gap.pdf", pdf_with_pages([["One."], ["Two."], [], ["Four."]]), max_bytes=MB)
    assert len(article.page_starts) == 4
    html = pdf_article_html(article.text, article.page_starts, [])
    assert re.findall(r">page (\d)</div>", html) == ["2", "3", "4"]
    assert html.index(">page 4</div>") < html.index("Four.")
