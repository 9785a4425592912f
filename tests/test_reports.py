"""Reports: the report model, filters, every format on a fixed review set, escaping, CSV injection, ClaimReview.

Snapshots live in tests/snapshots/reports/; regenerate them with `UPDATE_SNAPSHOTS=1 pytest tests/test_reports.py`
and read the diff before committing.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
from collections.abc import Sequence
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from app.claimreview import claimant_type, render_claimreview
from app.config import Settings, get_settings
from app.errors import ExportError
from app.models import CitedEvidence, Claim, Provenance, Review, claim_id_for
from app.report_formats import CSV_COLUMNS, md_escape, rating_text
from app.reports import (
    Report,
    ReportOptions,
    assemble_report,
    build_report,
    export,
    read_json,
    render_csv,
    render_html,
    render_json,
    render_markdown,
)
from app.source_links import safe_href, source_link
from app.store import ReviewStore
from retrieval.models import Article, content_id

TESTS = Path(__file__).resolve().parent
SEED_PATH = TESTS.parent / "seeds" / "china-russia-sanctions.txt"
SNAPSHOTS = TESTS / "snapshots" / "reports"
SCHEMA = json.loads((TESTS / "schemas" / "claimreview.schema.json").read_text(encoding="utf-8"))
NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
SCALE = Settings().ratings()
PUBLISHER = "Example Fact Desk"
PUBLISHER_URL = "https://checks.example.net"
# Where the HTML report goes; ClaimReview urls drop its fragment and point at each claim's anchor.
REPORT_URL = "https://checks.example.net/reports/2026-05.html?edition=web#top"

HOSTILE_TEXT = (
    "Minister <img src=x onerror=alert(1)> said exports rose 40% in 2025. "
    "See [the figures](javascript:alert(2)) and <script>alert(3)</script> for more.\n"
    '=HYPERLINK("http://evil.example/","click") appeared in the leaked table.'
)


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 4, day, hour, 30, tzinfo=UTC)


def _claim(article: Article, quote: str, statement: str, **kw: object) -> Claim:
    start = article.text.index(quote)
    end = start + len(quote)
    data = {
        "id": claim_id_for(article.id, start, end),
        "article_id": article.id,
        "quote": quote,
        "start": start,
        "end": end,
        "statement": statement,
        "checkworthiness": 0.8,
        "provenance": Provenance(extractor="cascade", model="fake:model", created_at=_at(1)),
        **kw,
    }
    return Claim.model_validate(data, context={"article_text": article.text})


def _evidence(article: Article, text: str, **kw: object) -> CitedEvidence:
    start = article.text.index(text) if text in article.text else None
    data: dict[str, object] = {
        "chunk_id": f"{article.id}:0",
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "text": text,
        "start": start,
        "end": None if start is None else start + len(text),
        "cited_at": _at(10),
    }
    data.update(kw)
    return CitedEvidence.model_validate(data)


def _review(claim: Claim, status: str = "reviewed", **kw: object) -> Review:
    data: dict[str, object] = {"claim_id": claim.id, "status": status, "version": 1}
    if status != "unreviewed":
        data.update(reviewer="Ana Ruiz", created_at=_at(10), updated_at=_at(12))
    data.update(kw)
    return Review.model_validate(data)


def review_set() -> list[tuple[Article, list[tuple[Claim, Review]]]]:
    """The fixed review set every format is snapshot-tested on."""
    seed_text = SEED_PATH.read_text(encoding="utf-8")
    seed = Article(
        id=content_id(seed_text),
        title=seed_text.splitlines()[0],
        source="https://news.example.com/world/china-russia-sanctions?ref=rss#top",
        text=seed_text,
        published=datetime(2026, 4, 19, 8, 0, tzinfo=UTC),
        ingested_at=_at(2),
    )
    hostile = Article(
        id=content_id(HOSTILE_TEXT),
        title='<script>alert("title")</script> Exports & "growth" *claims*',
        source="/srv/newsroom/inbox/hostile article.txt",
        text=HOSTILE_TEXT,
        ingested_at=_at(3),
    )
    c_oppose = _claim(
        seed,
        "We firmly oppose unilateral sanctions",
        "China's Foreign Ministry says China firmly opposes unilateral sanctions.",
        claim_type="quotation",
        claimant="Wang Wenbin",
    )
    c_bonds = _claim(
        seed,
        "The Biden administration also barred US banks from buying Russian government bonds",
        "The Biden administration barred US banks from buying Russian government bonds.",
        claim_type="policy",
        claimant="Biden administration",
    )
    c_expelled = _claim(
        seed,
        "Russia expelled 10 US diplomats in response",
        "Russia expelled 10 US diplomats.",
        claim_type="event",
        claimant="officials",
    )
    c_unreviewed = _claim(
        seed,
        "Washington imposed sanctions on both Russia and China this month",
        "Washington imposed sanctions on Russia and China this month.",
        claim_type="event",
    )
    c_hostile = _claim(
        hostile,
        "Minister <img src=x onerror=alert(1)> said exports rose 40% in 2025",
        "Exports rose 40% in 2025 <img src=x onerror=alert(1)>.",
        claim_type="statistic",
        claimant="<script>alert('claimant')</script> Minister",
    )
    c_formula = _claim(
        hostile,
        '=HYPERLINK("http://evil.example/","click") appeared in the leaked table',
        '=HYPERLINK("http://evil.example/","click")',
        claimant="@attacker",
    )
    seed_pairs = [
        (
            c_oppose,
            _review(
                c_oppose,
                verdict="True",
                notes="Confirmed against the ministry transcript.\nSecond line of notes.",
                evidence=[_evidence(seed, '"We firmly oppose unilateral sanctions," Chinese Foreign Ministry')],
            ),
        ),
        (
            c_bonds,
            _review(
                c_bonds,
                verdict="Mostly true",
                edited_statement="In April 2021 the Biden administration barred US banks from buying new Russian bonds.",
                evidence=[
                    _evidence(
                        seed,
                        "barred US banks from buying Russian government bonds",
                        chunk_id="treasury:3",
                        article_id="treasury",
                        title="Treasury press release",
                        source="https://home.treasury.example/system/files/jy0127.pdf",
                        page=2,
                    )
                ],
                updated_at=_at(14),
            ),
        ),
        (
            c_expelled,
            _review(
                c_expelled,
                verdict="Unverifiable",
                notes="No second source yet.",
                updated_at=_at(20),
                evidence=[
                    _evidence(
                        seed,
                        "Russia expelled 10 US diplomats",
                        chunk_id="briefing:7",
                        article_id="briefing",
                        title="Foreign ministry briefing",
                        source="/srv/newsroom/reports/briefing.pdf",
                        page=3,
                        page_end=4,
                    )
                ],
            ),
        ),
        (c_unreviewed, _review(c_unreviewed, status="unreviewed")),
    ]
    hostile_pairs = [
        (
            c_hostile,
            _review(
                c_hostile,
                verdict="False",
                reviewer="<b>Mallory</b>",
                notes="See [proof](javascript:alert(4)) <img src=x onerror=alert(5)> # not a heading\n- not a list",
                evidence=[
                    _evidence(
                        hostile,
                        "<script>alert(6)</script> figures",
                        title="<i>Leaked</i> table",
                        source="javascript:alert(7)",
                    )
                ],
            ),
        ),
        (c_formula, _review(c_formula, verdict="Misleading", notes="+1 check this", updated_at=_at(25))),
    ]
    return [(seed, seed_pairs), (hostile, hostile_pairs)]


def make_report(options: ReportOptions | None = None) -> Report:
    """The fixed review set as a report with fixed timestamps."""
    return assemble_report(
        review_set(), options or ReportOptions(), rating_scale=SCALE, publisher_name=PUBLISHER, now=NOW
    )


def claimreview(report: Report) -> str:
    """The report as ClaimReview, published by the test desk."""
    return render_claimreview(report, publisher_name=PUBLISHER, publisher_url=PUBLISHER_URL, report_url=REPORT_URL)


def check_snapshot(name: str, text: str) -> None:
    """Compare with the stored snapshot, or write it when UPDATE_SNAPSHOTS=1."""
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert path.exists(), f"missing snapshot {path}; run with UPDATE_SNAPSHOTS=1"
    assert text == path.read_bytes().decode("utf-8")


class _Markup(HTMLParser):
    """Collects every tag and attribute of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, name, value or "") for name, value in attrs]


