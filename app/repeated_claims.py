"""Decisions on the same sentence in other articles: a wire story republished by several outlets, a press release
quoted word for word, a talking point repeated with a figure changed. The reviewer of one copy sees what was decided
on another (only shown, never applied), as for an earlier version of the same article (app/earlier_versions.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from app.earlier_versions import edited_sentence
from app.models import Claim, Review

if TYPE_CHECKING:
    from app.store import ArticleSummary, ReviewStore

__all__ = ["MIN_WORDS", "DecidedSentences", "decided_elsewhere", "reviews_elsewhere", "sentence_key", "split_verdicts"]

# A sentence shorter than this ("The vote was 7-2.", "Prices rose.") may well be about another event in another
# article: only longer ones are matched.
MIN_WORDS = 8
# Word pairs two sentences must share (of the shorter one's) before the slower character comparison runs.
_SHARED_PAIRS = 0.5
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})


def sentence_key(quote: str) -> str:
    """A quote as compared across articles: case, spacing, curly quotes, dashes and closing punctuation aside."""
    return " ".join(quote.translate(_QUOTES).lower().split()).rstrip(" .!?\"'")


def _pairs(key: str) -> set[tuple[str, str]]:
    """The sentence's pairs of consecutive words: a small edit keeps most of them, another sentence on the same topic
    shares few (single words would let every sentence about a budget through)."""
    words = re.findall(r"[\w$£€%.,-]+", key)
    return set(pairwise(words))


class DecidedSentences:
    """The store's decided sentences with their comparison keys (claim id, article id, key), read again only after
    the store has changed (its revision moved): a workbench asks once per claim shown and per Dashboard render."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision = -1
        self._rows: list[tuple[str, str, str]] = []

    def rows(self, store: ReviewStore) -> list[tuple[str, str, str]]:
        """(claim id, article id, sentence key) of every decided claim of a current version."""
        revision = store.revision()  # (read first: a write meanwhile moves it, and the next call reads again)
        with self._lock:
            if revision != self._revision:
                self._rows = [(c, a, sentence_key(quote)) for c, a, quote in store.decided_sentences()]
                self._revision = revision
            return self._rows


def _decided(store: ReviewStore, cache: DecidedSentences | None) -> list[tuple[str, str, str]]:
    return (cache or DecidedSentences()).rows(store)


def reviews_elsewhere(
    store: ReviewStore, claim: Claim, cache: DecidedSentences | None = None
) -> list[tuple[ArticleSummary, Claim, Review]]:
    """Reviews of the same sentence (or that sentence slightly edited) in other current articles, exact matches
    first, then newest first. Not the claim's own article; never an earlier version of any article (the claim's own
    earlier versions are app/earlier_versions.py's); a sentence under MIN_WORDS words is never matched."""
    key = sentence_key(claim.quote)
    if len(key.split()) < MIN_WORDS:
        return []
    pairs = _pairs(key)
    matched: dict[str, bool] = {}  # claim id -> same words exactly
    for claim_id, article_id, other in _decided(store, cache):  # (current versions only)
        if article_id == claim.article_id:
            continue
        if other == key:
            matched[claim_id] = True
            continue
        if not 0.8 * len(key) <= len(other) <= 1.25 * len(key):
            continue  # (edited_sentence's own first test, before any word is read)
        theirs = _pairs(other)
        shared = len(pairs & theirs) / max(1, min(len(pairs), len(theirs)))
        if shared >= _SHARED_PAIRS and edited_sentence(other, key):
            matched[claim_id] = False
    if not matched:
        return []
    summaries = {s.id: s for s in store.articles()}
    found = [
        (matched[other_claim.id], summaries[other_claim.article_id], other_claim, review)
        for other_claim, review in store.queue(claim_ids=list(matched))
        if other_claim.article_id in summaries and review.status != "unreviewed"
    ]
    found.sort(key=lambda f: f[3].updated_at or f[1].ingested_at, reverse=True)
    found.sort(key=lambda f: not f[0])  # stable: exact matches first, each group newest first
    return [(summary, other_claim, review) for _, summary, other_claim, review in found]


def split_verdicts(
    store: ReviewStore, cache: DecidedSentences | None = None
) -> list[list[tuple[ArticleSummary, Claim, Review]]]:
    """Sentences (MIN_WORDS words or more, compared as `sentence_key` does) reviewed in two or more current articles
    with different decisions (verdict, or rejected as not checkable): a report would publish both. Each group is
    ordered by article title; groups by their sentence."""
    keys: dict[str, list[str]] = {}
    for claim_id, _, key in _decided(store, cache):
        if len(key.split()) >= MIN_WORDS:
            keys.setdefault(key, []).append(claim_id)
    shared = {claim_id: key for key, ids in keys.items() if len(ids) > 1 for claim_id in ids}
    if not shared:
        return []
    summaries = {s.id: s for s in store.articles()}
    groups: dict[str, list[tuple[ArticleSummary, Claim, Review]]] = {}
    for claim, review in store.queue(claim_ids=list(shared)):
        if review.status == "reviewed" and claim.article_id in summaries:
            groups.setdefault(shared[claim.id], []).append((summaries[claim.article_id], claim, review))
    split = [
        sorted(group, key=lambda g: (g[0].title, g[1].id))
        for _, group in sorted(groups.items())
        if len({g[1].article_id for g in group}) > 1 and len({(g[2].verdict, g[2].not_checkable) for g in group}) > 1
    ]
    return split


def decided_elsewhere(store: ReviewStore, claims: Sequence[Claim], cache: DecidedSentences | None = None) -> set[str]:
    """The ids of those `claims` whose sentence (MIN_WORDS words or more, compared as `sentence_key` does) was
    decided in another current article: a marker for a list of claims, exact sentences only (the Review page's
    lookup also finds small edits)."""
    keys = {c.id: sentence_key(c.quote) for c in claims}
    wanted = {k for k in keys.values() if len(k.split()) >= MIN_WORDS}
    if not wanted:
        return set()
    by_key: dict[str, set[str]] = {}
    for _, article_id, key in _decided(store, cache):
        if key in wanted:
            by_key.setdefault(key, set()).add(article_id)
    return {c.id for c in claims if by_key.get(keys[c.id], set()) - {c.article_id}}
