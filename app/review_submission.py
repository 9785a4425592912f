"""A reviewer's submission: the review form turned into a Review on top of the version they started from, what they
are told when another reviewer saved first (`ConflictInfo`), and claims nobody started marked not checkable together
(`reject_unstarted`: triage of opinions and colour).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from app.errors import ConflictError
from app.models import CitedEvidence, Claim, Evidence, Review, edited_claimant, utcnow

__all__ = ["ConflictInfo", "Rejection", "form_review", "reject_unstarted", "same_decision"]


@dataclass(frozen=True, slots=True)
class ConflictInfo:
    """What the reviewer needs to hear after a lost race: who saved first, when, and what they decided."""

    reviewer: str | None
    updated_at: str | None
    status: str
    verdict: str | None
    current: Review

    @classmethod
    def from_error(cls, exc: ConflictError) -> ConflictInfo | None:
        """The newer state a ConflictError carries, shaped for a message (None when it carries none)."""
        current = exc.current
        if not isinstance(current, Review):
            return None
        when = current.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC") if current.updated_at else None
        return cls(current.reviewer, when, current.status, current.verdict, current)

    def message(self) -> str:
        """A sentence for the UI."""
        who = self.reviewer or "another reviewer"
        when = f" at {self.updated_at}" if self.updated_at else ""
        verdict = self.verdict or ("not checkable" if self.current.not_checkable else "no verdict")
        return (
            f"{who} saved this claim first{when} (status: {self.status.replace('_', ' ')}, verdict: {verdict}). "
            "Their version is loaded below; re-apply your changes and save again."
        )


def form_review(
    claim: Claim,
    *,
    base: Review,
    reviewer: str,
    verdict: str | None,
    notes: str = "",
    statement: str | None = None,
    cited: Sequence[Evidence | CitedEvidence] = (),
    not_checkable: bool = False,
    claimant: str | None = None,
) -> Review:
    """The Review a reviewer's form makes on top of `base` (the version they started from), not saved; `base` itself
    when there is nothing to save. `reviewer` is the name already stripped and checked; `claimant` is what the form's
    claimant box says (None: the form has none, keep `base`'s)."""
    edited = (statement or "").strip() or None
    if edited == claim.statement.strip():
        edited = None
    named = base.edited_claimant if claimant is None else edited_claimant(claim, claimant)
    # Keep evidence cited earlier (with its original timestamp) and freeze newly cited passages.
    previous = {ev.chunk_id: ev for ev in base.evidence}
    evidence: list[CitedEvidence] = []
    for ev in cited:
        if ev.chunk_id in previous:
            evidence.append(previous[ev.chunk_id])
        elif isinstance(ev, CitedEvidence):
            evidence.append(ev)
        else:
            evidence.append(CitedEvidence.from_evidence(ev))
    done = not_checkable or verdict is not None
    blank = not (done or notes.strip() or edited or evidence or named is not None)
    if blank and base.status == "unreviewed":
        # An untouched form on a claim nobody reviewed: saving it would mark the claim "in progress" under this
        # reviewer's name (taking it out of the Unreviewed queue) with nothing decided.
        return base
    review = base.model_copy(
        update={
            "status": "reviewed" if done else "in_progress",
            "verdict": None if not_checkable else verdict,
            "not_checkable": not_checkable,
            "notes": notes,
            "reviewer": reviewer,
            "edited_statement": edited,
            "edited_claimant": named,
            "evidence": evidence,
            "updated_at": utcnow(),
        }
    )
    # Saving the stored version again would only re-credit it to whoever pressed Save (after a conflict, the other
    # reviewer's decision under this reviewer's name): nothing is written.
    return base if same_decision(base, review) else review


def same_decision(a: Review, b: Review) -> bool:
    """Whether two versions of a review say the same: status, verdict, not checkable, notes, edited statement and
    claimant, and the passages cited (in order); who saved it and when aside."""
    fields = ("status", "verdict", "not_checkable", "notes", "edited_statement", "edited_claimant")
    return all(getattr(a, f) == getattr(b, f) for f in fields) and [e.chunk_id for e in a.evidence] == [
        e.chunk_id for e in b.evidence
    ]


@dataclass(frozen=True, slots=True)
class Rejection:
    """What marking several claims not checkable did, claim ids by outcome."""

    rejected: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # started or decided by someone: left as it was
    conflicts: list[str] = field(default_factory=list)  # saved by another reviewer meanwhile: left as they saved it

    def message(self) -> str:
        """A sentence for the UI and the CLI."""
        parts = [f"Marked {len(self.rejected)} claim(s) not checkable"]
        if self.left:
            parts.append(f"left {len(self.left)} that had been started or decided as they were")
        if self.conflicts:
            parts.append(f"left {len(self.conflicts)} that another reviewer saved meanwhile as they saved them")
        return "; ".join(parts) + "."


def reject_unstarted(
    pairs: Iterable[tuple[Claim, Review]], reviewer: str, save: Callable[[Review], Review]
) -> Rejection:
    """Mark each of `pairs`' claims that nobody has started not checkable, each as its own saved review under
    `reviewer` (in the history like any other; the Review page's "Not checkable" box undoes it). A claim with a
    status other than unreviewed keeps it: a bulk action never overwrites someone's work."""
    done = Rejection()
    for claim, base in pairs:
        if base.status != "unreviewed":
            done.left.append(claim.id)
            continue
        review = form_review(claim, base=base, reviewer=reviewer, verdict=None, notes=base.notes, not_checkable=True)
        try:
            save(review)
        except ConflictError:
            done.conflicts.append(claim.id)
        else:
            done.rejected.append(claim.id)
    return done
