"""Review: a filtered queue of claims; for the current one its context, evidence, verdict form and history."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

import streamlit as st

from app.errors import ConflictError, WorkbenchError
from app.grounding import echoed_words
from app.highlight import escape_text, evidence_html
from app.models import CLAIM_TYPES, CitedEvidence, Claim, Draft, Evidence, HistoryEvent, Review
from app.ui.app_pages.common import (
    EMPTY_LIBRARY,
    article_labels,
    earlier_version_note,
    flash,
    reviewer_input,
    reviewer_name,
    safe,
    show_flash,
    workbench,
)
from retrieval.hostile import addressed_to_ai

wb = workbench()
ss = st.session_state
st.title("Review")
scroll_slot = st.empty()  # always drawn, so the page below keeps its place (and its focus) on other runs
if ss.pop("_scroll_top", False):
    # After Save & next the page kept its scroll position, the bottom of a long page on a phone: the next claim's
    # form showed without its claim, and the message saying what was saved sat out of sight at the top.
    scroll_slot.html(
        f"<script>/* {uuid.uuid4().hex} */ window.scrollTo(0, 0); "
        'document.querySelectorAll(\'[data-testid="stMain"], [data-testid="stAppViewContainer"]\')'
        ".forEach(e => e.scrollTo(0, 0));</script>",
        unsafe_allow_javascript=True,
    )
show_flash()

NO_VERDICT = "— no verdict yet —"
PASSAGES_FIRST = 3  # evidence cards shown open per group; the rest wait in an expander
STATUS_LABELS = {
    "unreviewed": "Unreviewed",
    "in_progress": "In progress",
    "reviewed": "Reviewed",
    "not_checkable": "Not checkable",
}


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
        "cited": cited,
    }


def stored_values(claim: Claim, review: Review) -> dict[str, Any]:
    """What the form says right after `review` is loaded into it."""
    return {
        "verdict": review.verdict if review.verdict in wb.ratings() else None,
        "nc": review.not_checkable,
        "notes": review.notes,
        "stmt": review.edited_statement or claim.statement,
        "cited": sorted(ev.chunk_id for ev in review.evidence),
    }


def draft_values(draft: Draft) -> dict[str, Any]:
    """A draft in the shape form_values returns."""
    return {
        "verdict": draft.verdict,
        "nc": draft.not_checkable,
        "notes": draft.notes,
        "stmt": draft.statement,
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
    for name in ("verdict", "nc", "notes", "stmt"):
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
            cited=cited_passages(claim),
            not_checkable=bool(ss.get(key("nc", claim_id))),
        )
    except ConflictError as exc:
        info = wb.conflict_info(exc)
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
        put_back, drop = st.columns(2)
        put_back.button(
            "Use my version",
            icon=":material/undo:",
            on_click=restore_attempt,
            args=(claim.id,),
            help="Back into the form; saving then replaces the version shown as stored",
        )
        drop.button("Discard it", on_click=lambda: ss.pop(f"attempt-{claim.id}", None))


def start_from(
    claim: Claim,
    *,
    verdict: str | None,
    not_checkable: bool,
    notes: str,
    statement: str | None,
    cited: Sequence[CitedEvidence],
    same_sentence: bool,
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
        ss[key("notes", claim.id)] = f"{mine}\n\nFrom the earlier version: {notes.strip()}" if mine else notes
        copied.append("the notes" if not mine else "the notes (below yours)")
    if statement:
        if not same_sentence:
            kept.append("the statement as extracted (the sentence has changed since)")
        elif (ss.get(key("stmt", claim.id)) or "").strip() not in ("", claim.statement.strip()):
            kept.append("your statement")
        else:
            ss[key("stmt", claim.id)] = statement
            copied.append("the statement")
    replaced = wb.replaced_versions()
    passages = [ev for ev in cited if ev.article_id not in replaced]
    for ev in passages:
        seen_passages(claim.id).setdefault(ev.chunk_id, ev)
        ss[key(f"cite-{ev.chunk_id}", claim.id)] = True
    if passages:
        copied.append(f"{len(passages)} cited passage(s)")
    message = f"Copied {', '.join(copied)}." if copied else "Nothing to copy that the form did not have."
    if kept:
        message += f" Kept {', '.join(kept)}."
    flash("info", message + " Check them against this version, then save.")


def earlier_panel(claim: Claim) -> None:
    """What was decided on the same sentence in an earlier version of this article, and this reviewer's unsaved
    draft on it (looked up once per session and reviewer)."""
    cache: dict[Any, Any] = ss.setdefault("_earlier", {})
    reviewer = reviewer_name()
    if (claim.id, reviewer) not in cache:
        try:
            cache[(claim.id, reviewer)] = (wb.earlier_reviews(claim), wb.earlier_drafts(claim, reviewer))
        except WorkbenchError:
            cache[(claim.id, reviewer)] = ([], [])
    reviews, drafts = cache[(claim.id, reviewer)]
    if reviews:
        summary, old_claim, review = reviews[0]
        verdict = "not checkable" if review.not_checkable else (review.verdict or review.status.replace("_", " "))
        when = f"{review.updated_at:%Y-%m-%d}" if review.updated_at else "earlier"
        earlier_card(
            claim, old_claim, review,
            title="Reviewed in an earlier version of this article",
            line=f"{verdict} · {review.reviewer or 'unknown reviewer'} · {when} · version ingested "
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
) -> None:
    """One earlier decision (a review or a draft) on this claim's sentence, with a button that starts from it."""
    with st.container(border=True):
        st.markdown(f"**{title}**")
        safe(line, small=True)
        changed_sentence(claim, old_claim)
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
                "cited": evidence,
                "same_sentence": same_words(claim, old_claim),
            },
            help=help,
            key=widget,
        )


