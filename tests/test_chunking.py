"""Sentence-aligned chunking: exact offsets, size bound, long sentences split at whitespace, stable ids."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrieval.chunking import chunk_article
from retrieval.models import Article, content_id
from retrieval.sentences import split_sentences

SEED = Path(__file__).resolve().parent.parent / "seeds" / "china-russia-sanctions.txt"


def art(text: str) -> Article:
    return Article(id=content_id(text), title="t", source="s", text=text, ingested_at=datetime.now(UTC))


@pytest.mark.parametrize("size", [100, 250, 600, 2000])
def test_offsets_exact_and_sizes_bounded_on_seed(size: int) -> None:
    text = SEED.read_text(encoding="utf-8")
    chunks = chunk_article(art(text), size)
    assert chunks
    assert all(c.text == text[c.start : c.end] for c in chunks)
    assert all(len(c.text) <= size for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_chunks_hold_whole_sentences() -> None:
    text = SEED.read_text(encoding="utf-8")
    chunks = chunk_article(art(text), 300)
    bounds = {(s.start, s.end) for s in split_sentences(text) if s.end - s.start <= 300}
    starts = {s for s, _ in bounds}
    ends = {e for _, e in bounds}
    for c in chunks:
        assert c.start in starts and c.end in ends
    # every sentence lies inside exactly one chunk
    for s, e in bounds:
        assert sum(1 for c in chunks if c.start <= s and e <= c.end) == 1


def test_long_sentence_split_at_whitespace() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    text = f"Short one. {words} end."
    chunks = chunk_article(art(text), 120)
    assert all(len(c.text) <= 120 for c in chunks)
    assert all(c.text == text[c.start : c.end] for c in chunks)
    for c in chunks:
        assert not c.text.startswith(" ") and not c.text.endswith(" ")
    # nothing is lost: all words appear, in order
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_unbreakable_token_is_hard_cut() -> None:
    text = "x" * 350
    chunks = chunk_article(art(text), 100)
    assert [len(c.text) for c in chunks] == [100, 100, 100, 50]
    assert "".join(c.text for c in chunks) == text


def test_ids_stable_and_distinct() -> None:
    text = SEED.read_text(encoding="utf-8")
    a, b = chunk_article(art(text), 200), chunk_article(art(text), 200)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    other = chunk_article(art(text + "\nMore."), 200)
    assert not {c.id for c in other} & {c.id for c in a}


def test_empty_text_gives_no_chunks() -> None:
    assert chunk_article(art("   \n"), 200) == []
