"""Claim extraction: one interface, three strategies (scorer only, cascade, whole-article).

`build_extractor` picks the strategy: no LLM -> the check-worthiness scorer alone; a small local model -> the
cascade (scorer picks sentences, the LLM rewrites each into a stand-alone claim); a strong hosted model -> the
whole-article chain (windows of the article, quotes grounded afterwards). Shared here: the result type, the
protocols we code against, claim assembly, the type heuristic and the bounded-retry JSON call.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from app.claimants import claimant_in_context
from app.dates import dated, time_reference
from app.errors import ExtractionError, ModelUnavailableError
from app.models import Claim, ClaimType, ExtractionRun, Provenance, claim_id_for, utcnow
from app.names import named_in_full
from app.references import leaning_words, reporting_note, subheading
from app.speakers import LIST_MARKER, rule_claimant
from prompts import Prompt, load_prompt
from retrieval.deadline import call_with_deadline
from retrieval.models import Article

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable

    from app.config import Settings
    from app.llm import LLMHandle

__all__ = [
    "SCORER_MODEL_ID",
    "TYPE_CUES",
    "CallOutcome",
    "ClaimFn",
    "ExtractionResult",
    "Extractor",
    "JsonLLM",
    "ProgressFn",
    "ScoredLike",
    "ScorerOnlyExtractor",
    "SentenceScorer",
    "build_extractor",
    "call_json",
    "guess_claim_type",
    "sentence_claim",
]

SCORER_MODEL_ID = "checkworthiness-scorer"

ProgressFn = Callable[[int, int], None]
ClaimFn = Callable[[Claim], None]
M = TypeVar("M", bound=BaseModel)


class ScoredLike(Protocol):
    """A scored sentence as app.checkworthiness returns it (`text == article.text[start:end]`)."""

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


class JsonLLM(Protocol):
    """The part of app.llm.LLMHandle extraction uses: a runnable that returns the model's raw JSON text."""

    @property
    def model_id(self) -> str: ...
    @property
    def strong(self) -> bool: ...
    def json_runnable(self, schema: dict[str, Any], *, max_tokens: int = 512) -> Runnable[Any, str]: ...
    def prefill(self, messages: list[BaseMessage]) -> str: ...


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

_QUANTITY_WORDS = re.compile(r"\bpercent\b|\bper cent\b|%|\b(million|billion|trillion|dozens?|half)\b", re.I)
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
_MONTH_WORD = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?",
    re.I,
)


_UNIT_AFTER = re.compile(r"(?:bn|mn|m|k|km|kg|mg|g|t|mph|kph|ft|lbs?|oz|ml|gw|mw|kw|kwh|gwh|x|s|st|nd|rd|th)\b")
_CLOCK = re.compile(r"\s*(?:a\.m\.|p\.m\.|am\b|pm\b|GMT\b|UTC\b|BST\b)")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")


def _not_a_quantity(sentence: str, m: re.Match[str]) -> bool:
    """Whether the digits at `m` date or name something rather than count it: a year ("in 2020", "2025-26"), a
    day of a month ("April 26", "26th of April"), a clock time ("18:40", "9 a.m."), or part of a name ("G7",
    "Covid-19", "F-35", "5G"; "10km" and "$4.2bn" are quantities)."""
    token, before, after = m.group(0), sentence[: m.start()], sentence[m.end() :]
    if before[-1:].isalpha() or (before[-1:] == "-" and before[-2:-1].isalpha()):
        return True
    if after[:1].isalpha() and not _UNIT_AFTER.match(after):
        return True
    if ":" in token or _CLOCK.match(after):
        return True
    if _YEAR.fullmatch(token) and not before.endswith(("$", "£", "€")) and after[:1] != "%":
        return True
    if re.search(r"(?:1[89]|20)\d\d[-–/]$", before) and len(token) == 2:
        return True  # the "26" of "2025-26"
    if len(token) <= 2 and token.isdigit():
        near = sentence[max(0, m.start() - 12) : m.end() + 16]
        month = _MONTH_WORD.pattern
        day = rf"{month}\s+{token}\b|\b{token}(?:st|nd|rd|th)?\s+(?:of\s+)?{month}"
        return re.search(day, near, re.I) is not None
    return False


def has_number(sentence: str) -> bool:
    """Whether the sentence states a quantity ("10 diplomats", "3.1 percent", "a million"), not only a date, a
    time or a name with digits in it: what a statistic needs."""
    if _QUANTITY_WORDS.search(sentence):
        return True
    return any(not _not_a_quantity(sentence, m) for m in _DIGITS.finditer(sentence))


