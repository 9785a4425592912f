"""Links to a claim's source: whether a string is a web URL, safe hrefs, and links to a quote in its source.

`source_link` points at the quote itself (a `#:~:text=` text fragment for a web page, `#char=start,end` for a file,
`#page=N` for a PDF with pages);
`safe_href` decides what a generated link may point at. Used by `app.reports` and the renderers beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from urllib.parse import quote, urldefrag, urlsplit

__all__ = ["is_web_url", "page_link", "safe_href", "source_link"]

# Text fragments match whole words; a handful from each end finds a long quote without a huge URL.
_FRAGMENT_WORDS = 6


def is_web_url(value: str) -> bool:
    """Whether `value` is an absolute http(s) URL with a host."""
    parts = urlsplit(value.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def safe_href(link: str) -> str | None:
    """The href to use for a generated link: http(s) as is, absolute file paths as file: URIs, else None.

    Anything else (javascript:, data:, relative paths, pasted text) is shown as text, never linked.
    """
    link = link.strip()
    if is_web_url(link):
        return link
    if link.lower().startswith("file:///"):
        return link
    path, sep, fragment = link.partition("#")
    if path.startswith("/") and "\n" not in path:
        uri = "file://" + quote(str(PurePath(path)), safe="/")
        return uri + (sep + quote(fragment, safe="=,") if sep else "")
    return None


def _fragment_text(words: Sequence[str]) -> str:
    # '-' and ',' are syntax inside a text directive, so they are percent-encoded as well.
    return quote(" ".join(words), safe="").replace("-", "%2D")


def page_link(source: str, page: int) -> str:
    """Link to one page of a PDF, file or URL: `#page=N`, which PDF viewers open at that page."""
    base, _ = urldefrag(source.strip()) if is_web_url(source) else (source, "")
    return f"{base}#page={page}"


def source_link(source: str, quote_text: str, start: int, end: int, page: int | None = None) -> str:
    """Link to the quote in its source: the quote's `page` of a PDF (`#page=N`); else a `#:~:text=` fragment for
    URLs, `#char=start,end` for files (character offsets into a PDF's extracted text would mean nothing there)."""
    if page is not None:
        return page_link(source, page)
    if is_web_url(source):
        base, _ = urldefrag(source.strip())
        words = quote_text.split()
        if not words:
            return base
        if len(words) <= 2 * _FRAGMENT_WORDS:
            directive = _fragment_text(words)
        else:
            directive = _fragment_text(words[:_FRAGMENT_WORDS]) + "," + _fragment_text(words[-_FRAGMENT_WORDS:])
        return f"{base}#:~:text={directive}"
    return f"{source}#char={start},{end}"
