"""Hostile article text: HTML a reader of the page never sees, and sentences addressed to an AI model.

Neither is refused. Hidden HTML is left out of the article (a claim quoted from it would be attributed to a page that
never shows it) and a note names it; text written at an AI model stays article text, is never followed (prompts keep
it between delimiters as data), and a note points the reviewer at it.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["addressed_to_ai", "drop_hidden", "hidden_note", "instructions_note"]

# Inline styles that hide an element from every reader of the page. Class-based hiding needs the page's CSS, which
# nothing here evaluates; `aria-hidden` alone is visible text (decoration hidden from screen readers) and stays.
_HIDING_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|font-size\s*:\s*0(?:\.0+)?(?:[a-z%]+)?\s*(?:;|$|!)"
    r"|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$|!)|(?:left|top|text-indent)\s*:\s*-\d{4,}",
    re.IGNORECASE,
)
_HIDDEN_XPATH = "//*[@hidden] | //*[@style] | //template"
_SNIPPET = 80


def drop_hidden(tree: Any) -> list[str]:
    """Remove the elements of an lxml HTML tree that the page hides from every reader (the `hidden` attribute,
    inline display:none / visibility:hidden / zero size or opacity / far off-screen, templates); returns the text
    of each removed element that had any."""
    hidden = [
        el
        for el in tree.xpath(_HIDDEN_XPATH)
        # never the page itself: some pages hide <body> until a script has run, and show it all then
        if el.tag not in ("html", "body")
        and (el.tag == "template" or el.get("hidden") is not None or _HIDING_STYLE.search(el.get("style") or ""))
    ]
    chosen = set(hidden)
    removed: list[str] = []
    for el in hidden:
        if any(up in chosen for up in el.iterancestors()):
            continue  # goes with its hidden ancestor
        text = " ".join(el.text_content().split())
        el.drop_tree()  # lxml.html: the text after the element stays, joined to what came before it
        if text:
            removed.append(text)
    return removed


def hidden_note(removed: list[str]) -> list[str]:
    """A note naming what the page hid and the article leaves out."""
    if not removed:
        return []
    first = _clip(removed[0])
    more = f" and {len(removed) - 1:,} more" if len(removed) > 1 else ""
    return [
        f"left out {len(removed):,} passage(s) the page hides from its readers (hidden or styled invisible): "
        f"“{first}”{more}"
    ]


# Phrases that only make sense addressed to a language model: the usual injection openings and the chat-template
# markers of common model families. Kept narrow: a false alarm on an article about AI costs a glance, no more.
_TO_AI = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:(?:all|any|the|your|of|these|those)\s+)*"
    r"(?:previous|prior|above|earlier|preceding|former|system|original)\s+"
    r"(?:instructions?|prompts?)\b"
    r"|\b(?:new|updated|real)\s+(?:system\s+)?instructions?\s*:"
    r"|\b(?:AI|LLM|language model|chatbot|assistant)s?(?:\s+(?:systems?|models?|tools?|agents?|assistants?))?\s+"
    r"(?:reading|processing|summari[sz]ing|analy[sz]ing)\s+"
    r"(?:this|the)\s+(?:article|text|page|document)\b"
    r"|<\|im_(?:start|end)\|>|<\|(?:system|assistant|user|endoftext|eot_id)\|>|\[/?INST\]|<</?SYS>>"
    r"|</?(?:article|sentence|system|instructions?)>",
    re.IGNORECASE,
)


def addressed_to_ai(text: str) -> list[tuple[int, int]]:
    """Character spans of phrases in `text` that read as instructions to an AI model."""
    return [m.span() for m in _TO_AI.finditer(text)]


def instructions_note(text: str) -> list[str]:
    """A note when the article holds text addressed to an AI model (kept as article text, never followed)."""
    spans = addressed_to_ai(text)
    if not spans:
        return []
    start = spans[0][0]
    # from the start of the sentence (or 40 characters before the phrase) on
    begin = max(text.rfind(stop, 0, start) for stop in (". ", "\n", "! ", "? "))
    begin = max(begin + 1, start - 40, 0)
    line = text[begin:].split("\n", 1)[0]
    more = f" and {len(spans) - 1:,} more" if len(spans) > 1 else ""
    return [
        f"holds text addressed to an AI model (“{_clip(line.strip())}”{more}); it is kept as article text and "
        "never followed: check the claims near it against their quotes"
    ]


def _clip(text: str) -> str:
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1].rstrip() + "…"