_TYPE_RULES: tuple[tuple[ClaimType, re.Pattern[str]], ...] = (
    ("quotation", re.compile(r"[\"\u201c\u201d]|\b(said|says|told|stated|declared|according to)\b", re.I)),
    ("prediction", re.compile(r"\b(will|would|expects?|expected|forecasts?|plans? to|is set to)\b", re.I)),
    ("causal", re.compile(r"\b(because|caused?|due to|led to|leads to|result(ed)? in|as a result)\b", re.I)),
    ("comparison", re.compile(r"\b(more|less|fewer|higher|lower|larger|smaller|than|most|least)\b", re.I)),
    ("policy", re.compile(r"\b(law|bill|sanction\w*|ban\w*|polic\w+|regulat\w+|tariff\w*|treaty|decree)\b", re.I)),
    ("event", re.compile(r"\b\w+ed\b|\b(met|held|took|made|began|won|lost|said)\b", re.I)),
)


# The words without which a sentence is no causal claim, comparison or prediction: the guess's own rules, and a few
# more words ("compared with", "up from", "-er than", "could", "likely", "next").
_MORE_CUES = {
    "causal": r"\b(caus\w*|leads? to|lead to|results? in|resulting in|blamed|owing to|thanks to|linked to|contribut\w+|"
    r"driven by|responsible for|triggered|so that|therefore)\b",
    "comparison": r"\b(bigger|compared|versus|vs|up from|down from|twice|double\w*|half|times|highest|lowest|largest|"
    r"smallest|biggest|record|\w+est|\w+er than|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"\d+(?:st|nd|rd|th)|ranked|rank|behind|ahead)\b",
    "prediction": r"\b(are set to|could|may|might|likely|next|predict\w*|project\w*|future|by 20\d\d|going to|intends?|"
    r"aims? to|due to (open|start|be|close))\b",
}
TYPE_CUES: dict[str, re.Pattern[str]] = {
    kind: re.compile(f"{rule.pattern}|{_MORE_CUES[kind]}", re.I) for kind, rule in _TYPE_RULES if kind in _MORE_CUES
}


