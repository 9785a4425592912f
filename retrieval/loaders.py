"""Turn files, folders, uploads and URLs into Articles; every bad input is a SourceError with a reason."""

from __future__ import annotations

import io
import logging
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from retrieval.decoding import controls_note, decode_text, meta_charset, strip_controls
from retrieval.errors import SourceError
from retrieval.hostile import drop_hidden, hidden_note, instructions_note
from retrieval.models import Article, content_id

_log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_TEXT = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
_HTML = {".html", ".htm"}
_UNSUPPORTED = f"not a supported type ({', '.join(SUPPORTED_SUFFIXES)})"
# A page whose main text has no line of at least this many words is navigation or boilerplate, not an article.
MIN_HTML_LINE_WORDS = 3
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:(.*?)\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


@dataclass
class Loaded:
    """An article plus notes worth telling the user (e.g. an encoding fallback)."""

    article: Article
    notes: list[str] = field(default_factory=list)


@dataclass
class Expansion:
    """Sources to load after expanding folders, and the folder entries skipped (hidden or unsupported).

    A folder that cannot be listed, or holds no supported file, stays in `sources`: loading it fails with the reason.
    """

    sources: list[str]
    skipped: list[str]
    reasons: dict[str, str] = field(default_factory=dict)  # skipped path -> why, in words for the user

    def reason(self, path: str) -> str:
        """Why `path` was skipped."""
        return self.reasons.get(path, "skipped")


def is_url(source: str) -> bool:
    """Whether `source` looks like a URL (any scheme) rather than a local path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source) is not None


def _folder_entries(root: Path) -> list[tuple[Path, str | None]]:
    """Everything below `root`, sorted, each with why it is skipped (None: load it, and loading says what is wrong).

    Broken links, pipes and devices with a supported suffix, and folders that cannot be listed, are kept for loading
    so that they are reported as failures; links to folders are not followed (no loops).
    """
    found: list[tuple[Path, str | None]] = []
    stack: list[tuple[Path, bool]] = [(root, False)]
    while stack:
        folder, hidden = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            found.append((folder, "hidden" if hidden else None))
            continue
        for entry in entries:
            path = Path(entry.path)
            in_hidden = hidden or entry.name.startswith(".")
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                dir_link = not is_dir and entry.is_symlink() and entry.is_dir()
            except OSError:
                is_dir = dir_link = False
            if is_dir:
                stack.append((path, in_hidden))
            elif in_hidden:
                found.append((path, "hidden"))
            elif dir_link:
                found.append((path, "a link to a folder (links inside folders are not followed; pass it directly)"))
            else:
                found.append((path, None if path.suffix.lower() in SUPPORTED_SUFFIXES else _UNSUPPORTED))
    return sorted(found, key=lambda item: item[0])


def expand_sources_detailed(sources: Sequence[str]) -> Expansion:
    """Expand folders recursively into supported files (sorted); hidden and unsupported entries are skipped."""
    out: list[str] = []
    skipped: list[str] = []
    reasons: dict[str, str] = {}
    for src in sources:
        path = Path(src)
        if is_url(src) or not path.is_dir():
            out.append(src)
            continue
        entries = _folder_entries(path)
        for p, why in entries:
            if why is None:
                out.append(str(p))
            else:
                skipped.append(str(p))
                reasons[str(p)] = why
        if all(why is not None for _, why in entries):
            out.append(src)  # loading it says "no supported files in this folder"
    return Expansion(out, skipped, reasons)


def expand_sources(sources: Sequence[str]) -> list[str]:
    """Expand folders recursively into supported files, sorted; hidden and other files are left out."""
    return expand_sources_detailed(sources).sources


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


def _article(source: str, title: str, text: str, content_type: str, published: datetime | None = None) -> Article:
    return Article(
        id=content_id(text),
        title=title,
        source=source,
        text=text,
        published=published,
        ingested_at=datetime.now(UTC),
        content_type=content_type,
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


def text_date(text: str, front_matter: str = "") -> datetime | None:
    """The publication date a plain-text or Markdown article states of itself: its front matter's `date:`, or a
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
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except SourceError:
        raise
    except DependencyError as exc:
        raise SourceError(source, f"encrypted PDF needs a package that is missing ({_short(exc)})") from exc
    except PyPdfError as exc:
        raise SourceError(source, f"not a readable PDF ({_short(exc)}); re-export it or save it as text") from exc
    except Exception as exc:  # pypdf fails on damaged files with all kinds of errors
        reason = f"damaged: {type(exc).__name__}: {_short(exc)}"
        raise SourceError(source, f"not a readable PDF ({reason}); re-export it or save it as text") from exc
    text, removed = strip_controls(_normalise("\n\n".join(p.strip("\n") for p in pages)))
    if not text.strip():
        raise SourceError(source, "PDF has no text layer; run OCR first (e.g. ocrmypdf) and ingest the result")
    title = strip_controls(str(meta_title))[0].strip() or _first_line_title(text, _name_title(source))
    return Loaded(_article(source, title, text, "application/pdf"), controls_note(removed))


