"""Claims from PDFs: the hand-labelled articles typeset as PDF reports, extracted with pages known and without.

Each article of bench/labelled (sets 1-4, 38 articles) is laid out as a PDF the way a report prints: its title,
then lines of at most --width characters, long words hyphenated at a line's end, --lines lines a page, a running
header ("Wendmoor Gazette | Reports") at every page's top and a footer ("<title's first words>   Page N of M") at
its foot. The PDF goes through the
product's loader (`retrieval.loaders.load_bytes`, pypdf's text layer), then scorer-only extraction (no LLM) runs
twice on it: with the page starts the loader records ("pages known", this version) and with them removed ("no
pages": what every PDF got before pages were recorded; the same text), and once on the article as plain text (the
upper bound: no layout to undo). Prints, per run:

- claims, and those that are only a header or footer;
- check-worthy labelled sentences found whole: the label's sentence (whitespace collapsed) inside one claim's
  quote read without headers and footers and with its line-end hyphens joined, of all the labels' check-worthy
  sentences (a sentence cut by a page break is found whole only if one claim spans the break);
- statements that still carry a line break or a line-end hyphen ("mil- lion");
- median seconds per article (--reps runs).

    .venv/bin/python bench/pdf_reports.py
    .venv/bin/python bench/pdf_reports.py --width 60 --lines 20
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "tests"))

_BROKEN = re.compile(r"\w-\s+[a-z]|\n")


def typeset(text: str, width: int, lines_per_page: int) -> list[list[str]]:
    """`text` as printed pages: its title, then its paragraphs wrapped at `width`, long words hyphenated at the
    line's end; a running header (the publisher's) and a footer (the title, shortened, and the page) on each page."""
    title, _, body = text.partition("\n")
    lines: list[str] = [title]
    for paragraph in (p for p in body.split("\n") if p.strip()):
        line = ""
        for word in paragraph.split():
            room = width - len(line) - (1 if line else 0)
            if len(word) <= room:
                line = f"{line} {word}" if line else word
                continue
            if len(word) >= 8 and room >= 4 and word[: room - 1].isalpha() and word[room - 1 : room + 1].isalpha():
                lines.append(f"{line} {word[: room - 1]}-" if line else f"{word[: room - 1]}-")
                line = word[room - 1 :]
                continue
            lines.append(line)
            line = word
        if line:
            lines.append(line)
    body_lines = lines_per_page - 2
    chunks = [lines[i : i + body_lines] for i in range(0, len(lines), body_lines)] or [[]]
    head, foot = "Wendmoor Gazette | Reports", " ".join(title.split()[:5])
    return [[head, *chunk, f"{foot}     Page {n} of {len(chunks)}"] for n, chunk in enumerate(chunks, 1)]


def latin1(chars: str) -> str:
    """`chars` as the PDF's standard font can show them (Latin-1; anything else becomes "?")."""
    return chars.encode("latin-1", "replace").decode("latin-1")


def fold(chars: str) -> str:
    """`chars` with its whitespace collapsed, for comparing."""
    return " ".join(chars.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=75, help="characters a line")
    parser.add_argument("--lines", type=int, default=30, help="lines a page, header and footer included")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()

    from helpers_pdf import pdf_with_pages

    from app.checkworthiness import CheckworthinessScorer
    from app.config import Settings
    from app.extraction import build_extractor, flowing
    from app.page_reading import quote_as_read
    from retrieval.loaders import load_bytes
    from retrieval.pages import furniture_spans, only_furniture

    settings = Settings()
    scorer = CheckworthinessScorer.load(threshold=settings.extraction_threshold)
    extractor = build_extractor(settings, None, scorer)
    sets = sorted((HERE / "bench" / "labelled").glob("set*"))
    rows: dict[str, dict[str, float]] = {}
    pages_total = 0
    for path in sorted(p for s in sets for p in (s / "articles").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        pages = [[latin1(line) for line in page] for page in typeset(text, args.width, args.lines)]
        article = load_bytes(f"{path.stem}.pdf", pdf_with_pages(pages), max_bytes=10**8)
        pages_total += len(article.page_starts)
        labels = [
            json.loads(x) for x in (path.parent.parent / "labels" / f"{path.stem}.jsonl").read_text().splitlines()
        ]
        wanted = [fold(latin1(x["sentence"])) for x in labels if x["checkworthy"]]
        spans = furniture_spans(article.text, article.page_starts)
        plain = load_bytes(path.name, latin1(text).encode("utf-8"), max_bytes=10**8)
        runs = (
            ("pages known", article),
            ("no pages", article.model_copy(update={"page_starts": ()})),
            ("the same articles as .txt (no PDF)", plain),
        )
        for name, variant in runs:
            times, claims = [], []
            for _ in range(args.reps):
                started = time.perf_counter()
                claims = extractor.extract(variant).claims
                times.append(time.perf_counter() - started)
            read = [fold(flowing(quote_as_read(variant, c.start, c.end), variant.text)) for c in claims]
            row = rows.setdefault(name, {"claims": 0, "furniture": 0, "found": 0, "wanted": 0, "broken": 0, "s": 0.0})
            row["claims"] += len(claims)
            if variant is not plain:
                row["furniture"] += sum(only_furniture(spans, article.text, c.start, c.end) for c in claims)
            row["found"] += sum(any(w in r for r in read) for w in wanted)
            row["wanted"] += len(wanted)
            row["broken"] += sum(bool(_BROKEN.search(c.statement)) for c in claims)
            row.setdefault("times", []).append(statistics.median(times))  # type: ignore[attr-defined]
    print(
        f"{len(list(p for s in sets for p in (s / 'articles').glob('*.txt')))} articles as PDFs, {pages_total} pages "
        f"({args.width} characters a line, {args.lines} lines a page)"
    )
    print()
    print(
        "| run | claims | only a header or footer | check-worthy sentences found whole | statements with a line break or line-end hyphen | median s / article |"
    )
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        times = row.pop("times")  # type: ignore[call-overload]
        print(
            f"| {name} | {row['claims']:.0f} | {row['furniture']:.0f} | {row['found']:.0f} / {row['wanted']:.0f} | "
            f"{row['broken']:.0f} | {statistics.median(times):.3f} |"
        )


if __name__ == "__main__":
    main()