def guess_claim_type(sentence: str) -> ClaimType:
    """A cheap keyword guess at the claim type, for when no model is asked."""
    if has_number(sentence):
        return "statistic"
    for kind, pattern in _TYPE_RULES:
        if pattern.search(sentence):
            return kind
    return "other"


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "the a an and or of to in on at by for with from as is are was were be been it its that this these those "
    "he she they his her their them who which said says told would will has have had not but also than".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words and numbers of a text without the commonest function words, crudely stemmed (a final "s"
    dropped, so "ramps" and "ramp" count as one): for comparing a statement with its quote and article."""
    words = (w.rstrip("s") if len(w) > 3 else w for w in _WORD.findall(text.lower()))
    return {w for w in words if w not in _STOP and len(w) > 1}


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def _figure(text: str) -> str:
    """A figure in one spelling: thousands commas dropped ("4,100" = "4100"), a decimal comma as a point ("4,2" =
    "4.2"), trailing decimal zeros and leading zeros dropped ("4.20" = "4.2", "07" = "7")."""
    value = re.sub(r",(?=\d{3}(?!\d))", "", text).replace(",", ".")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def invented_figures(statement: str, article_text: str) -> list[str]:
    """Figures of `statement` that occur nowhere in the article, compared in one spelling (see _figure)."""
    present = _figures_of(article_text)
    return [m.group(0) for m in _FIGURE.finditer(statement) if _figure(m.group(0)) not in present]


@functools.lru_cache(maxsize=8)
def _figures_of(text: str) -> frozenset[str]:
    """The figures of a text in one spelling: computed once per article, not once per claim of it."""
    return frozenset(_figure(m.group(0)) for m in _FIGURE.finditer(text))


@functools.lru_cache(maxsize=8)
def _dated_text(text: str, published: date | None) -> str:
    return dated(text, published)


_NAME = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*")
_SENTENCE_OPENER = re.compile(r"(?:^|[.:;!?\"“‘(]\s*|\s[-–—]\s)$")
# Capitalised words a faithful rewrite may add without the article spelling them: dates the rules resolve to, and
# titles put before a name the article gives.
_NAME_ALLOWED = frozenset(
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday i mr mrs ms dr president prime minister secretary senator governor "
    "chancellor spokesperson spokesman spokeswoman".split()
)
# Words that open a sentence without being names (any other first word must be in the article like a name).
_OPENERS = frozenset(
    "the a an in on at by for from of to with as after before during since until when while if although though "
    "because but and or so yet however also according it its this that these those there here he she they we you "
    "his her their our my some many most more several few all both each every no not one two three four five six "
    "seven eight nine ten last next new former".split()
)


@functools.lru_cache(maxsize=8)
def _name_keys(text: str) -> frozenset[str]:
    """Every prefix of every word of a text (lower-cased), and the initials of its runs of capitalised words
    ("United States" gives "us", "European Union" gives "eu")."""
    keys: set[str] = set()
    for word in re.findall(r"[\w'’-]+", text.lower()):
        keys.update(word[:k] for k in range(1, len(word) + 1))
    for run in re.findall(r"(?:[A-Z][a-z]+\s+){1,4}[A-Z][a-z]+", text):
        parts = run.split()
        for i in range(len(parts)):
            for j in range(i + 2, len(parts) + 1):
                keys.add("".join(p[0] for p in parts[i:j]).lower())
    return frozenset(keys)


def invented_names(statement: str, article_text: str) -> list[str]:
    """Capitalised words of `statement` (names, places, organisations) that the article never spells, nor a word of
    the same stem ("Chinese" for "China"), nor as initials ("US" for "United States"). A sentence's first word
    counts too, unless it is a common opener ("The", "In", "According", ...)."""
    keys = _name_keys(article_text)
    out: list[str] = []
    for m in _NAME.finditer(statement):
        word = m.group(0).strip("'’-").replace(".", "")
        low = word.lower()
        opener = _SENTENCE_OPENER.search(statement[: m.start()]) is not None
        if (opener and low in _OPENERS) or low in _NAME_ALLOWED or low.rstrip("s") in keys:
            continue
        if low in keys or (len(low) >= 5 and low[:4] in keys and any(low[:k] in keys for k in (len(low) - 2, 4))):
            continue
        out.append(m.group(0))
    return out


MAX_NEW_WORDS = 0.2  # share of a statement's content words (at least one word) that may be missing from the article


@functools.lru_cache(maxsize=8)
def article_words(text: str) -> frozenset[str]:
    """content_words of an article's text, computed once per article (not once per claim checked against it)."""
    return frozenset(content_words(text))


def unfaithful(statement: str, quote: str, article_text: str) -> str | None:
    """Why a model's statement cannot stand for its quote, or None: it gives a figure or a name the article lacks,
    adds more than MAX_NEW_WORDS of words found nowhere in the article ("... after admitting fraud"), or keeps less
    than half of the quote's words (a statement about something else: "Mayor X was arrested" on a budget headline)."""
    if figures := invented_figures(statement, article_text):
        return f"figures not in the article: {', '.join(figures)}"
    if names := invented_names(statement, article_text):
        return f"names not in the article: {', '.join(names)}"
    stated = content_words(statement)
    new = stated - article_words(article_text)
    if len(new) > max(1, MAX_NEW_WORDS * len(stated)):
        return f"words not in the article: {', '.join(sorted(new)[:8])}"
    said = content_words(quote)
    if said and len(said & stated) < 0.5 * len(said):
        return "it leaves out most of the quote"
    return None


_LIST_MARKER = re.compile("^" + LIST_MARKER)


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
    # The dates the rules add ("last Thursday (2021-04-22)") come from the publication date, not the text.
    published = article.published.date() if article.published else None
    source = _dated_text(article.text, published)
    if statement.strip() != quote.strip() and unfaithful(statement, quote, source):
        statement = quote
    if claimant and not content_words(claimant) <= article_words(source):
        claimant = None  # "An anonymous police source" in an article that has none
    if time_reference and (invented_figures(time_reference, source) or invented_names(time_reference, source)):
        time_reference = None
    # A list item's bullet or number ("- ", "2. ") is part of the quote, not of what is claimed; who a bare surname
    # or "the hospice" is, as the article named them before, and a relative date the publication date fixes are
    # given ("Colin Ashdown", "St Brendan's Hospice", "on Monday (2021-04-26)").
    statement = _LIST_MARKER.sub("", statement.strip()) or statement.strip() or quote
    statement = dated(named_in_full(statement, article.text, start), published)
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
        "needs_context": needs_context or subheading(article.text, start, end) or bool(leaning_words(statement)),
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


