"""Verified-claim reports: the report model, how it is built from the review store, and `export`.

A `Report` is plain data (pydantic, `schema_version`), built once from the store and rendered by
`app.report_formats` (Markdown, HTML, CSV, JSON) or `app.claimreview` (schema.org ClaimReview JSON-LD).
Rendering never touches the store or a model, so the same JSON report renders the same way next month.
Each claim's link to its quote in the source comes from `app.source_links`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from app.errors import ExportError
from app.models import CitedEvidence, Claim, Review, utcnow
from app.page_reading import quote_as_read
from app.source_links import source_link
from retrieval.models import Article
from retrieval.pages import page_at, page_name, whole_words

if TYPE_CHECKING:
    from app.config import Settings

__all__ = [
    "IN_PROGRESS",
    "NOT_CHECKABLE",
    "UNREVIEWED",
    "ExportFormat",
    "Report",
    "ReportArticle",
    "ReportClaim",
    "ReportOptions",
    "ReportSource",
    "assemble_report",
    "build_report",
    "check_verdicts",
    "export",
    "file_bytes",
    "filter_report",
    "publisher_notice",
    "read_json",
    "render_claimreview",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "scale_bounds",
]

SCHEMA_VERSION = "1"
UNREVIEWED = "Unreviewed"
NOT_CHECKABLE = "Not checkable"
# The summary row for claims whose review was started but not finished: their verdicts are drafts.
IN_PROGRESS = "In progress (not final)"
ExportFormat = Literal["md", "html", "csv", "json", "claimreview"]
FORMATS: tuple[str, ...] = ("md", "html", "csv", "json", "claimreview")


class ReportSource(Protocol):
    """What a report reads from the review store (`app.store.ReviewStore` satisfies it)."""

    rating_scale: dict[str, int | None]

    def get_article(self, article_id: str) -> Article | None:
        """The article, or None when the id is unknown."""
        ...

    def queue(
        self, *, article_id: str | None = None, status: str | None = None, include_replaced: bool = False
    ) -> list[tuple[Claim, Review]]:
        """Claims of one article, or of every current article (and of replaced versions with `include_replaced`),
        each with its current review (an unreviewed one when nobody has touched it), read together; `status`
        keeps those whose review has that status."""
        ...

    def replaced_versions(self) -> dict[str, tuple[str, datetime | None]]:
        """Article id -> (the id of the newer version that replaced it, when) for every replaced version."""
        ...


class ReportOptions(BaseModel):
    """Which claims a report includes."""

    model_config = ConfigDict(extra="forbid")

    only_reviewed: bool = Field(True, description="Only claims whose review status is 'reviewed'.")
    article_ids: list[str] | None = Field(None, description="Only these articles (None = whole corpus).")
    verdicts: list[str] | None = Field(None, description="Only these verdict labels (case-insensitive).")
    date_from: date | None = Field(None, description="Reviewed on or after this day (UTC).")
    date_to: date | None = Field(None, description="Reviewed on or before this day (UTC).")
    include_earlier: bool = Field(
        False,
        description="Also claims of earlier versions of a source (replaced by a newer version), marked as such; "
        "their quotes are text the source no longer has.",
    )


class ReportClaim(BaseModel):
    """One claim as published: the reviewer's wording, the verdict, and where the quote sits in its source."""

    model_config = ConfigDict(extra="forbid")

    claim_id: str
    article_id: str
    statement: str = Field(description="The reviewer's edited statement when there is one, else the model's.")
    original_statement: str = Field(description="The statement as extracted, before any edit.")
    quote: str
    quote_as_read: str | None = Field(
        None,
        description="A PDF's quote as it reads (its text layer's line breaks, broken words and the page headers and "
        "footers inside it undone), shown in Markdown and HTML; None when the quote reads as it is.",
    )
    start: int
    end: int
    page: str | None = Field(
        None,
        description='The page of a PDF the quote begins on, as the PDF names it (its printed label, e.g. "xii", '
        "else its number); None for any other source.",
    )
    claim_type: str
    claimant: str | None = None
    verdict: str | None = None
    rating: int | None = None
    evidence: list[CitedEvidence] = Field(default_factory=list)
    notes: str = ""
    reviewer: str | None = None
    reviewed_at: datetime | None = None
    status: str
    checkworthiness: float
    not_checkable: bool = False
    verdict_on_scale: bool = Field(
        True, description="False when the verdict is not a label of the rating scale the report was built with."
    )
    source_link: str

    @property
    def verdict_label(self) -> str:
        """The label a reader sees: the verdict, 'Not checkable' or 'Unreviewed'."""
        if self.not_checkable:
            return NOT_CHECKABLE
        return self.verdict or UNREVIEWED

    @property
    def is_final(self) -> bool:
        """Whether the review is finished (status 'reviewed'): any other verdict is a draft."""
        return self.status == "reviewed"

    @property
    def summary_label(self) -> str:
        """The summary row the claim counts under: its verdict once reviewed, else how far its review got."""
        if self.is_final:
            return self.verdict_label
        return IN_PROGRESS if self.status == "in_progress" else UNREVIEWED


