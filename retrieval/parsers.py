"""Per-format parsing of a source's bytes into an Article: plain text, Markdown, HTML and PDF, with its title and
publication date; also which parser a file name or content type calls for, and `is_url` (a source's title comes from
its file name or URL path)."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from retrieval.decoding import controls_note, decode_text, meta_charset, strip_controls
from retrieval.errors import SourceError
from retrieval.hostile import drop_hidden, hidden_note, instructions_note
from retrieval.models import Article, content_id
from retrieval.pages import joined_pages, printed_labels

_log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_TEXT = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
_HTML = {".html", ".htm"}
# A page whose main text has no line of at least this many words is navigation or boilerplate, not an article.
MIN_HTML_LINE_WORDS = 3
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:(.*?)\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


@dataclass
class Loaded:
    """An article plus notes worth telling the user (e.g. an encoding fallback)."""

    article: Article
    notes: list[str] = field(default_factory=list)


def is_url(source: str) -> bool:
    """Whether `source` looks like a URL (any scheme) rather than a local path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source) is not None


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _require_text(source: str, text: str) -> None:
    if not text.strip():
        raise SourceError(source, "no text: the file is empty or whitespace only")


MAX_TITLE_CHARS = 300


def _first_line_title(text: str, fallback: str) -> str:
    """The first non-blank line (Markdown heading marks dropped); a longer one is cut at a word, with an ellipsis."""
    for line in text.split("\n"):
        title = line.strip().lstrip("#").strip()
        if not title:
            continue
        if len(title) <= MAX_TITLE_CHARS:
            return title
        cut = title.rfind(" ", 0, MAX_TITLE_CHARS)
        return title[: cut if cut > MAX_TITLE_CHARS // 2 else MAX_TITLE_CHARS - 1].rstrip() + "…"
    return fallback


def _name_title(name: str) -> str:
    stem = PurePosixPath(urlsplit(name).path if is_url(name) else name).stem
    return stem.replace("_", " ").replace("-", " ").strip() or name


def _article(
    source: str,
    title: str,
    text: str,
    content_type: str,
    published: datetime | None = None,
    page_starts: tuple[int, ...] = (),
    page_labels: tuple[str, ...] = (),
) -> Article:
    return Article(
        id=content_id(text),
        title=title,
        source=source,
        text=text,
        published=published,
        ingested_at=datetime.now(UTC),
        content_type=content_type,
        page_starts=page_starts,
        page_labels=page_labels if page_starts else (),
    )


def _front_matter_title(block: str) -> str:
    """The `title:` of a YAML front matter block ('' when absent); only plain and quoted one-line values."""
    m = re.search(r"^title:[ \t]*(.*?)[ \t]*$", block, re.MULTILINE)
    value = m.group(1) if m else ""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\").strip()
    return "" if value in (">", "|", ">-", "|-") else value


_ATX_HEADING = re.compile(r"(?m)^[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")


_MONTH_NAMES = "january february march april may june july august september october november december".split()
_MONTH_WORD = r"(?P<month>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*)\.?"
_DATE_FORMS = (
    r"(?P<iso>\d{4}-\d{2}-\d{2})",
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH_WORD},?\s+(?P<year>\d{{4}})",
    rf"{_MONTH_WORD}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})",
)
# A line that is a date and nothing else, as a copied story carries it under its headline: "Published 5 March
# 2024", "Tuesday, March 5, 2024 10:32 GMT", "Date: 2024-03-05". An "Updated" date is not when the story was written.
_DATE_PREFIX = (
    r"^(?:(?:first\s+)?(?:published|posted|dated?)(?:\s+on)?\s*:?\s*)?"
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
)
_DATE_SUFFIX = (
    r"(?:[\s,|·-]+(?:at\s+)?\d{1,2}(?:[.:]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?(?:\s*[a-z]{2,4}(?:[+-]\d{1,2})?)?)?"
    r"\s*\.?$"
)
_DATE_LINES = tuple(re.compile(_DATE_PREFIX + form + _DATE_SUFFIX, re.IGNORECASE) for form in _DATE_FORMS)
# How many lines from the top a date line may stand on (headline, byline, date).
DATE_LINE_WITHIN = 5


def _date_of(m: re.Match[str]) -> datetime | None:
    try:
        if "iso" in m.groupdict():
            when = datetime.fromisoformat(m.group("iso"))
        else:
            month = next(i for i, name in enumerate(_MONTH_NAMES, 1) if name.startswith(m.group("month").lower()[:3]))
            when = datetime(int(m.group("year")), month, int(m.group("day")))
    except (ValueError, StopIteration):
        return None
    return when.replace(tzinfo=UTC)


def date_line(line: str) -> bool:
    """Whether a line is a date and nothing else ("Published 5 March 2024", "Tuesday, March 5, 2024 10:32 GMT")."""
    return any(pattern.match(line.strip()) for pattern in _DATE_LINES)