def permissive_markdown(text: str) -> str:
    """Render CommonMark (+ tables) with markdown-it's own link safety OFF, so only our escaping protects."""
    md = MarkdownIt("commonmark").enable("table")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md.render(text)


def assert_inert(html: str) -> _Markup:
    """No script, image or event handler, and every link is one we generate (http or https: no file: links)."""
    markup = _Markup()
    markup.feed(html)
    assert "script" not in markup.tags
    assert "img" not in markup.tags
    assert not [a for a in markup.attrs if a[1].startswith("on")]
    hrefs = [value for _, name, value in markup.attrs if name in ("href", "src")]
    assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
    return markup


# -- the model and its filters ------------------------------------------------------------------------------


def test_only_reviewed_claims_by_default_with_summary_in_scale_order() -> None:
    report = make_report()
    assert report.claim_count == 5
    assert report.summary == {"True": 1, "Mostly true": 1, "False": 1, "Misleading": 1, "Unverifiable": 1}
    statuses = {c.status for _, c in report.claims()}
    assert statuses == {"reviewed"}


def test_all_claims_include_unreviewed() -> None:
    report = make_report(ReportOptions(only_reviewed=False))
    assert report.claim_count == 6
    assert report.summary["Unreviewed"] == 1


def test_edited_statement_replaces_the_models_and_rating_follows_the_scale() -> None:
    claims = {c.verdict: c for _, c in make_report().claims()}
    bonds = claims["Mostly true"]
    assert bonds.statement.startswith("In April 2021")
    assert bonds.original_statement.startswith("The Biden administration barred")
    assert bonds.rating == 4
    assert claims["Unverifiable"].rating is None
    assert claims["False"].rating == 1