class ReportArticle(BaseModel):
    """An article and the claims of it that the report includes, in reading order."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    source: str
    published: datetime | None = None
    replaced_by: str | None = Field(
        None, description="Set on an earlier version of the source: the id of the newer version that replaced it."
    )
    replaced_at: datetime | None = None
    claims: list[ReportClaim] = Field(default_factory=list)


class Report(BaseModel):
    """A verified-claim report over one article or the whole corpus."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    generated_at: datetime
    publisher: str
    options: ReportOptions = Field(default_factory=ReportOptions)
    # Defaults are the 1-5 scale reports assumed before the bounds were recorded, so older JSON reads the same.
    best_rating: int | None = Field(5, description="The highest numeric rating of the scale (None: no numbers).")
    worst_rating: int | None = Field(1, description="The lowest numeric rating of the scale (None: no numbers).")
    summary: dict[str, int] = Field(
        default_factory=dict,
        description=f"Verdict label -> number of reviewed claims; {IN_PROGRESS!r} and {UNREVIEWED!r} count the rest. "
        "Claims of earlier versions (articles with replaced_by) are not counted: their sentences are usually the "
        "current version's too, and a verdict on each would count twice.",
    )
    articles: list[ReportArticle] = Field(default_factory=list)
    earlier_left_out: int = Field(
        0, description="Claims the options select on earlier (replaced) versions of sources, left out of the report."
    )

    @property
    def claim_count(self) -> int:
        """How many claims the report holds."""
        return sum(len(a.claims) for a in self.articles)

    @property
    def earlier_claim_count(self) -> int:
        """How many of them are claims of earlier versions (exported with --include-earlier; not in the summary)."""
        return sum(len(a.claims) for a in self.articles if a.replaced_by)

    def claims(self) -> Iterable[tuple[ReportArticle, ReportClaim]]:
        """Every (article, claim) pair in report order."""
        for article in self.articles:
            for claim in article.claims:
                yield article, claim


def scale_bounds(rating_scale: dict[str, int | None]) -> tuple[int | None, int | None]:
    """The (best, worst) rating of a scale: its highest and lowest number, (None, None) when it has none."""
    numbers = [n for n in rating_scale.values() if n is not None]
    return (max(numbers), min(numbers)) if numbers else (None, None)


def _as_read(article: Article, claim: Claim) -> str | None:
    """A PDF claim's quote as a reader of the PDF sees it, for the human-facing formats; None for any other."""
    if not article.page_starts:
        return None
    read = " ".join(whole_words(quote_as_read(article, claim.start, claim.end)).split())
    return read if read != claim.quote else None


def _report_claim(
    claim: Claim, review: Review, article: Article, scale: dict[str, int | None], *, current: bool = True
) -> ReportClaim:
    verdict = review.verdict or None
    rating = scale.get(verdict) if verdict else None
    page = page_at(article.page_starts, claim.start)
    return ReportClaim(
        claim_id=claim.id,
        article_id=claim.article_id,
        statement=review.edited_statement or claim.statement,
        original_statement=claim.statement,
        quote=claim.quote,
        quote_as_read=_as_read(article, claim),
        start=claim.start,
        end=claim.end,
        page=None if page is None else page_name(article.page_labels, page),
        claim_type=claim.claim_type,
        claimant=review.claimant_of(claim),
        verdict=verdict,
        rating=rating,
        evidence=list(review.evidence),
        notes=review.notes,
        reviewer=review.reviewer,
        reviewed_at=review.updated_at if review.status != "unreviewed" else None,
        status=review.status,
        checkworthiness=claim.checkworthiness,
        not_checkable=review.not_checkable,
        # A label saved before the scale changed keeps no rating; renderers say so instead of hiding it.
        verdict_on_scale=verdict is None or verdict in scale,
        # An earlier version's span points into text the source no longer has: link the source, not the span.
        source_link=(
            source_link(article.source, claim.quote, claim.start, claim.end, page) if current else article.source
        ),
    )


def _selected(claim: ReportClaim, options: ReportOptions) -> bool:
    if options.only_reviewed and claim.status != "reviewed":
        return False
    if options.article_ids is not None and claim.article_id not in options.article_ids:
        return False
    if options.verdicts is not None:
        wanted = {v.strip().casefold() for v in options.verdicts}
        if claim.verdict_label.casefold() not in wanted:
            return False
    if options.date_from is not None or options.date_to is not None:
        if claim.reviewed_at is None:
            return False
        day = claim.reviewed_at.date()
        if options.date_from is not None and day < options.date_from:
            return False
        if options.date_to is not None and day > options.date_to:
            return False
    return True