def same_words(claim: Claim, other: Claim) -> bool:
    """Whether two claims quote the same words (whitespace aside)."""
    return " ".join(claim.quote.split()) == " ".join(other.quote.split())


def changed_sentence(claim: Claim, old_claim: Claim) -> None:
    """Say how the sentence read in the earlier version when it has changed since."""
    if not same_words(claim, old_claim):
        st.warning(
            f"The sentence read differently then: “{escape_text(old_claim.quote)}”. Check the decision still "
            "holds for the new wording.",
            icon=":material/difference:",
        )


def cached_queue(*filters: str | None) -> list[tuple[Claim, Review]]:
    """The filtered queue, read again only when the store has changed since (its revision: any save, extraction or
    deletion by anyone): every click reran a read and validation of every claim (0.2 s at 7,000 claims)."""
    revision = wb.revision()
    cached = ss.get("_queue_cache")
    if cached is not None and cached[0] == (filters, revision):
        return list(cached[1])
    article_id, status, verdict, claim_type = filters
    queue = wb.queue(article_id=article_id, status=status, verdict=verdict, claim_type=claim_type)
    ss["_queue_cache"] = ((filters, revision), queue)
    return list(queue)


# The claim picker lists this many claims around the current one: with thousands, the page sent every label on
# every click (765 KB at 6,854 claims). Next/Prev and the filters reach the rest.
PICKER_WINDOW = 300


def go(claim_id: str) -> None:
    """Prev/next callback."""
    ss["review_claim"] = claim_id


# The claim shown last run: keep its edits committed with this run's event (a Next click, a filter change) before
# another claim replaces its form and Streamlit drops the widgets' state.
_shown: Claim | None = ss.get("_shown_claim")
_loaded = load_kept_drafts()
if _shown is not None and key("verdict", _shown.id) in ss and f"base-{_shown.id}" in ss:
    if _shown.id in _loaded and form_values(_shown) == stored_values(_shown, ss[f"base-{_shown.id}"]):
        restore_draft(_shown)  # the name was just entered: the untouched form takes up the draft kept under it
    else:
        keep_draft(_shown, ss[f"base-{_shown.id}"])

