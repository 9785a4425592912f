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


def export_controls(wb: Workbench, *, article_ids: list[str] | None, key: str) -> None:
    """Build a report on click; offer every format for download and a Markdown preview."""
    from app.reports import ReportOptions, file_bytes

    only_reviewed = st.toggle("Only reviewed claims", value=True, key=f"{key}-only-reviewed")
    if st.button("Prepare report", key=f"{key}-prepare", icon=":material/description:"):
        options = ReportOptions(only_reviewed=only_reviewed, article_ids=article_ids)
        built: dict[str, str] = {}
        problems: dict[str, str] = {}
        for fmt in FORMATS:
            try:
                built[fmt] = wb.export(fmt, options)
            except WorkbenchError as exc:
                problems[fmt] = str(exc)
        st.session_state[f"{key}-report"] = (built, problems)
    prepared = st.session_state.get(f"{key}-report")
    if not prepared:
        st.caption("Press **Prepare report** to build Markdown, HTML, CSV, JSON and ClaimReview exports.")
        return
    built, problems = prepared
    cols = st.columns(len(FORMATS))
    for col, (fmt, (label, mime, ext)) in zip(cols, FORMATS.items(), strict=True):
        if fmt in built:
            col.download_button(
                label,
                file_bytes(built[fmt], fmt),
                file_name=f"claimdesk-report.{ext}",
                mime=mime,
                key=f"{key}-dl-{fmt}",
            )
        else:
            col.button(label, disabled=True, key=f"{key}-dl-{fmt}", help=problems.get(fmt))
    for fmt, message in problems.items():
        st.warning(f"{FORMATS[fmt][0]}: {message}")
    if "md" in built:
        st.caption("Markdown preview (shown as source, so nothing in an article can run or link here)")
        st.code(built["md"], language="markdown", wrap_lines=True, height=320)
