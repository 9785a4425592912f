"""Claim extraction: one interface, three strategies (scorer only, cascade, whole-article).

`build_extractor` picks the strategy: no LLM -> the check-worthiness scorer alone; a small local model -> the
cascade (scorer picks sentences, the LLM rewrites each into a stand-alone claim); a strong hosted model -> the
whole-article chain (windows of the article, quotes grounded afterwards). Shared here: the result type, the
protocols we code against, claim assembly (`make_claim`, `sentence_claim`) and the sentences a scorer picks; the
scorer-only strategy lives here too. The type heuristic is in app/claim_types.py, the checks of what a model adds
in app/faithfulness.py, the model seam and the bounded-retry JSON call in app/llm_calls.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from app.claim_types import guess_claim_type
from app.claimants import claimant_in_context
from app.dates import dated, time_reference
from app.faithfulness import article_words, content_words, invented_figures, invented_names, unfaithful
from app.models import Claim, ClaimType, ExtractionRun, Provenance, claim_id_for, utcnow
from app.names import claimant_in_full, named_in_full
from app.page_reading import furniture_of, heading_text, on_a_full_line, quote_as_read, sentence_text
from app.references import back_reference, leaning_words, reporting_note, subheading, table_line, table_row, teaser
from app.speakers import LIST_MARKER, rule_claimant
from retrieval.models import Article
from retrieval.pages import furniture_overlapping, hyphen_kept, only_furniture, page_at, without_furniture

if TYPE_CHECKING:
    from app.config import Settings
    from app.llm import LLMHandle
    from app.llm_calls import JsonLLM

__all__ = [
    "SCORER_MODEL_ID",
    "ClaimFn",
    "ExtractionResult",
    "Extractor",
    "ProgressFn",
    "ScoredLike",
    "ScorerOnlyExtractor",
    "SentenceScorer",
    "build_extractor",
    "sentence_claim",
]

SCORER_MODEL_ID = "checkworthiness-scorer"

ProgressFn = Callable[[int, int], None]
ClaimFn = Callable[[Claim], None]


class ScoredLike(Protocol):
    """A scored sentence as app.checkworthiness returns it (`text == article.text[start:end]`; a PDF's sentence from
    body_sentences reads without the headers and footers inside its span)."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def score(self) -> float: ...


class SentenceScorer(Protocol):
    """The part of CheckworthinessScorer extraction uses."""

    @property
    def threshold(self) -> float: ...
    def score_article(self, text: str) -> Sequence[ScoredLike]: ...
    def score_texts(self, texts: list[str]) -> list[float]: ...


@dataclass
class ExtractionResult:
    """The grounded claims of one article and the record of the run that produced them."""

    claims: list[Claim]
    run: ExtractionRun


class Extractor(Protocol):
    """Anything that turns an article into grounded claims."""

    def extract(
        self,
        article: Article,
        *,
        progress: ProgressFn | None = None,
        on_claim: ClaimFn | None = None,
    ) -> ExtractionResult:
        """Extract claims; `progress(done, total)` after each step, `on_claim` as soon as a claim is final."""
        ...


# --- claim assembly ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _dated_text(text: str, published: date | None) -> str:
    return dated(text, published)


_LIST_MARKER = re.compile("^" + LIST_MARKER)


# A word broken at a line's end by a hyphen ("6.2 mil-\nlion"), as a PDF's text layer or a hard-wrapped text has it.
_LINE_END_HYPHEN = re.compile(r"(\w+)-[ \t]*\n\s*(\w+)")


