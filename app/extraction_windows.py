"""The whole-article chain: one structured call per window of the article, quotes grounded afterwards.

Windows are cut at sentence boundaries with a little overlap so a claim that straddles a cut is seen whole
once; claims are merged across windows (same located span or near-identical statement). A quote that is not
in the article is dropped and counted; the final check-worthiness blends the model's and the scorer's scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from app.extraction import ClaimFn, ExtractionResult, ProgressFn, ScoredLike, SentenceScorer, make_claim
from app.grounding import cuts_a_token, quote_spans, too_short
from app.llm_calls import (
    CallBreaker,
    JsonLLM,
    call_json,
    failure_line,
    prompt_provenance,
    raise_if_all_failed,
    salvage_items,
    schema_of,
)
from app.models import Claim, ClaimType, ExtractionRun, same_statement, utcnow
from app.page_reading import furniture_of
from prompts import load_prompt
from retrieval.models import Article
from retrieval.pages import only_furniture
from retrieval.sentences import split_sentences

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from app.config import Settings

PROMPT_NAME = "whole_article"
CONTEXT_CHARS = 200  # text either side of a quote (within its paragraph) that tells two occurrences of it apart
WINDOW_CHARS = 6000
OVERLAP_CHARS = 400
MODEL_WEIGHT = 0.5  # share of the model's own score in the final check-worthiness; the rest is the scorer's
SAME_STATEMENT = 0.9  # difflib ratio above which two statements are the same claim
WINDOW_MAX_TOKENS = 4096  # room for max_claims claims from one window on a hosted model
LOCAL_WINDOW_MAX_TOKENS = 2048  # a small local model's context (4096) also holds the window itself


class ExtractedClaim(BaseModel):
    """One claim as the model reports it (field descriptions are prompt text)."""

    model_config = ConfigDict(extra="forbid")

    quote: str = Field(
        min_length=1, description="The sentence or clause from the article, copied character for character."
    )
    statement: str = Field(min_length=1, description="The claim rewritten to stand alone, nothing added.")
    claim_type: ClaimType = Field(
        description="statistic, quotation, event, causal, comparison, prediction, policy or other."
    )
    claimant: str | None = Field(description="Who makes the claim in the article; null if the article itself.")
    time_reference: str | None = Field(description="When the claimed fact happened, as the article says; or null.")
    checkworthiness: float = Field(ge=0, le=1, description="0 to 1: how much a fact-checker would want to check it.")


class ClaimList(BaseModel):
    """The model's answer for one window."""

    model_config = ConfigDict(extra="forbid")

    claims: list[ExtractedClaim] = Field(description="Checkable factual claims, most check-worthy first.")


@dataclass(frozen=True)
class Window:
    """A slice `text[start:end]` of the article, cut at sentence boundaries."""

    start: int
    end: int


def article_windows(text: str, size: int = WINDOW_CHARS, overlap: int = OVERLAP_CHARS) -> list[Window]:
    """Windows of about `size` characters at sentence boundaries; each repeats the last sentence(s) of the one before."""
    sentences = split_sentences(text)
    if not sentences:
        return [Window(0, len(text))] if text.strip() else []
    windows: list[Window] = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1].end - sentences[i].start <= size:
            j += 1
        windows.append(Window(sentences[i].start, sentences[j].end))
        if j + 1 >= len(sentences):
            break
        # The next window repeats the last sentence (and more, up to `overlap` chars) so a claim cut in
        # two here is seen whole once; it always advances by at least one sentence.
        k = j if j > i else j + 1
        while k - 1 > i and sentences[j].end - sentences[k - 1].start <= overlap:
            k -= 1
        i = k
    return windows


def _defuse(text: str) -> str:
    # The article must not be able to close its own delimiter; a quote containing one would fail grounding.
    return text.replace("</article>", "<\\/article>")


