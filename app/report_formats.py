"""Render a `Report` as Markdown, HTML, CSV or JSON, and read a JSON report back.

Everything that came from an article or a person (titles, quotes, statements, claimants, notes, evidence,
verdict labels) is escaped: in Markdown every punctuation character that could start markup is
backslash-escaped and `<`, `>`, `&` become entities; in HTML jinja2 autoescapes. Only http(s) source URLs are
links. A local source is named by its file name alone, with the quote's character range as text: its full path
would show the newsroom's file system (ClaimReview leaves it out for that reason), and CSV and JSON, the internal
formats, keep the recorded source.

CSV columns, one row per claim, in this order (stable; add new ones only at the end):

    claim_id, article_id, article_title, article_source, article_published, statement,
    original_statement, quote, start, end, source_link, claim_type, claimant, verdict, rating, status,
    not_checkable, checkworthiness, reviewer, reviewed_at, notes, evidence, article_replaced_by

`article_replaced_by` is set on the claims of an earlier version of a source (exported only when asked for): the id
of the newer version that replaced it. Markdown and HTML say so under the article's heading.

`evidence` holds every cited passage in one cell, one per line pair: `[n] title <source>` then the text (`[n] title,
p. 4 <source>` for a PDF's page).
Cells a spreadsheet would evaluate (starting with `=`, `+`, `-`, `@`, tab or carriage return) get a leading
single quote. Dates are ISO 8601; booleans are `true`/`false`; absent values are empty cells.

Markdown and HTML read the same way (`claim_status`): a verdict whose review is not finished is labelled a
draft ("Verdict (draft, review in progress)") with who is on it and when it was last saved, never "Reviewed
by", and the summary counts it under "In progress (not final)" rather than under its verdict. Ratings
read against the report's scale ("3 of 3"); a verdict no longer on that scale says so. CSV and JSON carry
the raw `status` and `verdict_on_scale` instead.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from pydantic import ValidationError

from app.errors import ExportError
from app.models import CitedEvidence
from app.page_reading import shown_passage
from app.reports import SCHEMA_VERSION, Report, ReportArticle, ReportClaim
from app.source_links import is_web_url, page_link
from retrieval.pages import passage_pages

__all__ = [
    "CSV_COLUMNS",
    "OFF_SCALE_NOTE",
    "ClaimStatus",
    "claim_status",
    "md_escape",
    "neutralise_cell",
    "rating_text",
    "read_json",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "shown_source",
]

CSV_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "article_id",
    "article_title",
    "article_source",
    "article_published",
    "statement",
    "original_statement",
    "quote",
    "start",
    "end",
    "source_link",
    "claim_type",
    "claimant",
    "verdict",
    "rating",
    "status",
    "not_checkable",
    "checkworthiness",
    "reviewer",
    "reviewed_at",
    "notes",
    "evidence",
    "article_replaced_by",
)

_TEMPLATE_DIR = Path(__file__).parent / "data"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters that open inline markup anywhere on a line (CommonMark lets any ASCII punctuation be escaped).
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
# Characters that open block markup only at the start of a line: headings, lists, setext underlines.
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=])")
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])")


def md_escape(text: str) -> str:
    """Escape text for Markdown so it renders literally: no links, emphasis, headings or raw HTML."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    lines = [_MD_ORDERED.sub(r"\1\\\2", _MD_LINE_START.sub(r"\1\\\2", line)) for line in text.split("\n")]
    return "\n".join(lines)


def _md_inline(text: str | None) -> str:
    """Escaped text on one line (table cells, list items)."""
    return " ".join(md_escape(text or "").split())


_TRAILING_HASHES = re.compile(r"(?<!\\)#+$")


def _md_heading(text: str | None) -> str:
    """Escaped heading text; a trailing run of '#' is escaped too, or CommonMark drops it as a closing sequence."""
    return _TRAILING_HASHES.sub(lambda m: "\\#" * len(m.group(0)), _md_inline(text))


