"""Turn files, folders, uploads and URLs into Articles; every bad input is a SourceError with a reason."""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from retrieval.errors import SourceError
from retrieval.models import Article, content_id

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_TEXT = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
_HTML = {".html", ".htm"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass
class Loaded:
    """An article plus notes worth telling the user (e.g. an encoding fallback)."""

    article: Article
    notes: list[str] = field(default_factory=list)


@dataclass
class Expansion:
    """Sources to load after expanding folders, and the folder entries skipped (hidden or unsupported)."""

    sources: list[str]
    skipped: list[str]
    reasons: dict[str, str] = field(default_factory=dict)  # skipped path -> why, in words for the user

    def reason(self, path: str) -> str:
        """Why `path` was skipped."""
        return self.reasons.get(path, "skipped")


def is_url(source: str) -> bool:
    """Whether `source` looks like a URL (any scheme) rather than a local path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source) is not None


def expand_sources_detailed(sources: Sequence[str]) -> Expansion:
    """Expand folders recursively into supported files (sorted); hidden and unsupported entries are skipped."""
    out: list[str] = []
    skipped: list[str] = []
    reasons: dict[str, str] = {}
    unsupported = f"not a supported type ({', '.join(SUPPORTED_SUFFIXES)})"
    for src in sources:
        path = Path(src)
        if is_url(src) or not path.is_dir():
            out.append(src)
            continue
        for p in sorted(path.rglob("*")):
            rel = p.relative_to(path)
            if any(part.startswith(".") for part in rel.parts):
                if p.is_file():
                    skipped.append(str(p))
                    reasons[str(p)] = "hidden"
                continue
            if not p.is_file():
                continue
            if p.suffix.lower() in SUPPORTED_SUFFIXES:
                out.append(str(p))
            else:
                skipped.append(str(p))
                reasons[str(p)] = unsupported
    return Expansion(out, skipped, reasons)


def expand_sources(sources: Sequence[str]) -> list[str]:
    """Expand folders recursively into supported files, sorted; hidden and other files are left out."""
    return expand_sources_detailed(sources).sources


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(head) * 0.1


def decode_text(source: str, data: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """Decode bytes: BOM, then the declared charset or UTF-8 strictly, then cp1252/latin-1 with a note."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), []
            except UnicodeDecodeError as exc:
                raise SourceError(source, f"undecodable: has a {enc} byte-order mark but invalid bytes") from exc
    if _looks_binary(data):
        raise SourceError(source, "looks like a binary file, not text; convert it to .txt, .html or .pdf first")
    for enc in [e for e in (declared, "utf-8") if e]:
        try:
            return data.decode(enc), []
        except (UnicodeDecodeError, LookupError):
            continue
    for enc in ("cp1252", "latin-1"):
        try:
            return data.decode(enc), [f"not valid UTF-8; decoded as {enc} (check special characters)"]
        except UnicodeDecodeError:
            continue
    raise SourceError(source, "undecodable text")  # pragma: no cover - latin-1 decodes any bytes


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _require_text(source: str, text: str) -> None:
    if not text.strip():
        raise SourceError(source, "no text: the file is empty or whitespace only")


def _first_line_title(text: str, fallback: str) -> str:
    for line in text.split("\n"):
        title = line.strip().lstrip("#").strip()
        if title:
            return title[:300]
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


def _parse_text(source: str, data: bytes, content_type: str, declared: str | None) -> Loaded:
    text, notes = decode_text(source, data, declared)
    text = _normalise(text)
    _require_text(source, text)
    return Loaded(_article(source, _first_line_title(text, _name_title(source)), text, content_type), notes)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _parse_html(source: str, data: bytes, declared: str | None) -> Loaded:
    import trafilatura

    if declared is None and (m := _META_CHARSET.search(data[:4096])):
        declared = m.group(1).decode("ascii", "ignore")
    html, notes = decode_text(source, data, declared)
    _require_text(source, html)
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    text = _normalise(getattr(doc, "text", None) or "") if doc is not None else ""
    if not text.strip():
        # trafilatura gives up on very short pages; its baseline still drops scripts and styles
        text = _normalise(trafilatura.html2txt(html) or "")
    if not text.strip():
        raise SourceError(source, "no readable text in this HTML page")
    title = (getattr(doc, "title", None) or "").strip() if doc is not None else ""
    published = _parse_date(getattr(doc, "date", None)) if doc is not None else None
    return Loaded(
        _article(source, title or _first_line_title(text, _name_title(source)), text, "text/html", published),
        notes,
    )


def _parse_pdf(source: str, data: bytes) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PyPdfError, ValueError, KeyError, OSError, NotImplementedError) as exc:
        raise SourceError(source, f"not a readable PDF ({exc}); re-export it or save it as text") from exc
    text = _normalise("\n\n".join(p.strip("\n") for p in pages))
    if not text.strip():
        raise SourceError(source, "PDF has no text layer; run OCR first (e.g. ocrmypdf) and ingest the result")
    title = str(meta_title).strip() or _first_line_title(text, _name_title(source))
    return Loaded(_article(source, title, text, "application/pdf"), [])


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
        return _parse_pdf(source, data)
    if kind == "html":
        return _parse_html(source, data, declared)
    return _parse_text(source, data, kind, declared)


