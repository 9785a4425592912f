"""The cascade: the scorer picks check-worthy sentences, the LLM only rewrites each into a stand-alone claim.

Every call shares one prefix (system prompt + article head) so llama.cpp's prompt cache reuses it; only the
neighbouring sentence and the sentence itself change at the end. The first (most check-worthy) sentence is sent
alone so that prefix is evaluated once; the rest go out `llm_parallel` at a time, which the embedded model
decodes as one batch (on 2 cores that saved only 10-15%: decoding there is compute-bound, see the README).
The quote is the sentence, so grounding holds by construction; a rewrite that drops the sentence's facts or
brings in words from nowhere is sent back (small models copy the prompt's example or drift); when the model
gives up on a sentence, the sentence is kept as written (needs_context=True) and the failure is recorded in the
run.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from app.extraction import (
    SCORER_MODEL_ID,
    CallOutcome,
    ClaimFn,
    ExtractionResult,
    JsonLLM,
    ProgressFn,
    ScoredLike,
    SentenceScorer,
    call_json,
    failure_line,
    make_claim,
    picked_sentences,
    prompt_provenance,
    raise_if_all_failed,
    schema_of,
)
from app.models import Claim, ClaimType, ExtractionRun, Provenance, utcnow
from prompts import load_prompt
from retrieval.models import Article
from retrieval.sentences import Sentence, split_sentences

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from app.config import Settings

PROMPT_NAME = "cascade_rewrite"
HEAD_CHARS = 1200  # title + first paragraphs: enough to resolve names and dates, small enough to prefill once
CONTEXT_CHARS = 400
REWRITE_MAX_TOKENS = 200


class SentenceRewrite(BaseModel):
    """The model's short answer for one sentence (field descriptions are prompt text)."""

    model_config = ConfigDict(extra="forbid")

    statement: str = Field(
        min_length=1,
        max_length=500,
        description="The sentence rewritten as one stand-alone factual claim: names instead of pronouns, "
        "absolute dates when the article gives them, nothing added.",
    )
    claim_type: ClaimType = Field(
        description="statistic, quotation, event, causal, comparison, prediction, policy or other."
    )
    claimant: str | None = Field(description="Who makes the claim in the article; null if the article itself.")
    time_reference: str | None = Field(description="When the claimed fact happened, as the article says; or null.")
    needs_context: bool = Field(description="true if the claim still cannot be understood without the article.")


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "the a an and or of to in on at by for with from as is are was were be been it its that this these those "
    "he she they his her their them who which said says told would will has have had not but also than".split()
)
MIN_KEPT = 0.5  # share of the sentence's content words the statement must keep
MAX_NEW = 0.4  # share of the statement's content words allowed to come from nowhere in the prompt


def _content_words(text: str) -> set[str]:
    # Crude stemming (drop a final "s") so "ramps" and "ramp" count as the same word.
    words = (w.rstrip("s") if len(w) > 3 else w for w in _WORD.findall(text.lower()))
    return {w for w in words if w not in _STOP and len(w) > 1}


def check_faithful(statement: str, sentence: str, sources: str) -> None:
    """Raise ValueError when a rewrite drops most of the sentence or brings words found nowhere in the prompt."""
    said = _content_words(sentence)
    stated = _content_words(statement)
    if said and len(said & stated) < MIN_KEPT * len(said):
        raise ValueError(
            "statement: it must restate this whole sentence, keeping its facts and words; for a quotation write "
            f"who said it and what they said (e.g. 'X said that ...'), not the quoted words alone: {sentence!r}"
        )
    new = stated - _content_words(sources)
    if stated and len(new) > MAX_NEW * len(stated):
        raise ValueError(
            f"statement: it adds words that are not in the article ({', '.join(sorted(new)[:8])}); "
            "use only what the article says"
        )


def _faithfulness(sentence: str, sources: str) -> Callable[[SentenceRewrite], None]:
    def check(rewrite: SentenceRewrite) -> None:
        check_faithful(rewrite.statement, sentence, sources)

    return check


def article_head(article: Article, limit: int = HEAD_CHARS) -> str:
    """Title, date and the first paragraphs of the article, cut at a sentence end within `limit` chars."""
    lines = [f"Title: {article.title}"]
    if article.published:
        lines.append(f"Published: {article.published.date().isoformat()}")
    body = article.text
    first = body.lstrip().split("\n", 1)[0].strip()
    if first == article.title.strip():  # the title line is already given above
        body = body.lstrip()[len(first) :]
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()][:2]
    text = "\n\n".join(paragraphs)
    if len(text) > limit:
        cut = [s.end for s in split_sentences(text) if s.end <= limit]
        text = text[: cut[-1]] if cut else text[:limit]
    lines += ["", text]
    return _defuse("\n".join(lines))


def _defuse(text: str) -> str:
    # The article must not be able to close its own delimiters; a quote containing one would fail grounding.
    for tag in ("article", "sentence", "context"):
        text = text.replace(f"</{tag}>", f"<\\/{tag}>")
    return text


