"""Find a model's quote in the article it came from, so every claim points at verbatim text.

A quote is first looked up exactly; failing that, both sides are normalised (whitespace runs, NBSP, curly and
straight quotes, dashes, invisible characters, the ellipsis character) and the match is mapped back to the exact offsets of the ORIGINAL text, so
`article_text[start:end]` is what the reviewer sees highlighted.
"""

from __future__ import annotations

import re

# One character in, one character out: the normalised text keeps a per-character map to the original.
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)
_WRAPPING = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb "
# Invisible characters a model never writes: soft hyphen, zero-width space / joiners, word joiner, BOM.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


# A word broken by a hyphen at a line's end, as a PDF's text layer has it: "mil-\nlion".
_BROKEN_AT_LINE_END = re.compile(r"(?<=[^\W\d_])-[ \t]*\n\s*(?=[a-z])")


def normalize_with_offsets(text: str, *, join_broken_words: bool = False) -> tuple[str, list[int]]:
    """Fold quotes/dashes, drop invisible characters, spell "…" as "...", and collapse whitespace runs to one
    space (with `join_broken_words`, also write a word broken at a line's end whole: "mil-\nlion" -> "million");
    `offsets[i]` is where char i came from."""
    out: list[str] = []
    offsets: list[int] = []
    in_space = False
    dropped: set[int] = set()
    if join_broken_words:
        for m in _BROKEN_AT_LINE_END.finditer(text):
            dropped.update(range(m.start(), m.end()))
    for i, ch in enumerate(text):
        if ch in _INVISIBLE or i in dropped:
            continue
        if ch == "\u2026":
            out.extend("...")
            offsets.extend((i, i, i))
            in_space = False
            continue
        if ch.isspace():
            if not in_space:
                out.append(" ")
                offsets.append(i)
            in_space = True
            continue
        in_space = False
        out.append(ch.translate(_FOLD))
        offsets.append(i)
    return "".join(out), offsets


def _all_matches(haystack: str, needle: str) -> list[int]:
    found: list[int] = []
    at = haystack.find(needle)
    while at != -1:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def _pick(starts: list[int], near: int | None) -> int:
    if near is None:
        return starts[0]
    return min(starts, key=lambda s: (abs(s - near), s))


def _locate(
    article_text: str, quote: str, near: int | None, folded: tuple[str, list[int]] | None
) -> tuple[int, int] | None:
    starts = _all_matches(article_text, quote)
    if starts:
        start = _pick(starts, near)
        return start, start + len(quote)
    spans = _normalised_spans(article_text, quote, folded or normalize_with_offsets(article_text))
    if not spans:
        return None
    start = _pick([s for s, _ in spans], near)
    return next(span for span in spans if span[0] == start)


def _normalised_spans(
    article_text: str, quote: str, folded: tuple[str, list[int]], *, join_broken_words: bool = False
) -> list[tuple[int, int]]:
    norm_quote = normalize_with_offsets(quote, join_broken_words=join_broken_words)[0].strip()
    if not norm_quote:
        return []
    norm_text, offsets = folded
    return [(offsets[s], offsets[s + len(norm_quote) - 1] + 1) for s in _all_matches(norm_text, norm_quote)]


def quote_spans(article_text: str, quote: str) -> list[tuple[int, int]]:
    """Every span where `quote` occurs in `article_text`, exactly or after normalising, in text order (a quote
    wrapped in quotation marks the article lacks is looked up without them when it is not found as given)."""
    stripped = quote.strip()
    if not stripped:
        return []
    folded = normalize_with_offsets(article_text)
    for candidate in dict.fromkeys((stripped, stripped.strip(_WRAPPING))):
        if not candidate:
            continue
        spans = {s: (s, s + len(candidate)) for s in _all_matches(article_text, candidate)}
        for span in _normalised_spans(article_text, candidate, folded):
            spans.setdefault(span[0], span)
        if spans:
            return [spans[s] for s in sorted(spans)]
    # A model quoting a PDF writes "6.2 million" for its text layer's "6.2 mil-\nlion": looked up with such words whole.
    if "-" in article_text and "\n" in article_text:
        joined = normalize_with_offsets(article_text, join_broken_words=True)
        return sorted(set(_normalised_spans(article_text, stripped, joined, join_broken_words=True)))
    return []


def locate_quote(article_text: str, quote: str, *, near: int | None = None) -> tuple[int, int] | None:
    """Span (start, end) of `quote` in `article_text`, exact or after normalising; nearest to `near` wins."""
    stripped = quote.strip()
    if not stripped:
        return None
    folded: tuple[str, list[int]] | None = None
    found = _locate(article_text, stripped, near, folded)
    if found is None:
        # Models often wrap a quote in quotation marks the article does not have around it.
        unwrapped = stripped.strip(_WRAPPING)
        if unwrapped and unwrapped != stripped:
            folded = normalize_with_offsets(article_text)
            found = _locate(article_text, unwrapped, near, folded)
    return found


