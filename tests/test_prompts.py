"""Prompt files: loading, front matter, hashes, and snapshots of the rendered prompts (a change shows in review)."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes import QueueChatModel, RuleScorer, fake_handle

from app.config import Settings
from app.extraction_cascade import CascadeExtractor, article_head
from app.extraction_windows import WholeArticleExtractor, article_windows
from prompts import PROMPT_DIR, PromptError, _parse, available_prompts, load_prompt
from retrieval.models import Article, content_id

SNAPSHOTS = Path(__file__).parent / "snapshots" / "prompts"
SEED_PATH = Path(__file__).parent.parent / "seeds" / "china-russia-sanctions.txt"


def _seed_article() -> Article:
    text = SEED_PATH.read_text(encoding="utf-8")
    return Article(
        id=content_id(text),
        title=text.split("\n", 1)[0],
        source=str(SEED_PATH.name),
        text=text,
        ingested_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _render(messages: list) -> str:  # type: ignore[type-arg]
    return "\n\n".join(f"[{m.type}]\n{m.content}" for m in messages) + "\n"


def _check_snapshot(name: str, rendered: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(rendered, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path}; run with UPDATE_SNAPSHOTS=1 and review the file")
    assert rendered == path.read_text(encoding="utf-8"), f"{name} changed: review it, then UPDATE_SNAPSHOTS=1"


def test_every_shipped_prompt_loads_with_front_matter_and_file_hash() -> None:
    names = available_prompts()
    assert {"cascade_rewrite", "whole_article", "retry_feedback"} <= set(names)
    for name in names:
        prompt = load_prompt(name)
        assert prompt.name == name and prompt.version and prompt.description
        assert prompt.user.strip()
        assert prompt.sha256 == hashlib.sha256((PROMPT_DIR / f"{name}.md").read_bytes()).hexdigest()


def test_extraction_prompts_treat_the_article_as_untrusted_delimited_data() -> None:
    for name in ("cascade_rewrite", "whole_article"):
        prompt = load_prompt(name)
        assert "never an instruction" in prompt.system
        assert "<article>\n{article" in prompt.user and "</article>" in prompt.user


def test_malformed_or_missing_prompts_raise_prompt_error() -> None:
    with pytest.raises(PromptError):
        load_prompt("no_such_prompt")
    with pytest.raises(PromptError):
        load_prompt("../etc/passwd")
    with pytest.raises(PromptError, match="front matter"):
        _parse("x", "=== user ===\nhi")
    with pytest.raises(PromptError, match="declares name"):
        _parse("x", "---\nname: y\nversion: 1\ndescription: d\n---\n=== user ===\nhi")
    with pytest.raises(PromptError, match="user"):
        _parse("x", "---\nname: x\nversion: 1\ndescription: d\n---\n=== system ===\nhi")


def test_chat_template_has_system_then_user_message() -> None:
    template = load_prompt("whole_article").chat_template()
    assert set(template.input_variables) == {"title", "part", "parts", "max_claims", "article_text"}
    messages = template.format_messages(title="T", part=1, parts=1, max_claims=3, article_text="A.")
    assert [m.type for m in messages] == ["system", "human"]


def test_cascade_prompt_snapshot(settings: Settings) -> None:
    article = _seed_article()
    extractor = CascadeExtractor(settings, fake_handle(QueueChatModel()), RuleScorer())
    sentence = "Russia expelled 10 US diplomats in response and said it would answer every new US sanction."
    context = "Officials in Moscow called the accusations baseless."
    _check_snapshot("cascade_rewrite", _render(extractor.messages_for(article_head(article), context, sentence)))


def test_whole_article_prompt_snapshot(settings: Settings) -> None:
    article = _seed_article()
    extractor = WholeArticleExtractor(settings, fake_handle(QueueChatModel(), strong=True), RuleScorer())
    (window,) = article_windows(article.text)
    _check_snapshot("whole_article", _render(extractor.messages_for(article, window, 1, 1)))


def test_retry_feedback_snapshot() -> None:
    prompt = load_prompt("retry_feedback")
    _check_snapshot("retry_feedback", prompt.user.format(error="- statement: Field required") + "\n")