try:
    articles = wb.articles()
except WorkbenchError as exc:
    st.error(str(exc))
    st.stop()
if not articles:
    st.info(EMPTY_LIBRARY)
    st.stop()

titles = article_labels(articles)
summaries = {a.id: a for a in articles}
ratings = wb.ratings()
# The queue's place is in the page's address (?claim=...&article=...&status=...), so a reload, a bookmark or a link
# sent to a colleague opens the same claim with the same filters. Read once per session: later the page writes it.
URL_FILTERS = {
    "article": ("review_filter_article", titles),
    "status": ("review_filter_status", STATUS_LABELS),
    "verdict": ("review_filter_verdict", ratings),
    "type": ("review_filter_type", CLAIM_TYPES),
}
if not ss.get("_review_url_read"):
    ss["_review_url_read"] = True
    for param, (state_key, allowed) in URL_FILTERS.items():
        value = st.query_params.get(param)
        if value is not None and state_key not in ss:
            if value in allowed:
                ss[state_key] = value
            else:
                st.info(f"The link's {param} filter ({value!r}) matches nothing here; it is not applied.")
    if st.query_params.get("claim") and "review_claim" not in ss:
        ss["review_claim"] = st.query_params["claim"]
        ss["_linked_claim"] = st.query_params["claim"]
        # A claim of an earlier version is only in its own article's queue: open that one.
        linked_claim = wb.get_claim(st.query_params["claim"])
        own = summaries.get(linked_claim.article_id) if linked_claim is not None else None
        if own is not None and own.replaced_by and "review_filter_article" not in ss:
            ss["review_filter_article"] = own.id
if ss.get("review_filter_article") not in (None, *titles):
    del ss["review_filter_article"]
    st.info("The article this queue was filtered by has been deleted; showing all articles.", icon=":material/info:")
f1, f2, f3, f4 = st.columns([3, 2, 2, 2])
article_filter = f1.selectbox(
    "Article",
    [None, *titles],
    format_func=lambda i: "All articles" if i is None else titles[i],
    key="review_filter_article",
)
status_filter = f2.selectbox(
    "Status",
    [None, *STATUS_LABELS],
    format_func=lambda s: "Any status" if s is None else STATUS_LABELS[s],
    key="review_filter_status",
)
verdict_filter = f3.selectbox(
    "Verdict", [None, *ratings], format_func=lambda v: "Any verdict" if v is None else v, key="review_filter_verdict"
)
type_filter = f4.selectbox(
    "Claim type", [None, *CLAIM_TYPES], format_func=lambda t: "Any type" if t is None else t, key="review_filter_type"
)

try:
    queue = cached_queue(article_filter, status_filter, verdict_filter, type_filter)
except WorkbenchError as exc:
    st.error(str(exc))
    st.stop()
ids = [c.id for c, _ in queue]
current_id = ss.get("review_claim")
linked = ss.pop("_linked_claim", None)
on_screen = ss.get("_shown_claim")
filters = (article_filter, status_filter, verdict_filter, type_filter)
still_there = (
    wb.get_claim(current_id)
    if current_id not in ids
    and on_screen is not None
    and on_screen.id == current_id
    and ss.get("_shown_filters") == filters  # not when the reviewer has just changed the filters
    else None
)
if still_there is not None:
    # The claim on screen has just left the filtered queue (saved by this reviewer or another one, say under
    # "Unreviewed"): it stays until the reviewer moves on, so a click or a conflict never lands on another claim.
    queue = [(still_there, wb.get_review(still_there.id)), *queue]
    ids = [still_there.id, *ids]
    st.info(
        "This claim no longer matches the filters above (it was saved since); it stays here until you move on.",
        icon=":material/push_pin:",
    )
elif not queue:
    st.info(
        "No claims match these filters. Extract claims on the **Article** page, or choose "
        "*Any status* / *All articles* above."
    )
    st.stop()
