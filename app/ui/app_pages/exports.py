"""Report download controls shared by the Article and Dashboard pages (reports are built only on request)."""

from __future__ import annotations

import streamlit as st

from app.errors import WorkbenchError
from app.workbench import Workbench

FORMATS = {
    "md": ("Markdown", "text/markdown", "md"),
    "html": ("HTML", "text/html", "html"),
    "csv": ("CSV", "text/csv", "csv"),
    "json": ("JSON", "application/json", "json"),
    "claimreview": ("ClaimReview JSON-LD", "application/ld+json", "jsonld"),
}


def export_controls(wb: Workbench, *, article_ids: list[str] | None, key: str, include_earlier: bool = False) -> None:
    """Build a report on click; offer every format for download and a Markdown preview. `include_earlier`: the
    articles asked for are earlier versions of their sources, reported as such.

    A prepared report is only offered while it still matches: same articles, same toggle, and no change to the
    review store since (a new verdict, a deletion); otherwise the page asks for it to be prepared again."""
    from app.reports import ReportOptions, file_bytes, publisher_notice

    only_reviewed = st.toggle("Only reviewed claims", value=True, key=f"{key}-only-reviewed")
    stamp = (tuple(article_ids) if article_ids is not None else None, only_reviewed, wb.revision())
    if st.button("Prepare report", key=f"{key}-prepare", icon=":material/description:"):
        built: dict[str, str] = {}
        problems: dict[str, str] = {}
        claims = left_out = 0
        try:
            options = ReportOptions(
                only_reviewed=only_reviewed, article_ids=article_ids, include_earlier=include_earlier
            )
            report = wb.report(options)
            claims, left_out = report.claim_count, report.earlier_left_out
            for fmt in FORMATS if claims else ():
                try:
                    built[fmt] = wb.render(report, fmt)
                except WorkbenchError as exc:
                    problems[fmt] = str(exc)
        except WorkbenchError as exc:
            problems = dict.fromkeys(FORMATS, str(exc))
        st.session_state[f"{key}-report"] = (stamp, claims, built, problems, left_out)
    prepared = st.session_state.get(f"{key}-report")
    if not prepared:
        st.caption("Press **Prepare report** to build Markdown, HTML, CSV, JSON and ClaimReview exports.")
        return
    made_for, claims, built, problems, left_out = prepared
    if left_out and made_for == stamp:
        st.caption(
            f"Left out: {left_out} claim(s) of earlier versions of re-ingested articles (their quotes are text the "
            "source no longer has)."
        )
    if made_for != stamp:
        st.info(
            "The claims, reviews or this selection changed since the report was prepared; press **Prepare report** "
            "to build it again.",
            icon=":material/update:",
        )
        return
    if not claims and not problems:
        st.info(
            "No reviewed claims to report yet: review some first, or switch off **Only reviewed claims**."
            if only_reviewed
            else "There are no claims to report; extract claims first."
        )
        return
    name = f"claimdesk-report-{article_ids[0]}" if article_ids and len(article_ids) == 1 else "claimdesk-report"
    cols = st.columns(len(FORMATS))
    for col, (fmt, (label, mime, ext)) in zip(cols, FORMATS.items(), strict=True):
        if fmt in built:
            col.download_button(
                label,
                file_bytes(built[fmt], fmt),
                file_name=f"{name}.{ext}",
                mime=mime,
                key=f"{key}-dl-{fmt}",
            )
        else:
            col.button(label, disabled=True, key=f"{key}-dl-{fmt}", help=problems.get(fmt))
    for message in dict.fromkeys(problems.values()):
        labels = ", ".join(FORMATS[f][0] for f, m in problems.items() if m == message)
        st.warning(f"{labels}: {_shortened(message)}")
    notice = publisher_notice(wb.settings.publisher_name) if built else None
    if notice:
        st.warning(f"Markdown and HTML: {notice}", icon=":material/badge:")
    if "md" in built:
        st.caption("Markdown preview (shown as source, so nothing in an article can run or link here)")
        st.code(built["md"], language="markdown", wrap_lines=True, height=320)


def _shortened(message: str, limit: int = 600) -> str:
    """A refusal that lists every claim at fault (thousands, with "only reviewed" off) cut to a readable head."""
    if len(message) <= limit:
        return message
    head = message[:limit].rsplit(";", 1)[0].rsplit(" ", 1)[0]
    return f"{head} … (cut at {limit} of {len(message):,} characters; `claimdesk export` prints it in full)"