def flowing(statement: str, text: str, quote: str = "") -> str:
    """`statement` on one line: line breaks (a PDF's text layer breaks every line) as spaces, and a word the quote
    or the statement hyphenates at a line's end written whole ("6.2 mil-\nlion", or a model's "mil- lion" for it,
    -> "6.2 million") unless article `text` writes it with its hyphen on one line ("long-term" where "long-term"
    occurs) or the next line starts with a capital or a figure ("Anglo-French", "2020-2021"). The quote stays as
    written."""
    broken_words = dict.fromkeys(_LINE_END_HYPHEN.findall(quote) + _LINE_END_HYPHEN.findall(statement))
    folded = text.casefold() if broken_words else ""
    for left, right in broken_words:
        broken = re.compile(rf"\b{re.escape(left)}-\s*{re.escape(right)}\b")
        statement = broken.sub(f"{left}-{right}" if hyphen_kept(folded, left, right) else left + right, statement)
    return " ".join(statement.split())


def make_claim(
    article: Article,
    start: int,
    end: int,
    *,
    statement: str,
    checkworthiness: float,
    provenance: Provenance,
    claim_type: ClaimType | None = None,
    claimant: str | None = None,
    time_reference: str | None = None,
    needs_context: bool = False,
) -> Claim:
    """Build a claim over `article.text[start:end]`, validated against the article text (grounding).

    What a model says beyond the quote is checked against the article, so nothing it made up reaches a report:
    a statement that gives a figure or a name the article does not contain anywhere, adds several words the article
    lacks, or leaves out most of the quote is replaced by the quote itself (the reviewer can still rewrite it); a
    claimant or time reference with words or figures the article lacks is dropped."""
    quote = article.text[start:end]
    read = quote_as_read(article, start, end)  # the quote without a PDF's headers and footers
    # The dates the rules add ("last Thursday (2021-04-22)") come from the publication date, not the text.
    published = article.published.date() if article.published else None
    source = _dated_text(article.text, published)
    if statement.strip() != read.strip() and unfaithful(statement, read, source):
        statement = read
    if claimant and not content_words(claimant) <= article_words(source):
        claimant = None  # "An anonymous police source" in an article that has none
    if time_reference and (invented_figures(time_reference, source) or invented_names(time_reference, source)):
        time_reference = None
    # A list item's bullet or number ("- ", "2. ") is part of the quote, not of what is claimed; who a bare surname
    # or "the hospice" is, as the article named them before, and a relative date the publication date fixes are
    # given ("Colin Ashdown", "St Brendan's Hospice", "on Monday (2021-04-26)").
    statement = _LIST_MARKER.sub("", statement.strip()) or statement.strip() or read
    statement = flowing(statement, article.text, read)
    statement = dated(named_in_full(statement, article.text, start), published)
    if claimant:
        claimant = claimant_in_full(claimant, article.text, start)  # "Wang" -> "Wang Wenbin", as in the statement
    data = {
        "id": claim_id_for(article.id, start, end),
        "article_id": article.id,
        "quote": quote,
        "start": start,
        "end": end,
        "statement": statement,
        "claim_type": claim_type or guess_claim_type(quote),
        "claimant": (claimant or "").strip(" ,;:") or None,
        "time_reference": (time_reference or "").strip() or None,
        "checkworthiness": min(1.0, max(0.0, float(checkworthiness))),
        # A section heading inside the article leans on its section, and a statement that still says "He" or "on
        # Monday" (undated) on the article, whatever made the claim.
        "needs_context": needs_context
        or subheading(article.text, start, end)
        or bool(leaning_words(statement) or back_reference(statement, article.text, start)),
        "provenance": provenance,
    }
    return Claim.model_validate(data, context={"article_text": article.text})


def sentence_claim(article: Article, s: ScoredLike) -> Claim:
    """The claim a scorer alone makes of a sentence: the sentence as written is the statement (its relative dates
    dated), with the claimant, time reference and needs_context read by rules (app/speakers.py and app/claimants.py,
    app/dates.py, app/references.py). Also what the cascade keeps for a sentence the model gave up on."""
    published = article.published.date() if article.published else None
    return make_claim(
        article,
        s.start,
        s.end,
        statement=s.text,
        checkworthiness=s.score,
        provenance=Provenance(extractor="scorer", model=SCORER_MODEL_ID),
        claimant=claimant_in_context(article.text, s.start, s.end, rule_claimant(s.text, article.text)),
        time_reference=time_reference(s.text, published),
    )