elif current_id not in ids:
    if linked is not None:
        gone = wb.get_claim(linked) is None
        st.info(
            "The linked claim no longer exists (its article was deleted or re-extracted)."
            if gone
            else "The linked claim is not in this queue's filters; showing the first claim that is.",
            icon=":material/info:",
        )
    current_id = ids[0]
    ss["review_claim"] = current_id
pos = ids.index(current_id)
for param, value in {
    "claim": current_id,
    "article": article_filter,
    "status": status_filter,
    "verdict": verdict_filter,
    "type": type_filter,
}.items():
    if value and st.query_params.get(param) != value:
        st.query_params[param] = value
    elif not value and param in st.query_params:
        del st.query_params[param]
claim, stored_review = queue[pos]
next_id = ids[pos + 1] if pos + 1 < len(ids) else None

# The claim picker gets the full width; Prev and Next sit under it (in narrow columns beside it their labels were
# cut to "P…" and "N…" even on a laptop screen).
nav_pick = st.container()
nav_prev, nav_next, _ = st.columns([1, 1, 4])
nav_prev.button("Prev", icon=":material/arrow_back:", disabled=pos == 0, on_click=go, args=(ids[pos - 1],))
nav_next.button("Next", icon=":material/arrow_forward:", disabled=next_id is None, on_click=go, args=(next_id,))
by_id = {c.id: (c, r) for c, r in queue}


def _label(n: int, claim_id: str, unsaved: bool) -> str:
    c, r = by_id[claim_id]
    mark = "✓" if r.status == "reviewed" else ("…" if r.status == "in_progress" else "○")
    if unsaved:
        mark += "✎"  # unsaved changes
    text = (r.edited_statement or c.statement).replace("\n", " ")
    return f"{n}/{len(ids)} {mark} {c.checkworthiness:.2f} · {text[:110]}"


