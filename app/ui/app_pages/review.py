"""Review: a filtered queue of claims; for the current one its context, evidence, verdict form and history."""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from app.errors import WorkbenchError
from app.grounding import copied_run, echo_note
from app.highlight import escape_text, evidence_html
from app.models import CLAIM_TYPES, Claim, Evidence, Review
from app.page_reading import shown_passage
from app.report_formats import OWN_ARTICLE
from app.ui.app_pages.common import (
    EMPTY_LIBRARY,
    article_labels,
    control_label,
    earlier_version_note,
    plain,
    reviewer_input,
    safe,
    show_flash,
    workbench,
)
from app.ui.app_pages.earlier_decisions import earlier_panel
from app.ui.app_pages.review_form import (
    PASSAGES_FIRST,
    PICKER_WINDOW,
    STATUS_LABELS,
    attempt_panel,
    cached_queue,
    discard_draft,
    drafts,
    evidence,
    form_values,
    full_text,
    go,
    keep_draft,
    key,
    load_kept_drafts,
    needs_context_note,
    not_checkable_changed,
    restore_draft,
    save,
    seed,
    seen_passages,
    stored_values,
    verdict_option,
)
from retrieval.hostile import addressed_to_ai
from retrieval.pages import passage_pages

# The three short filters' row: beside the article's box on a laptop, under it on a tablet (each box ~150 px).
SHORT_FILTERS_WIDTH = 480
# The room the claim and its evidence (3 parts) and the verdict form (2 parts) need side by side; with less than both
# (a tablet, a laptop with a narrow window) the form goes under them. Set on the wrapper Streamlit puts around each
# container of a horizontal one, which carries its flex (the container's own st-key- class does not).
# Side by side, the form stays in sight while the reviewer scrolls down the evidence to cite a passage (it scrolled
# away with the page, and Save was a long way back up): it sticks under Streamlit's header and, when taller than the
# window, scrolls on its own. Only side by side (the split is as wide as both need): stacked, on a tablet or phone, it
# scrolls with the page.
REVIEW_STYLE = """<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-review-claim) { flex: 3 1 24rem; }
[data-testid="stLayoutWrapper"]:has(> .st-key-review-form) { flex: 2 1 17rem; }
.st-key-review-split { container-type: inline-size; }
@container (min-width: 44rem) {
  [data-testid="stLayoutWrapper"]:has(> .st-key-review-form) {
    align-self: flex-start; position: sticky; top: 4rem; max-height: calc(100vh - 5rem); overflow-y: auto;
  }
}
</style>"""

wb = workbench()
ss = st.session_state
st.title("Review", anchor=False)
st.html(REVIEW_STYLE)
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
# Ctrl+Enter is Save & next anywhere on the page (so a note being typed is saved with it), but in the evidence search
# box it is a search, not a save: the keys stop there (Enter searches). Installed once per browser page.
st.html(
    "<script>if (!window.cdSearchKeys) { window.cdSearchKeys = true; document.addEventListener('keydown', e => {"
    " if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && e.target && e.target.closest"
    " && e.target.closest('[data-testid=\"stTextInput\"]') && (e.target.getAttribute('aria-label') || '')"
    ".startsWith('Search query')) { e.stopPropagation(); e.preventDefault(); } }, true); }</script>",
    unsafe_allow_javascript=True,
)
show_flash()

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
# Filters in a row that wraps (columns cut "Any status" to "Any stat" on a tablet): the article's box takes the room
# the three short ones leave, and goes to a row of its own above them when that is too little. A filter's "All" option
# is None, which is also what Streamlit's clear button leaves: the placeholder names it the same way (it read "Choose
# an option").
filter_row = st.container(horizontal=True)
article_filter = filter_row.selectbox(
    "Article",
    [None, *titles],
    format_func=lambda i: "All articles" if i is None else titles[i],
    key="review_filter_article",
    placeholder="All articles",
)
short_filters = filter_row.container(horizontal=True, width=SHORT_FILTERS_WIDTH)
status_filter = short_filters.selectbox(
    "Status",
    [None, *STATUS_LABELS],
    format_func=lambda s: "Any status" if s is None else STATUS_LABELS[s],
    key="review_filter_status",
    placeholder="Any status",
)
verdict_filter = short_filters.selectbox(
    "Verdict",
    [None, *ratings],
    format_func=lambda v: "Any verdict" if v is None else v,
    key="review_filter_verdict",
    placeholder="Any verdict",
)
type_filter = short_filters.selectbox(
    "Claim type",
    [None, *CLAIM_TYPES],
    format_func=lambda t: "Any type" if t is None else t,
    key="review_filter_type",
    placeholder="Any type",
)

