"""The cascade: the scorer picks check-worthy sentences, the LLM only says who claims each and what kind it is.

Every call shares one prefix (system prompt + article head) so llama.cpp's prompt cache reuses it (the system
prompt's state even across processes, see LLMHandle.prefill); only the sentence, and where needed the one before
it, change at the end. The first (most check-worthy) sentence is sent alone so that prefix is evaluated once; the
rest go out `llm_parallel` at a time (on 2 cores that saves nothing now that answers are short, so the default
is 1; see the README). A small model answers in a short closed shape and the statement is the sentence with
rule-checked fixes (app/references.py, app/dates.py): an opening pronoun resolved, relative dates dated, and anything
else only the article explains flagged needs_context rather than guessed. A strong model may rewrite the sentence;
a rewrite that drops the sentence's facts or brings in words from nowhere is sent back. The quote is the sentence,
so grounding holds by construction; when the model gives up on a sentence, the sentence is kept as written
(needs_context=True) and the failure is recorded in the run. The rules an answer is checked by are in
app/rewrite_checks.py.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel, ConfigDict, Field

from app.claimants import claimant_in_context
from app.dates import time_reference
from app.extraction import (
    ClaimFn,
    ExtractionResult,
    ProgressFn,
    ScoredLike,
    SentenceScorer,
    make_claim,
    over_limit,
    picked_sentences,
    scored_sentences,
    sentence_claim,
)
from app.llm_calls import (
    CallBreaker,
    CallOutcome,
    JsonLLM,
    call_json,
    failure_line,
    prompt_provenance,
    raise_if_all_failed,
)
from app.models import Claim, ClaimType, ExtractionRun, Provenance, utcnow
from app.page_reading import heading_text
from app.references import pronoun_subject
from app.rewrite_checks import (
    check_faithful,
    check_stands_alone,
    checked_claim_type,
    checked_claimant,
    pick_referent,
    resolved_statement,
)
from prompts import load_prompt
from retrieval.models import Article
from retrieval.sentences import Sentence, split_sentences

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from app.config import Settings

PROMPT_NAME = "cascade_rewrite"
HEAD_CHARS = 2000  # title + first paragraphs (a short article whole): computed once per article, then cached
CONTEXT_CHARS = 400
REWRITE_MAX_TOKENS = 200


class SentenceRewrite(BaseModel):
    """The model's short answer for one sentence.

    Every generated token costs ~40 ms on 2 cores and most news sentences already stand alone, so `statement`
    is written only for a sentence that does not (without it, the statement is the sentence as written). The time
    reference is read from the sentence by rules (app/dates.py) instead of being generated.
    """

    model_config = ConfigDict(extra="forbid")

    refers_to: str | None = Field(default=None, min_length=1, max_length=200)
    statement: str | None = Field(default=None, min_length=1, max_length=500)
    claim_type: ClaimType
    claimant: str | None
    needs_context: bool = False


def rewrite_schema(shape: str = "either") -> dict[str, Any]:
    """The answer's JSON schema: "alone" {claimant, claim_type}; "resolve" {refers_to, claimant, claim_type};
    "rewrite" {statement, needs_context, claimant, claim_type}; or "either" alone or rewrite (the model's first
    key decides).

    Closed shapes instead of one object with a nullable statement: given a string-or-null field, the 1.5B model
    writes the string (copying the sentence) nearly every time; asked whether a sentence stands alone it says no
    to nearly every one; asked to rewrite one it mostly copies it. So for a weak model the rules in
    app/references.py find the words that need the article. For an opening "He"/"She"/"They" the model says who
    it is (checked, see pick_referent) and the code puts that in its place; for "the accusations" the 1.5B model
    named the wrong thing every time, and feeding the error back changed nothing, so there the sentence is kept
    as written and marked needs_context.
    """
    claim_type = {"type": "string", "enum": list(get_args(ClaimType))}
    # The enum goes last: after a free string the small model wants to go on (", " then another key), and with
    # nothing left to write it pushes that ", " into the string ("Beijing, "); after an enum it just closes.
    closing = {"claimant": {"type": ["string", "null"]}, "claim_type": claim_type}
    statement = {"type": "string", "minLength": 1, "maxLength": 500}

    def closed(props: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}

    alone = closed(closing)
    rewrite = closed({"statement": statement, "needs_context": {"type": "boolean"}, **closing})
    resolve = closed({"refers_to": {"type": "string", "minLength": 1, "maxLength": 200}, **closing})
    shapes = {"alone": alone, "rewrite": rewrite, "resolve": resolve}
    if shape in shapes:
        return shapes[shape]
    return {"type": "object", "anyOf": [rewrite, alone]}


def _faithfulness(sentence: str, sources: str, shape: str) -> Callable[[SentenceRewrite], None]:
    def check(rewrite: SentenceRewrite) -> None:
        if rewrite.refers_to is not None:
            # Checked when the claim is made (resolved_statement): at temperature 0 the model gave the same wrong
            # referent again after the error was fed back, so a rejected answer costs no retry; the sentence is
            # kept as written and marked needs_context, with the model's claimant and type.
            return
        if rewrite.statement is not None:
            check_faithful(rewrite.statement, sentence, sources)
        elif shape == "either":  # the model itself says the sentence stands alone as written
            check_stands_alone(sentence)

    return check


def _sources(head: str, previous: str, sentence: str) -> str:
    """The prompt text a rewrite may draw its words from: the article head, the sentence before, the sentence."""
    return f"{head}\n{previous}\n{sentence}"


def article_head(article: Article, limit: int = HEAD_CHARS) -> str:
    """Title, date and the article's first paragraphs, cut at a sentence end within `limit` chars.

    A short article fits whole in the shared, cached prefix, so most sentences need no context of their own; a
    sentence beyond the head, or one opening with a pronoun, also gets the sentence before it.
    """
    lines = [f"Title: {article.title}"]
    if article.published:
        lines.append(f"Published: {article.published.date().isoformat()}")
    body = article.text
    first = body.lstrip().split("\n", 1)[0].strip()
    if first == article.title.strip():  # the title line is already given above
        body = body.lstrip()[len(first) :]
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    kept: list[str] = []
    for p in paragraphs:
        if kept and sum(len(k) + 2 for k in kept) + len(p) > limit:
            break
        kept.append(p)
    text = "\n\n".join(kept)
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
        self.breaker = CallBreaker()  # calls failing in a row stop the run, across articles
        self.template = self.prompt.chat_template()
        self.runnables = {
            shape: llm.json_runnable(rewrite_schema(shape), max_tokens=REWRITE_MAX_TOKENS)
            for shape in ("alone", "resolve", "rewrite", "either")
        }

    def shape_for(self, sentence: str) -> tuple[str, str | None]:
        """Which answer shape to ask for, and the opening pronoun the model is asked to resolve (or None).

        A strong model decides whether the sentence stands alone; for the embedded one the rules decide: who an
        opening pronoun is, or only claimant and type (~17 tokens; a rewritten statement costs ~50 more).
        """
        if self.llm.strong:
            return "either", None
        if self.settings.cascade_statements == "model":  # the slower path: the model rewrites every sentence
            return "rewrite", None
        pronoun = pronoun_subject(sentence)
        return ("resolve" if pronoun else "alone"), pronoun

    def prefix_messages(self) -> list[BaseMessage]:
        """The part every call of every article starts with: the system prompt and the opening of the user turn."""
        from langchain_core.messages import HumanMessage, SystemMessage

        mark = "\x00"
        system, user = self.template.format_messages(article_head=mark, context="", sentence="", task="")
        return [SystemMessage(content=system.content), HumanMessage(content=str(user.content).split(mark)[0])]

    def messages_for(
        self, head: str, context: str | None, sentence: str, phrase: str | None = None
    ) -> list[BaseMessage]:
        """The chat messages for one sentence; `context` (the sentence before it) only when it is not in `head`;
        `phrase` is the pronoun the model is asked to resolve, if any."""
        block = (
            f"\nThe sentence comes right after this passage:\n<context>{_defuse(context)}</context>\n"
            if context
            else ""
        )
        task = ""
        if phrase:
            task = f"\nWho is {_defuse(phrase)!r} in it? Give refers_to: the name (and role) the article gives."
        return self.template.format_messages(article_head=head, context=block, sentence=_defuse(sentence), task=task)

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
        run.sentences_scored, scored = scored_sentences(self.scorer, article)
        limit, headings = self.settings.max_claims, heading_text(article)
        picked = picked_sentences(scored, self.scorer.threshold, limit, article.text, headings)
        run.dropped_over_limit = over_limit(scored, self.scorer.threshold, limit, article.text, headings)
        head = article_head(article)
        sentences = split_sentences(article.text)
        ends = [s.end for s in sentences]
        provenance = prompt_provenance("cascade", self.llm, self.prompt)
        claims: list[Claim] = []
        gave_up = attempts = 0
        if progress:
            progress(0, len(picked))
        if picked:
            self.llm.prefill(self.prefix_messages())  # the embedded model loads the system prompt's saved state

        def before(s: ScoredLike) -> str:
            return self._context(sentences, ends, s)

        def rewrite(s: ScoredLike) -> CallOutcome[SentenceRewrite]:
            shape, pronoun = self.shape_for(s.text)
            # The sentence before is sent when a pronoun must be resolved or the head does not hold it already.
            context = before(s) if pronoun or _defuse(s.text) not in head else None
            return call_json(
                self.runnables[shape],
                self.messages_for(head, context, s.text, pronoun),
                SentenceRewrite,
                max_retries=self.settings.llm_max_retries,
                timeout=self.settings.llm_timeout,
                breaker=self.breaker,
                check=_faithfulness(s.text, _sources(head, before(s), s.text), shape),
            )

        # Callbacks run here, in the caller's thread (Streamlit needs that), in ranked order.
        for s, outcome in zip(picked, self._outcomes(picked, rewrite), strict=True):
            attempts += outcome.attempts
            claim = self._claim(article, s, outcome, provenance, head, before(s), checked=not self.llm.strong)
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
    def _claim(
        article: Article,
        s: ScoredLike,
        outcome: CallOutcome[SentenceRewrite],
        provenance: Provenance,
        head: str,
        previous: str,
        *,
        checked: bool,
    ) -> Claim:
        """The model's claim, or the sentence as written when the model gave up on it (the claim a scorer-only run
        makes, rules and all: so a failed run leaves an earlier scorer-only claim as it was); `checked` puts a small
        model's claimant and type through the rules (checked_claimant, checked_claim_type)."""
        rw = outcome.value
        if rw is None:  # the statement is the sentence as written, so the provenance says the scorer made it
            return sentence_claim(article, s)
        published = article.published.date() if article.published else None
        statement = rw.statement or " ".join(s.text.split())
        pronoun = pronoun_subject(s.text) if rw.statement is None else None
        referent = pick_referent(pronoun, rw.refers_to, previous) if pronoun else None
        if pronoun and referent:
            sources = _sources(head, previous, s.text)
            statement = resolved_statement(s.text, pronoun, referent, sources) or statement
        claimant, claim_type = rw.claimant, rw.claim_type
        if checked:  # the statement may now name who "He" is: the rules read the claimant from there
            claimant = checked_claimant(claimant, statement, article.text)
            claim_type = checked_claim_type(claim_type, s.text)
        # A quotation closed, and attributed, only in a later sentence is that speaker's (the model named the
        # person the quotation rebuts), as is one that goes on after its attribution ('"...," said Amira Khan.
        # "We are on track ..."'); in a transcript, a sentence nobody else is said to say is the answerer's.
        claimant = claimant_in_context(article.text, s.start, s.end, claimant)
        return make_claim(
            article,
            s.start,
            s.end,
            statement=statement,
            checkworthiness=s.score,
            provenance=provenance,
            claim_type=claim_type,
            claimant=claimant,
            time_reference=time_reference(s.text, published),
            # make_claim adds the rules: a statement that still says "He" or "the accusations" needs the article.
            needs_context=rw.needs_context,
        )

    @staticmethod
    def _context(sentences: list[Sentence], ends: list[int], s: ScoredLike) -> str:
        # The sentence just before this one (bounded), so "He said" and "The statement" can be resolved.
        idx = bisect.bisect_right(ends, s.start) - 1
        if idx < 0:
            return "(start of the article)"
        prev = sentences[idx].text
        return prev if len(prev) <= CONTEXT_CHARS else "..." + prev[-CONTEXT_CHARS:]
