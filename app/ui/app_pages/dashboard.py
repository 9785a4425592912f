"""Dashboard: claims by status and verdict, a verdict chart, progress per article, report downloads."""

from __future__ import annotations

import streamlit as st

from app.ui.app_pages.common import (
    EMPTY_LIBRARY,
    control_label,
    errors_shown,
    plain,
    review_claim,
    safe,
    show_flash,
    workbench,
)
from app.ui.app_pages.exports import export_controls

# Each figure's width: room for its label ("Not checkable" and its help mark) and a five-digit count.
METRIC_WIDTH = 130

wb = workbench()
st.title("Dashboard", anchor=False)
show_flash()

with errors_shown():
    stats = wb.stats()
    if not stats.per_article:
        st.info(EMPTY_LIBRARY)
        st.stop()
    not_checkable = sum(a.not_checkable for a in stats.per_article)
    # The figures in a row that wraps: in five columns "Not checkable" (beside Reviewed, which counts them) was cut
    # on a tablet, and "of which not checkable" even on a laptop.
    figures = st.container(horizontal=True, gap="medium")
    figures.metric("Claims", stats.total_claims, width=METRIC_WIDTH)
    figures.metric("Reviewed", stats.by_status.get("reviewed", 0), width=METRIC_WIDTH)
    figures.metric(
        "Not checkable", not_checkable, help="Counted among Reviewed: rejected as not checkable", width=METRIC_WIDTH
    )
    figures.metric("In progress", stats.by_status.get("in_progress", 0), width=METRIC_WIDTH)
    figures.metric("Unreviewed", stats.by_status.get("unreviewed", 0), width=METRIC_WIDTH)
    if stats.earlier_version_claims:
        st.caption(
            f"Not counted: {stats.earlier_version_claims} claim(s) of earlier versions of re-ingested articles "
            "(kept on record, out of the queue and reports)."
        )
    if not stats.total_claims:
        st.info("No claims yet — open an article on the **Article** page and press **Extract claims**.")

    chart, table = st.columns([3, 2], gap="large")
    with chart:
        st.subheader("Verdicts", anchor=False)
        verdicts = {label: n for label, n in stats.by_verdict.items()}
        if any(verdicts.values()):
            st.bar_chart(
                {"verdict": list(verdicts), "claims": list(verdicts.values())},
                x="verdict",
                y="claims",
                sort=False,
                height=300,
            )
        else:
            st.caption("No verdicts yet; they appear here as reviewers finish reviews.")
        if stats.draft_verdicts:
            st.caption(
                f"Not counted: {stats.draft_verdicts} verdict(s) on reviews still in progress (drafts, as in reports)."
            )
    with table:
        st.subheader("By verdict", anchor=False)
        # A static table: a second data grid repeated the first one's toolbar ("Download as CSV", "Search", ...), so
        # a screen reader heard each of those buttons twice with nothing to tell them apart.
        st.table([{"verdict": label, "claims": n} for label, n in verdicts.items()], hide_index=True)

    st.subheader("Progress per article", anchor=False)
    st.dataframe(
        [
            {
                "article": a.title,
                "progress": (a.reviewed / a.claim_count) if a.claim_count else 0.0,
                "claims": a.claim_count,
                "reviewed": a.reviewed,
                "in progress": a.in_progress,
                "unreviewed": a.unreviewed,
                "not checkable": a.not_checkable,
            }
            for a in stats.per_article
        ],
        hide_index=True,
        column_config={
            # Not "large": on a phone or tablet it pushed every number out of sight to the right.
            "article": st.column_config.TextColumn("article", width="medium"),
            "progress": st.column_config.ProgressColumn(
                "progress", min_value=0.0, max_value=1.0, format="percent", width="small"
            ),
        },
    )

    # Before publishing: one sentence (a wire copy, a quoted release) decided differently in two articles.
    split = wb.split_verdicts()
    if split:
        st.subheader("Same sentence, different verdicts", anchor=False)
        st.warning(
            f"{len(split)} sentence(s) were reviewed in more than one article with different verdicts; a report "
            "would publish each of them. Check they are about different events, or bring them in line.",
            icon=":material/rule:",
        )
        for n, group in enumerate(split, 1):
            with st.container(border=True):
                safe(f"“{group[0][1].quote}”", small=True)
                for summary, claim, review in group:
                    row = st.container(horizontal=True, vertical_alignment="center")
                    with row:
                        safe(
                            f"{review.decision} · {review.reviewer or 'unknown reviewer'} · in “{summary.title}”",
                            small=True,
                        )
                        if st.button(
                            control_label("Review", f"sentence {n} in {plain(summary.title, words=8)}"),
                            key=f"split-{claim.id}",
                            icon=":material/rate_review:",
                        ):
                            review_claim(claim.id)

    st.subheader("Export", anchor=False)
    export_controls(wb, article_ids=None, key="dashboard")