def _candidate(s: ScoredLike, threshold: float, text: str, headings: str | None = None) -> bool:
    """A sentence that may become a claim: check-worthy enough, not a note about the reporting itself, and not a
    section heading inside the article (references.subheading: "Councillors split", "Yields down by a third" sum up
    the section under it, whose sentences say it in full; two annotators marked all 31 headings in
    bench/labelled/ not check-worthy; a PDF's also as `headings`, page_reading.heading_text, reads it: a heading at
    a page's foot goes on to the next page), nor a table's row (references.table_row: "Total 2.9 4.5 8.1", figures
    whose meaning is in the table's header), nor a link to another story ("Read more: ...", references.teaser). The
    headline, list items and a model's own choice of a heading are kept."""
    return (
        s.score >= threshold
        and s.end > s.start
        and not reporting_note(s.text)
        and not subheading(text, s.start, s.end)
        and not (
            headings is not None and (subheading(headings, s.start, s.end) or table_line(headings, s.start, s.end))
        )
        and not table_row(s.text)
        and not teaser(s.text)
    )


@dataclass(frozen=True)
class PageSentence:
    """A sentence of a PDF as it reads: `text` is `article.text[start:end]` without the running headers and footers
    inside it (a sentence that runs over a page break has the page's foot and the next page's head in its span)."""

    start: int
    end: int
    text: str
    score: float


# How a sentence ends; one that does not, before a page break, goes on on the next page.
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*\s*$")


def scored_sentences(scorer: SentenceScorer, article: Article) -> tuple[int, list[ScoredLike]]:
    """How many sentences the scorer read in `article`, and those claims are picked from (`body_sentences`). A PDF's
    sentences are split from its text as it reads (page_reading.sentence_text: the same offsets), not at every
    printed line."""
    scored = scorer.score_article(sentence_text(article))
    return len(scored), body_sentences(scored, article, scorer)


def body_sentences(scored: Sequence[ScoredLike], article: Article, scorer: SentenceScorer) -> list[ScoredLike]:
    """`scored` as claims are picked from it: a PDF's running headers and footers ("Harbour Fund Annual Report 2025
    Page 3 of 9", a page number: retrieval.pages.furniture_spans), which a scorer can rate check-worthy on every
    page, left out, and a sentence cut by a page break ("Spending on the harbour wall rose to" | footer, header |
    "6.2 million pounds, ...") joined again; a sentence with furniture inside its span reads and is scored without it.
    Anything else is returned as it is."""
    if not article.page_starts:
        return list(scored)
    text, starts = article.text, article.page_starts
    spans = furniture_of(article)
    body = [s for s in scored if not only_furniture(spans, text, s.start, s.end)]
    groups: list[list[ScoredLike]] = []
    for s in body:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and page_at(starts, s.end - 1) != page_at(starts, last.end - 1)  # it ends on a later page
            and not _SENTENCE_END.search(
                without_furniture(spans, text, last.start, last.end)
            )  # a footer's "?" ends nothing
            # it flows on: from a full line, or into a word that goes on ("mil-" / "lion", "rose to" / "6.2 ..."); a
            # cover's or a paragraph's short last line before a capital ends it
            and (on_a_full_line(article, last.end) or text[last.end - 1] == "-" or not text[s.start].isupper())
            and (not text[last.end : s.start].strip() or only_furniture(spans, text, last.end, s.start))
        ):
            groups[-1].append(s)
        else:
            groups.append([s])
    # Joined sentences, and any with a page's head or foot (or a part of one) in its span or a word broken at a line's
    # end, are read without them, words whole, and scored again ("earlie- st" is not a word the scorer knows).
    mixed = [
        g
        for g in groups
        if len(g) > 1
        or furniture_overlapping(spans, g[0].start, g[-1].end)
        or _LINE_END_HYPHEN.search(text, g[0].start, g[-1].end)
    ]
    if not mixed:
        return body
    read = [flowing(without_furniture(spans, text, g[0].start, g[-1].end), text) for g in mixed]
    again = {
        id(g): PageSentence(g[0].start, g[-1].end, t, p)
        for g, t, p in zip(mixed, read, scorer.score_texts(read), strict=True)
    }
    return [again.get(id(g), g[0]) for g in groups]