try:
    ids = cached_queue(article_filter, status_filter, verdict_filter, type_filter)
except WorkbenchError as exc:
    st.error(str(exc))
    st.stop()
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
    ids = [still_there.id, *ids]
    st.info(
        "This claim no longer matches the filters above (it was saved since); it stays here until you move on.",
        icon=":material/push_pin:",
    )
elif not ids:
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
# Only the claims this run shows are read: the current one and the picker's window around it (a first visit after
# a start read and validated every claim of the queue, 0.5-0.7 s at 18,761 claims).
lo = max(0, min(pos - PICKER_WINDOW // 3, len(ids) - PICKER_WINDOW))
try:
    by_id = wb.claims_and_reviews(ids[lo : lo + PICKER_WINDOW])
except WorkbenchError as exc:
    st.error(str(exc))
    st.stop()
if current_id not in by_id:
    # Deleted since the queue was read: the next run reads the queue afresh (never a loop on a kept queue).
    wb.forget_queues()
    st.rerun()
claim, stored_review = by_id[current_id]
next_id = ids[pos + 1] if pos + 1 < len(ids) else None

# The claim picker gets the full width; Prev and Next sit under it, in a row of their own (in narrow columns their
# labels were cut to "P…" and "N…", beside the picker even on a laptop screen, under it on a tablet).
nav_pick = st.container()
nav = st.container(horizontal=True)
prev_label, next_label = control_label("Prev", "claim"), control_label("Next", "claim")
nav.button(prev_label, icon=":material/arrow_back:", disabled=pos == 0, on_click=go, args=(ids[pos - 1],))
nav.button(next_label, icon=":material/arrow_forward:", disabled=next_id is None, on_click=go, args=(next_id,))


def _label(n: int, claim_id: str, unsaved: bool) -> str:
    c, r = by_id[claim_id]
    mark = "✓" if r.status == "reviewed" else ("…" if r.status == "in_progress" else "○")
    if unsaved:
        mark += "✎"  # unsaved changes
    text = (r.edited_statement or c.statement).replace("\n", " ")
    return f"{n}/{len(ids)} {mark} {c.checkworthiness:.2f} · {text[:110]}"


# Labels made once per run (not by a format_func reading the session later; and without a search per label).
window = ids[lo : lo + PICKER_WINDOW]
labels = {cid: _label(n, cid, cid in drafts()) for n, cid in enumerate(window, start=lo + 1) if cid in by_id}
window = list(labels)  # (less a claim deleted since the queue was read)
picked = nav_pick.selectbox("Claim", window, index=window.index(current_id), format_func=labels.__getitem__)
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
    where = (
        f"kept under your name since {kept.updated_at:%Y-%m-%d %H:%M} UTC"
        if kept.reviewer
        else "kept for this session only: enter your name as reviewer to keep them if the page reloads"
    )
    draft_slot.info(f"Unsaved changes to this claim, {where}.", icon=":material/edit_note:")
    # Under the note, not beside it: in a sixth of the row, "Discard changes" was cut on a tablet.
    draft_slot.button("Discard changes", on_click=discard_draft, args=(claim.id,))

if (own := summaries.get(claim.article_id)) is not None and own.replaced_by:
    st.warning(earlier_version_note(own), icon=":material/history:")
# The claim with its evidence beside the verdict form while both have room; below that the form goes under them, as on
# a phone (beside them on a tablet, its column broke "Not checkable" over four lines). REVIEW_STYLE sets the room.
split = st.container(horizontal=True, gap="large", key="review-split")
left, right = split.container(key="review-claim"), split.container(key="review-form")
with left:
    with st.container(border=True):
        # A claim that leans on the article is shown after the paragraph before it: what it refers to is usually there.
        before = 1 if claim.needs_context else 0
        page = wb.quote_page(claim)
        st.caption(
            ("Quote in its paragraph, after the paragraph before it" if before else "Quote in its paragraph")
            + (f", {page}" if page is not None else "")
        )
        st.markdown(wb.quote_in_context(claim, base, paragraphs_before=before), unsafe_allow_html=True)
    st.text_area("Standalone statement (edit if the model got it wrong)", key=key("stmt", claim.id), height=80)
    st.text_input(
        "Claimant (who makes the claim; correct it if wrong, or clear it when the article itself asserts it)",
        key=key("who", claim.id),
    )
    if claim.needs_context and ss.get(key("stmt", claim.id)) == claim.statement:
        article = wb.get_article(claim.article_id)
        note = needs_context_note(claim.statement, article.text if article else None, claim.start)
        st.warning(note, icon=":material/link_off:")
    if addressed_to_ai(claim.quote):
        st.warning(
            "This sentence reads as an instruction to an AI model. claimdesk kept it as article text and never "
            "followed it, but check the statement, type and claimant against the quote: a model wrote them after "
            "reading it.",
            icon=":material/gpp_maybe:",
        )
    meta = [f"type: {claim.claim_type}", f"check-worthiness: {claim.checkworthiness:.2f}"]
    if claim.claimant and ss.get(key("who", claim.id)) != claim.claimant:
        meta.append(f"extracted claimant: {claim.claimant}")
    if claim.time_reference:
        meta.append(f"when: {claim.time_reference}")
    meta.append(f"article: {titles.get(claim.article_id, claim.article_id)}")
    meta.append(f"extracted by {claim.provenance.extractor} / {claim.provenance.model}")
    safe(" · ".join(meta), small=True)

    st.subheader("Evidence", anchor=False)
    query = st.text_input("Search query (edit and press Enter to search again)", key=key("query", claim.id))
    if st.button("Search again", icon=":material/search:"):
        ss.get("_evidence", {}).pop((claim.id, query), None)
    try:
        inside, elsewhere = evidence(claim, query)
    except WorkbenchError as exc:
        st.error(str(exc))
        inside, elsewhere = [], []
    shown: set[str] = set()
    shown_cards: list[Any] = []  # passages of other articles drawn so far, in order (for the copy label)

    def passages(group: list[Any], empty: str, first: int | None = None, where: str = "") -> None:
        """The passages' cards; past the `first` few, in a closed expander (open when one of them is cited): on a
        phone, twelve cards stood between the claim and its verdict form. `where` names the group to a screen reader
        (both groups' expanders could read "3 more passages")."""
        if not group:
            st.caption(empty)
        rest = group[first:] if first is not None else []
        if rest:
            cited_below = any(ss.get(key(f"cite-{ev.chunk_id}", claim.id)) for ev in rest) or any(
                c.chunk_id in {ev.chunk_id for ev in rest} for c in base.evidence
            )
            passages(group[:first], empty)
            more = control_label(f"{len(rest)} more passage{'s' if len(rest) != 1 else ''}", where)
            with st.expander(more, expanded=cited_below):
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
                evidence_html(
                    shown_passage(ev.text, ev.page),
                    query,
                    title=ev.title,
                    source=ev.source,
                    score=score or 0.0,
                    detail=detail,
                    pages=passage_pages(ev),
                ),
                unsafe_allow_html=True,
            )
            echo = echo_note(claim.quote, ev.text) if ev.article_id != claim.article_id else None
            if echo:
                st.caption(f":material/content_copy: {echo}")
            elif ev.article_id != claim.article_id:
                copy = next(((other, n) for other in shown_cards if (n := copied_run(ev.text, other.text))), (None, 0))
                if copy[0] is not None:
                    st.caption(
                        f":material/content_copy: Repeats {copy[1]} words in a row of the passage from "
                        f"“{escape_text(copy[0].title[:90])}” above: the same story printed twice, not a second source."
                    )
            if ev.article_id != claim.article_id:
                shown_cards.append(ev)
            # Named by its place on the page, its article and its first words: "Cite this passage 4 from Harbour
            # budget: The mayor said…" (every box read "Cite this passage" to a screen reader).
            about = f"{len(shown)} from {ev.title}: {plain(ev.text, words=10)}"
            st.checkbox(control_label("Cite this passage", about), key=cite_key)

    st.markdown(f"**In this article** ({len(inside)})")
    if inside:
        st.caption(f"Context: a passage cited from here is listed in reports as “{OWN_ARTICLE}”.")
    passages(inside, "No other passage of this article matches the query.", PASSAGES_FIRST, "in this article")
    st.markdown(f"**Elsewhere in the corpus** ({len(elsewhere)})")
    nothing = "Nothing in other articles matches; ingest more sources in Library."
    passages(elsewhere, nothing, PASSAGES_FIRST, "elsewhere in the corpus")
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
            format_func=verdict_option,
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