def _summary(articles: Sequence[ReportArticle], scale: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for article in articles:
        if article.replaced_by:  # its sentences are mostly the newer version's too: counted apart
            continue
        for claim in article.claims:
            counts[claim.summary_label] = counts.get(claim.summary_label, 0) + 1
    # Scale order first (how the newsroom reads its own scale), then other verdicts alphabetically, then the
    # claims without a final verdict: a draft is never counted as the verdict it may still lose.
    last = (IN_PROGRESS, UNREVIEWED)
    order = [label for label in scale if label in counts and label not in last]
    order += sorted(label for label in counts if label not in order and label not in last)
    order += [label for label in last if label in counts]
    return {label: counts[label] for label in order}


def filter_report(report: Report, options: ReportOptions, scale: Iterable[str] = ()) -> Report:
    """A copy of `report` keeping only the claims `options` selects (articles asked for by id stay)."""
    wanted_ids = set(options.article_ids or ())
    articles = []
    for article in report.articles:
        if options.article_ids is not None and article.id not in wanted_ids:
            continue
        kept = [c for c in article.claims if _selected(c, options)]
        if kept or article.id in wanted_ids:
            articles.append(article.model_copy(update={"claims": kept}))
    return report.model_copy(update={"options": options, "articles": articles, "summary": _summary(articles, scale)})


def check_verdicts(options: ReportOptions, rating_scale: dict[str, int | None]) -> None:
    """Refuse a verdict filter naming no label of the scale: a typo would otherwise export nothing."""
    known = {label.casefold() for label in (*rating_scale, UNREVIEWED, NOT_CHECKABLE)}
    unknown = [v for v in options.verdicts or () if v.strip().casefold() not in known]
    if unknown:
        valid = ", ".join((*rating_scale, UNREVIEWED, NOT_CHECKABLE))
        raise ExportError(f"Unknown verdict {', '.join(map(repr, unknown))}. Valid verdicts: {valid}.")


def assemble_report(
    items: Iterable[tuple[Article, Sequence[tuple[Claim, Review]]]],
    options: ReportOptions,
    *,
    rating_scale: dict[str, int | None],
    publisher_name: str,
    now: datetime | None = None,
    replaced: dict[str, tuple[str, datetime | None]] | None = None,
    earlier_left_out: int = 0,
) -> Report:
    """Build a report from plain data: each article with its (claim, review) pairs; `replaced` marks earlier
    versions (article id -> the newer version's id and when it replaced it)."""
    check_verdicts(options, rating_scale)
    replaced = replaced or {}
    articles: list[ReportArticle] = []
    for article, pairs in items:
        newer, when = replaced.get(article.id, (None, None))
        claims = [_report_claim(c, r, article, rating_scale, current=newer is None) for c, r in pairs]
        claims.sort(key=lambda c: (c.start, c.end, c.claim_id))
        articles.append(
            ReportArticle(
                id=article.id,
                title=article.title,
                source=article.source,
                published=article.published,
                replaced_by=newer,
                replaced_at=when,
                claims=claims,
            )
        )
    articles.sort(key=lambda a: (a.title.casefold(), a.id))
    best, worst = scale_bounds(rating_scale)
    full = Report(
        generated_at=now or utcnow(),
        publisher=publisher_name,
        best_rating=best,
        worst_rating=worst,
        articles=articles,
        earlier_left_out=earlier_left_out,
    )
    return filter_report(full, options, rating_scale)


def build_report(
    store: ReportSource, options: ReportOptions, *, publisher_name: str, now: datetime | None = None
) -> Report:
    """Read articles, claims and reviews from the store and build the report `options` asks for.

    Earlier versions of a source (replaced by a newer version) are left out, and counted, unless
    `options.include_earlier`: their quotes are text the source no longer has."""
    replaced = store.replaced_versions()
    pairs: list[tuple[Claim, Review]] = []
    if options.article_ids is not None:
        for article_id in options.article_ids:
            if store.get_article(article_id) is None:
                raise ExportError(f"No article with id {article_id!r} in the store; check the id in the article list.")
            if article_id in replaced and not options.include_earlier:
                newer, when = replaced[article_id]
                instead = (
                    f"Export {newer} instead"
                    if store.get_article(newer) is not None
                    else f"Its newer version {newer} has since been deleted; ingest the source again to review its "
                    "current text"
                )
                raise ExportError(
                    f"Article {article_id} is an earlier version of its source, replaced by {newer}"
                    f"{f' on {when:%Y-%m-%d}' if when else ''}: its quotes are text the source no longer has. "
                    f"{instead}, or include earlier versions (`--include-earlier`) to publish it marked as one."
                )
            pairs.extend(store.queue(article_id=article_id))
        article_ids = list(dict.fromkeys(options.article_ids))
    else:
        # claims with their reviews in one read (one read per claim took 0.4 s at 7,000); only the finished ones
        # when only those are reported (reading all 18,000 claims for 400 reviewed ones took most of a second)
        status = "reviewed" if options.only_reviewed else None
        pairs = store.queue(status=status, include_replaced=options.include_earlier)
        article_ids = list(dict.fromkeys(c.article_id for c, _ in pairs))
    by_article: dict[str, list[tuple[Claim, Review]]] = {aid: [] for aid in article_ids}
    for claim, review in pairs:
        by_article.setdefault(claim.article_id, []).append((claim, review))
    items: list[tuple[Article, Sequence[tuple[Claim, Review]]]] = []
    for article_id, article_pairs in by_article.items():
        article = store.get_article(article_id)
        if article is None:
            raise ExportError(f"Claims point at article {article_id!r}, which is missing from the store.")
        items.append((article, article_pairs))
    left_out = 0
    if not options.include_earlier and options.article_ids is None and replaced:
        # What the same options would have selected on the earlier versions: said, never silently dropped.
        earlier = [
            (article, store.queue(article_id=aid))
            for aid in replaced
            if (article := store.get_article(aid)) is not None
        ]
        left_out = assemble_report(
            earlier, options, rating_scale=dict(store.rating_scale), publisher_name=publisher_name, replaced=replaced
        ).claim_count
    return assemble_report(
        items, options, rating_scale=dict(store.rating_scale), publisher_name=publisher_name, now=now,
        replaced=replaced, earlier_left_out=left_out,
    )  # fmt: skip


def publisher_notice(publisher_name: str) -> str | None:
    """What to tell the user when a Markdown or HTML report would name the placeholder publisher, or none."""
    from app.config import publisher_placeholders

    if not publisher_name.strip():
        return "CLAIMDESK_PUBLISHER_NAME is empty, so the report names no publisher."
    if "CLAIMDESK_PUBLISHER_NAME" in publisher_placeholders(publisher_name, ""):
        return (
            f"the report says 'Published by {publisher_name.strip()}', the placeholder publisher; set "
            "CLAIMDESK_PUBLISHER_NAME to your organisation's name before publishing it."
        )
    return None


def export(report: Report, fmt: ExportFormat, *, settings: Settings) -> str:
    """Render `report` in one format (ClaimReview takes the publisher from settings)."""
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "json":
        return render_json(report)
    if fmt == "claimreview":
        return render_claimreview(
            report,
            publisher_name=settings.publisher_name,
            publisher_url=settings.publisher_url,
            report_url=settings.report_url,
        )
    raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")


def file_bytes(text: str, fmt: str) -> bytes:
    """Bytes for saving a rendered export to a file: UTF-8, with a byte-order mark for CSV only."""
    # Excel opens a BOM-less UTF-8 CSV as the local code page and mangles accented names; other formats
    # (and CSV piped to stdout) stay plain UTF-8 so scripts never see the mark.
    return ("\ufeff" + text if fmt == "csv" else text).encode("utf-8")


# The renderers live in app.report_formats and app.claimreview, which import the model above; these thin
# wrappers import them lazily so callers need only `app.reports` and no import cycle forms.


def render_markdown(report: Report) -> str:
    """The report as Markdown (see `app.report_formats`)."""
    from app import report_formats

    return report_formats.render_markdown(report)


def render_html(report: Report) -> str:
    """The report as one self-contained, printable HTML page."""
    from app import report_formats

    return report_formats.render_html(report)


def render_csv(report: Report) -> str:
    """The report as CSV, one row per claim (columns documented in `app.report_formats`)."""
    from app import report_formats

    return report_formats.render_csv(report)


def render_json(report: Report) -> str:
    """The full report as JSON."""
    from app import report_formats

    return report_formats.render_json(report)


def read_json(text: str) -> Report:
    """Read back a JSON report written by `render_json`."""
    from app import report_formats

    return report_formats.read_json(text)


def render_claimreview(report: Report, *, publisher_name: str, publisher_url: str, report_url: str | None) -> str:
    """The reviewed claims as schema.org ClaimReview JSON-LD; refuses claims that cannot be valid markup.
    `report_url` is where the HTML report will be published (each claim's url is its anchor there)."""
    from app import claimreview

    return claimreview.render_claimreview(
        report, publisher_name=publisher_name, publisher_url=publisher_url, report_url=report_url
    )