def _md_paragraphs(text: str) -> list[str]:
    """Escaped text of several paragraphs: a blank line between paragraphs, hard line breaks within one."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text or ""):
        lines = _md_block(paragraph)
        out += ["", *lines] if out and lines else lines
    return out


def _md_block(text: str, prefix: str = "") -> list[str]:
    """Escaped multi-line text, each line prefixed (e.g. '> ' for a blockquote), hard line breaks kept."""
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    return [f"{prefix}{md_escape(line)}" + ("  " if i < len(lines) - 1 else "") for i, line in enumerate(lines)]


_CHAR_RANGE = re.compile(r"#char=(\d+),(\d+)$")
_PAGE = re.compile(r"#page=(\d+)$")


def shown_source(link: str) -> str:
    """How Markdown and HTML name a source or a quote's place in it: an http(s) URL as it is, a local file by its
    name alone ("x.txt", "x.txt, characters 10-15"; a PDF's "#page=N" is left to the link's label, which names the
    page as the PDF prints it), never its path."""
    link = link.strip()
    if is_web_url(link):
        return link
    m = _CHAR_RANGE.search(link)
    page = _PAGE.search(link)
    cut = m or page
    path = link[: cut.start()] if cut else link
    if path.lower().startswith("file://"):
        path = unquote(urlsplit(path).path)
    name = re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path
    return f"{name}, characters {m.group(1)}-{m.group(2)}" if m else name


def _web_href(link: str) -> str | None:
    """The href for a source: http(s) URLs only (a file: link shows the file system and CommonMark refuses it)."""
    return link.strip() if is_web_url(link) else None


def _md_link(label: str, link: str) -> str:
    href = _web_href(link)
    if href is None:  # a local file: named, not linked (once when it is the label too)
        shown = md_escape(shown_source(link))
        return shown if label == link else f"{md_escape(label)} ({shown})"
    # Angle-bracket destinations allow spaces; encode the brackets so the link cannot be broken out of.
    href = href.replace("<", "%3C").replace(">", "%3E").replace("\n", "")
    return f"[{md_escape(label)}](<{href}>)"


def _when(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


OFF_SCALE_NOTE = "not on the current rating scale"


@dataclass(frozen=True)
class ClaimStatus:
    """How a claim's verdict, rating and review read in Markdown and HTML (plain text; each renderer escapes)."""

    verdict_heading: str
    verdict: str
    draft: bool
    off_scale: bool
    rating_heading: str
    rating: str | None
    review_heading: str
    review: str


def rating_text(rating: int, best: int | None, worst: int | None) -> str:
    """A rating against its scale: '4 of 5' when the scale starts at 1, else '3 on a scale from 2 to 4'."""
    if best is None:
        return str(rating)
    if worst is None or worst == 1:
        return f"{rating} of {best}"
    return f"{rating} on a scale from {worst} to {best}"


def claim_status(claim: ReportClaim, report: Report) -> ClaimStatus:
    """The verdict, rating and review lines of a claim; anything short of 'reviewed' reads as a draft."""
    rating = rating_text(claim.rating, report.best_rating, report.worst_rating) if claim.rating is not None else None
    off_scale = not claim.verdict_on_scale and not claim.not_checkable
    if claim.is_final:
        reviewed = " on ".join(p for p in (claim.reviewer or "", _when(claim.reviewed_at)) if p)
        return ClaimStatus(
            verdict_heading="Verdict",
            verdict=claim.verdict_label,
            draft=False,
            off_scale=off_scale,
            rating_heading="Rating",
            rating=rating,
            review_heading="Reviewed by",
            review=reviewed or "not recorded",
        )
    decided = claim.verdict is not None or claim.not_checkable
    if claim.status == "in_progress":
        heading = "Verdict (draft, review in progress)" if decided else "Verdict"
        who = f" with {claim.reviewer}" if claim.reviewer else ""
        saved = f" (last saved {_when(claim.reviewed_at)})" if claim.reviewed_at else ""
        review = f"In progress{who}{saved}"
    else:
        # Unreviewed: a verdict left from an earlier pass is a draft, and whoever picked it did not review it.
        heading = "Verdict (draft, not reviewed)" if decided else "Verdict"
        review = "Not yet reviewed"
    return ClaimStatus(
        verdict_heading=heading,
        verdict=claim.verdict_label,
        draft=True,
        off_scale=off_scale,
        rating_heading="Rating (draft)",
        rating=rating,
        review_heading="Review",
        review=review,
    )