# Labels made once per run (not by a format_func reading the session later; and without a search per label).
lo = max(0, min(pos - PICKER_WINDOW // 3, len(ids) - PICKER_WINDOW))
window = ids[lo : lo + PICKER_WINDOW]
labels = {cid: _label(lo + n, cid, cid in drafts()) for n, cid in enumerate(window, start=1)}
picked = nav_pick.selectbox("Claim", window, index=pos - lo, format_func=labels.__getitem__)
if len(window) < len(ids):
    nav_pick.caption(
        f"The list shows claims {lo + 1}-{lo + len(window)} of {len(ids)}; Next, Prev and the filters reach the rest."
    )
if picked != current_id:
    ss["review_claim"] = picked
    st.rerun()

if key("verdict", claim.id) not in ss and not restore_draft(claim):
    seed(claim, stored_review)
base: Review = ss[f"base-{claim.id}"]
# The unsaved-changes note appears on a claim's first edit. Drawn into a slot that is always there, so it does not
# move the form below it: a moved form is redrawn, and the focus (a verdict being chosen with the arrow keys, a
# note being typed) was lost to the page.
draft_slot = st.container()
if claim.id in drafts():
    kept = drafts()[claim.id]
    note, discard = draft_slot.columns([5, 1], vertical_alignment="center")
    where = (
        f"kept under your name since {kept.updated_at:%Y-%m-%d %H:%M} UTC"
        if kept.reviewer
        else "kept for this session only: enter your name as reviewer to keep them if the page reloads"
    )
    note.info(f"Unsaved changes to this claim, {where}.", icon=":material/edit_note:")
    discard.button("Discard changes", on_click=discard_draft, args=(claim.id,))

if (own := summaries.get(claim.article_id)) is not None and own.replaced_by:
    st.warning(earlier_version_note(own), icon=":material/history:")
left, right = st.columns([3, 2], gap="large")
with left:
    with st.container(border=True):
        # A claim that leans on the article is shown after the paragraph before it: what it refers to is usually there.
        before = 1 if claim.needs_context else 0
        st.caption("Quote in its paragraph, after the paragraph before it" if before else "Quote in its paragraph")
        st.markdown(wb.quote_in_context(claim, base, paragraphs_before=before), unsafe_allow_html=True)
    st.text_area("Standalone statement (edit if the model got it wrong)", key=key("stmt", claim.id), height=80)
    if claim.needs_context and ss.get(key("stmt", claim.id)) == claim.statement:
        st.warning(
            "Needs context: the statement still leans on the article (a pronoun or a vague reference such as "
            "“the accusations” that could not be resolved). Edit it to stand alone before publishing.",
            icon=":material/link_off:",
        )
    if addressed_to_ai(claim.quote):
        st.warning(
            "This sentence reads as an instruction to an AI model. claimdesk kept it as article text and never "
            "followed it, but check the statement, type and claimant against the quote: a model wrote them after "
            "reading it.",
            icon=":material/gpp_maybe:",
        )
    meta = [f"type: {claim.claim_type}", f"check-worthiness: {claim.checkworthiness:.2f}"]
    if claim.claimant:
        meta.append(f"claimant: {claim.claimant}")
    if claim.time_reference:
        meta.append(f"when: {claim.time_reference}")
    meta.append(f"article: {titles.get(claim.article_id, claim.article_id)}")
    meta.append(f"extracted by {claim.provenance.extractor} / {claim.provenance.model}")
    safe(" · ".join(meta), small=True)

    st.subheader("Evidence")
    query = st.text_input("Search query (edit and press Enter to search again)", key=key("query", claim.id))
    if st.button("Search again", icon=":material/search:"):
        ss.get("_evidence", {}).pop((claim.id, query), None)
    try:
        inside, elsewhere = evidence(claim, query)
    except WorkbenchError as exc:
        st.error(str(exc))
        inside, elsewhere = [], []
    shown: set[str] = set()

    def passages(group: list[Any], empty: str, first: int | None = None) -> None:
        """The passages' cards; past the `first` few, in a closed expander (open when one of them is cited): on a
        phone, twelve cards stood between the claim and its verdict form."""
        if not group:
            st.caption(empty)
        rest = group[first:] if first is not None else []
        if rest:
            cited_below = any(ss.get(key(f"cite-{ev.chunk_id}", claim.id)) for ev in rest) or any(
                c.chunk_id in {ev.chunk_id for ev in rest} for c in base.evidence
            )
            passages(group[:first], empty)
            with st.expander(f"{len(rest)} more passage{'s' if len(rest) != 1 else ''}", expanded=cited_below):
                passages(rest, "")
            return
        for ev in group:
            shown.add(ev.chunk_id)
            seen_passages(claim.id).setdefault(ev.chunk_id, ev)
            cite_key = key(f"cite-{ev.chunk_id}", claim.id)
            if cite_key not in ss:
                ss[cite_key] = any(c.chunk_id == ev.chunk_id for c in base.evidence)
            score = getattr(ev, "score", None)
            detail = ""
            if isinstance(ev, Evidence) and ev.bm25_score is not None and ev.dense_score is not None:
                detail = f"bm25 {ev.bm25_score:.2f} · dense {ev.dense_score:.2f}"
            # The box sits under its own card, labelled in full (a narrow column beside it cut the label, and on a
            # phone it landed between two cards).
            st.markdown(
                evidence_html(ev.text, query, title=ev.title, source=ev.source, score=score or 0.0, detail=detail),
                unsafe_allow_html=True,
            )
            echo = echoed_words(claim.quote, ev.text) if ev.article_id != claim.article_id else 0
            if echo:
                st.caption(
                    f":material/content_copy: Repeats {echo} words of the claim's sentence in a row: probably the "
                    "same story (republished, a wire copy or a press release), not independent evidence."
                )
            st.checkbox("Cite this passage", key=cite_key)

    st.markdown(f"**In this article** ({len(inside)})")
    passages(inside, "No other passage of this article matches the query.", first=PASSAGES_FIRST)
    st.markdown(f"**Elsewhere in the corpus** ({len(elsewhere)})")
    passages(elsewhere, "Nothing in other articles matches; ingest more sources in Library.", first=PASSAGES_FIRST)
    # Cited passages that this query did not bring up (cited in the saved version, or ticked among another query's
    # results): listed so every citation stays in sight and can be unticked.
    stored_ids = {ev.chunk_id for ev in base.evidence}
    elsewhere_cited = {
        ev.chunk_id: ev
        for ev in [*base.evidence, *seen_passages(claim.id).values()]
        if ev.chunk_id not in shown and (ev.chunk_id in stored_ids or ss.get(key(f"cite-{ev.chunk_id}", claim.id)))
    }
    if elsewhere_cited:
        st.markdown(f"**Cited, not among these results** ({len(elsewhere_cited)})")
        passages(list(elsewhere_cited.values()), "")

with right:
    attempt_panel(claim)
    if base.version == 0:
        earlier_panel(claim)
    with st.container(border=True):
        rejected = bool(ss.get(key("nc", claim.id)))
        st.radio(
            "Verdict",
            [None, *ratings],
            format_func=lambda v: NO_VERDICT if v is None else v,
            key=key("verdict", claim.id),
            disabled=rejected,
            help="A claim marked not checkable has no verdict: untick Not checkable to give one." if rejected else None,
        )
        st.checkbox(
            "Not checkable (opinion, too vague, or not a factual claim)",
            key=key("nc", claim.id),
            on_change=not_checkable_changed,
            args=(claim.id,),
        )
        st.text_area("Notes", key=key("notes", claim.id), height=120, placeholder="Reasoning, sources, caveats")
        reviewer_input()
        form_error = ss.pop("_form_error", None)
        if form_error and form_error[0] == claim.id:
            st.error(form_error[1])
        # Stacked, full width: the shortcut hint needs the room, and the primary action comes first.
        st.button(
            "Save & next",
            shortcut="Mod+Enter",
            type="primary",
            icon=":material/skip_next:",
            on_click=save,
            args=(claim.id, next_id),
            width="stretch",
        )
        # No Ctrl+S: a text box hands its typed value over on blur or Ctrl+Enter, so a Ctrl+S pressed while typing
        # saved the form without the text just typed (and the rerun erased it from the box).
        st.button(
            "Save",
            type="secondary",
            icon=":material/save:",
            on_click=save,
            args=(claim.id, None),
            width="stretch",
        )
        who = f" by {escape_text(base.reviewer)}" if base.reviewer else ""
        when = f" at {base.updated_at:%Y-%m-%d %H:%M} UTC" if base.updated_at else ""
        status = "not checkable" if base.not_checkable else base.status.replace("_", " ")
        st.markdown(
            f'<span style="font-size:0.85em;opacity:0.75">Stored: {escape_text(status)}'
            f"{' — ' + escape_text(base.verdict) if base.verdict else ''} · version {base.version}{who}{when}</span>",
            unsafe_allow_html=True,
        )
    keep_draft(claim, base)
    ss["_shown_claim"] = claim
    ss["_shown_filters"] = filters
    with st.expander("History"):
        try:
            events = wb.history(claim.id)
        except WorkbenchError as exc:
            events = []
            st.error(str(exc))
        if not events:
            st.caption("Nothing recorded yet.")
        for e in reversed(events):
            action = e.action.replace("_", " ")
            st.markdown(
                f'<div style="font-size:0.85em;margin-bottom:0.4em"><b>{e.at:%Y-%m-%d %H:%M:%S} UTC</b> · '
                f"{escape_text(e.actor)} · {escape_text(action)}"
                f'<br><span style="opacity:0.8">{escape_text(e.summary())}</span>{full_text(e)}</div>',
                unsafe_allow_html=True,
            )