def _kind_from_name(name: str) -> str | None:
    suffix = PurePosixPath(urlsplit(name).path if is_url(name) else name).suffix.lower()
    if suffix in _HTML:
        return "html"
    if suffix == ".pdf":
        return "pdf"
    if suffix in _TEXT:
        return _TEXT[suffix]
    return None


def _parse(source: str, data: bytes, kind: str, declared: str | None = None) -> Loaded:
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


def _too_large(size: int, max_bytes: int) -> str:
    return f"too large ({size:,} bytes; the limit is {max_bytes:,}); raise CLAIMDESK_MAX_SOURCE_BYTES or split it"


def _unsupported_type() -> str:
    return f"unsupported file type; use one of {', '.join(SUPPORTED_SUFFIXES)}"


def read_bytes(name: str, data: bytes, *, max_bytes: int) -> Loaded:
    """Parse uploaded bytes by file name (with notes)."""
    kind = _kind_from_name(name)
    if kind is None:
        raise SourceError(name, _unsupported_type())
    if len(data) > max_bytes:
        raise SourceError(name, _too_large(len(data), max_bytes))
    return _parse(name, data, kind)


def load_bytes(name: str, data: bytes, *, max_bytes: int) -> Article:
    """Parse uploaded bytes into an Article, choosing the parser by file name."""
    return read_bytes(name, data, max_bytes=max_bytes).article