def text_date(text: str, front_matter: str = "") -> datetime | None:
    """The publication date a plain-text, Markdown or PDF article states of itself: its front matter's `date:`, or a
    line near the top that is only a date ("Published 5 March 2024"); None otherwise (never a date from a
    sentence of the story, and never one after today)."""
    # front matter: "date: 2024-03-05T10:00:00Z" (the time after the day is dropped), "date: 5 March 2024"
    lines = [
        re.sub(r"^(\d{4}-\d{2}-\d{2})[T ].*$", r"\1", m.group(1).strip())
        for m in re.finditer(r"^[ \t]*date:[ \t]*[\"']?([^\"'\n]*)", front_matter, re.MULTILINE)
    ]
    lines += [line for line in text.split("\n")[: DATE_LINE_WITHIN * 2] if line.strip()][:DATE_LINE_WITHIN]
    for line in lines:
        for pattern in _DATE_LINES:
            m = pattern.match(line.strip())
            when = _date_of(m) if m else None
            if when is not None and when.date() <= datetime.now(UTC).date():
                return when
    return None


def _parse_text(source: str, data: bytes, content_type: str, declared: str | None) -> Loaded:
    text, notes = decode_text(source, data, declared)
    text = _normalise(text)
    title = front_matter = ""
    if content_type == "text/markdown" and (m := _FRONT_MATTER.match(text)):
        # the front matter is metadata, not article text: store what follows it
        front_matter = m.group(1) or ""
        title = _front_matter_title(front_matter)
        text = text[m.end() :]
    if content_type == "text/markdown":
        # "# Title" / "## Section": the marks are markup, not words of the article (a claim quoted them).
        text = _ATX_HEADING.sub(r"\1", text)
    _require_text(source, text)
    title = title or _first_line_title(text, _name_title(source))
    return Loaded(_article(source, title, text, content_type, text_date(text, front_matter)), notes)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _has_article_line(text: str) -> bool:
    return any(len(re.findall(r"\w+", line)) >= MIN_HTML_LINE_WORDS for line in text.split("\n"))


def _parse_html(source: str, data: bytes, declared: str | None) -> Loaded:
    import trafilatura
    from trafilatura.utils import load_html

    html, notes = decode_text(source, data, declared or meta_charset(data))
    _require_text(source, html)
    # Parsed once here so that what the page hides from its readers can be left out before extraction.
    page = load_html(html)
    if page is not None:
        notes += hidden_note(drop_hidden(page))
    # Dates only from the page's metadata (meta tags, JSON-LD, <time>): never a year guessed from the body text.
    date_params = {
        "original_date": True,
        "extensive_search": False,
        "max_date": datetime.now().astimezone().strftime("%Y-%m-%d"),
    }
    source_html: Any = page if page is not None else html
    doc = trafilatura.bare_extraction(
        source_html, with_metadata=True, include_comments=False, date_extraction_params=date_params
    )
    text = _normalise(getattr(doc, "text", None) or "") if doc is not None else ""
    if not text.strip():
        # trafilatura gives up on very short pages; its baseline still drops scripts and styles
        text = _normalise(trafilatura.html2txt(source_html) or "")
    text, removed = strip_controls(text)  # character references such as &#27; come back as controls
    notes += controls_note(removed)
    if not text.strip():
        raise SourceError(source, "no readable text in this HTML page")
    if not _has_article_line(text):
        raise SourceError(source, "no article text in this HTML page (only navigation or boilerplate)")
    title = strip_controls((getattr(doc, "title", None) or "").strip())[0] if doc is not None else ""
    published = _parse_date(getattr(doc, "date", None)) if doc is not None else None
    return Loaded(
        _article(source, title or _first_line_title(text, _name_title(source)), text, "text/html", published),
        notes,
    )