def test_filter_by_article_verdict_and_date() -> None:
    seed_id = review_set()[0][0].id
    by_article = make_report(ReportOptions(article_ids=[seed_id]))
    assert [a.id for a in by_article.articles] == [seed_id]
    assert by_article.claim_count == 3

    by_verdict = make_report(ReportOptions(verdicts=["false", "MISLEADING"]))
    assert sorted(c.verdict or "" for _, c in by_verdict.claims()) == ["False", "Misleading"]
    assert by_verdict.summary == {"False": 1, "Misleading": 1}

    window = make_report(ReportOptions(date_from=date(2026, 4, 13), date_to=date(2026, 4, 24)))
    assert sorted(c.verdict or "" for _, c in window.claims()) == ["Mostly true", "Unverifiable"]


def test_unknown_verdict_filter_lists_the_valid_labels() -> None:
    with pytest.raises(ExportError, match=r"Unknown verdict 'Ture'\. Valid verdicts: True, Mostly true, .*Unreviewed"):
        make_report(ReportOptions(verdicts=["true", "Ture"]))
    assert make_report(ReportOptions(verdicts=["not checkable"])).claim_count == 0


def test_a_rating_scale_outside_one_to_five_is_reported_as_it_is() -> None:
    # ClaimReview has no 1-5 limit: its bestRating / worstRating are the scale's own (every format failed on 0-10).
    scale = {"True": 10, "Mostly true": 7, "Half true": 5, "Mostly false": 3, "False": 0, "Unverifiable": None}
    report = assemble_report(review_set(), ReportOptions(), rating_scale=scale, publisher_name=PUBLISHER)
    assert (report.best_rating, report.worst_rating) == (10, 0)
    assert {c.verdict: c.rating for _, c in report.claims()}["True"] == 10
    assert read_json(render_json(report)) == report
    assert "True" in render_markdown(report)


def test_claims_in_reading_order_and_articles_sorted_by_title() -> None:
    report = make_report()
    for article in report.articles:
        starts = [c.start for c in article.claims]
        assert starts == sorted(starts)
    titles = [a.title.casefold() for a in report.articles]
    assert titles == sorted(titles)


def test_source_link_uses_text_fragment_for_urls_and_char_range_for_files() -> None:
    link = source_link("https://ex.example/a?b=1#top", "Russia, in-depth & more", 5, 28)
    assert link == "https://ex.example/a?b=1#:~:text=Russia%2C%20in%2Ddepth%20%26%20more"
    long_quote = " ".join(f"w{i}" for i in range(30))
    assert source_link("http://ex.example/", long_quote, 0, 10).endswith(
        "#:~:text=w0%20w1%20w2%20w3%20w4%20w5,w24%20w25%20w26%20w27%20w28%20w29"
    )
    assert source_link("/data/a.txt", "quote", 10, 15) == "/data/a.txt#char=10,15"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://ex.example/a", "https://ex.example/a"),
        ("/srv/a b.txt#char=1,2", "file:///srv/a%20b.txt#char=1,2"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)//https://x", None),
        ("data:text/html,<script>", None),
        ("relative/path.txt#char=1,2", None),
        ("pasted text", None),
    ],
)
def test_safe_href_only_links_web_and_absolute_file_sources(link: str, expected: str | None) -> None:
    assert safe_href(link) == expected


class _MemoryStore:
    """A ReportSource over plain lists (the review store's read side, for build_report)."""

    def __init__(self, items: Sequence[tuple[Article, Sequence[tuple[Claim, Review]]]]) -> None:
        self.rating_scale = dict(SCALE)
        self._articles = {a.id: a for a, _ in items}
        self._claims = [c for _, pairs in items for c, _ in pairs]
        self._reviews = {c.id: r for _, pairs in items for c, r in pairs}

    def get_article(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def queue(
        self, *, article_id: str | None = None, status: str | None = None, include_replaced: bool = False
    ) -> list[tuple[Claim, Review]]:
        return [
            (c, self._reviews[c.id])
            for c in self._claims
            if (article_id is None or c.article_id == article_id) and status in (None, self._reviews[c.id].status)
        ]

    def replaced_versions(self) -> dict[str, tuple[str, datetime | None]]:
        return {}


def test_build_report_reads_the_store_like_assemble_report() -> None:
    store = _MemoryStore(review_set())
    built = build_report(store, ReportOptions(), publisher_name=PUBLISHER, now=NOW)
    assert built == make_report()


def test_build_report_names_an_unknown_article() -> None:
    with pytest.raises(ExportError, match="No article with id 'nope'"):
        build_report(_MemoryStore(review_set()), ReportOptions(article_ids=["nope"]), publisher_name=PUBLISHER)


# -- snapshots -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("md", "corpus.md"),
        ("html", "corpus.html"),
        ("csv", "corpus.csv"),
        ("json", "corpus.json"),
        ("claimreview", "corpus.claimreview.json"),
    ],
)
def test_corpus_report_snapshot(fmt: str, name: str) -> None:
    settings = Settings(publisher_name=PUBLISHER, publisher_url=PUBLISHER_URL, report_url=REPORT_URL)
    get_settings.cache_clear()
    check_snapshot(name, export(make_report(), fmt, settings=settings))  # type: ignore[arg-type]