def _special_file(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _not_regular(source: str, mode: int) -> SourceError:
    return SourceError(source, f"not a regular file ({_special_file(mode)}); save its contents to a file first")


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _refuse_folder(source: str, path: Path) -> SourceError:
    """Why a folder cannot be loaded as one source."""
    try:
        with os.scandir(path) as it:
            next(it, None)
    except OSError as exc:
        return SourceError(source, f"cannot open this folder ({_os_reason(exc)})")
    if all(why is not None for _, why in _folder_entries(path)):
        return SourceError(source, f"no supported files in this folder (looked for {', '.join(SUPPORTED_SUFFIXES)})")
    return SourceError(source, "is a folder; pass it to ingest, which expands folders")


def _read_file(source: str, max_bytes: int) -> Loaded:
    # Type, suffix and size are checked before a byte is read: /dev/zero or a pipe must not be read at all.
    path = Path(source)
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise SourceError(source, f"broken link (its target {os.readlink(path)} does not exist)") from exc
        raise SourceError(source, "no such file or folder") from exc
    except OSError as exc:
        raise SourceError(source, f"cannot read it ({_os_reason(exc)})") from exc
    if stat.S_ISDIR(info.st_mode):
        raise _refuse_folder(source, path)
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(source, info.st_mode)
    kind = _kind_from_name(source)
    if kind is None:
        raise SourceError(source, _unsupported_type())
    if info.st_size > max_bytes:
        raise SourceError(source, _too_large(info.st_size, max_bytes))
    try:
        # O_NONBLOCK: should the file have been swapped for a pipe since the check, opening it must not hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise _not_regular(source, mode)
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(source, f"cannot read the file ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:  # it grew since the check
        raise SourceError(source, _too_large(len(data), max_bytes))
    return _parse(source, data, kind)


def _kind_from_content_type(content_type: str) -> str | None:
    ct = content_type.split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return "html"
    if ct == "application/pdf":
        return "pdf"
    if ct in ("text/plain", "text/markdown", "text/x-markdown"):
        return "text/markdown" if "markdown" in ct else "text/plain"
    return None


def _starts_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


class PrivateAddress(Exception):
    """A URL (or a redirect) that points at this machine or a private network, when those are not allowed."""


def _private_address(host: str) -> str | None:
    """The first loopback, private, link-local or otherwise non-public address `host` resolves to, or None."""
    import ipaddress
    import socket

    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return None  # unresolvable: the fetch itself reports it
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            return str(address)
    return None


def _fetch(url: str, max_bytes: int, timeout: float, *, allow_private: bool = True) -> Loaded:
    import httpx

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise SourceError(url, f"not a valid URL ({exc}); check it for typos") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise SourceError(url, f"unsupported URL scheme '{scheme}'; only http and https URLs can be fetched")

    def check(request: httpx.Request) -> None:  # every hop, redirects included
        if not allow_private and (address := _private_address(request.url.host)) is not None:
            raise PrivateAddress(f"{request.url.host} ({address})")

    hooks = {"request": [check]}
    try:
        with (
            httpx.Client(
                follow_redirects=True, timeout=timeout, headers={"User-Agent": "claimdesk/0.1"}, event_hooks=hooks
            ) as client,
            client.stream("GET", url) as resp,
        ):
            if resp.status_code >= 400:
                raise SourceError(url, f"HTTP {resp.status_code} {resp.reason_phrase}; check the URL")
            declared_len = resp.headers.get("content-length")
            if declared_len and declared_len.isdigit() and int(declared_len) > max_bytes:
                raise SourceError(url, _too_large(int(declared_len), max_bytes))
            buf = bytearray()
            for part in resp.iter_bytes():
                buf.extend(part)
                if len(buf) > max_bytes:
                    raise SourceError(url, _too_large(len(buf), max_bytes))
            content_type = resp.headers.get("content-type", "")
            charset = resp.charset_encoding
    except httpx.InvalidURL as exc:
        raise SourceError(url, f"not a valid URL ({exc}); check it for typos") from exc
    except PrivateAddress as exc:
        raise SourceError(
            url,
            f"points at this machine or a private network ({exc}); the workbench does not fetch those "
            "(use `claimdesk ingest URL`, or set CLAIMDESK_ALLOW_PRIVATE_URLS=true)",
        ) from exc
    except httpx.TimeoutException as exc:
        raise SourceError(url, f"timed out after {timeout:g}s; try again or raise CLAIMDESK_URL_TIMEOUT") from exc
    except httpx.HTTPError as exc:
        raise SourceError(url, f"could not fetch ({type(exc).__name__}: {exc}); check the URL and network") from exc
    data = bytes(buf)
    kind = _kind_from_content_type(content_type) or _kind_from_name(url)
    notes: list[str] = []
    if kind == "text/plain" and _starts_like_html(data):
        kind = "html"
        notes.append("served as text/plain but it is an HTML page; read as HTML")
    if kind is None:
        if data.lstrip()[:5] == b"%PDF-":
            kind = "pdf"
        elif re.search(rb"<html|<!doctype html", data[:1024], re.IGNORECASE):
            kind = "html"
        else:
            raise SourceError(url, f"unsupported content type '{content_type or 'unknown'}'")
    loaded = _parse(url, data, kind, charset)
    loaded.notes[:0] = notes
    return loaded


def read_source(source: str, *, max_bytes: int, timeout: float, allow_private: bool = True) -> Loaded:
    """Load one file or URL into an Article, with notes (`allow_private=False`: refuse URLs, and redirects, to
    loopback or private-network addresses)."""
    if is_url(source):
        return _fetch(source, max_bytes, timeout, allow_private=allow_private)
    return _read_file(source, max_bytes)


def load_source(source: str, *, max_bytes: int, timeout: float) -> Article:
    """Load one file or http(s) URL into an Article; SourceError says why when it cannot."""
    return read_source(source, max_bytes=max_bytes, timeout=timeout).article
