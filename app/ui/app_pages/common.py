"""Shared page plumbing: the cached Workbench, flash messages, safe text, the reviewer name. No business logic."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import streamlit as st

from app.config import get_settings
from app.errors import WorkbenchError
from app.highlight import escape_text
from app.workbench import Workbench

if TYPE_CHECKING:
    from app.store import ArticleSummary

EMPTY_LIBRARY = "No articles yet — upload one in **Library**, or run `claimdesk ingest seeds/`."
PAGES = {
    "library": "app_pages/library.py",
    "article": "app_pages/article.py",
    "review": "app_pages/review.py",
    "dashboard": "app_pages/dashboard.py",
}


# The page style for controls' labels (main.py draws it on every page). A label in two paragraphs (control_label):
# the second names what the control acts on for a screen reader, out of sight and out of the layout but kept in the
# accessibility tree (display:none would drop it from the accessible name too); taking no width, it never cuts the
# visible label short.
LABEL_STYLE = """<style>
button [data-testid="stMarkdownContainer"] p + p,
summary [data-testid="stMarkdownContainer"] p + p,
[data-testid="stCheckbox"] [data-testid="stWidgetLabel"] p + p {
  position: absolute !important; width: 1px !important; height: 1px !important; margin: -1px !important;
  padding: 0 !important; border: 0 !important; overflow: hidden !important; clip-path: inset(50%) !important;
  white-space: nowrap !important;
}
/* A button with a keyboard hint (Save & next, "Ctrl + Enter") puts the hint under its label when the two do not fit
   side by side: in the Review page's narrow form column on a tablet the label was broken one letter a line. */
button span[data-has-shortcut="true"] { flex-wrap: wrap; justify-content: center; }
button span[data-has-shortcut="true"] [data-testid="stMarkdownContainer"] p {
  overflow-wrap: normal; word-break: normal;
}
</style>"""
# Every select box's arrow button is named "Open" by Streamlit (and, once a value is picked, its clear button "Clear
# value"), so a screen reader heard "Open" five times on the Review page, none saying which list it opens: each is
# named after its box ("Open Article list", "Clear Article"), again whenever Streamlit draws or renames one.
# Installed once per browser page (main.py).
OPEN_NAMES_SCRIPT = """<script>if (!window.cdOpenNames) { window.cdOpenNames = true;
const cdName = () => document.querySelectorAll('[data-testid="stSelectbox"]').forEach(box => {
  const input = box.querySelector('input[role="combobox"]');
  const label = input && input.getAttribute('aria-label');
  if (!label) return;
  box.querySelectorAll('button').forEach(b => {
    const now = b.getAttribute('aria-label') || '';
    const want = now.startsWith('Open') ? 'Open ' + label + ' list' : now.startsWith('Clear') ? 'Clear ' + label : null;
    if (want && now !== want) b.setAttribute('aria-label', want);
  });
});
new MutationObserver(cdName).observe(document.body,
  {childList: true, subtree: true, attributes: true, attributeFilter: ['aria-label']});
cdName(); }</script>"""
# What may pass from untrusted text into a label: letters, digits, spaces and punctuation that no Markdown construct
# starts with; a colon only before a space or between digits ("said: ", 14:05), as `:x:` is an emoji and `:red[`
# a colour.
_NOT_PLAIN = re.compile(r"(?!(?<=\d):(?=\d)|:(?=\s|$))[^\w\s.,;?'\"‘’“”%()/·—–…£€-]|_")


def plain(text: str, words: int | None = None) -> str:
    """`text` as inert label text on one line, cut to its first `words` words (with "…")."""
    parts = _NOT_PLAIN.sub(" ", text).split()
    if words is not None and len(parts) > words:
        return " ".join(parts[:words]) + "…"
    return " ".join(parts)


def control_label(shown: str, target: str) -> str:
    """A button's, checkbox's or expander's label that shows `shown` and is announced as "`shown` `target`", so a
    screen reader tells apart the Open of every article ("Open article Harbour budget"). The accessible name has to
    be the label itself: Streamlit names a button by its rendered label and a checkbox by its raw label (`help` is a
    tooltip, not the name). `target` goes into the label's second paragraph, which LABEL_STYLE hides from view; it
    is made plain (see plain()) because a checkbox's name is its label as written, Markdown and all."""
    return f"{shown}\n\n{plain(target)}"


@st.cache_resource(show_spinner=False)
def _workbench(settings_key: str) -> Workbench:
    # Keyed by the settings so a changed data dir or model gets its own stores; the object opens them lazily.
    return Workbench(get_settings())


def workbench() -> Workbench:
    """The Workbench for the current settings, shared by every session of this server."""
    if "_workbench_override" in st.session_state:  # benchmarks inject a prepared Workbench
        return st.session_state["_workbench_override"]
    return _workbench(get_settings().model_dump_json())