def test_single_article_snapshots() -> None:
    seed_id = review_set()[0][0].id
    report = make_report(ReportOptions(article_ids=[seed_id]))
    check_snapshot("article.md", render_markdown(report))
    check_snapshot("article.html", render_html(report))


# -- JSON ----------------------------------------------------------------------------------------------------


def test_json_round_trip_is_equal() -> None:
    report = make_report(ReportOptions(only_reviewed=False))
    text = render_json(report)
    assert json.loads(text)["schema_version"] == "1"
    assert read_json(text) == report


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "Not a claimdesk JSON report"),
        ('{"generated_at": "2026-01-01T00:00:00Z"}', "publisher"),
        (
            '{"schema_version": "9", "generated_at": "2026-01-01T00:00:00Z", "publisher": "x"}',
            "schema version 9",
        ),
    ],
)
def test_read_json_refuses_what_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        read_json(text)


# -- escaping ------------------------------------------------------------------------------------------------


def test_html_renders_hostile_article_and_user_text_inert() -> None:
    html = render_html(make_report())
    markup = assert_inert(html)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:alert(4)" in html  # shown as text ...
    hrefs = [v for _, name, v in markup.attrs if name == "href"]
    assert not any("javascript" in h for h in hrefs)  # ... never as a link
    assert "https://home.treasury.example/system/files/jy0127.pdf#page=2" in hrefs
    # A local source is named by its file name, never linked nor shown with its path.
    assert not any("srv" in h for h in hrefs) and "/srv/newsroom" not in html
    assert 'Source: <span class="nolink">hostile article.txt</span>' in html


def test_html_is_self_contained_and_prints_well() -> None:
    html = render_html(make_report())
    markup = assert_inert(html)
    assert "link" not in markup.tags  # no external stylesheet
    assert not [a for a in markup.attrs if a[1] == "src"]
    assert "@media print" in html
    assert "break-before: page" in html
    assert 'content: " <" attr(href) ">"' in html


def test_markdown_renders_hostile_text_inert() -> None:
    md = render_markdown(make_report())
    html = permissive_markdown(md)
    markup = assert_inert(html)
    hrefs = [v for _, name, v in markup.attrs if name == "href"]
    assert not any("javascript" in h.lower() for h in hrefs)
    # Notes' "# ..." and "- ..." stay text: only our headings and lists appear.
    assert "not a heading" not in "".join(t for t in markup.tags)
    assert "<h1>not" not in html and "<li>not a list" not in html
    assert "https://home.treasury.example/system/files/jy0127.pdf#page=2" in hrefs
    assert any(h.startswith("https://news.example.com/world/china-russia-sanctions?ref=rss#:~:text=") for h in hrefs)


def test_markdown_names_a_local_source_once_by_its_file_name() -> None:
    article = Article(
        id=content_id("seed"),
        title="Seed",
        source="seeds/seed.txt",
        text="The port handled 12 ships.",
        ingested_at=_at(1),
    )
    claim = _claim(article, "The port handled 12 ships.", "The port handled 12 ships.")
    report = build_report(
        _MemoryStore([(article, [(claim, _review(claim, verdict="True"))])]),
        ReportOptions(),
        publisher_name=PUBLISHER,
        now=NOW,
    )
    md = render_markdown(report)
    assert "Source: seed.txt\n" in md
    assert f"> Quote in source (seed.txt, characters {claim.start}-{claim.end})\n" in md
    assert "seeds/" not in md and "char=" not in md


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "![i](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "*not emphasis* _nor this_ `nor code`",
        "# heading\n- item\n1. item\n===",
        "| a | b |",
        "&lt;script&gt;",
    ],
)
def test_md_escape_renders_literally(text: str) -> None:
    html = permissive_markdown(md_escape(text))
    assert_inert(html)
    inner = html.strip()
    assert inner.startswith("<p>") and inner.endswith("</p>"), inner
    for tag in ("<em>", "<code>", "<h1>", "<li>", "<table>", "<a "):
        assert tag not in html


# -- CSV -----------------------------------------------------------------------------------------------------


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_has_stable_columns_and_one_row_per_claim() -> None:
    text = render_csv(make_report())
    header = next(csv.reader(io.StringIO(text, newline="")))
    assert tuple(header) == CSV_COLUMNS
    rows = _rows(text)
    assert len(rows) == 5
    oppose = next(r for r in rows if r["claimant"] == "Wang Wenbin")
    assert oppose["notes"] == "Confirmed against the ministry transcript.\nSecond line of notes."
    assert oppose["evidence"].startswith("[1] China, Russia to Support Each Other")
    assert oppose["reviewed_at"] == "2026-04-12T09:30:00+00:00"
    assert text.count("\r\n") >= 6 and "\r\r\n" not in text


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_neutralises_formula_cells(trigger: str) -> None:
    items = review_set()
    article, pairs = items[0]
    claim, review = pairs[0]
    payload = f"{trigger}cmd|' /C calc'!A0"
    claim = claim.model_copy(update={"claimant": payload})
    review = review.model_copy(update={"notes": payload, "edited_statement": payload, "reviewer": payload})
    report = assemble_report(
        [(article, [(claim, review)])], ReportOptions(), rating_scale=SCALE, publisher_name=PUBLISHER, now=NOW
    )
    row = _rows(render_csv(report))[0]
    for column in ("claimant", "notes", "statement", "reviewer"):
        assert row[column] == "'" + payload, column


