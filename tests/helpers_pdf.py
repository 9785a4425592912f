"""PDFs made in memory for the tests: one page per item, each line of it a line of the page's text layer."""

from __future__ import annotations


def _escaped(line: str) -> str:
    """A line as a PDF string's content: backslashes and parentheses escaped."""
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


# Ligature glyphs as a Type 1 font's encoding names them (as LaTeX and many typesetters write PDFs): byte 1 is the
# glyph "fi", and so on. pypdf reads them back as the Unicode ligature characters ("\ufb01").
_LIGATURE_CODES = (("ffi", "\x04"), ("ffl", "\x05"), ("fi", "\x01"), ("fl", "\x02"), ("ff", "\x03"))  # longest first
_LIGATURE_ENCODING = b"<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 /fi /fl /ff /ffi /ffl] >>"


def pdf_with_pages(pages: list[list[str]], *, ligatures: bool = False, page_labels: str = "") -> bytes:
    """A PDF with one page per item, each line of it a line of the page's text layer; with `ligatures`, "fi", "fl",
    "ff", "ffi" and "ffl" are typeset as ligature glyphs; `page_labels` is the catalog's /PageLabels number tree
    (e.g. "0 << /S /r >> 2 << /S /D >>": pages i, ii, then 1, 2 ...)."""
    labels = b" /PageLabels << /Nums [%s] >>" % page_labels.encode() if page_labels else b""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R%s >>" % labels, b""]
    kids = []
    for lines in pages:
        ops = " ".join(f"BT /F1 11 Tf 20 {180 - 16 * i} Td ({_escaped(line)}) Tj ET" for i, line in enumerate(lines))
        if ligatures:
            for letters, code in _LIGATURE_CODES:
                ops = ops.replace(letters, code)
        stream = ops.encode("latin-1", "replace")  # the standard font reads bytes as Latin-1 (WinAnsi)
        page_no = len(objects) + 1
        kids.append(page_no)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 500 200] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page_no + 1, 3 + 2 * len(pages))
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    encoding = _LIGATURE_ENCODING if ligatures else b"/WinAnsiEncoding"
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding %s >>" % encoding)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(pages),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