class WholeArticleExtractor:
    """One structured call per window: the path for strong hosted models."""

    def __init__(
        self, settings: Settings, llm: JsonLLM, scorer: SentenceScorer, *, window_chars: int = WINDOW_CHARS
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.scorer = scorer
        self.window_chars = window_chars
        self.prompt = load_prompt(PROMPT_NAME)
        self.breaker = CallBreaker()  # calls failing in a row stop the run, across articles
        self.template = self.prompt.chat_template()
        max_tokens = WINDOW_MAX_TOKENS if llm.strong else LOCAL_WINDOW_MAX_TOKENS
        self.runnable = llm.json_runnable(schema_of(ClaimList), max_tokens=max_tokens)

    def messages_for(self, article: Article, window: Window, part: int, parts: int) -> list[BaseMessage]:
        """The chat messages for one window (exposed for tests and snapshots)."""
        return self.template.format_messages(
            title=_defuse(article.title),
            part=part,
            parts=parts,
            max_claims=self.settings.max_claims,
            article_text=_defuse(article.text[window.start : window.end]),
        )

    def extract(
        self,
        article: Article,
        *,
        progress: ProgressFn | None = None,
        on_claim: ClaimFn | None = None,
    ) -> ExtractionResult:
        """Extract per window, ground every quote, merge across windows, blend scores."""
        run = ExtractionRun(
            article_id=article.id, strategy="whole-article", model=self.llm.model_id, prompt_hash=self.prompt.sha256
        )
        scored = list(self.scorer.score_article(article.text))
        run.sentences_scored = len(scored)
        windows = article_windows(article.text, self.window_chars, min(OVERLAP_CHARS, self.window_chars // 4))
        provenance = prompt_provenance("whole-article", self.llm, self.prompt)
        furniture = furniture_of(article)  # a PDF's running headers and footers
        claims: list[Claim] = []
        gave_up = attempts = 0
        if progress:
            progress(0, len(windows))
        for n, window in enumerate(windows, 1):
            outcome = call_json(
                self.runnable,
                self.messages_for(article, window, n, len(windows)),
                ClaimList,
                max_retries=self.settings.llm_max_retries,
                timeout=self.settings.llm_timeout,
                breaker=self.breaker,
            )
            attempts += outcome.attempts
            items: list[ExtractedClaim] = []
            if outcome.value is None:
                gave_up += 1
                run.last_raw_output = outcome.last_raw
                line = failure_line(f"window {window.start}-{window.end}", outcome)
                # The answer failed as a whole; the claims in it that are valid on their own still count.
                items, invalid = salvage_items(outcome.last_raw, "claims", ExtractedClaim)
                if items:
                    line += f" (kept the {len(items)} valid claim(s) of its last answer, dropped {invalid} invalid)"
                run.failures.append(line)
            else:
                items = list(outcome.value.claims)
            for item in items:
                taken = {(c.start, c.end): c.statement for c in claims}
                span = self._ground(article.text, window, item.quote, item.statement, taken)
                if span is None or too_short(item.quote) or cuts_a_token(article.text, *span):
                    run.discarded_ungrounded += 1  # not in the article, or only a piece of a word or figure
                    continue
                if only_furniture(furniture, article.text, *span):
                    continue  # "Annual Report 2025   Page 3 of 9": on every page, never a claim
                claim = make_claim(
                    article,
                    span[0],
                    span[1],
                    statement=item.statement,
                    checkworthiness=self._blend(item.checkworthiness, scored, span),
                    provenance=provenance,
                    claim_type=item.claim_type,
                    claimant=item.claimant,
                    time_reference=item.time_reference,
                )
                if self._merge(claims, claim):
                    if on_claim:
                        on_claim(claim)
                else:
                    run.duplicates_merged += 1
            if progress:
                progress(n, len(windows))
        claims.sort(key=lambda c: (-c.checkworthiness, c.start))
        run.dropped_over_limit = max(0, len(claims) - self.settings.max_claims)
        claims = sorted(claims[: self.settings.max_claims], key=lambda c: c.start)
        run.claims_kept = len(claims)
        run.finished_at = utcnow()
        raise_if_all_failed(run, len(windows), gave_up, attempts, claims)
        return ExtractionResult(claims=claims, run=run)

    @staticmethod
    def _ground(
        text: str, window: Window, quote: str, statement: str = "", taken: dict[tuple[int, int], str] | None = None
    ) -> tuple[int, int] | None:
        """Where the quote is: the occurrence whose surroundings share most words with the statement (a quote can
        occur twice, "Unemployment fell to 4 percent." once for 1998 and once for 2023), skipping one that an
        unrelated claim of this run already holds; on a tie, inside this window, then nearest to it."""
        spans = quote_spans(text, quote)
        if not spans:
            return None
        if len(spans) > 1 and taken:
            free = [sp for sp in spans if sp not in taken or same_statement(taken[sp], statement)]
            spans = free or spans
        if len(spans) == 1:
            return spans[0]
        words = _content_words(statement) - _content_words(quote)

        def rank(span: tuple[int, int]) -> tuple[int, bool, int]:
            # the quote's own paragraph, at most CONTEXT_CHARS either side
            left = max(span[0] - CONTEXT_CHARS, text.rfind("\n\n", 0, span[0]) + 1)
            right = text.find("\n\n", span[1])
            right = min(span[1] + CONTEXT_CHARS, len(text) if right < 0 else right)
            context = _content_words(text[max(0, left) : right])
            inside = window.start <= span[0] and span[1] <= window.end
            return (-len(words & context), not inside, abs(span[0] - window.start))

        return min(spans, key=rank)

    @staticmethod
    def _blend(model_score: float, scored: list[ScoredLike], span: tuple[int, int]) -> float:
        covered = [s.score for s in scored if s.start < span[1] and s.end > span[0]]
        if not covered:
            return model_score
        return MODEL_WEIGHT * model_score + (1 - MODEL_WEIGHT) * max(covered)

    @staticmethod
    def _merge(claims: list[Claim], new: Claim) -> bool:
        """Add `new` unless it repeats a claim already kept (keeps the higher score); True when added.

        A repeat has the same span, or the same statement: on an overlapping span (a sentence and its clause, from
        two windows), or elsewhere when it also gives the same numbers (an article that says a thing twice). Alike
        wording with other figures is another claim ("Inflation was 3.1 percent in March." and "... 3.4 percent in
        April.")."""
        for i, old in enumerate(claims):
            same_span = (old.start, old.end) == (new.start, new.end)
            overlap = old.start < new.end and new.start < old.end
            same = same_statement(old.statement, new.statement)
            if same_span or (same and (overlap or _numbers(old.statement) == _numbers(new.statement))):
                if new.checkworthiness > old.checkworthiness:
                    claims[i] = old.model_copy(update={"checkworthiness": new.checkworthiness})
                return False
        claims.append(new)
        return True


def _numbers(text: str) -> list[str]:
    """The figures a statement gives, in order ("3.1", "2023")."""
    return re.findall(r"\d+(?:[.,]\d+)*", text)


def _content_words(text: str) -> set[str]:
    """Lower-cased words of three or more letters, and numbers, for comparing a statement with a quote's context."""
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 3 or w.isdigit()}