def test_csv_leaves_ordinary_cells_alone() -> None:
    row = next(r for r in _rows(render_csv(make_report())) if r["verdict"] == "True")
    assert row["statement"].startswith("China's Foreign Ministry")
    assert row["rating"] == "5" and row["start"].isdigit() and row["not_checkable"] == "false"


# -- ClaimReview ---------------------------------------------------------------------------------------------


def test_claimreview_validates_against_googles_fields() -> None:
    items = json.loads(claimreview(make_report()))
    jsonschema.validate(items, SCHEMA)
    assert len(items) == 5
    by_label = {i["reviewRating"]["alternateName"]: i for i in items}
    true = by_label["True"]
    assert true["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "True",
        "ratingValue": 5,
        "bestRating": 5,
        "worstRating": 1,
    }
    oppose = next(c for _, c in make_report().claims() if c.verdict == "True")
    assert true["url"] == f"https://checks.example.net/reports/2026-05.html?edition=web#claim-{oppose.claim_id}"
    assert true["author"] == {"@type": "Organization", "name": PUBLISHER, "url": PUBLISHER_URL}
    assert true["datePublished"] == "2026-04-12"
    assert true["itemReviewed"] == {
        "@type": "Claim",
        "author": {"@type": "Person", "name": "Wang Wenbin"},
        "datePublished": "2026-04-19",
        "appearance": [
            {"@type": "CreativeWork", "url": "https://news.example.com/world/china-russia-sanctions?ref=rss#top"}
        ],
    }
    # No number on the scale: the label alone, which Google accepts.
    assert by_label["Unverifiable"]["reviewRating"] == {"@type": "Rating", "alternateName": "Unverifiable"}
    # "officials" names nobody; a file path is not a public appearance.
    assert "author" not in by_label["Unverifiable"]["itemReviewed"]
    assert "appearance" not in by_label["False"]["itemReviewed"]
    assert by_label["Mostly true"]["itemReviewed"]["author"]["@type"] == "Organization"


def test_claimreview_keeps_markup_safe_inside_a_script_element() -> None:
    text = claimreview(make_report())
    assert "<" not in text and ">" not in text
    statements = [i["claimReviewed"] for i in json.loads(text)]
    assert "Exports rose 40% in 2025 <img src=x onerror=alert(1)>." in statements


def test_claimreview_refuses_claims_without_verdict_and_names_them() -> None:
    report = make_report(ReportOptions(only_reviewed=False))
    unreviewed = next(c for _, c in report.claims() if c.status == "unreviewed")
    with pytest.raises(ExportError) as err:
        claimreview(report)
    message = str(err.value)
    assert "refused: 1 claim cannot be published" in message
    assert f"claim {unreviewed.claim_id}: not reviewed yet (status unreviewed), no verdict" in message
    assert "--all-claims" in message


def test_claimreview_refuses_reviewed_claim_with_no_verdict_but_skips_not_checkable() -> None:
    article, pairs = review_set()[0]
    (c1, r1), (c2, r2) = pairs[0], pairs[1]
    r1 = r1.model_copy(update={"verdict": None, "not_checkable": True})
    r2 = r2.model_copy(update={"verdict": None})
    report = assemble_report(
        [(article, [(c1, r1), (c2, r2)])], ReportOptions(), rating_scale=SCALE, publisher_name=PUBLISHER, now=NOW
    )
    with pytest.raises(ExportError, match=f"claim {c2.id}: no verdict"):
        claimreview(report)
    only_rejected = assemble_report(
        [(article, [(c1, r1)])], ReportOptions(), rating_scale=SCALE, publisher_name=PUBLISHER, now=NOW
    )
    assert json.loads(claimreview(only_rejected)) == []