class CascadeExtractor:
    """Scorer picks, LLM rewrites: the fast path for small local models."""

    def __init__(self, settings: Settings, llm: JsonLLM, scorer: SentenceScorer) -> None:
        self.settings = settings
        self.llm = llm
        self.scorer = scorer
        self.prompt = load_prompt(PROMPT_NAME)
        self.template = self.prompt.chat_template()
        self.runnable = llm.json_runnable(schema_of(SentenceRewrite), max_tokens=REWRITE_MAX_TOKENS)

    def messages_for(self, head: str, context: str, sentence: str) -> list[BaseMessage]:
        """The chat messages for one sentence (exposed for tests and snapshots)."""
        return self.template.format_messages(article_head=head, context=_defuse(context), sentence=_defuse(sentence))

    def extract(
        self,
        article: Article,
        *,
        progress: ProgressFn | None = None,
        on_claim: ClaimFn | None = None,
    ) -> ExtractionResult:
        """Rewrite each picked sentence; keep the sentence as written when the model gives up on it."""
        run = ExtractionRun(
            article_id=article.id, strategy="cascade", model=self.llm.model_id, prompt_hash=self.prompt.sha256
        )
        scored = self.scorer.score_article(article.text)
        run.sentences_scored = len(scored)
        picked = picked_sentences(scored, self.scorer.threshold, self.settings.max_claims)
        head = article_head(article)
        sentences = split_sentences(article.text)
        ends = [s.end for s in sentences]
        provenance = prompt_provenance("cascade", self.llm, self.prompt)
        claims: list[Claim] = []
        gave_up = attempts = 0
        if progress:
            progress(0, len(picked))

        def rewrite(s: ScoredLike) -> CallOutcome[SentenceRewrite]:
            context = self._context(sentences, ends, s)
            return call_json(
                self.runnable,
                self.messages_for(head, context, s.text),
                SentenceRewrite,
                max_retries=self.settings.llm_max_retries,
                timeout=self.settings.llm_timeout,
                check=_faithfulness(s.text, f"{head}\n{context}\n{s.text}"),
            )

        # Callbacks run here, in the caller's thread (Streamlit needs that), in ranked order.
        for s, outcome in zip(picked, self._outcomes(picked, rewrite), strict=True):
            attempts += outcome.attempts
            claim = self._claim(article, s, outcome, provenance)
            if outcome.value is None:
                gave_up += 1
                run.last_raw_output = outcome.last_raw
                run.failures.append(failure_line(f"sentence {s.start}-{s.end}", outcome))
            claims.append(claim)
            if on_claim:
                on_claim(claim)
            if progress:
                progress(len(claims), len(picked))
        claims.sort(key=lambda c: c.start)
        run.claims_kept = len(claims)
        run.finished_at = utcnow()
        raise_if_all_failed(run, len(picked), gave_up, attempts, claims)
        return ExtractionResult(claims=claims, run=run)

    def _outcomes(
        self, picked: list[ScoredLike], rewrite: Callable[[ScoredLike], CallOutcome[SentenceRewrite]]
    ) -> Iterator[CallOutcome[SentenceRewrite]]:
        """Outcomes in `picked` order: the first call alone, then the rest over `llm_parallel` workers."""
        if not picked:
            return
        # The first call prefills the shared prefix (system prompt + article head) once; only then do the
        # others start, so each reuses it from the prompt cache instead of prefilling it in parallel.
        yield rewrite(picked[0])
        rest = picked[1:]
        workers = min(self.settings.llm_parallel, len(rest))
        if workers <= 1:
            yield from (rewrite(s) for s in rest)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cascade") as pool:
            futures = [pool.submit(rewrite, s) for s in rest]  # submitted in rank order, so served in it
            for future in futures:
                yield future.result()

    @staticmethod
    def _claim(article: Article, s: ScoredLike, outcome: CallOutcome[SentenceRewrite], provenance: Provenance) -> Claim:
        """The rewritten claim, or the sentence as written (needs_context) when the model gave up on it."""
        rw = outcome.value
        if rw is not None:
            return make_claim(
                article,
                s.start,
                s.end,
                statement=rw.statement,
                checkworthiness=s.score,
                provenance=provenance,
                claim_type=rw.claim_type,
                claimant=rw.claimant,
                time_reference=rw.time_reference,
                needs_context=rw.needs_context,
            )
        # The statement is the sentence as written, so the provenance says the scorer made it.
        fallback = Provenance(extractor="scorer", model=SCORER_MODEL_ID)
        return make_claim(
            article, s.start, s.end, statement=s.text, checkworthiness=s.score, provenance=fallback, needs_context=True
        )

    @staticmethod
    def _context(sentences: list[Sentence], ends: list[int], s: ScoredLike) -> str:
        # The sentence just before this one (bounded), so "He said" and "The statement" can be resolved.
        idx = bisect.bisect_right(ends, s.start) - 1
        if idx < 0:
            return "(start of the article)"
        prev = sentences[idx].text
        return prev if len(prev) <= CONTEXT_CHARS else "..." + prev[-CONTEXT_CHARS:]