def _too_large(size: int, max_bytes: int) -> str:
    return f"too large ({size:,} bytes; the limit is {max_bytes:,}); raise CLAIMDESK_MAX_SOURCE_BYTES or split it"


def read_bytes(name: str, data: bytes, *, max_bytes: int) -> Loaded:
    """Parse uploaded bytes by file name (with notes)."""
    if len(data) > max_bytes:
        raise SourceError(name, _too_large(len(data), max_bytes))
    kind = _kind_from_name(name)
    if kind is None:
        raise SourceError(name, f"unsupported file type; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    return _parse(name, data, kind)


def load_bytes(name: str, data: bytes, *, max_bytes: int) -> Article:
    """Parse uploaded bytes into an Article, choosing the parser by file name."""
    return read_bytes(name, data, max_bytes=max_bytes).article


def _read_file(source: str, max_bytes: int) -> Loaded:
    path = Path(source)
    if not path.exists():
        raise SourceError(source, "no such file or folder")
    if path.is_dir():
        raise SourceError(source, "is a folder; pass it to ingest, which expands folders")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(source, _too_large(size, max_bytes))
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(source, f"cannot read the file ({exc.strerror or exc})") from exc
    return read_bytes(source, data, max_bytes=max_bytes)


def _kind_from_content_type(content_type: str) -> str | None:
    ct = content_type.split(";")[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return "html"
    if ct == "application/pdf":
        return "pdf"
    if ct in ("text/plain", "text/markdown", "text/x-markdown"):
        return "text/markdown" if "markdown" in ct else "text/plain"
    return None


def _fetch(url: str, max_bytes: int, timeout: float) -> Loaded:
    import httpx

    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise SourceError(url, f"unsupported URL scheme '{scheme}'; only http and https URLs can be fetched")
    try:
        with (
            httpx.Client(follow_redirects=True, timeout=timeout, headers={"User-Agent": "claimdesk/0.1"}) as client,
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
    except httpx.TimeoutException as exc:
        raise SourceError(url, f"timed out after {timeout:g}s; try again or raise CLAIMDESK_URL_TIMEOUT") from exc
    except httpx.HTTPError as exc:
        raise SourceError(url, f"could not fetch ({type(exc).__name__}: {exc}); check the URL and network") from exc
    data = bytes(buf)
    kind = _kind_from_content_type(content_type) or _kind_from_name(url)
    if kind is None:
        if data.lstrip()[:5] == b"%PDF-":
            kind = "pdf"
        elif re.search(rb"<html|<!doctype html", data[:1024], re.IGNORECASE):
            kind = "html"
        else:
            raise SourceError(url, f"unsupported content type '{content_type or 'unknown'}'")
    return _parse(url, data, kind, charset)


def read_source(source: str, *, max_bytes: int, timeout: float) -> Loaded:
    """Load one file or URL into an Article, with notes."""
    if is_url(source):
        return _fetch(source, max_bytes, timeout)
    return _read_file(source, max_bytes)


def load_source(source: str, *, max_bytes: int, timeout: float) -> Article:
    """Load one file or http(s) URL into an Article; SourceError says why when it cannot."""
    return read_source(source, max_bytes=max_bytes, timeout=timeout).article