@pytest.mark.parametrize(
    ("name", "url", "message"),
    [
        (PUBLISHER, "factcheck.example.org", "CLAIMDESK_PUBLISHER_URL"),
        (PUBLISHER, "javascript:alert(1)", "CLAIMDESK_PUBLISHER_URL"),
        ("  ", PUBLISHER_URL, "CLAIMDESK_PUBLISHER_NAME"),
    ],
)
def test_claimreview_refuses_without_a_publisher(name: str, url: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        render_claimreview(make_report(), publisher_name=name, publisher_url=url, report_url=REPORT_URL)


@pytest.mark.parametrize(
    ("claimant", "expected"),
    [
        ("Wang Wenbin", "Person"),
        ("Chinese Foreign Ministry", "Organization"),
        ("the White House", "Organization"),
        ("officials", None),
        ("", None),
        ("Russia", "Organization"),  # a country or capital standing for its government
        ("Beijing", "Organization"),
        ("the United States", "Organization"),
        ("Chinese Foreign Ministry spokesperson Wang Wenbin", "Person"),
        ("Treasury Secretary Janet Yellen", "Person"),
        ("Secretary of State", "Person"),  # an office held by a person
        ("the national statistics office", None),  # no capitalised word: names no one in particular
        ("the government", None),
    ],
)
def test_claimant_type(claimant: str, expected: str | None) -> None:
    assert claimant_type(claimant) == expected


# -- drafts, rating scales and stale verdicts, on a real review store ----------------------------------------

# The audit's scale: three numbers, so True is "3 of 3", and no "Misleading".
SHORT_SCALE = {"True": 3, "Mostly true": 2, "False": 1, "Unverifiable": None}


def _stored_report(
    db: Path,
    reviews: dict[str, dict[str, object]],
    *,
    scale: dict[str, int | None] = SCALE,
    export_scale: dict[str, int | None] | None = None,
    only_reviewed: bool = False,
) -> tuple[Report, dict[str, str]]:
    """Save reviews of seed claims (quote -> review fields, "by" = reviewer) in a real ReviewStore, then build
    the report, with the store reopened on `export_scale` when given (the scale changed after reviewing)."""
    article, pairs = review_set()[0]
    claims = {c.quote: c for c, _ in pairs}
    with ReviewStore(db, rating_scale=scale) as store:
        store.upsert_article(article)
        store.save_claims(article.id, list(claims.values()))
        for quote, fields in reviews.items():
            changes = dict(fields)
            actor = str(changes.pop("by", "Ana Ruiz"))
            review = Review.model_validate({"claim_id": claims[quote].id, **changes})
            store.save_review(review, actor=actor)
    with ReviewStore(db, rating_scale=export_scale or scale) as store:
        report = build_report(store, ReportOptions(only_reviewed=only_reviewed), publisher_name=PUBLISHER, now=NOW)
    return report, {quote: c.id for quote, c in claims.items()}


OPPOSE = "We firmly oppose unilateral sanctions"
BONDS = "The Biden administration also barred US banks from buying Russian government bonds"
EXPELLED = "Russia expelled 10 US diplomats in response"
WASHINGTON = "Washington imposed sanctions on both Russia and China this month"


def _claim_block(md: str, statement_start: str) -> str:
    """The Markdown of the one claim whose heading starts with `statement_start`."""
    blocks = [b for b in md.split("\n### ") if b.split("\\. ", 1)[-1].startswith(statement_start)]
    assert len(blocks) == 1, statement_start
    return blocks[0].split("\n## ", 1)[0]


def test_markdown_marks_draft_verdicts_and_counts_them_apart(tmp_path: Path) -> None:
    report, ids = _stored_report(
        tmp_path / "reviews.sqlite3",
        {
            OPPOSE: {"status": "reviewed", "verdict": "True"},
            EXPELLED: {"status": "in_progress", "verdict": "Mostly false", "notes": "draft", "by": "eve"},
            # A verdict picked, then the claim set back to unreviewed: still not a verdict.
            BONDS: {"status": "unreviewed", "verdict": "True", "by": "dan"},
        },
    )
    draft = next(c for _, c in report.claims() if c.claim_id == ids[EXPELLED])
    saved = draft.reviewed_at.date().isoformat() if draft.reviewed_at else ""
    assert saved
    # Drafts are not counted as the verdict they may still lose; the verdict rows count reviewed claims only.
    assert report.summary == {"True": 1, "In progress (not final)": 1, "Unreviewed": 2}

    md = render_markdown(report)
    assert "| In progress (not final) | 1 |\n| Unreviewed | 2 |\n| **Total** | 4 |" in md
    assert "| Mostly false |" not in md
    in_progress = _claim_block(md, "Russia expelled")
    assert "- **Verdict (draft, review in progress):** Mostly false\n" in in_progress
    assert "- **Rating (draft):** 2 of 5\n" in in_progress
    assert f"- **Review:** In progress with eve (last saved {saved})\n" in in_progress
    assert "Reviewed by" not in in_progress
    set_back = _claim_block(md, "The Biden administration barred")
    assert "- **Verdict (draft, not reviewed):** True\n" in set_back
    assert "- **Review:** Not yet reviewed\n" in set_back
    assert "dan" not in set_back and "Reviewed by" not in set_back
    untouched = _claim_block(md, "Washington imposed")
    assert "- **Verdict:** Unreviewed\n" in untouched and "- **Review:** Not yet reviewed\n" in untouched
    final = _claim_block(md, "China's Foreign Ministry")
    assert "- **Verdict:** True\n" in final and "- **Rating:** 5 of 5\n" in final
    assert "- **Reviewed by:** Ana Ruiz on " in final

    # CSV keeps the raw status; ClaimReview still refuses anything short of reviewed.
    statuses = {r["claim_id"]: r["status"] for r in _rows(render_csv(report))}
    assert statuses[ids[EXPELLED]] == "in_progress" and statuses[ids[BONDS]] == "unreviewed"
    with pytest.raises(ExportError) as err:
        claimreview(report)
    assert f"claim {ids[EXPELLED]}: not reviewed yet (status in_progress)" in str(err.value)
    assert f"claim {ids[BONDS]}: not reviewed yet (status unreviewed)" in str(err.value)


def test_html_summary_counts_draft_verdicts_apart(tmp_path: Path) -> None:
    report, _ = _stored_report(
        tmp_path / "reviews.sqlite3",
        {
            OPPOSE: {"status": "reviewed", "verdict": "Mostly false"},
            EXPELLED: {"status": "in_progress", "verdict": "Mostly false", "by": "eve"},
        },
    )
    html = render_html(report)
    assert '<tr><td>Mostly false</td><td class="n">1</td></tr>' in html
    assert '<tr><td>In progress (not final)</td><td class="n">1</td></tr>' in html


def test_ratings_use_the_configured_scale_bounds(tmp_path: Path) -> None:
    report, _ = _stored_report(
        tmp_path / "reviews.sqlite3",
        {OPPOSE: {"status": "reviewed", "verdict": "True"}, EXPELLED: {"status": "reviewed", "verdict": "False"}},
        scale=SHORT_SCALE,
        only_reviewed=True,
    )
    assert (report.best_rating, report.worst_rating) == (3, 1)
    items = json.loads(claimreview(report))
    # The shared schema pins the default 1-5 scale; here only the bounds differ.
    schema = copy.deepcopy(SCHEMA)
    schema["$defs"]["Rating"]["properties"].update(bestRating={"const": 3}, worstRating={"const": 1})
    jsonschema.validate(items, schema)
    ratings = {i["reviewRating"]["alternateName"]: i["reviewRating"] for i in items}
    assert ratings["True"] == {
        "@type": "Rating",
        "alternateName": "True",
        "ratingValue": 3,
        "bestRating": 3,
        "worstRating": 1,
    }
    assert ratings["False"]["ratingValue"] == 1
    md = render_markdown(report)
    assert "- **Rating:** 3 of 3\n" in md and "- **Rating:** 1 of 3\n" in md
    assert "of 5" not in md


@pytest.mark.parametrize(
    ("rating", "best", "worst", "expected"),
    [(4, 5, 1, "4 of 5"), (3, 3, 1, "3 of 3"), (3, 4, 2, "3 on a scale from 2 to 4")],
)
def test_rating_text_reads_against_the_scale(rating: int, best: int, worst: int, expected: str) -> None:
    assert rating_text(rating, best, worst) == expected


def test_claimreview_refuses_a_scale_with_a_single_number() -> None:
    article, pairs = review_set()[0]
    report = assemble_report(
        [(article, pairs[:1])],
        ReportOptions(),
        rating_scale={"True": 5, "Unverifiable": None},
        publisher_name=PUBLISHER,
    )
    with pytest.raises(ExportError, match=r"highest and lowest numbers are 5 and 5.*CLAIMDESK_RATING_SCALE"):
        claimreview(report)


def test_verdict_no_longer_on_the_scale_is_flagged_and_refused_by_claimreview(tmp_path: Path) -> None:
    # Reviewed as "Misleading" under the default scale; the newsroom then dropped that label.
    report, ids = _stored_report(
        tmp_path / "reviews.sqlite3",
        {OPPOSE: {"status": "reviewed", "verdict": "True"}, EXPELLED: {"status": "reviewed", "verdict": "Misleading"}},
        export_scale=SHORT_SCALE,
        only_reviewed=True,
    )
    stale = next(c for _, c in report.claims() if c.claim_id == ids[EXPELLED])
    assert (stale.verdict, stale.rating, stale.verdict_on_scale) == ("Misleading", None, False)
    with pytest.raises(ExportError) as err:
        claimreview(report)
    message = str(err.value)
    assert "refused: 1 claim cannot be published" in message
    assert f"claim {ids[EXPELLED]}: verdict 'Misleading' is not on the current rating scale" in message
    md = render_markdown(report)
    assert "- **Verdict:** Misleading (not on the current rating scale)\n" in md
    assert "- **Verdict:** True\n" in md  # a label still on the scale is not flagged


def test_json_written_before_the_scale_bounds_reads_as_one_to_five() -> None:
    data = json.loads(render_json(make_report()))
    del data["best_rating"], data["worst_rating"]
    for article in data["articles"]:
        for claim in article["claims"]:
            del claim["verdict_on_scale"]
    report = read_json(json.dumps(data))
    assert (report.best_rating, report.worst_rating) == (5, 1)
    assert render_markdown(report) == render_markdown(make_report())


def test_html_marks_draft_verdicts_and_stale_labels(tmp_path: Path) -> None:
    report, ids = _stored_report(
        tmp_path / "reviews.sqlite3",
        {
            OPPOSE: {"status": "reviewed", "verdict": "True"},
            EXPELLED: {"status": "in_progress", "verdict": "Mostly false", "by": "eve"},
            BONDS: {"status": "unreviewed", "verdict": "Half true", "by": "dan"},
            WASHINGTON: {"status": "reviewed", "verdict": "Misleading"},
        },
        export_scale={**SHORT_SCALE, "Mostly false": 2, "Half true": 2},
    )
    draft = next(c for _, c in report.claims() if c.claim_id == ids[EXPELLED])
    saved = draft.reviewed_at.date().isoformat() if draft.reviewed_at else ""
    html = render_html(report)
    assert_inert(html)

    def block(claim_id: str) -> str:
        return html.split(f'id="claim-{claim_id}"', 1)[1].split("</article>", 1)[0]

    in_progress = block(ids[EXPELLED])
    assert (
        '<span class="draft-label">Verdict (draft, review in progress):</span> '
        '<span class="verdict draft">Mostly false</span>'
    ) in in_progress
    assert '<span class="claim-meta">rating (draft) 2 of 3</span>' in in_progress
    assert f"<dt>Review</dt><dd>In progress with eve (last saved {saved})</dd>" in in_progress
    assert "Reviewed by" not in in_progress
    set_back = block(ids[BONDS])
    assert 'Verdict (draft, not reviewed):</span> <span class="verdict draft">Half true</span>' in set_back
    assert "<dt>Review</dt><dd>Not yet reviewed</dd>" in set_back and "dan" not in set_back
    final = block(ids[OPPOSE])
    assert '<p><span class="verdict">True</span>' in final and "rating 3 of 3" in final
    assert "<dt>Reviewed by</dt><dd>Ana Ruiz on " in final
    stale = block(ids[WASHINGTON])
    assert '<span class="verdict">Misleading</span> <span class="claim-meta">(not on the current rating scale)' in stale
    assert '<tr><td>In progress (not final)</td><td class="n">1</td></tr>' in html


def test_html_names_local_quote_and_evidence_sources_by_file_name() -> None:
    text = "The harbor budget was 412 million dollars. Unemployment fell to 4 percent."
    article = Article(
        id=content_id(text),
        title="Harbor budget",
        source="/srv/newsroom/articles/<b>harbor.txt",
        text=text,
        ingested_at=_at(1),
    )
    claim = _claim(article, "Unemployment fell to 4 percent.", "Unemployment fell to 4 percent.")
    review = _review(claim, verdict="True", evidence=[_evidence(article, "The harbor budget was 412 million dollars.")])
    report = assemble_report(
        [(article, [(claim, review)])], ReportOptions(), rating_scale=SCALE, publisher_name=PUBLISHER, now=NOW
    )
    html = render_html(report)
    markup = assert_inert(html)
    assert not [v for _, name, v in markup.attrs if name == "href"]  # a local file is never a link
    where = f"&lt;b&gt;harbor.txt, characters {claim.start}-{claim.end}"
    assert f'Quote in source (<span class="nolink">{where}</span>)' in html
    assert 'Harbor budget (<span class="nolink">&lt;b&gt;harbor.txt</span>)' in html
    assert 'Source: <span class="nolink">&lt;b&gt;harbor.txt</span>' in html  # named once
    assert "/srv/newsroom" not in html and "file:" not in html
    # Markdown says the same.
    md = render_markdown(report)
    assert f"Quote in source ({where})" in md and "/srv/newsroom" not in md and "file:" not in md
    # CSV and JSON, the internal formats, keep the recorded source.
    assert _rows(render_csv(report))[0]["article_source"] == "/srv/newsroom/articles/<b>harbor.txt"
    assert json.loads(render_json(report))["articles"][0]["source"] == "/srv/newsroom/articles/<b>harbor.txt"


def test_an_earlier_version_is_marked_in_every_format_and_refused_by_claimreview() -> None:
    items = review_set()
    old = items[0][0]
    report = assemble_report(
        items, ReportOptions(), rating_scale=SCALE, publisher_name=PUBLISHER, now=NOW,
        replaced={old.id: ("newer0000000000", NOW)},
    )  # fmt: skip
    (marked,) = [a for a in report.articles if a.id == old.id]
    assert marked.replaced_by == "newer0000000000"
    assert all(c.source_link == old.source for c in marked.claims)  # no span into the changed source
    assert "Earlier version, replaced on 2026-05-04: the source has changed since" in render_markdown(report)
    assert 'class="earlier"' in render_html(report)
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert {r["article_replaced_by"] for r in rows if r["article_id"] == old.id} == {"newer0000000000"}
    assert read_json(render_json(report)) == report
    with pytest.raises(ExportError, match=r"holds claims of earlier versions of .*drop --include-earlier"):
        render_claimreview(report, publisher_name=PUBLISHER, publisher_url=PUBLISHER_URL, report_url=REPORT_URL)


def test_an_earlier_versions_verdicts_are_counted_apart_from_the_summary() -> None:
    items = review_set()
    old, old_claims = items[0]
    newer = Article(**{**old.model_dump(), "id": "newer0000000000", "text": old.text + " "})
    report = assemble_report(
        [(newer, old_claims), *items], ReportOptions(), rating_scale=SCALE, publisher_name=PUBLISHER, now=NOW,
        replaced={old.id: ("newer0000000000", NOW)},
    )  # fmt: skip
    earlier = len(next(a for a in report.articles if a.id == old.id).claims)
    assert earlier > 1 and report.earlier_claim_count == earlier
    # The same verdicts on the same sentences of both versions count once, under the current version.
    assert sum(report.summary.values()) == report.claim_count - earlier
    md = render_markdown(report)
    assert f"| **Total** | {report.claim_count - earlier} |" in md
    assert f"| Earlier versions (not counted above) | {earlier} |" in md
    html = render_html(report)
    assert f'<th scope="row">Total</th><td class="n">{report.claim_count - earlier}</td>' in html
    assert f'<td>Earlier versions (not counted above)</td><td class="n">{earlier}</td>' in html
    assert read_json(render_json(report)) == report
