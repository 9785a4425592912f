"""Domain models: claims, reviews, cited evidence and history. Pure data, no I/O."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from retrieval.decoding import strip_controls
from retrieval.models import Article, Evidence

__all__ = [
    "CLAIM_TYPES",
    "Article",
    "CitedEvidence",
    "Claim",
    "ClaimType",
    "Draft",
    "Evidence",
    "ExtractionRun",
    "HistoryEvent",
    "Provenance",
    "Review",
    "ReviewStatus",
    "claim_id_for",
    "clean_typed_text",
    "edited_claimant",
    "normalize_for_match",
    "utcnow",
]

ClaimType = Literal[
    "statistic",
    "quotation",
    "event",
    "causal",
    "comparison",
    "prediction",
    "policy",
    "other",
]
CLAIM_TYPES: tuple[str, ...] = (
    "statistic",
    "quotation",
    "event",
    "causal",
    "comparison",
    "prediction",
    "policy",
    "other",
)

ReviewStatus = Literal["unreviewed", "in_progress", "reviewed"]

_QUOTE_MAP = str.maketrans(
    {
        # invisible characters a model never writes (as in app.grounding), and the ellipsis character
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\u2026": "...",
        "\u00a0": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2032": "'",
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
    }
)


# Bidirectional embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): one left unclosed in a
# reviewer's name turned "Reviewed by Eve on 2026-12-07" around in the HTML report. Typed text needs none of them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_typed_text(text: str) -> str:
    """Text a person typed, safe to print in a report or a terminal: line breaks as newlines, no control characters
    or terminal escape sequences (tab and newline kept), no bidirectional embedding, override or isolate."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _BIDI_CONTROLS.sub("", strip_controls(text)[0])


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


def normalize_for_match(text: str) -> str:
    """Fold NBSP, curly quotes and dashes, drop invisible characters, spell "…" as "..."; collapse whitespace."""
    return " ".join(text.translate(_QUOTE_MAP).split())


def same_statement(a: str, b: str, *, ratio: float = 0.9) -> bool:
    """Whether two statements say the same thing: equal after folding, or nearly equal wording (difflib ratio)."""
    import difflib

    ka, kb = normalize_for_match(a).lower(), normalize_for_match(b).lower()
    return ka == kb or difflib.SequenceMatcher(None, ka, kb).ratio() >= ratio


_WORDS = re.compile(r"[a-z0-9]+")
_COMMON = frozenset(
    "the a an and or of to in on at by for with from as is are was were be it that this said says".split()
)


def alike_statements(a: str, b: str, *, share: float = 0.6) -> bool:
    """Whether two statements state mostly the same facts: the shorter one's words (without the commonest ones)
    are at least `share` in the other ("Reportedly, 'We cut 1,274 jobs,' Ortiz said" and "In short: 'We cut 1,274
    jobs'"). Looser than same_statement; for a re-run's claim on an overlapping span."""
    wa = {w for w in _WORDS.findall(a.lower()) if w not in _COMMON}
    wb = {w for w in _WORDS.findall(b.lower()) if w not in _COMMON}
    small = min(len(wa), len(wb))
    return small > 0 and len(wa & wb) >= share * small


def claim_id_for(article_id: str, start: int, end: int) -> str:
    """Stable claim id: content hash of article id and span, so re-extraction never duplicates."""
    return hashlib.sha256(f"{article_id}:{start}:{end}".encode()).hexdigest()[:16]


class Provenance(BaseModel):
    """Where a claim came from: which extractor, model and prompt produced it, and when."""

    model_config = ConfigDict(extra="forbid")

    extractor: Literal["cascade", "whole-article", "scorer"]
    model: str
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Claim(BaseModel):
    """A checkable claim, grounded in its article: `article.text[start:end]` is the quote.

    Validate with `Claim.model_validate(data, context={"article_text": text})` to enforce grounding.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    article_id: str
    quote: str = Field(description="Verbatim text from the article.")
    start: int = Field(ge=0)
    end: int = Field(gt=0)
    statement: str = Field(description="The claim rewritten to stand alone.")
    claim_type: ClaimType = "other"
    claimant: str | None = None
    time_reference: str | None = None
    checkworthiness: float = Field(ge=0.0, le=1.0)
    needs_context: bool = False
    provenance: Provenance

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> Claim:
        if self.end <= self.start:
            raise ValueError("claim span is empty")
        text = (info.context or {}).get("article_text") if info.context else None
        if text is not None and (self.end > len(text) or text[self.start : self.end] != self.quote):
            raise ValueError("quote does not match the article text at its offsets")
        return self


class CitedEvidence(BaseModel):
    """Evidence as it was when the reviewer cited it (text and source are frozen copies)."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str
    article_id: str
    title: str
    source: str
    text: str
    start: int | None = None
    end: int | None = None
    page: int | None = Field(default=None, description="The PDF page the passage begins on (1-based).")
    page_end: int | None = Field(default=None, description="The PDF page it ends on, when that is a later one.")
    page_label: str | None = Field(default=None, description="What `page` is called, when the PDF labels its pages.")
    page_end_label: str | None = Field(default=None, description="What `page_end` is called, likewise.")
    cited_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def from_evidence(cls, ev: Evidence) -> CitedEvidence:
        """Freeze a search result as cited evidence."""
        return cls(
            chunk_id=ev.chunk_id,
            article_id=ev.article_id,
            title=ev.title,
            source=ev.source,
            text=ev.text,
            start=ev.start,
            end=ev.end,
            page=ev.page,
            page_end=ev.page_end,
            page_label=ev.page_label,
            page_end_label=ev.page_end_label,
        )