def _claim_markdown(n: int, claim: ReportClaim, report: Report) -> list[str]:
    out = [f"### {n}\\. {_md_heading(claim.statement)}", ""]
    status = claim_status(claim, report)
    note = f" ({OFF_SCALE_NOTE})" if status.off_scale else ""
    out.append(f"- **{status.verdict_heading}:** {_md_inline(status.verdict)}{note}")
    if status.rating is not None:
        out.append(f"- **{status.rating_heading}:** {status.rating}")
    if claim.claimant:
        out.append(f"- **Claimant:** {_md_inline(claim.claimant)}")
    out.append(f"- **Type:** {_md_inline(claim.claim_type)}")
    out.append(f"- **{status.review_heading}:** {_md_inline(status.review)}")
    if claim.statement != claim.original_statement:
        out.append(f"- **Extracted as:** {_md_inline(claim.original_statement)}")
    out += [
        "",
        *_md_block(claim.quote_as_read or claim.quote, "> "),
        ">",
        f"> {_md_link(quote_link_label(claim), claim.source_link)}",
        "",
    ]
    if claim.evidence:
        out += ["**Evidence**", ""]
        for i, ev in enumerate(claim.evidence, 1):
            out.append(f"{i}. {_md_link(cited_label(ev), cited_target(ev))}{_own(claim, ev)}  ")
            out += [f"   {line}" for line in _md_block(cited_text(ev))]
        out.append("")
    if claim.notes.strip():
        out += ["**Notes**", "", *_md_paragraphs(claim.notes), ""]
    return out


# What a passage cited from the claim's own article is called wherever a reader sees cited evidence: the reviewer may
# cite one for context ("in response" to what), but a report that listed it as plain evidence read as if the
# article had confirmed itself.
OWN_ARTICLE = "the article itself: context, not independent evidence"


def cited_label(ev: CitedEvidence) -> str:
    """How a cited passage is named: its article's title (or source) and, from a PDF, its page ("Budget, p. 4")."""
    return (ev.title or ev.source) + passage_pages(ev)


def quote_link_label(claim: ReportClaim) -> str:
    """The label of a claim's link to its quote: "Quote in source", with a PDF's page as the PDF names it ("Quote in
    source, p. 12"; the link opens that page)."""
    return "Quote in source" + (f", p. {claim.page}" if claim.page else "")


def cited_text(ev: CitedEvidence) -> str:
    """A cited passage's text as Markdown and HTML show it: a PDF's printed lines and broken words joined."""
    return shown_passage(ev.text, ev.page)


def cited_target(ev: CitedEvidence) -> str:
    """Where a cited passage's link points: its page of a web PDF (`#page=N`), else its source (a local file is
    named, never linked, and its name is enough beside the page in the label)."""
    return page_link(ev.source, ev.page) if ev.page is not None and is_web_url(ev.source) else ev.source


def _own(claim: ReportClaim, ev: CitedEvidence) -> str:
    """ " (the article itself: ...)" after a passage cited from the claim's own article, else nothing."""
    return f" ({OWN_ARTICLE})" if ev.article_id == claim.article_id else ""


# The summary row, under the total, for claims of earlier versions (a verdict there and one on the same sentence of
# the current version would otherwise both count).
EARLIER_ROW = "Earlier versions (not counted above)"


def earlier_version_text(article: ReportArticle) -> str:
    """What Markdown and HTML say under an earlier version's heading."""
    when = f", replaced on {_when(article.replaced_at)}" if article.replaced_at else ""
    return (
        f"Earlier version{when}: the source has changed since; the quotes below are text it no longer has, and "
        "the links point at the source as it is now."
    )