def flash(kind: str, message: str) -> None:
    """Queue a message to show on the next run (callbacks cannot draw on the page themselves)."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    """Show and clear queued messages, in a container drawn on every run: a message that came and went as the
    page's first element moved every element below it, so the browser redrew them all (the focus went to the
    page, and a long page on a phone lost its scroll position)."""
    slot = st.container()
    for kind, message in st.session_state.pop("_flash", []):
        {"success": slot.success, "warning": slot.warning, "error": slot.error}.get(kind, slot.info)(message)


@contextmanager
def errors_shown() -> Iterator[None]:
    """Turn an expected failure into an st.error with its message, never a traceback."""
    try:
        yield
    except WorkbenchError as exc:
        st.error(str(exc))


def safe(text: str, *, small: bool = False) -> None:
    """Render untrusted text literally (escaped; Markdown and HTML inert)."""
    body = escape_text(text)
    if small:
        body = f'<span style="font-size:0.85em;opacity:0.8">{body}</span>'
    st.markdown(body, unsafe_allow_html=True)


def reviewer_input(container: object = None) -> str:
    """The reviewer's name, kept for the whole session across pages. Not in the page's address: a link sent to a
    colleague would make them save under this name. After a reload it is typed again, and brings back this
    reviewer's unsaved drafts (see the Review page)."""
    target = container if container is not None else st
    target.text_input(  # type: ignore[attr-defined]
        "Reviewer", key="reviewer", persist_state="session", placeholder="Your name (shown in history)"
    )
    return reviewer_name()


def reviewer_name() -> str:
    """The reviewer's name as entered in this session ("" before it is)."""
    return str(st.session_state.get("reviewer") or "").strip()


def open_article(article_id: str) -> None:
    """Go to the Article page showing `article_id`."""
    st.session_state["article_id"] = article_id
    st.switch_page(PAGES["article"])


def review_claim(claim_id: str, article_id: str | None = None) -> None:
    """Go to the Review page on `claim_id`."""
    st.session_state["review_claim"] = claim_id
    if article_id is not None:
        st.session_state["review_filter_article"] = article_id
    st.switch_page(PAGES["review"])


def article_labels(articles: Sequence[ArticleSummary]) -> dict[str, str]:
    """A picker label per article id: its title, plus when it was ingested if another article has the same title
    (two versions of one re-ingested file would otherwise look the same)."""
    counts = Counter(a.title for a in articles)
    return {
        a.id: (a.title if counts[a.title] == 1 else f"{a.title} · ingested {a.ingested_at:%Y-%m-%d %H:%M} · {a.id}")
        + (earlier_mark(a) if a.replaced_by else "")
        for a in articles
    }


def earlier_mark(article: ArticleSummary) -> str:
    """How an earlier version of a source is labelled wherever articles are listed."""
    when = f" {article.replaced_at:%Y-%m-%d}" if article.replaced_at else ""
    return f" · earlier version (replaced{when})"


def earlier_version_note(article: ArticleSummary) -> str:
    """The sentence shown on an earlier version's pages."""
    when = f" on {article.replaced_at:%Y-%m-%d %H:%M} UTC" if article.replaced_at else ""
    return (
        f"Earlier version: its source was ingested again with changed text{when}. Its claims and reviews stay on "
        "record, out of the review queue and reports; their quotes are text the source no longer has."
    )


# Cards drawn at a time where a page can hold hundreds (each card is several widgets; all at once made every click
# take seconds): the Library's articles, an article's claims.
PAGE_SIZE = 50


def page_shown(key: str) -> int:
    """How many items the list under `key` shows now (PAGE_SIZE until "Show more" is pressed)."""
    return int(st.session_state.setdefault(key, PAGE_SIZE))


def show_more_button(key: str, total: int) -> None:
    """A "Show N more (M not shown)" button under a list of `total` items, when some are not shown."""
    shown = page_shown(key)
    if total > shown:
        st.button(
            f"Show {min(PAGE_SIZE, total - shown)} more ({total - shown} not shown)",
            on_click=_show_more,
            args=(key,),
            key=f"more-{key}",
        )


def _show_more(key: str) -> None:
    st.session_state[key] = page_shown(key) + PAGE_SIZE


def page_start(key: str, total: int) -> int:
    """Where the page of PAGE_SIZE items under `key` starts (back to the first page when the list got shorter)."""
    start = int(st.session_state.get(key, 0))
    if not 0 <= start < max(total, 1) or start % PAGE_SIZE:
        start = 0
        st.session_state[key] = 0
    return start


def pager(key: str, total: int, noun: str) -> None:
    """ "Previous 50" / "Next 50" under a list of `total` items shown a page at a time, and where the page is. Pages,
    not a growing list: with every item of a long list drawn, every click redrew them all (3 s at 500 articles)."""
    if total <= PAGE_SIZE:
        return
    start = page_start(key, total)
    end = min(start + PAGE_SIZE, total)
    row = st.container(horizontal=True, vertical_alignment="center")  # wraps: narrow columns cut the labels
    back = control_label(f"Previous {PAGE_SIZE}", noun)
    row.button(back, key=f"prev-{key}", disabled=start == 0, on_click=_turn, args=(key, start - PAGE_SIZE))
    on = control_label(f"Next {min(PAGE_SIZE, total - end)}", noun)
    row.button(on, key=f"next-{key}", disabled=end >= total, on_click=_turn, args=(key, end))
    row.caption(f"{noun.capitalize()} {start + 1}-{end} of {total}")


def _turn(key: str, start: int) -> None:
    st.session_state[key] = max(0, start)


def llm_label(spec: str) -> str:
    """How an "Extract with" choice reads."""
    return "none — check-worthiness scorer only (fast)" if spec == "none" else spec
