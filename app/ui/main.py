"""claimdesk's Streamlit entry script: page config and navigation; the pages live in app_pages/."""

from __future__ import annotations

import streamlit as st

from app.ui.app_pages.common import LABEL_STYLE, OPEN_NAMES_SCRIPT

st.set_page_config(page_title="claimdesk", page_icon=":material/fact_check:", layout="wide")
st.html(LABEL_STYLE)  # a style only: drawn out of the page's flow, on every page
st.html(OPEN_NAMES_SCRIPT, unsafe_allow_javascript=True)

pages = [
    st.Page("app_pages/library.py", title="Library", icon=":material/library_books:", default=True),
    st.Page("app_pages/article.py", title="Article", icon=":material/article:"),
    st.Page("app_pages/review.py", title="Review", icon=":material/rate_review:"),
    st.Page("app_pages/dashboard.py", title="Dashboard", icon=":material/monitoring:"),
]
st.navigation(pages).run()