class _DebugRelay(logging.Handler):
    """Passes pypdf's log records on as our debug messages: its warnings about damaged files are not for users."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # pypdf has formatted some messages with mismatched arguments
            message = str(record.msg)
        _log.debug("pypdf: %s", message)


def _quiet_pypdf() -> None:
    logger = logging.getLogger("pypdf")
    if not any(isinstance(h, _DebugRelay) for h in logger.handlers):
        logger.addHandler(_DebugRelay())
        logger.propagate = False


def _short(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    message = lines[0][:150] if lines else ""
    return message or type(exc).__name__


def _page_labels(reader: Any, pages: int) -> tuple[str, ...]:
    """What the PDF calls its pages ("i", "ii", "1" ...) when that is not just their numbers; () when it does not
    say or its labels cannot be read (a damaged label tree costs the labels, not the article)."""
    try:
        return printed_labels([strip_controls(str(label))[0] for label in reader.page_labels], pages)
    except Exception:
        return ()


def _parse_pdf(source: str, data: bytes) -> Loaded:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    _quiet_pypdf()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise SourceError(
                source, "password-protected PDF: remove the password (e.g. qpdf --decrypt) and ingest the result"
            )
        pages, missing = _page_texts(reader)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
        labels = _page_labels(reader, len(pages))
    except SourceError:
        raise
    except DependencyError as exc:
        raise SourceError(source, f"encrypted PDF needs a package that is missing ({_short(exc)})") from exc
    except PyPdfError as exc:
        raise SourceError(source, f"not a readable PDF ({_short(exc)}); re-export it or save it as text") from exc
    except Exception as exc:  # pypdf fails on damaged files with all kinds of errors
        reason = f"damaged: {type(exc).__name__}: {_short(exc)}"
        raise SourceError(source, f"not a readable PDF ({reason}); re-export it or save it as text") from exc
    removed: list[int] = []

    def clean(joined: str) -> str:
        out, count = strip_controls(_normalise(joined))
        removed.append(count)
        return out

    text, starts = joined_pages([p.strip("\n") for p in pages], "\n\n", clean)
    if not text.strip():
        if "undecodable" in missing.values():
            raise SourceError(
                source,
                "PDF text cannot be decoded (its fonts have no character map); run OCR first (e.g. ocrmypdf) and "
                "ingest the result",
            )
        raise SourceError(source, "PDF has no text layer; run OCR first (e.g. ocrmypdf) and ingest the result")
    title = strip_controls(str(meta_title))[0].strip() or _first_line_title(text, _name_title(source))
    # (a report's own date line under its title, as a plain-text article's; never the file's creation date, which a
    # re-export changes)
    published = text_date(text)
    article = _article(source, title, text, "application/pdf", published, page_starts=starts, page_labels=labels)
    return Loaded(article, controls_note(removed[0]) + _missing_pages_note(pages, missing))


# A page whose text is mostly U+FFFD: a font without a character map, whose glyphs pypdf cannot turn into letters.
_UNDECODED_SHARE = 0.3


def _page_texts(reader: Any) -> tuple[list[str], dict[int, str]]:
    """Each page's text, and the (1-based) pages whose text is missing with why: a damaged page (pypdf failed on
    it) or an undecodable one (mostly U+FFFD: left out, as garbage is no article text) costs its own text, not the
    PDF's."""
    texts: list[str] = []
    missing: dict[int, str] = {}
    for n, page in enumerate(reader.pages, 1):
        try:
            text = page.extract_text() or ""
        except Exception:  # pypdf fails on damaged pages with all kinds of errors
            texts.append("")
            missing[n] = "damaged"
            continue
        letters = len(text) - text.count(" ") - text.count("\n")
        if letters >= 10 and text.count("\ufffd") >= _UNDECODED_SHARE * letters:
            text, missing[n] = "", "undecodable"
        texts.append(text)
    return texts, missing


def _page_list(numbers: list[int]) -> str:
    """Page numbers as a reader writes them: [2, 3, 4, 7] -> "2-4, 7"."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _missing_pages_note(pages: list[str], missing: dict[int, str]) -> list[str]:
    """Notes naming a PDF's pages whose text is missing, so a reader knows what claimdesk did not read: pages pypdf
    could not read, pages whose text could not be decoded, and pages without text (scanned, an image, or blank) in a
    PDF that has text elsewhere."""
    notes = []
    damaged = [n for n, why in missing.items() if why == "damaged"]
    if damaged:
        notes.append(f"could not read PDF page(s) {_page_list(damaged)} (damaged): their text is missing")
    undecodable = [n for n, why in missing.items() if why == "undecodable"]
    if undecodable:
        notes.append(
            f"could not decode the text of PDF page(s) {_page_list(undecodable)} (a font without a character map): "
            "left out; run OCR first (e.g. ocrmypdf) to read them"
        )
    empty = [n for n, text in enumerate(pages, 1) if not text.strip() and n not in missing]
    if empty:
        notes.append(
            f"no text on PDF page(s) {_page_list(empty)} of {len(pages)} (scanned, an image, or blank): nothing there "
            "is read; run OCR first (e.g. ocrmypdf) if they hold text"
        )
    return notes


def kind_from_name(name: str) -> str | None:
    """The parser kind for a file name or URL path by its suffix, or None when it is not supported."""
    suffix = PurePosixPath(urlsplit(name).path if is_url(name) else name).suffix.lower()
    if suffix in _HTML:
        return "html"
    if suffix == ".pdf":
        return "pdf"
    if suffix in _TEXT:
        return _TEXT[suffix]
    return None


def kind_from_content_type(content_type: str) -> str | None:
    """The parser kind for an HTTP content type, or None when it is not one we parse."""
    ct = content_type.split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return "html"
    if ct == "application/pdf":
        return "pdf"
    if ct in ("text/plain", "text/markdown", "text/x-markdown"):
        return "text/markdown" if "markdown" in ct else "text/plain"
    return None


def parse(source: str, data: bytes, kind: str, declared: str | None = None) -> Loaded:
    """Parse `data` as `kind` ("html", "pdf", "text/plain" or "text/markdown") into an Article, with notes."""
    if not data:
        raise SourceError(source, "no text: the file is empty")
    if kind == "pdf":
        loaded = _parse_pdf(source, data)
    elif kind == "html":
        loaded = _parse_html(source, data, declared)
    else:
        loaded = _parse_text(source, data, kind, declared)
    loaded.notes += instructions_note(loaded.article.text)
    return loaded