def _candidate(s: ScoredLike, threshold: float, text: str) -> bool:
    """A sentence that may become a claim: check-worthy enough, not a note about the reporting itself, and not a
    section heading inside the article (references.subheading: "Councillors split", "Yields down by a third" sum up
    the section under it, whose sentences say it in full; two annotators marked all 31 headings in
    bench/labelled/ not check-worthy). The headline, list items and a model's own choice of a heading are kept."""
    return (
        s.score >= threshold and s.end > s.start and not reporting_note(s.text) and not subheading(text, s.start, s.end)
    )


def over_limit(scored: Sequence[ScoredLike], threshold: float, limit: int, text: str) -> int:
    """How many check-worthy sentences of article `text` picked_sentences leaves out for the limit."""
    return max(0, sum(1 for s in scored if _candidate(s, threshold, text)) - limit)


def picked_sentences(scored: Sequence[ScoredLike], threshold: float, limit: int, text: str) -> list[ScoredLike]:
    """Sentences of article `text` at or above the threshold, most check-worthy first, at most `limit`; never a
    note about the reporting itself ("That claim could not be independently verified.", see
    references.reporting_note) or a section heading."""
    keep = [s for s in scored if _candidate(s, threshold, text)]
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
        scored = self.scorer.score_article(article.text)
        run.sentences_scored = len(scored)
        run.dropped_over_limit = over_limit(scored, self.scorer.threshold, self.settings.max_claims, article.text)
        picked = sorted(
            picked_sentences(scored, self.scorer.threshold, self.settings.max_claims, article.text),
            key=lambda s: s.start,
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


# --- one JSON call with bounded retries -------------------------------------------------------------------


@dataclass
class CallOutcome(Generic[M]):
    """What a retried call ended with: the parsed value, or the last error and raw output when it gave up."""

    value: M | None
    attempts: int
    last_raw: str | None = None
    error: str | None = None
    raws: list[str] = field(default_factory=list)
    call_failed: bool = False  # the call itself failed (timeout, provider error), not the answer's validation


# Calls that fail one after another (timeouts, a rate limit, an outage) before the run stops: a hung provider
# otherwise costs CLAIMDESK_LLM_TIMEOUT per sentence of every article (hours for a cascade over a folder).
CALLS_FAILED_IN_A_ROW = 3


class CallBreaker:
    """Counts model calls that failed in a row across one extractor's articles and stops the run at the limit."""

    def __init__(self, limit: int = CALLS_FAILED_IN_A_ROW) -> None:
        self.limit = limit
        self.in_a_row = 0
        self._lock = threading.Lock()

    def record(self, outcome: CallOutcome[Any]) -> None:
        """Note a call's outcome; ModelUnavailableError when `limit` calls in a row failed."""
        with self._lock:
            self.in_a_row = self.in_a_row + 1 if outcome.call_failed else 0
            if self.in_a_row >= self.limit:
                self.in_a_row = 0
                raise ModelUnavailableError(
                    f"{self.limit} model calls in a row failed (the last: {outcome.error}); stopped instead of "
                    "trying every remaining sentence. Try again later, raise CLAIMDESK_LLM_TIMEOUT if the model is "
                    "only slow, or use --llm none."
                )


def _as_text(output: object) -> str:
    content = getattr(output, "content", output)
    if isinstance(content, list):  # content blocks from some chat models
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


# Providers enforce CLAIMDESK_LLM_TIMEOUT themselves (and stop generating cleanly); this backstop only catches
# one that hangs past it. Abandoning a call early would leave it running and holding the local model's lock.
BACKSTOP_GRACE = 10.0


def _invoke_with_timeout(runnable: Runnable[Any, Any], messages: list[BaseMessage], timeout: float) -> str:
    # A daemon thread per call: a hung provider cannot block the caller past timeout + BACKSTOP_GRACE.
    out = call_with_deadline(
        lambda: runnable.invoke(messages),
        timeout + BACKSTOP_GRACE,
        message=f"the model did not answer within {timeout:g} s (CLAIMDESK_LLM_TIMEOUT)",
        name="claimdesk-llm-call",
    )
    return _as_text(out)


def _short_error(exc: Exception, limit: int = 700) -> str:
    if isinstance(exc, ValidationError):
        lines = [f"- {'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()[:8]]
        text = "\n".join(lines)
    else:
        text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def call_json(
    runnable: Runnable[Any, Any],
    messages: list[BaseMessage],
    model: type[M],
    *,
    max_retries: int,
    timeout: float,
    check: Callable[[M], None] | None = None,
    breaker: CallBreaker | None = None,
) -> CallOutcome[M]:
    """Call the model, parse its JSON into `model`; on invalid output feed the error back and retry.

    A failed call is not retried here (the provider's client already retried a rate limit or an outage); one no
    retry can mend (ModelUnavailableError: a refused key, an unreachable server) and the `breaker`'s limit of
    failures in a row raise, stopping the run."""
    from langchain_core.messages import AIMessage, HumanMessage

    feedback = load_prompt("retry_feedback")
    history = list(messages)
    outcome: CallOutcome[M] = CallOutcome(value=None, attempts=0)
    for _ in range(max_retries + 1):
        outcome.attempts += 1
        try:
            raw = _invoke_with_timeout(runnable, history, timeout)
        except ModelUnavailableError:
            raise
        except Exception as exc:  # a provider failure or timeout: retrying the same call rarely helps
            outcome.error = f"model call failed: {_short_error(exc)}"
            outcome.call_failed = True
            if breaker is not None:
                breaker.record(outcome)
            return outcome
        outcome.last_raw = raw
        outcome.raws.append(raw)
        try:
            value = model.model_validate_json(_strip_fences(raw))
            if check is not None:
                check(value)
        except (ValidationError, ValueError) as exc:
            outcome.error = _short_error(exc)
            history += [AIMessage(content=raw), HumanMessage(content=feedback.user.format(error=outcome.error))]
            continue
        outcome.value = value
        outcome.error = None
        if breaker is not None:
            breaker.record(outcome)
        return outcome
    if breaker is not None:
        breaker.record(outcome)  # it answered, if not in shape: the provider is up
    return outcome


_FENCE = re.compile(r"```(?:json)?[ \t]*\n?(.*?)\s*```", re.S | re.I)


def _strip_fences(raw: str) -> str:
    # Hosted models without a JSON mode sometimes wrap the object in a Markdown fence ("```json", "```JSON"),
    # with a sentence before or after it.
    m = _FENCE.search(raw)
    return m.group(1) if m else raw


def salvage_items(raw: str | None, key: str, item: type[M]) -> tuple[list[M], int]:
    """The valid items of `raw`'s list under `key` when the whole answer failed validation (one bad claim must not
    cost the good ones next to it); returns them and how many items were invalid. Nothing when it is not JSON."""
    import json

    try:
        data = json.loads(_strip_fences(raw or ""))
    except ValueError:
        return [], 0
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return [], 0
    valid: list[M] = []
    for candidate in items:
        try:
            valid.append(item.model_validate(candidate))
        except ValidationError:
            continue
    return valid, len(items) - len(valid)


def failure_line(where: str, outcome: CallOutcome[Any]) -> str:
    """One line for ExtractionRun.failures."""
    error = " ".join((outcome.error or "unknown error").split())
    return f"{where}: gave up after {outcome.attempts} attempt(s): {error}"


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema handed to the model (field descriptions are prompt text)."""
    return json.loads(json.dumps(model.model_json_schema()))


def prompt_provenance(kind: str, llm: JsonLLM, prompt: Prompt) -> Provenance:
    """Provenance for claims made by `llm` with `prompt`."""
    return Provenance.model_validate(
        {
            "extractor": kind,
            "model": llm.model_id,
            "prompt_name": prompt.name,
            "prompt_version": prompt.version,
            "prompt_hash": prompt.sha256,
        }
    )


def raise_if_all_failed(run: ExtractionRun, calls: int, gave_up: int, attempts: int, kept: list[Claim]) -> None:
    """When every model call gave up, the extraction failed: say so, but hand back what was kept."""
    if calls and gave_up == calls:
        last = run.failures[-1] if run.failures else "no detail"
        advice = (
            "Try again later, or use --llm none."
            if "model call failed" in last
            else "Try again, raise CLAIMDESK_LLM_MAX_RETRIES (retries of answers that do not validate), or use "
            "--llm none."
        )
        raise ExtractionError(
            f"The model gave up on all {calls} call(s) for article {run.article_id} ({last}). {advice}",
            attempts=attempts,
            last_output=run.last_raw_output,
            kept=list(kept),
            run=run,
        )


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
