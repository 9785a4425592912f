"""Bytes to text for the loaders: byte-order marks, UTF-16 without one, declared charsets checked against the bytes,
a cp1252 fallback, control characters / terminal escape sequences removed and typographic ligatures spelled out.
Every outcome but plain UTF-8 leaves a note for the user; bytes that are not text are a SourceError."""

from __future__ import annotations

import codecs
import re

from retrieval.errors import SourceError

__all__ = ["controls_note", "decode_text", "meta_charset", "strip_controls"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Terminal escape sequences (CSI, OSC/DCS-style strings with their terminator, two-byte escapes), then any other
# C0 control but tab, newline, carriage return and form feed, DEL, and the C1 controls.
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_][^\x07\x1b\n]{0,512}(?:\x07|\x1b\\)"
    r"|\x1b[@-_]"
    r"|[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]"
)
# Typographic ligatures as the letters they join. PDFs typeset with them hand "ﬁnancial oﬃce" to pypdf; a search for
# "financial", the embedder (which reads "ﬁ" as an unknown piece) and a model's quote would all miss the word.
_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
)
_SOFT_HYPHEN_AT_LINE_END = re.compile(r"\u00ad[ \t]*\r?\n[ \t]*(?=\w)")
_BINARY_SHARE = 0.1  # more control characters than this share of the text: a binary file, not text


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(head) * _BINARY_SHARE


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when every other byte is zero, as in mostly-ASCII UTF-16 text."""
    sample = data[:8192]
    if len(data) % 2 or len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= len(odd) * 0.3 and even.count(0) <= len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) >= len(even) * 0.3 and odd.count(0) <= len(odd) * 0.05:
        return "utf-16-be"
    return None


def _codec(name: str | None) -> str | None:
    """The codec's canonical name, or None when unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# Bytes that are not UTF-8, as surrogateescape decodes them; and the characters beyond ASCII that are.
_ESCAPED = re.compile("[\udc80-\udcff]")
_NON_ASCII_UTF8 = re.compile("[^\x00-\x7f\udc80-\udcff]")


def _cp1252_char(byte: int) -> str:
    """One byte as cp1252 reads it (latin-1 for the five it leaves undefined, control characters dropped later)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 text with a few bytes that are not (a cp1252 "café" pasted into a UTF-8 file), those bytes read as
    cp1252, and how many there were; None when the invalid bytes are as many as the valid UTF-8 characters beyond
    ASCII or more: cp1252 text, whose "ß“" can make a valid UTF-8 sequence by chance. Decoding the whole file as cp1252
    had turned every curly quote of such a file into "â€" and dropped the rest as control characters."""
    text = data.decode("utf-8", errors="surrogateescape")
    odd = len(_ESCAPED.findall(text))  # (counted by the regex engine: a 20 MB file char by char in Python took seconds)
    valid = len(_NON_ASCII_UTF8.findall(text))
    if not odd or valid < odd:
        return None
    return _ESCAPED.sub(lambda m: _cp1252_char(ord(m.group(0)) - 0xDC00), text), odd


def _decode(source: str, data: bytes, declared: str | None) -> tuple[str, list[str]]:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), []
            except UnicodeDecodeError as exc:
                raise SourceError(source, f"undecodable: has a {enc} byte-order mark but invalid bytes") from exc
    if (utf16 := _utf16_without_bom(data)) is not None:
        try:
            return data.decode(utf16), [f"no byte-order mark; decoded as {utf16.upper()} (every other byte was zero)"]
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: the binary check below refuses it
    if _looks_binary(data):
        raise SourceError(source, "looks like a binary file, not text; convert it to .txt, .html or .pdf first")
    notes: list[str] = []
    charset = _codec(declared)
    if charset is not None and charset.startswith(("utf-16", "utf-32")):
        # no byte-order mark and no zero bytes: the declaration is wrong (8-bit text cannot be UTF-16)
        notes.append(f"declared {declared} but the bytes are not {charset.upper()}; read as UTF-8")
        charset = None
    if charset is not None and charset != "utf-8" and not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return text, [f"declared {declared} but the bytes are UTF-8; read as UTF-8"]
    for candidate in [e for e in (charset, "utf-8") if e]:
        try:
            return data.decode(candidate), notes
        except UnicodeDecodeError:
            continue
    if (mixed := _mostly_utf8(data)) is not None:
        text, odd = mixed
        return text, [
            *notes,
            f"mostly UTF-8; {odd:,} byte(s) that are not were read as cp1252 (check special characters)",
        ]
    for fallback in ("cp1252", "latin-1"):
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        return text, [*notes, f"not valid UTF-8; decoded as {fallback} (check special characters)"]
    raise SourceError(source, "undecodable text")  # pragma: no cover - latin-1 decodes any bytes


def strip_controls(text: str) -> tuple[str, int]:
    """`text` without terminal escape sequences and control characters (tab and line breaks kept); how many went.

    Soft hyphens go too, uncounted: they are invisible hyphenation hints that would keep "gov\xadern\xadment" from
    matching a search for "government"; one that ends a line broke its word there, and goes with the line break
    ("6.2 mil\xad\nlion", as a PDF's text layer can have it, is "6.2 million"). Typographic ligatures are spelled
    as their letters ("ﬁ" -> "fi") for the same reason."""
    if "\u00ad" in text:
        text = _SOFT_HYPHEN_AT_LINE_END.sub("", text).replace("\u00ad", "")
    text = text.translate(_LIGATURES)
    count = 0

    def drop(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return ""

    return _CONTROLS.sub(drop, text), count


def controls_note(count: int) -> list[str]:
    if not count:
        return []
    return [f"removed {count:,} control character(s) or terminal escape sequence(s)"]


def decode_text(source: str, data: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """Decode bytes (BOM, UTF-16 by its zero bytes, declared charset, UTF-8, cp1252) and drop control characters."""
    text, notes = _decode(source, data, declared)
    cleaned, removed = strip_controls(text)
    if removed > len(text) * _BINARY_SHARE:
        raise SourceError(source, "looks like a binary file, not text; convert it to .txt, .html or .pdf first")
    return cleaned, notes + controls_note(removed)


def meta_charset(data: bytes) -> str | None:
    """The charset an HTML page's <meta> declares in its first 4 KB (utf-16 read as utf-8), or None."""
    m = _META_CHARSET.search(data[:4096])
    if m is None:
        return None
    declared = m.group(1).decode("ascii", "ignore")
    # The HTML standard: a <meta> can only be read if the page is ASCII-compatible, so "utf-16" there means UTF-8.
    return "utf-8" if declared.lower().replace("_", "-").startswith(("utf-16", "utf16")) else declared