def over_limit(
    scored: Sequence[ScoredLike], threshold: float, limit: int, text: str, headings: str | None = None
) -> int:
    """How many check-worthy sentences of article `text` picked_sentences leaves out for the limit."""
    return max(0, sum(1 for s in scored if _candidate(s, threshold, text, headings)) - limit)


def picked_sentences(
    scored: Sequence[ScoredLike], threshold: float, limit: int, text: str, headings: str | None = None
) -> list[ScoredLike]:
    """Sentences of article `text` at or above the threshold, most check-worthy first, at most `limit`; never a
    note about the reporting itself ("That claim could not be independently verified.", see
    references.reporting_note) or a section heading (a PDF's also as `headings` reads: page_reading.heading_text)."""
    keep = [s for s in scored if _candidate(s, threshold, text, headings)]
    keep.sort(key=lambda s: (-s.score, s.start))
    return keep[:limit]


class ScorerOnlyExtractor:
    """Every check-worthy sentence becomes a claim as written: instant, no model, nothing invented."""

    def __init__(self, settings: Settings, scorer: SentenceScorer) -> None:
        self.settings = settings
        self.scorer = scorer

    def extract(
        self,
        article: Article,
        *,
        progress: ProgressFn | None = None,
        on_claim: ClaimFn | None = None,
    ) -> ExtractionResult:
        """Claims from the scorer alone (statement = the sentence)."""
        run = ExtractionRun(article_id=article.id, strategy="scorer", model=SCORER_MODEL_ID)
        run.sentences_scored, scored = scored_sentences(self.scorer, article)
        limit, headings = self.settings.max_claims, heading_text(article)
        run.dropped_over_limit = over_limit(scored, self.scorer.threshold, limit, article.text, headings)
        picked = sorted(
            picked_sentences(scored, self.scorer.threshold, limit, article.text, headings), key=lambda s: s.start
        )
        claims: list[Claim] = []
        for i, s in enumerate(picked, 1):
            claim = sentence_claim(article, s)
            claims.append(claim)
            if on_claim:
                on_claim(claim)
            if progress:
                progress(i, len(picked))
        if progress and not picked:
            progress(0, 0)
        run.claims_kept = len(claims)
        run.finished_at = utcnow()
        return ExtractionResult(claims=claims, run=run)


def build_extractor(
    settings: Settings,
    llm: LLMHandle | JsonLLM | None,
    scorer: SentenceScorer,
    *,
    strategy: str | None = None,
) -> Extractor:
    """The extractor for this model: scorer only without an LLM, else cascade or whole-article."""
    if llm is None:
        return ScorerOnlyExtractor(settings, scorer)
    chosen = strategy or settings.extraction_strategy
    if chosen == "auto":
        chosen = "whole-article" if llm.strong else "cascade"
    if chosen == "cascade":
        from app.extraction_cascade import CascadeExtractor

        return CascadeExtractor(settings, llm, scorer)
    if chosen == "whole-article":
        from app.extraction_windows import WholeArticleExtractor

        return WholeArticleExtractor(settings, llm, scorer)
    from app.errors import ConfigurationError

    raise ConfigurationError(
        f"Unknown extraction strategy {chosen!r}: use auto, cascade or whole-article (CLAIMDESK_EXTRACTION_STRATEGY)."
    )
