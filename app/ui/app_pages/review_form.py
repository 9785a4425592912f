"""The Review page's state and callbacks: the form's keys, drafts, saving, and the lost-race panel beside the form.

They live in a module of their own, not in the page script, because Streamlit keeps every widget's callbacks for
the whole session: a callback defined in the page script holds on to that run's variables, the whole review queue
among them, so every claim visited and every save kept another copy of the queue alive (2.6 GB and 3.4 s per click
after 30 saves at 18,761 claims). Functions here see only this module's names. The panel of decisions on an earlier
version of the article, and its callback, live in `earlier_decisions` on the same terms.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import streamlit as st

from app.dates import undated_relative
from app.errors import ConflictError, WorkbenchError
from app.highlight import escape_text
from app.models import CitedEvidence, Claim, Draft, Evidence, HistoryEvent, Review
from app.references import back_reference, leaning_words
from app.review_queue import QueueFilter
from app.review_submission import ConflictInfo
from app.ui.app_pages.common import flash, reviewer_name, safe, workbench
from app.workbench import Workbench


class _SessionWorkbench:
    """The session's Workbench, looked up on every use (this module is imported once for all sessions)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(workbench(), name)


wb: Workbench = _SessionWorkbench()  # type: ignore[assignment]
ss = st.session_state


def verdict_option(value: str | None) -> str:
    """How the verdict radio shows an option (a module function: see the docstring above)."""
    return NO_VERDICT if value is None else value


NO_VERDICT = "— no verdict yet —"
PASSAGES_FIRST = 3  # evidence cards shown open per group; the rest wait in an expander
STATUS_LABELS = {
    "unreviewed": "Unreviewed",
    "in_progress": "In progress",
    "reviewed": "Reviewed",
    "not_checkable": "Not checkable",
}


def needs_context_note(statement: str, article_text: str | None = None, start: int = 0) -> str:
    """Why a claim marked needs_context does not stand alone, naming the words when the rules find them (with the
    article's text and the quote's `start`, also "the tour" for the "Glasshouse Tour" named before it)."""
    words = leaning_words(statement) or (back_reference(statement, article_text, start) if article_text else None)
    if words and undated_relative(statement) == words:
        return f"Needs context: “{words}” does not say which day or period. Give the date in the statement before publishing."
    what = f"“{words}”" if words else "a pronoun or a vague reference such as “the accusations”"
    return (
        f"Needs context: the statement still leans on the article ({what} could not be resolved). Edit it to stand "
        "alone before publishing."
    )


def key(name: str, claim_id: str) -> str:
    """Widget key of one claim's form field (so switching claims never carries values over)."""
    return f"rv-{name}-{claim_id}"


def seed(claim: Claim, review: Review) -> None:
    """Load a claim's stored review into its form and remember the version the reviewer starts from."""
    for name in [k for k in ss if isinstance(k, str) and k.startswith("rv-") and k.endswith(claim.id)]:
        del ss[name]
    ss[f"base-{claim.id}"] = review
    ss[key("verdict", claim.id)] = review.verdict if review.verdict in wb.ratings() else None
    ss[key("nc", claim.id)] = review.not_checkable
    ss[key("notes", claim.id)] = review.notes
    ss[key("stmt", claim.id)] = review.edited_statement or claim.statement
    ss[key("who", claim.id)] = review.claimant_of(claim) or ""
    ss[key("query", claim.id)] = wb.default_query(claim, review)


def form_values(claim: Claim) -> dict[str, Any]:
    """What the claim's form says now (the cited passages as chunk ids)."""
    prefix, suffix = "rv-cite-", f"-{claim.id}"  # key(f"cite-{chunk_id}", claim.id), read back
    cited = sorted(
        k[len(prefix) : -len(suffix)]
        for k, v in ss.items()
        if isinstance(k, str) and v is True and k.startswith(prefix) and k.endswith(suffix)
    )
    return {
        "verdict": ss.get(key("verdict", claim.id)),
        "nc": bool(ss.get(key("nc", claim.id))),
        "notes": ss.get(key("notes", claim.id), ""),
        "stmt": ss.get(key("stmt", claim.id)),
        "who": ss.get(key("who", claim.id)),
        "cited": cited,
    }


