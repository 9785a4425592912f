"""Which passages count as evidence for a claim: not the claim's own quote, and the plain and titled searches for
passages elsewhere fused by rank (the Workbench runs the searches).
"""

from __future__ import annotations

from collections.abc import Sequence

from app.models import Claim, Evidence

__all__ = ["EVIDENCE_FUSION_K", "fused_by_rank", "is_the_quote"]


def is_the_quote(ev: Evidence, claim: Claim) -> bool:
    """Whether a passage of the claim's own article is its quote, or mostly a piece of it."""
    # The claim's own passage is not evidence for itself (the page shows it above, in its paragraph); nor is a
    # passage that is mostly a piece of a quote longer than one passage.
    overlap = min(ev.end, claim.end) - max(ev.start, claim.start)
    return (ev.start <= claim.start and claim.end <= ev.end) or 2 * overlap >= ev.end - ev.start


# Reciprocal-rank constant for fusing the plain and titled evidence searches: small, so the top of each list counts.
EVIDENCE_FUSION_K = 10


def fused_by_rank(lists: Sequence[Sequence[Evidence]]) -> list[Evidence]:
    """Passages of several ranked lists by reciprocal rank fusion (1 / (EVIDENCE_FUSION_K + rank), summed), best
    first, a tie going to the passage the first list ranks higher; each passage as its first list gave it."""
    score: dict[str, float] = {}
    first: dict[str, Evidence] = {}
    for ranked in lists:
        for rank, ev in enumerate(ranked):
            score[ev.chunk_id] = score.get(ev.chunk_id, 0.0) + 1.0 / (EVIDENCE_FUSION_K + rank)
            first.setdefault(ev.chunk_id, ev)
    order = {cid: n for n, cid in enumerate(first)}  # insertion order: the first list's ranks come first
    return [first[cid] for cid in sorted(score, key=lambda cid: (-score[cid], order[cid]))]
