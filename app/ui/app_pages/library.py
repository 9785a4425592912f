"""Library: ingest uploads and URLs, see every article with its review progress, delete with confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from app.errors import ModelUnavailableError, WorkbenchError
from app.highlight import escape_text
from app.ui.app_pages.common import (
    EMPTY_LIBRARY,
    PAGE_SIZE,
    article_labels,
    control_label,
    earlier_version_note,
    errors_shown,
    flash,
    llm_label,
    open_article,
    page_start,
    pager,
    reviewer_name,
    show_flash,
    workbench,
)
from app.workbench import UPLOAD_TYPES

if TYPE_CHECKING:
    from app.store import ArticleSummary


def extract_pending(pending: list[ArticleSummary]) -> None:
    """One button for every article without claims yet (a folder just uploaded), instead of one visit each."""
    with st.container(border=True):
        st.markdown(f"**{len(pending)} article(s) without claims yet**")
        row = st.container(horizontal=True, vertical_alignment="bottom")  # wraps: a narrow column cut the button
        llm = row.selectbox(
            "Extract with",
            wb.llm_choices(),
            format_func=llm_label,
            key="bulk_llm",
        )
        if not row.button("Extract claims from them", icon=":material/auto_awesome:"):
            return
        bar = st.progress(0.0, text="Starting…")
        kept = failed = 0
        for n, summary in enumerate(pending, 1):
            bar.progress((n - 1) / len(pending), text=f"{n} of {len(pending)}: {summary.title[:70]}")
            try:
                kept += wb.extract(summary.id, llm).run.claims_kept
            except ModelUnavailableError as exc:  # no retry mends it: the rest would fail the same way
                flash("error", f"Stopped at {summary.title!r} ({n} of {len(pending)}): {exc}")
                break
            except WorkbenchError as exc:
                failed += 1
                flash("warning", f"{summary.title}: {exc}")
        else:
            flash("success", f"Extracted {kept} claim(s) from {len(pending) - failed} article(s).")
        st.rerun()


wb = workbench()
st.title("Library", anchor=False)
show_flash()


def show_outcomes(outcomes: list[Any]) -> None:
    """Put outcomes in the "Last ingest" list and draw the page again."""
    st.session_state["ingest_results"] = [(o.source, o.status, o.title, o.message) for o in outcomes]
    st.rerun()


def new_version_control(summary: ArticleSummary, name: str) -> None:
    """Take in an article's changed text: a web page is fetched again; a file is uploaded as its new version
    (recorded under the article's source, so it replaces it: a plain upload is always a new article). `name`: the
    article as its controls' accessible names say it."""
    if summary.source.lower().startswith(("http://", "https://")):
        if st.button(
            control_label("Fetch again", f"the web page of article {name}"),
            key=f"refetch-{summary.id}",
            icon=":material/refresh:",
            help="Ingest the page again; if it changed, the new text becomes the current version",
        ):
            try:
                show_outcomes(wb.ingest_urls([summary.source]))
            except WorkbenchError as exc:
                st.error(str(exc))
        return
    with st.popover(control_label("New version", f"of article {name}"), icon=":material/upload_file:"):
        upload = st.file_uploader(
            "The article's changed text (txt, md, html, pdf)",
            type=list(UPLOAD_TYPES),
            key=f"new-version-{summary.id}",
            max_upload_size=wb.upload_limit_mb,
        )
        st.caption("Its claims are extracted afresh; decisions on unchanged sentences are offered on the Review page.")
        replace = control_label("Replace with this version", f"of article {name}")
        if st.button(replace, key=f"replace-{summary.id}", disabled=upload is None):
            assert upload is not None
            try:
                show_outcomes([wb.ingest_new_version(summary.id, upload.name, upload.getvalue())])
            except WorkbenchError as exc:
                st.error(str(exc))


if st.session_state.pop("_clear_ingest_form", False):
    # After an ingest the form starts empty, so pressing Ingest again cannot resubmit the same sources.
    st.session_state["urls"] = ""
    st.session_state["_upload_round"] = st.session_state.get("_upload_round", 0) + 1  # a new, empty uploader

with st.container(border=True):
    st.subheader("Add articles", anchor=False)
    left, right = st.columns(2)
    uploads = left.file_uploader(
        "Upload files (txt, md, html, pdf)",
        type=list(UPLOAD_TYPES),
        accept_multiple_files=True,
        key=f"uploads-{st.session_state.get('_upload_round', 0)}",
        max_upload_size=wb.upload_limit_mb,
    )
    urls = right.text_area(
        "Or paste URLs (one per line)", key="urls", height=120, placeholder="https://example.org/story"
    )
    if st.button("Ingest", type="primary", icon=":material/upload:", disabled=not uploads and not urls.strip()):
        files = [(f.name, f.getvalue()) for f in uploads or []]
        sources = [line.strip() for line in urls.splitlines() if line.strip()]
        total = len(files) + len(sources)
        bar = st.progress(0.0, text="Starting…")

        def step(i: int, n: int, source: str, base: int = 0) -> None:
            done = base + i
            bar.progress(min(done / max(total, 1), 1.0), text=f"{done}/{total} · {escape_text(source)}")

        rows = []
        try:
            outcomes = wb.ingest_uploads(files, progress=step)
            if sources:
                outcomes.extend(wb.ingest_urls(sources, progress=lambda i, n, s: step(i, n, s, base=len(files))))
            rows = [(o.source, o.status, o.title, o.message) for o in outcomes]
            wrote = any(o.status in ("added", "replaced") for o in outcomes)
            st.session_state["ingest_notice"] = wb.chunking_notice() if wrote else None
        except WorkbenchError as exc:
            st.error(str(exc))
        bar.progress(1.0, text=f"Done: {total} source(s)")
        st.session_state["ingest_results"] = rows
        st.session_state["_clear_ingest_form"] = True
        st.rerun()

    results = st.session_state.get("ingest_results")
    if results:
        st.markdown("**Last ingest**")
        for source, status, title, message in results:
            colour = {
                "added": "#2ea043",
                "replaced": "#2ea043",
                "unchanged": "#6e7781",
                "rechunked": "#6e7781",
                "skipped": "#e08a00",
            }.get(status, "#c62828")
            detail = title or ""
            if message:
                detail = f"{detail} — {message}" if detail else message
            st.markdown(
                f'<span style="background:{colour};color:white;border-radius:0.6em;padding:0 0.5em;'
                f'font-size:0.8em">{escape_text(status)}</span> <code>{escape_text(source)}</code>'
                f"{' · ' + escape_text(detail) if detail else ''}",
                unsafe_allow_html=True,
            )
        notice = st.session_state.get("ingest_notice")
        if notice:
            st.caption(f"Note: {escape_text(notice)}.")

st.subheader("Articles", anchor=False)
with errors_shown():
    articles = wb.articles()
    if not articles:
        st.info(EMPTY_LIBRARY)
    names = article_labels(articles)  # how each card's buttons name their article to a screen reader
    confirm = st.session_state.get("confirm_delete")
    pending = [a for a in articles if a.claim_count == 0 and a.replaced_by is None]
    if pending:
        extract_pending(pending)
    if len(articles) > PAGE_SIZE:
        # Hundreds of cards made every click on this page slow: find by words, and draw a page at a time.
        needle = st.text_input("Find articles", key="library_find", placeholder="Words of the title or source")
        if needle.strip():
            words = needle.casefold().split()
            articles = [a for a in articles if all(w in f"{a.title} {a.source}".casefold() for w in words)]
        st.caption(f"{len(articles)} article(s)")
    start = page_start("_library_page", len(articles))
    for summary in articles[start : start + PAGE_SIZE]:
        with st.container(border=True):
            name = names[summary.id]
            # Open and Delete sit in one row that wraps: in columns of their own they read "O…" and "D…" on a tablet.
            cols = st.columns([4, 3, 3.2], vertical_alignment="center")
            with cols[0]:
                st.markdown(f"**{escape_text(summary.title)}**", unsafe_allow_html=True)
                st.markdown(
                    f'<span style="font-size:0.8em;opacity:0.7">{escape_text(summary.source)} · ingested '
                    f"{summary.ingested_at:%Y-%m-%d %H:%M}</span>",
                    unsafe_allow_html=True,
                )
                if summary.replaced_by:
                    st.caption(earlier_version_note(summary))
                else:
                    new_version_control(summary, name)
            with cols[1]:
                done = summary.reviewed
                if summary.claim_count:
                    st.progress(
                        done / summary.claim_count,
                        text=f"{done}/{summary.claim_count} reviewed · {summary.in_progress} in progress",
                    )
                else:
                    st.caption("No claims yet — open it and extract.")
            actions = cols[2].container(horizontal=True, horizontal_alignment="right")
            if actions.button(
                control_label("Open", f"article {name}"), key=f"open-{summary.id}", icon=":material/open_in_new:"
            ):
                open_article(summary.id)
            if actions.button(
                control_label("Delete", f"article {name}"), key=f"delete-{summary.id}", icon=":material/delete:"
            ):
                st.session_state["confirm_delete"] = summary.id
                st.rerun()
            if confirm == summary.id:
                shared = (
                    " The corpus is on a shared Chroma server: the article goes for everyone using it, and other "
                    "workbenches' claims and reviews on it are not counted here."
                    if wb.settings.use_chroma_server
                    else ""
                )
                drafts = f" and {summary.drafts} unsaved draft(s)" if summary.drafts else ""
                st.warning(
                    f"Delete this article, its {summary.claim_count} claim(s), their reviews{drafts}? "
                    f"The history keeps a record; nothing else can be undone.{shared}"
                )
                answer = st.container(horizontal=True)
                if answer.button(
                    control_label("Yes, delete", f"article {name}"), key=f"yes-{summary.id}", type="primary"
                ):
                    st.session_state.pop("confirm_delete", None)
                    try:
                        wb.delete_article(summary.id, actor=reviewer_name() or "ui")
                        flash("success", "Article deleted.")
                    except WorkbenchError as exc:
                        flash("error", str(exc))
                    st.rerun()
                if answer.button(control_label("Cancel", f"deleting article {name}"), key=f"no-{summary.id}"):
                    st.session_state.pop("confirm_delete", None)
                    st.rerun()
    pager("_library_page", len(articles), "articles")