def stored_values(claim: Claim, review: Review) -> dict[str, Any]:
    """What the form says right after `review` is loaded into it."""
    return {
        "verdict": review.verdict if review.verdict in wb.ratings() else None,
        "nc": review.not_checkable,
        "notes": review.notes,
        "stmt": review.edited_statement or claim.statement,
        "who": review.claimant_of(claim) or "",
        "cited": sorted(ev.chunk_id for ev in review.evidence),
    }


def draft_values(draft: Draft) -> dict[str, Any]:
    """A draft in the shape form_values returns."""
    return {
        "verdict": draft.verdict,
        "nc": draft.not_checkable,
        "notes": draft.notes,
        "stmt": draft.statement,
        "who": draft.claimant,
        "cited": sorted(ev.chunk_id for ev in draft.cited),
    }


def drafts() -> dict[str, Draft]:
    """This session's unsaved drafts by claim id (with the reviewer's kept ones, see load_kept_drafts)."""
    kept: dict[str, Draft] = ss.setdefault("_drafts", {})
    return kept


def load_kept_drafts() -> set[str]:
    """Once the reviewer's name is known, add their drafts kept from earlier sessions (a reload, a closed tab) to
    this session's; the claim ids added."""
    reviewer = reviewer_name()
    if not reviewer or ss.get("_drafts_loaded_for") == reviewer:
        return set()
    ss["_drafts_loaded_for"] = reviewer
    try:
        stored = wb.drafts(reviewer)
    except WorkbenchError as exc:
        flash("warning", f"Your unsaved drafts could not be loaded: {exc}")
        return set()
    added = {d.claim_id for d in stored if d.claim_id not in drafts()}
    for draft in stored:
        drafts().setdefault(draft.claim_id, draft)
    return added


def forget_draft(claim_id: str) -> None:
    """Drop a claim's draft from the session and from the store (saved, discarded, or back to the stored review)."""
    draft = drafts().pop(claim_id, None)
    owners = {draft.reviewer if draft else ""}
    if ss.get("_drafts_loaded_for") == reviewer_name():
        owners.add(reviewer_name())  # its kept drafts are in the session: this one was seen and is done with
    # A leftover draft is offered again later, with Discard: nothing is lost by keeping it.
    with contextlib.suppress(WorkbenchError):
        for reviewer in owners - {""}:
            wb.drop_draft(claim_id, reviewer)


def keep_draft(claim: Claim, base: Review) -> None:
    """Keep unsaved edits of this claim: for the session (moving to another claim drops its widgets' state) and,
    under the reviewer's name, in the review store, so a reload or a closed tab loses nothing typed."""
    values = form_values(claim)
    if values == stored_values(claim, base):
        forget_draft(claim.id)
        return
    reviewer = reviewer_name()
    query = ss.get(key("query", claim.id), "")
    old = drafts().get(claim.id)
    if old is not None and (draft_values(old), old.query, old.reviewer, old.base) == (values, query, reviewer, base):
        return  # nothing new since it was kept
    draft = Draft(
        claim_id=claim.id,
        reviewer=reviewer,
        base=base,
        verdict=values["verdict"],
        not_checkable=values["nc"],
        notes=values["notes"],
        statement=values["stmt"],
        claimant=values["who"],
        cited=[
            ev if isinstance(ev, CitedEvidence) else CitedEvidence.from_evidence(ev) for ev in cited_passages(claim)
        ],
        query=query,
    )
    drafts()[claim.id] = draft
    try:
        if reviewer:
            wb.keep_draft(draft)
        if old is not None and old.reviewer and old.reviewer != reviewer:
            wb.drop_draft(claim.id, old.reviewer)
    except WorkbenchError as exc:
        st.toast(f"Unsaved changes are kept for this session only: {exc}", icon=":material/warning:")


def restore_draft(claim: Claim) -> bool:
    """Load the unsaved edits of the claim into its form, on the version they started from (so a save is still
    checked against anything saved since), with the search query and the cited passages. False when there are none."""
    draft = drafts().get(claim.id)
    if draft is None:
        return False
    seed(claim, draft.base)
    fill_form(claim.id, draft_values(draft), untick=[ev.chunk_id for ev in draft.base.evidence])
    if draft.query:
        ss[key("query", claim.id)] = draft.query
    known = seen_passages(claim.id)
    for ev in draft.cited:
        known.setdefault(ev.chunk_id, ev)
    return True


