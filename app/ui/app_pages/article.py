"""Article: the text with every claim highlighted in place, extraction with live progress, claims by check-worthiness."""

from __future__ import annotations

import streamlit as st

from app.errors import WorkbenchError
from app.highlight import category_for, escape_text, legend_html
from app.ui.app_pages.common import (
    EMPTY_LIBRARY,
    article_labels,
    control_label,
    earlier_version_note,
    errors_shown,
    flash,
    llm_label,
    page_shown,
    plain,
    review_claim,
    reviewer_input,
    reviewer_name,
    safe,
    show_flash,
    show_more_button,
    workbench,
)

# The article and its claims scroll in boxes as tall as the window leaves room for under Streamlit's header once
# scrolled to them, never shorter than 20 rem: 640 px fixed ran past the bottom of a laptop's browser window (about
# 650 px of a 768 px screen), so the page and the box both had to scroll, and left a tall screen half empty. Set on
# the stLayoutWrapper Streamlit puts around each container, whose flex basis is the height (the keyed container
# fills it).
ARTICLE_STYLE = """<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-article-text),
[data-testid="stLayoutWrapper"]:has(> .st-key-article-claims) {
  flex: 0 0 max(20rem, calc(100vh - 7rem)) !important; height: max(20rem, calc(100vh - 7rem)) !important;
}
</style>"""

wb = workbench()
st.title("Article", anchor=False)
st.html(ARTICLE_STYLE)
show_flash()