def render_markdown(report: Report) -> str:
    """The report as Markdown: verdict summary table, then each article's claims."""
    single = len(report.articles) == 1
    title = report.articles[0].title if single else "Verified claims"
    out = [f"# {_md_heading(title)}", ""]
    # A blank publisher setting names nobody: no "Published by ." line.
    by = f"Published by {_md_inline(report.publisher)}. " if report.publisher.strip() else ""
    out.append(
        f"{by}Generated {_generated(report)}. "
        f"{report.claim_count} claim{'s' if report.claim_count != 1 else ''} in "
        f"{len(report.articles)} article{'s' if len(report.articles) != 1 else ''}."
    )
    out += ["", "## Summary", "", "| Verdict | Claims |", "|---|---:|"]
    out += [f"| {_md_inline(label)} | {count} |" for label, count in report.summary.items()]
    earlier = report.earlier_claim_count
    out.append(f"| **Total** | {report.claim_count - earlier} |")
    if earlier:
        out.append(f"| {EARLIER_ROW} | {earlier} |")
    out.append("")
    for article in report.articles:
        out += [f"## {_md_heading(article.title)}", ""]
        meta = [f"Source: {_md_link(article.source, article.source)}"]
        if article.published:
            meta.append(f"Published: {_when(article.published)}")
        out += ["  \n".join(meta), ""]
        if article.replaced_by:
            out += [f"**{earlier_version_text(article)}**", ""]
        if not article.claims:
            out += ["_No claims match this report's filters._", ""]
        for n, claim in enumerate(article.claims, 1):
            out += _claim_markdown(n, claim, report)
    return "\n".join(out).rstrip() + "\n"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATE_DIR),
        # Explicit: select_autoescape would not recognise the .html.j2 extension.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["href"] = _web_href
    env.filters["shown"] = shown_source
    env.filters["quote_link_label"] = quote_link_label
    env.filters["cited_label"] = cited_label
    env.filters["cited_target"] = cited_target
    env.filters["cited_text"] = cited_text
    env.filters["day"] = _when
    env.filters["status"] = claim_status
    env.filters["earlier"] = earlier_version_text
    env.globals["off_scale_note"] = OFF_SCALE_NOTE
    env.globals["earlier_row"] = EARLIER_ROW
    env.globals["own_article"] = OWN_ARTICLE
    return env


def _generated(report: Report) -> str:
    """When the report was made, as a reader reads it ("2026-12-07 22:07 UTC"; it read "2026-12-07T22:07:10.167828+00:00")."""
    return report.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_html(report: Report) -> str:
    """The report as one self-contained, printable HTML page (inline CSS, no external assets)."""
    template = _environment().get_template("report.html.j2")
    single = len(report.articles) == 1
    return template.render(
        report=report,
        title=report.articles[0].title if single else "Verified claims",
        generated=_generated(report),
        generated_iso=report.generated_at.isoformat(),
    )


def neutralise_cell(value: str) -> str:
    """Prefix a single quote to a cell a spreadsheet would evaluate as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return neutralise_cell(str(value))


def _evidence_cell(claim: ReportClaim) -> str:
    parts = [
        f"[{i}] {ev.title}{passage_pages(ev)} <{ev.source}>{_own(claim, ev)}\n{ev.text}"
        for i, ev in enumerate(claim.evidence, 1)
    ]
    return "\n".join(parts)


def render_csv(report: Report) -> str:
    """The report as CSV, one row per claim (columns in the module docstring)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for article, claim in report.claims():
        row = {
            "claim_id": claim.claim_id,
            "article_id": article.id,
            "article_title": article.title,
            "article_source": article.source,
            "article_published": article.published,
            "statement": claim.statement,
            "original_statement": claim.original_statement,
            "quote": claim.quote,
            "start": claim.start,
            "end": claim.end,
            "source_link": claim.source_link,
            "claim_type": claim.claim_type,
            "claimant": claim.claimant,
            "verdict": claim.verdict_label,
            "rating": claim.rating,
            "status": claim.status,
            "not_checkable": claim.not_checkable,
            "checkworthiness": claim.checkworthiness,
            "reviewer": claim.reviewer,
            "reviewed_at": claim.reviewed_at,
            "notes": claim.notes,
            "evidence": _evidence_cell(claim),
            "article_replaced_by": article.replaced_by,
        }
        writer.writerow([_cell(row[name]) for name in CSV_COLUMNS])
    return buffer.getvalue()


def render_json(report: Report) -> str:
    """The full report as JSON (read it back with `read_json`)."""
    return report.model_dump_json(indent=2) + "\n"


def read_json(text: str) -> Report:
    """Read a JSON report written by `render_json`."""
    try:
        report = Report.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ExportError(
            f"Not a claimdesk JSON report ({where}: {first['msg']}); export one with --format json."
        ) from exc
    if report.schema_version != SCHEMA_VERSION:
        raise ExportError(
            f"This report uses schema version {report.schema_version}; this claimdesk reads version "
            f"{SCHEMA_VERSION}. Export it again with this version."
        )
    return report