def seen_passages(claim_id: str) -> dict[str, Evidence | CitedEvidence]:
    """Every passage shown for a claim this session (any query), by chunk id: a passage cited from an earlier
    query's results stays citable after the query changes."""
    seen: dict[str, dict[str, Evidence | CitedEvidence]] = ss.setdefault("_passages", {})
    return seen.setdefault(claim_id, {})


def fill_form(claim_id: str, values: dict[str, Any], *, untick: Sequence[str] = ()) -> None:
    """Put `values` (the shape form_values returns) into a claim's form; `untick` clears those Cite boxes first."""
    for name in ("verdict", "nc", "notes", "stmt", "who"):
        if name != "who" or values.get(name) is not None:  # a draft kept before the claimant box had none
            ss[key(name, claim_id)] = values[name]
    for chunk_id in untick:
        ss[key(f"cite-{chunk_id}", claim_id)] = False
    for chunk_id in values["cited"]:
        ss[key(f"cite-{chunk_id}", claim_id)] = True


def discard_draft(claim_id: str) -> None:
    """Drop the unsaved edits of a claim and reload its stored review."""
    forget_draft(claim_id)
    for name in [k for k in ss if isinstance(k, str) and k.startswith("rv-") and k.endswith(claim_id)]:
        del ss[name]


def evidence(claim: Claim, query: str) -> tuple[list[Evidence], list[Evidence]]:
    """Evidence for (claim, query), searched once per session and reused on every rerun."""
    cache: dict[tuple[str, str], tuple[list[Evidence], list[Evidence]]] = ss.setdefault("_evidence", {})
    if (claim.id, query) not in cache:
        cache[(claim.id, query)] = wb.evidence_for(claim, query)
    return cache[(claim.id, query)]


def cited_passages(claim: Claim) -> list[Evidence | CitedEvidence]:
    """The passages whose Cite box is ticked: current results first, then those of earlier queries, then evidence
    cited earlier."""
    base: Review = ss[f"base-{claim.id}"]
    query = ss.get(key("query", claim.id), "")
    inside, elsewhere = ss.get("_evidence", {}).get((claim.id, query), ([], []))
    seen: dict[str, Evidence | CitedEvidence] = {}
    for ev in [*inside, *elsewhere, *seen_passages(claim.id).values(), *base.evidence]:
        if ev.chunk_id not in seen and ss.get(key(f"cite-{ev.chunk_id}", claim.id)):
            seen[ev.chunk_id] = ev
    return list(seen.values())


def full_text(event: HistoryEvent) -> str:
    """The long texts an event's one-line summary cuts (notes, statements), in full behind a "Full text" toggle."""
    diff = event.changes.get("diff")
    if not isinstance(diff, dict):
        return ""
    long = [
        (name, d.get("old"), d.get("new"))
        for name, d in diff.items()
        if isinstance(d, dict) and any(isinstance(v, str) and len(v) > 80 for v in (d.get("old"), d.get("new")))
    ]
    if not long:
        return ""
    rows = "".join(
        f"<p><b>{escape_text(name)}</b> before: {escape_text(old or '-')}<br><b>{escape_text(name)}</b> after: "
        f"{escape_text(new or '-')}</p>"
        for name, old, new in long
    )
    return f"<details><summary>Full text</summary>{rows}</details>"


def not_checkable_changed(claim_id: str) -> None:
    """Ticking Not checkable clears the verdict (a rejected claim has none; saving both had dropped the verdict
    without a word), and unticking it gives back the verdict it cleared."""
    held = f"nc-held-{claim_id}"
    if ss.get(key("nc", claim_id)):
        ss[held] = ss.get(key("verdict", claim_id))
        ss[key("verdict", claim_id)] = None
    elif ss.get(held) is not None and ss.get(key("verdict", claim_id)) is None:
        ss[key("verdict", claim_id)] = ss.pop(held)


