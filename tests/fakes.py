"""Test doubles for our own protocols, shared by every test module.

- `QueueChatModel`: a LangChain chat model that answers from a queue (or a function) and records every call.
- `KeywordEmbedder`: deterministic bag-of-words embeddings (LangChain `Embeddings`), no model files.
- `RuleScorer`: a check-worthiness scorer with the CheckworthinessScorer interface and a transparent rule.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from app.models import Claim, Provenance, claim_id_for
from retrieval.models import Article
from retrieval.sentences import split_sentences

GARBAGE = "Sure! Here are the claims you asked for:\n- something, not JSON"


class QueueChatModel(BaseChatModel):
    """Answers each call with the next queued item: a string is returned, an Exception is raised.

    When the queue is empty, `responder(messages)` is used if given, else the call fails loudly (a test that
    makes more calls than it queued is a test bug). `calls` holds the messages of every call, in order, and
    `call_kwargs` the keyword arguments bound to it (the JSON schema, max_tokens).
    """

    responses: list[Any] = Field(default_factory=list)
    responder: Callable[[list[BaseMessage]], str] | None = None
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    call_kwargs: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "queue-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        self.call_kwargs.append(dict(kwargs))  # e.g. json_schema and max_tokens bound by LLMHandle
        if self.responses:
            item = self.responses.pop(0)
        elif self.responder is not None:
            item = self.responder(list(messages))
        else:
            raise AssertionError(f"QueueChatModel: no response queued for call {len(self.calls)}")
        if isinstance(item, BaseException):
            raise item
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=str(item)))])

    def bind_tools(self, *args: Any, **kwargs: Any) -> QueueChatModel:  # type: ignore[override]
        """Tools are ignored: the fake answers from its queue."""
        return self

    def prompt_texts(self, call: int = -1) -> str:
        """All message contents of one call, joined (for asserting what the model saw)."""
        return "\n".join(str(m.content) for m in self.calls[call])


_WORD = re.compile(r"[a-z0-9]+")


class KeywordEmbedder(Embeddings):
    """Hashes lower-cased words into `dim` buckets and L2-normalises: same words -> same vector."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def _embed(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in _WORD.findall(text.lower()):
            bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim
            vec[bucket] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        return self._embed(text)

    def __call__(self, input: Sequence[str]) -> list[list[float]]:  # Chroma-style embedding function
        """Chroma EmbeddingFunction interface."""
        return self.embed_documents(list(input))


@dataclass(frozen=True)
class ScoredSentence:
    """Same shape as app.checkworthiness.ScoredSentence."""

    start: int
    end: int
    text: str
    score: float


class RuleScorer:
    """Scores 0.9 for sentences with a digit, 0.7 for reported speech, else 0.2; threshold 0.5 by default."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    @staticmethod
    def rule(text: str) -> float:
        """The score of one sentence."""
        if re.search(r"\d", text):
            return 0.9
        if re.search(r"\b(said|says|told|according)\b", text):
            return 0.7
        return 0.2

    def score_article(self, text: str) -> list[ScoredSentence]:
        """Every sentence of `text` with its score."""
        return [ScoredSentence(s.start, s.end, s.text, self.rule(s.text)) for s in split_sentences(text)]

    def score_texts(self, texts: list[str]) -> list[float]:
        """Scores for bare sentences."""
        return [self.rule(t) for t in texts]


def fake_handle(chat_model: BaseChatModel, *, strong: bool = False, model_id: str = "fake") -> Any:
    """An LLMHandle around a fake chat model (via app.llm.handle_from_chat_model)."""
    from app.llm import handle_from_chat_model

    return handle_from_chat_model(chat_model, spec="fake", model_id=model_id, strong=strong)


def claim_at(article: Article, quote: str, **fields: Any) -> Claim:
    """A grounded Claim on the first occurrence of `quote` in `article`, with `fields` (statement, claimant,
    claim_type, checkworthiness, provenance, ...) over test defaults."""
    start = article.text.index(quote)
    data: dict[str, Any] = {
        "id": claim_id_for(article.id, start, start + len(quote)),
        "article_id": article.id,
        "quote": quote,
        "start": start,
        "end": start + len(quote),
        "statement": quote,
        "checkworthiness": 0.7,
        "provenance": Provenance(extractor="cascade", model="fake:model"),
        **fields,
    }
    return Claim.model_validate(data, context={"article_text": article.text})