_MAGNITUDE = re.compile(r"\s*(?:million|billion|trillion|thousand|percent|per cent|%|bn\b|mn\b)", re.IGNORECASE)


def cuts_a_token(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` starts or ends inside a word or a number, or ends on a figure whose magnitude it
    leaves out: "$40" of "$40.5 million", "hits 3." of "hits 3.0 percent", "$310" of "$310 million". Such a quote is
    verbatim and still says something the article does not."""

    def inside(i: int) -> bool:
        if i <= 0 or i >= len(text):
            return False
        a, b = text[i - 1], text[i]
        if a.isalnum() and b.isalnum():
            return True
        if a in ".," and b.isdigit() and i >= 2 and text[i - 2].isdigit():
            return True  # "3.|0"
        return b in ".," and a.isdigit() and i + 1 < len(text) and text[i + 1].isdigit()  # "40|.5"

    ends_on_figure = end > start and text[end - 1].isdigit() and _MAGNITUDE.match(text, end) is not None
    return inside(start) or inside(end) or ends_on_figure


def too_short(quote: str) -> bool:
    """A quote of fewer than two words ("0.", "Harlow") states nothing checkable on its own."""
    return len(re.findall(r"[^\W\d_]{2,}", quote)) < 2


_WORD = re.compile(r"\w+(?:[.,']\w+)*")
# How much of a claim's sentence a passage must repeat word for word to be called a copy of it: the whole sentence
# (of at least ECHO_MIN_WORDS words), or a run of that many words that is most of the sentence.
ECHO_MIN_WORDS = 6
ECHO_SHARE = 0.6


def _words(text: str) -> list[str]:
    return _WORD.findall(normalize_with_offsets(text)[0].lower())


def _longest_run(said: list[str], other: list[str]) -> int:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, said, other, autojunk=False).find_longest_match(0, len(said), 0, len(other)).size


def _share(words: int) -> int:
    """The run of words in a row that makes a text of `words` words a copy: ECHO_SHARE of it, at least
    ECHO_MIN_WORDS."""
    return max(ECHO_MIN_WORDS, round(ECHO_SHARE * words))


def _echo(said: list[str], other: list[str]) -> int:
    """echoed_words over word lists already made."""
    if len(said) < 4 or not other:
        return 0
    run = _longest_run(said, other)
    needed = len(said) if len(said) < ECHO_MIN_WORDS else _share(len(said))
    return run if run >= needed else 0


def echoed_words(quote: str, passage: str) -> int:
    """How many words of `quote` the passage repeats in a row, when that makes the passage a copy of the claim's
    sentence (a syndicated or republished story, a press release, a quote passed on), else 0. A copy is not
    independent evidence: it says only that the same words were printed twice."""
    return _echo(_words(quote), _words(passage))


_QUOTED = re.compile(r"\"([^\"]{12,})\"")


def echo_note(quote: str, passage: str) -> str | None:
    """What to tell a reviewer about a passage that repeats the claim's words (see echoed_words), or None. When
    the words repeated are a quotation in both, the passage is another report of what was said: it confirms the
    words were said, not that they are true; otherwise it is probably the same story printed again."""
    folded = normalize_with_offsets(passage)[0]
    other = _WORD.findall(folded.lower())
    n = _echo(_words(quote), other)
    if not n:
        return None
    quoted = " ".join(_QUOTED.findall(normalize_with_offsets(quote)[0]))
    if quoted and '"' in folded and _longest_run(_words(quoted), other) >= n - 2:
        return (
            f"Repeats {n} words of the claim's quotation in a row: another report of the same words, which confirms "
            "they were said, not that they are true."
        )
    return (
        f"Repeats {n} words of the claim's sentence in a row: probably the same story (republished, a wire copy or "
        "a press release), not independent evidence."
    )


# Two passages that share this many words in a row are one story printed twice (a wire copy, a republication).
COPY_RUN_WORDS = 20


def copied_run(passage: str, earlier: str) -> int:
    """How many words `passage` repeats in a row from `earlier` when that makes it a copy of it (at least
    COPY_RUN_WORDS, or most of the shorter of the two), else 0."""
    mine, theirs = _words(passage), _words(earlier)
    if not mine or not theirs:
        return 0
    run = _longest_run(mine, theirs)
    return run if run >= min(COPY_RUN_WORDS, _share(min(len(mine), len(theirs)))) else 0
