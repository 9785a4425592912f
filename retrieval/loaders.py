"""Turn files, folders, uploads and URLs into Articles; every bad input is a SourceError with a reason.

This module finds and reads the bytes (folder expansion, size caps, regular files only, http(s) fetching); how each
format is parsed, titled and dated is in `retrieval.parsers`.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from retrieval.errors import SourceError
from retrieval.models import Article
from retrieval.parsers import (
    SUPPORTED_SUFFIXES,
    Loaded,
    is_url,
    kind_from_content_type,
    kind_from_name,
    parse,
)

_UNSUPPORTED = f"not a supported type ({', '.join(SUPPORTED_SUFFIXES)})"


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


def _folder_entries(root: Path) -> list[tuple[Path, str | None]]:
    """Everything below `root`, sorted, each with why it is skipped (None: load it, and loading says what is wrong).

    Broken links, pipes and devices with a supported suffix, and folders that cannot be listed, are kept for loading
    so that they are reported as failures; links to folders are not followed (no loops). A hidden folder inside is
    one entry, not searched: `claimdesk ingest .` in a project listed every file of its .git and of the data
    directory, one line each (a folder given by name is searched, hidden or not).
    """
    found: list[tuple[Path, str | None]] = []
    stack: list[Path] = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            found.append((folder, None))
            continue
        for entry in entries:
            path = Path(entry.path)
            hidden = entry.name.startswith(".")
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                dir_link = not is_dir and entry.is_symlink() and entry.is_dir()
            except OSError:
                is_dir = dir_link = False
            if is_dir and hidden:
                found.append((path, "hidden folder, not searched"))
            elif is_dir:
                stack.append(path)
            elif hidden:
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


def _too_large(size: int, max_bytes: int) -> str:
    return f"too large ({size:,} bytes; the limit is {max_bytes:,}); raise CLAIMDESK_MAX_SOURCE_BYTES or split it"


def _unsupported_type() -> str:
    return f"unsupported file type; use one of {', '.join(SUPPORTED_SUFFIXES)}"


def read_bytes(name: str, data: bytes, *, max_bytes: int) -> Loaded:
    """Parse uploaded bytes by file name (with notes)."""
    kind = kind_from_name(name)
    if kind is None:
        raise SourceError(name, _unsupported_type())
    if len(data) > max_bytes:
        raise SourceError(name, _too_large(len(data), max_bytes))
    return parse(name, data, kind)


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
    kind = kind_from_name(source)
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
    return parse(source, data, kind)


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
    kind = kind_from_content_type(content_type) or kind_from_name(url)
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
    loaded = parse(url, data, kind, charset)
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
