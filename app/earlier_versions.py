"""Decisions taken on earlier versions of an article: when a changed source is ingested again, its sentences become
new claims, and the claims of its earlier versions with the same sentence (or that sentence slightly edited) bring
their reviews, or a reviewer's unsaved drafts, to show beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.models import Claim, Draft, Review

if TYPE_CHECKING:
    from app.store import ArticleSummary, ReviewStore

__all__ = ["earlier_drafts", "earlier_reviews", "edited_sentence"]


def _earlier_sentences(
    store: ReviewStore, claim: Claim, wanted: Callable[[ArticleSummary], bool]
) -> list[tuple[bool, ArticleSummary, Claim, Review]]:
    """(exact, version, its claim, its review) for the claims of earlier versions of `claim`'s article (same
    source, other id; only versions `wanted` accepts) whose sentence is this claim's, or this one slightly
    edited (a typo fixed, a figure corrected)."""
    summaries = store.articles()
    own = next((s for s in summaries if s.id == claim.article_id), None)
    if own is None or not own.source:
        return []
    text = " ".join(claim.quote.split())
    found: list[tuple[bool, ArticleSummary, Claim, Review]] = []
    for earlier in summaries:
        if earlier.source != own.source or earlier.id == own.id or not wanted(earlier):
            continue
        for old_claim, review in store.queue(article_id=earlier.id):
            old = " ".join(old_claim.quote.split())
            if old == text or edited_sentence(old, text):
                found.append((old == text, earlier, old_claim, review))
    return found


def earlier_reviews(store: ReviewStore, claim: Claim) -> list[tuple[ArticleSummary, Claim, Review]]:
    """Reviews of the same sentence in earlier versions of the claim's article: when a changed file is
    re-ingested, its sentences become new claims, and the reviewer should see what was decided before instead
    of starting from nothing. A sentence edited since counts when most of it is unchanged; the caller compares
    the quotes to say so. Exact matches first, then newest first. Only shown, never applied."""
    found = [
        f
        for f in _earlier_sentences(store, claim, lambda s: bool(s.reviewed + s.in_progress))
        if f[3].status != "unreviewed"
    ]
    found.sort(key=lambda f: f[3].updated_at or f[1].ingested_at, reverse=True)
    found.sort(key=lambda f: not f[0])  # stable: exact matches first, each group newest first
    return [(summary, old_claim, review) for _, summary, old_claim, review in found]


def earlier_drafts(store: ReviewStore, claim: Claim, reviewer: str) -> list[tuple[ArticleSummary, Claim, Draft]]:
    """`reviewer`'s unsaved drafts on the same sentence in earlier versions of the claim's article (typed
    before the article was re-ingested), exact matches first."""
    reviewer = reviewer.strip()
    if not reviewer:
        return []
    mine = {d.claim_id: d for d in store.drafts(reviewer)}
    if not mine:
        return []
    found = [f for f in _earlier_sentences(store, claim, lambda s: s.drafts > 0) if f[2].id in mine]
    found.sort(key=lambda f: not f[0])
    return [(summary, old_claim, mine[old_claim.id]) for _, summary, old_claim, _ in found]


# An earlier version's sentence still counts as this one when at least this share of it is unchanged (difflib's
# ratio): "teh" -> "the", or 4.2 -> 4.3 billion, keep a sentence at 0.97-0.99; another sentence of the same article
# on the same topic stays below 0.7.
_EDITED_SENTENCE_RATIO = 0.85


def edited_sentence(old: str, new: str) -> bool:
    """Whether `new` is `old` with a small edit (both whitespace-normalised)."""
    from difflib import SequenceMatcher

    if min(len(old), len(new)) < 0.8 * max(len(old), len(new)):
        return False  # quick reject before the quadratic comparison
    return SequenceMatcher(None, old, new, autojunk=False).ratio() >= _EDITED_SENTENCE_RATIO