def save(claim_id: str, next_id: str | None) -> None:
    """Save callback: submit the form; on a conflict load the newer version and say who saved it."""
    claim = wb.get_claim(claim_id)
    if claim is None:
        flash("error", "This claim no longer exists (its article was deleted or re-extracted).")
        return
    base: Review = ss[f"base-{claim_id}"]
    try:
        saved = wb.submit_review(
            claim,
            base=base,
            reviewer=reviewer_name(),
            verdict=ss.get(key("verdict", claim_id)),
            notes=ss.get(key("notes", claim_id), ""),
            statement=ss.get(key("stmt", claim_id)),
            claimant=ss.get(key("who", claim_id)),
            cited=cited_passages(claim),
            not_checkable=bool(ss.get(key("nc", claim_id))),
        )
    except ConflictError as exc:
        info = ConflictInfo.from_error(exc)
        flash("warning", info.message() if info else str(exc))
        # What this reviewer tried to save stays on the page beside the other's version (see attempt_panel).
        ss[f"attempt-{claim_id}"] = form_values(claim)
        forget_draft(claim_id)
        seed(claim, info.current if info else wb.get_review(claim_id))
        return
    except WorkbenchError as exc:
        flash("error", str(exc))
        ss["_form_error"] = (claim_id, str(exc))  # also beside the buttons: on a phone the top is far away
        return
    ss.pop(f"attempt-{claim_id}", None)
    forget_draft(claim_id)
    if saved is base:
        flash(
            "info",
            "Nothing to save yet: choose a verdict (or Not checkable), write a note or cite a passage."
            if base.version == 0
            else f"Nothing changed since version {base.version}; nothing saved.",
        )
        if next_id is not None:
            ss["review_claim"] = next_id
        return
    ss[f"base-{claim_id}"] = saved
    state = saved.verdict or ("not checkable" if saved.not_checkable else saved.status.replace("_", " "))
    if claim.article_id in wb.replaced_versions():
        # The article was ingested again while the form was open: the save stands, but not where reports look.
        flash(
            "warning",
            f"Saved: {state} (version {saved.version}), on an earlier version of the article: it was ingested again "
            "with changed text while you worked, so this review stays out of the queue and reports. Extract the "
            "new version; its claim on this sentence shows your decision to start from.",
        )
    else:
        flash("success", f"Saved: {state} (version {saved.version}).")
    if next_id is not None:
        ss["review_claim"] = next_id
        ss["_scroll_top"] = True  # the next claim is read from its quote, and the message above says what was saved


def restore_attempt(claim_id: str) -> None:
    """Put the reviewer's own conflicting version back in the form (the save stays checked against the newer one)."""
    attempt = ss.pop(f"attempt-{claim_id}", None)
    if attempt:
        fill_form(claim_id, attempt)


def attempt_panel(claim: Claim) -> None:
    """After a lost race: what this reviewer tried to save, with a way to take it up again or drop it."""
    attempt = ss.get(f"attempt-{claim.id}")
    if not attempt:
        return
    with st.container(border=True):
        st.markdown("**Your version (not saved)**")
        verdict = "not checkable" if attempt["nc"] else (attempt["verdict"] or "no verdict")
        lines = [f"Verdict: {verdict}"]
        if attempt["stmt"] and attempt["stmt"] != claim.statement:
            lines.append(f"Statement: {attempt['stmt']}")
        if attempt["notes"]:
            lines.append(f"Notes: {attempt['notes']}")
        if attempt["cited"]:
            lines.append(f"Cited passages: {len(attempt['cited'])}")
        for line in lines:
            safe(line, small=True)
        choice = st.container(horizontal=True)  # wraps, where two half columns of a ~300 px form would cut labels
        choice.button(
            "Use my version",
            icon=":material/undo:",
            on_click=restore_attempt,
            args=(claim.id,),
            help="Back into the form; saving then replaces the version shown as stored",
        )
        choice.button("Discard it", on_click=lambda: ss.pop(f"attempt-{claim.id}", None))


def cached_queue(*filters: str | None) -> list[str]:
    """The filtered queue's claim ids, shared by every session and read again only as far as the store has changed
    since (see Workbench.shared_queue): every click reran a read and validation of every claim (0.2 s at 7,000
    claims)."""
    article_id, status, verdict, claim_type = filters
    return wb.shared_queue(QueueFilter(article_id, status, verdict, claim_type))


# The claim picker lists this many claims around the current one: with thousands, the page sent every label on
# every click (765 KB at 6,854 claims). Next/Prev and the filters reach the rest.
PICKER_WINDOW = 300


def go(claim_id: str) -> None:
    """Prev/next callback."""
    ss["review_claim"] = claim_id