with errors_shown():
    articles = wb.articles()
    if not articles:
        st.info(EMPTY_LIBRARY)
        st.stop()
    titles = {a.id: a for a in articles}
    labels = article_labels(articles)
    ids = list(titles)
    # The article shown is in the page's address (?article=ID): a reload or a link opens the same one.
    current = st.session_state.get("article_id") or st.query_params.get("article")
    if current not in titles:
        if st.query_params.get("article") == current and current is not None:
            st.info("The linked article is not in the library (deleted, or replaced by a newer version).")
        current = ids[0]
    # A keyed picker: without a key, the `index` that changes with each choice made Streamlit treat it as a new
    # widget and drop every second choice. Opening an article from elsewhere sets article_id, which wins.
    if st.session_state.get("article_pick") != current and st.session_state.get("_article_shown") != current:
        st.session_state["article_pick"] = current
    picked = st.selectbox(
        "Article",
        ids,
        key="article_pick",
        format_func=lambda i: f"{labels[i]}  ({titles[i].claim_count} claims)",
    )
    st.session_state["_article_shown"] = picked
    st.session_state["article_id"] = picked
    if st.query_params.get("article") != picked:
        st.query_params["article"] = picked
    summary = titles[picked]
    # The picker cuts long titles; the article's own details in full (the reviewer cites and links from them).
    details = [summary.title, f"source: {summary.source}"]
    if summary.published:
        details.append(f"published {summary.published:%Y-%m-%d}")
    details += [f"ingested {summary.ingested_at:%Y-%m-%d %H:%M} UTC", f"id {summary.id}"]
    safe(" · ".join(details), small=True)
    if summary.replaced_by:
        st.warning(earlier_version_note(summary), icon=":material/history:")

    with st.container(border=True):
        row = st.container(horizontal=True, vertical_alignment="bottom")  # wraps: a narrow column cut the button
        choices = wb.llm_choices()
        llm = row.selectbox(
            "Extract with",
            choices,
            format_func=llm_label,
            key="extract_llm",
        )
        if row.button("Extract claims", type="primary", icon=":material/auto_awesome:"):
            with st.status("Extracting claims…", expanded=True) as status:
                bar = st.progress(0.0, text="Scoring sentences…")

                def progress(done: int, total: int) -> None:
                    bar.progress(min(done / max(total, 1), 1.0), text=f"Sentence {done} of {total}")

                try:
                    result = wb.extract(picked, llm, progress=progress)
                except WorkbenchError as exc:
                    status.update(label="Extraction failed", state="error", expanded=True)
                    st.error(str(exc))
                else:
                    run = result.run
                    line = f"Kept {run.claims_kept} claim(s) from {run.sentences_scored} sentences ({run.model})"
                    if run.discarded_ungrounded:
                        line += f"; dropped {run.discarded_ungrounded} whose quote was not in the article"
                    if run.dropped_over_limit:
                        line += (
                            f"; left out {run.dropped_over_limit} less check-worthy one(s) over CLAIMDESK_MAX_CLAIMS"
                        )
                    status.update(label=line, state="complete")
                    flash("success", line + ".")
                    for failure in run.failures:
                        flash("warning", failure)
                    st.rerun()  # redraw counts, highlights and the claim list from the store
        st.caption(
            f"{summary.claim_count} claims · {summary.reviewed} reviewed · {summary.in_progress} in progress · "
            f"{summary.not_checkable} not checkable"
        )

    pairs = wb.claims_with_reviews(picked)
    text_col, claims_col = st.columns([3, 2], gap="large")
    with text_col:
        st.markdown(legend_html(wb.ratings()), unsafe_allow_html=True)
        with st.container(border=True, height=640, key="article-text"):
            st.markdown(wb.article_view(picked), unsafe_allow_html=True)
    with claims_col:
        st.subheader(f"Claims ({len(pairs)})", anchor=False)
        if not pairs:
            st.info("No claims yet. Choose a model above and press **Extract claims** ('none' is fastest).")
        ratings = wb.ratings()
        # Triage: claims nobody has started, ticked on their cards, marked not checkable together (opinions, colour).
        # (a ticked claim someone has started since is passed too: the action leaves it, and says so)
        picked_ids = [c.id for c, _ in pairs if st.session_state.get(f"pick-{c.id}")]
        if picked_ids:
            with st.container(border=True):
                name = reviewer_name() or reviewer_input()
                if st.button(
                    f"Mark {len(picked_ids)} selected claim(s) not checkable",
                    icon=":material/block:",
                    key="reject-picked",
                    disabled=not name,
                    help=None if name else "Enter your name as reviewer first: the history records who decided.",
                ):
                    result = wb.reject_claims(picked_ids, name)
                    for claim_id in picked_ids:
                        st.session_state.pop(f"pick-{claim_id}", None)
                    flash("warning" if result.left or result.conflicts else "success", result.message())
                    st.rerun()
        # A long transcript can have a thousand claims: cards are drawn a page at a time.
        cards = f"_article_cards-{picked}"
        shown = page_shown(cards)
        elsewhere = wb.decided_elsewhere([c for c, _ in pairs[:shown]])
        with st.container(height=640, key="article-claims"):
            for n, (claim, review) in enumerate(pairs[:shown], start=1):
                with st.container(border=True):
                    state = review.verdict or ("not checkable" if review.not_checkable else review.status)
                    category = category_for(review, ratings)
                    meta = [f"{claim.checkworthiness:.2f}", claim.claim_type]
                    who = review.claimant_of(claim)  # the reviewer's correction, if any
                    meta += [who] if who else []
                    meta += ["needs context"] if claim.needs_context else []
                    meta.append(state.replace("_", " "))
                    meta += ["decided in another article"] if claim.id in elsewhere else []
                    st.markdown(
                        f'<span class="cd-chip cd-{category}" style="font-size:0.8em;opacity:0.8">'
                        f"{' · '.join(escape_text(m) for m in meta)}</span>",
                        unsafe_allow_html=True,
                    )
                    statement = review.edited_statement or claim.statement
                    safe(statement)
                    label = control_label("Review", f"claim {n}: {plain(statement, words=10)}")
                    row = st.container(horizontal=True, vertical_alignment="center")
                    with row:
                        if st.button(label, key=f"rv-{claim.id}", icon=":material/rate_review:"):
                            review_claim(claim.id, picked)
                        if review.status == "unreviewed":  # (to mark it not checkable with others, above)
                            st.checkbox(
                                control_label("Select", f"claim {n}: {plain(statement, words=10)}"),
                                key=f"pick-{claim.id}",
                            )
            show_more_button(cards, len(pairs))

    with st.expander("Export this article's report"):
        from app.ui.app_pages.exports import export_controls

        export_controls(wb, article_ids=[picked], key="article", include_earlier=summary.replaced_by is not None)
