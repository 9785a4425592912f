"""The Review page's panel of earlier decisions: what was decided (or drafted) on the same sentence in an earlier
version of the article, and the callback that copies it into the form.

A module of its own, not part of the page script, for the reason `review_form` gives: Streamlit keeps every widget's
callbacks for the whole session, so `start_from` must see only module names, never a page run's variables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from app.errors import WorkbenchError
from app.highlight import escape_text
from app.models import CitedEvidence, Claim, Draft, Review, edited_claimant
from app.ui.app_pages.common import flash, reviewer_name, safe
from app.ui.app_pages.review_form import key, seen_passages, ss, wb


def start_from(
    claim: Claim,
    *,
    verdict: str | None,
    not_checkable: bool,
    notes: str,
    statement: str | None,
    cited: Sequence[CitedEvidence],
    same_sentence: bool,
    claimant: str | None = None,
    origin: str = "the earlier version",
) -> None:
    """Copy an earlier version's decision (or the reviewer's draft on it) into the form, without losing anything
    the reviewer has entered: a verdict or statement of their own stays, their notes stay with the earlier ones
    added below, and cited passages are added. Passages of an earlier version of any article are not copied (text
    its source no longer has), nor a statement written for a sentence that has changed since."""
    copied: list[str] = []
    kept: list[str] = []
    if ss.get(key("verdict", claim.id)) is None and not ss.get(key("nc", claim.id)):
        if verdict in wb.ratings() or not_checkable:
            ss[key("verdict", claim.id)] = verdict if verdict in wb.ratings() else None
            ss[key("nc", claim.id)] = not_checkable
            copied.append("not checkable" if not_checkable else "the verdict")
    elif verdict or not_checkable:
        kept.append("your verdict")
    mine = (ss.get(key("notes", claim.id)) or "").strip()
    if notes.strip() and notes.strip() not in mine:
        ss[key("notes", claim.id)] = f"{mine}\n\nFrom {origin}: {notes.strip()}" if mine else notes
        copied.append("the notes" if not mine else "the notes (below yours)")
    if statement:
        if not same_sentence:
            kept.append("the statement as extracted (the sentence has changed since)")
        elif (ss.get(key("stmt", claim.id)) or "").strip() not in ("", claim.statement.strip()):
            kept.append("your statement")
        else:
            ss[key("stmt", claim.id)] = statement
            copied.append("the statement")
    if claimant is not None and claimant != (ss.get(key("who", claim.id)) or ""):
        # the earlier reviewer's correction of who makes the claim (a draft's box as typed)
        if edited_claimant(claim, ss.get(key("who", claim.id)) or "") is None:  # the box says what was extracted
            ss[key("who", claim.id)] = claimant
            copied.append("the claimant")
        else:
            kept.append("your claimant")
    replaced = wb.replaced_versions()
    # (never a passage of this claim's own article: it cannot confirm itself)
    passages = [ev for ev in cited if ev.article_id not in replaced and ev.article_id != claim.article_id]
    for ev in passages:
        seen_passages(claim.id).setdefault(ev.chunk_id, ev)
        ss[key(f"cite-{ev.chunk_id}", claim.id)] = True
    if passages:
        copied.append(f"{len(passages)} cited passage(s)")
    message = f"Copied {', '.join(copied)}." if copied else "Nothing to copy that the form did not have."
    if kept:
        message += f" Kept {', '.join(kept)}."
    against = "this version" if origin == "the earlier version" else "this article"
    flash("info", message + f" Check them against {against}, then save.")


def earlier_panel(claim: Claim) -> None:
    """What was decided on the same sentence in an earlier version of this article, and this reviewer's unsaved
    draft on it (looked up once per session and reviewer)."""
    cache: dict[Any, Any] = ss.setdefault("_earlier", {})
    reviewer = reviewer_name()
    if (claim.id, reviewer) not in cache:
        try:
            cache[(claim.id, reviewer)] = (
                wb.earlier_reviews(claim),
                wb.earlier_drafts(claim, reviewer),
                wb.reviews_elsewhere(claim),
            )
        except WorkbenchError:
            cache[(claim.id, reviewer)] = ([], [], [])
    reviews, drafts, elsewhere = cache[(claim.id, reviewer)]
    if reviews:
        summary, old_claim, review = reviews[0]
        when = f"{review.updated_at:%Y-%m-%d}" if review.updated_at else "earlier"
        earlier_card(
            claim, old_claim, review,
            title="Reviewed in an earlier version of this article",
            line=f"{review.decision} · {review.reviewer or 'unknown reviewer'} · {when} · version ingested "
            f"{summary.ingested_at:%Y-%m-%d %H:%M} ({summary.id})",
            evidence=review.evidence, statement=review.edited_statement, label="Start from it",
            help="Copy its verdict, notes, statement and cited passages into what the form does not have yet; check "
            "them against this version, then save",
            widget=f"earlier-{claim.id}",
        )  # fmt: skip
    if drafts:
        summary, old_claim, draft = drafts[0]
        earlier_card(
            claim, old_claim, draft,
            title="Your unsaved draft on the earlier version of this sentence",
            line=f"{draft.verdict or ('not checkable' if draft.not_checkable else 'no verdict yet')} · typed "
            f"{draft.updated_at:%Y-%m-%d %H:%M} UTC, before the article was ingested again ({summary.id})",
            evidence=draft.cited, statement=draft.statement, label="Start from my draft",
            help="Copy the draft into what the form does not have yet (the draft stays on the earlier version)",
            widget=f"earlier-draft-{claim.id}",
        )  # fmt: skip
    if elsewhere:
        elsewhere_card(claim, elsewhere)


def elsewhere_card(claim: Claim, found: list[tuple[Any, Claim, Review]]) -> None:
    """The newest decision on this claim's sentence in another article (a wire copy, a repeated quote)."""
    summary, other_claim, review = found[0]
    when = f"{review.updated_at:%Y-%m-%d}" if review.updated_at else "earlier"
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    earlier_card(
        claim, other_claim, review,
        title=f"Reviewed in another article{more}",
        line=f"{review.decision} · {review.reviewer or 'unknown reviewer'} · {when} · in “{summary.title}” ({summary.id})",
        evidence=review.evidence, statement=review.edited_statement, label="Start from that review",
        help="Copy its verdict, notes, statement and cited passages into what the form does not have yet; check "
        "that it is the same claim about the same event, then save",
        widget=f"elsewhere-{claim.id}", origin=f"“{summary.title}”",
        changed="The sentence reads differently there",
    )  # fmt: skip