class Review(BaseModel):
    """A reviewer's current decision on one claim; `version` guards against lost updates."""

    model_config = ConfigDict(extra="forbid")

    claim_id: str
    status: ReviewStatus = "unreviewed"
    verdict: str | None = None
    evidence: list[CitedEvidence] = Field(default_factory=list)
    notes: str = ""
    reviewer: str | None = None
    edited_statement: str | None = Field(None, description="Reviewer's wording, when it differs from the model's.")
    edited_claimant: str | None = Field(
        None,
        description="Reviewer's claimant, when it differs from the extracted one; an empty string says the article "
        "names nobody (the outlet's own claim). None keeps the extracted claimant.",
    )
    not_checkable: bool = Field(False, description="Reviewer rejected the claim as not checkable.")
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("notes", "reviewer", "edited_statement", "edited_claimant", mode="before")
    @classmethod
    def _typed_text(cls, value: Any) -> Any:
        """Reports and the terminal show what a reviewer typed: controls go (also from reviews stored before)."""
        return clean_typed_text(value) if isinstance(value, str) else value

    @field_validator("reviewer", "edited_statement")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        """A blank name or wording is no name or wording (reports would print an empty heading)."""
        return value if value is None or value.strip() else None

    def claimant_of(self, claim: Claim) -> str | None:
        """Who makes the claim as reviewed: the reviewer's correction, else the extracted claimant."""
        if self.edited_claimant is None:
            return claim.claimant
        return self.edited_claimant.strip() or None

    @property
    def decision(self) -> str:
        """The decision in words: "not checkable", the verdict, else the status ("in progress")."""
        return "not checkable" if self.not_checkable else (self.verdict or self.status.replace("_", " "))

    @property
    def statement_edited(self) -> bool:
        """Whether the reviewer changed the model's statement."""
        return self.edited_statement is not None


def edited_claimant(claim: Claim, typed: str) -> str | None:
    """The reviewer's claimant as stored (Review.edited_claimant) from what they typed: None when it is the extracted
    one, "" when they cleared it (the article names nobody), else their wording."""
    typed = " ".join(typed.split())
    return None if typed == (claim.claimant or "") else typed


class Draft(BaseModel):
    """A reviewer's unsaved form for one claim, kept so a reload or a closed tab loses nothing typed.

    `base` is the stored review the edits started from: saving a restored draft is still checked against anything
    saved since. `cited` holds the ticked passages themselves (a passage found by a custom query would not be among
    the default query's results after a reload)."""

    model_config = ConfigDict(extra="forbid")

    claim_id: str
    reviewer: str = ""
    base: Review
    verdict: str | None = None
    not_checkable: bool = False
    notes: str = ""
    statement: str | None = None
    claimant: str | None = None
    cited: list[CitedEvidence] = Field(default_factory=list)
    query: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


class HistoryEvent(BaseModel):
    """One append-only history entry: who changed what, when, and the context behind it."""

    id: int
    claim_id: str | None
    article_id: str | None
    at: datetime
    actor: str
    action: str
    changes: dict[str, Any] = Field(default_factory=dict)

    def summary(self) -> str:
        """The changes as one readable line: "verdict: - -> True; notes: ... -> ...; version=2"."""
        changes = dict(self.changes)
        parts: list[str] = []
        diff = changes.pop("diff", None)
        if isinstance(diff, dict):
            parts.extend(f"{name}: {_short(d.get('old'))} -> {_short(d.get('new'))}" for name, d in diff.items())
        parts.extend(f"{key}={_short(value)}" for key, value in changes.items() if value not in (None, [], {}, ""))
        return "; ".join(parts)


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if value == "":
        return '""'
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


class ExtractionRun(BaseModel):
    """What one extraction pass over an article did: kept, discarded (ungrounded) and failed, and why."""

    article_id: str
    strategy: Literal["cascade", "whole-article", "scorer"]
    model: str
    prompt_hash: str | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    sentences_scored: int = 0
    claims_kept: int = 0
    discarded_ungrounded: int = 0  # quotes not found in the article, or only a piece of a word or figure there
    duplicates_merged: int = Field(0, description="Claims that repeated one already kept (same or overlapping span).")
    dropped_over_limit: int = Field(
        0, description="Check-worthy claims left out by CLAIMDESK_MAX_CLAIMS (least first)."
    )
    failures: list[str] = Field(default_factory=list, description="One line per call that gave up.")
    last_raw_output: str | None = None