def earlier_card(
    claim: Claim,
    old_claim: Claim,
    decision: Review | Draft,
    *,
    title: str,
    line: str,
    evidence: Sequence[CitedEvidence],
    statement: str | None,
    label: str,
    help: str,
    widget: str,
    origin: str = "the earlier version",
    changed: str = "The sentence read differently then",
) -> None:
    """One earlier decision (a review or a draft) on this claim's sentence, with a button that starts from it."""
    with st.container(border=True):
        st.markdown(f"**{escape_text(title)}**")
        safe(line, small=True)
        changed_sentence(claim, old_claim, changed)
        if decision.notes:
            safe(f"Notes: {decision.notes}", small=True)
        if evidence:
            safe(f"Cited {len(evidence)} passage(s).", small=True)
        st.button(
            label,
            icon=":material/content_copy:",
            on_click=start_from,
            args=(claim,),
            kwargs={
                "verdict": decision.verdict,
                "not_checkable": decision.not_checkable,
                "notes": decision.notes,
                "statement": statement,
                "claimant": decision.edited_claimant if isinstance(decision, Review) else decision.claimant,
                "cited": evidence,
                "same_sentence": same_words(claim, old_claim),
                "origin": origin,
            },
            help=help,
            key=widget,
        )


def same_words(claim: Claim, other: Claim) -> bool:
    """Whether two claims quote the same words (whitespace aside)."""
    return " ".join(claim.quote.split()) == " ".join(other.quote.split())


def changed_sentence(claim: Claim, old_claim: Claim, changed: str = "The sentence read differently then") -> None:
    """Say how the sentence read in the earlier version (or the other article) when its words differ."""
    if not same_words(claim, old_claim):
        st.warning(
            f"{changed}: “{escape_text(old_claim.quote)}”. Check the decision still holds for this wording.",
            icon=":material/difference:",
        )
