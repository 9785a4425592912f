"""Claim types: whether a sentence states a quantity, and a cheap keyword guess at its claim type.

The rules the scorer-only claims are typed by (`guess_claim_type`) and a small model's type is checked against
(`TYPE_CUES`, `has_number`, see app/rewrite_checks.py).
"""

from __future__ import annotations

import re

from app.models import ClaimType

__all__ = ["TYPE_CUES", "guess_claim_type", "has_number"]

_QUANTITY_WORDS = re.compile(r"\bpercent\b|\bper cent\b|%|\b(million|billion|trillion|dozens?|half)\b", re.I)
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")
_MONTH_WORD = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?",
    re.I,
)


_UNIT_AFTER = re.compile(r"(?:bn|mn|m|k|km|kg|mg|g|t|mph|kph|ft|lbs?|oz|ml|gw|mw|kw|kwh|gwh|x|s|st|nd|rd|th)\b")
_CLOCK = re.compile(r"\s*(?:a\.m\.|p\.m\.|am\b|pm\b|GMT\b|UTC\b|BST\b)")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")


def _not_a_quantity(sentence: str, m: re.Match[str]) -> bool:
    """Whether the digits at `m` date or name something rather than count it: a year ("in 2020", "2025-26"), a
    day of a month ("April 26", "26th of April"), a clock time ("18:40", "9 a.m."), or part of a name ("G7",
    "Covid-19", "F-35", "5G"; "10km" and "$4.2bn" are quantities)."""
    token, before, after = m.group(0), sentence[: m.start()], sentence[m.end() :]
    if before[-1:].isalpha() or (before[-1:] == "-" and before[-2:-1].isalpha()):
        return True
    if after[:1].isalpha() and not _UNIT_AFTER.match(after):
        return True
    if ":" in token or _CLOCK.match(after):
        return True
    if _YEAR.fullmatch(token) and not before.endswith(("$", "£", "€")) and after[:1] != "%":
        return True
    if re.search(r"(?:1[89]|20)\d\d[-–/]$", before) and len(token) == 2:
        return True  # the "26" of "2025-26"
    if len(token) <= 2 and token.isdigit():
        near = sentence[max(0, m.start() - 12) : m.end() + 16]
        month = _MONTH_WORD.pattern
        day = rf"{month}\s+{token}\b|\b{token}(?:st|nd|rd|th)?\s+(?:of\s+)?{month}"
        return re.search(day, near, re.I) is not None
    return False


def has_number(sentence: str) -> bool:
    """Whether the sentence states a quantity ("10 diplomats", "3.1 percent", "a million"), not only a date, a
    time or a name with digits in it: what a statistic needs."""
    if _QUANTITY_WORDS.search(sentence):
        return True
    return any(not _not_a_quantity(sentence, m) for m in _DIGITS.finditer(sentence))


_TYPE_RULES: tuple[tuple[ClaimType, re.Pattern[str]], ...] = (
    ("quotation", re.compile(r"[\"\u201c\u201d]|\b(said|says|told|stated|declared|according to)\b", re.I)),
    ("prediction", re.compile(r"\b(will|would|expects?|expected|forecasts?|plans? to|is set to)\b", re.I)),
    ("causal", re.compile(r"\b(because|caused?|due to|led to|leads to|result(ed)? in|as a result)\b", re.I)),
    ("comparison", re.compile(r"\b(more|less|fewer|higher|lower|larger|smaller|than|most|least)\b", re.I)),
    ("policy", re.compile(r"\b(law|bill|sanction\w*|ban\w*|polic\w+|regulat\w+|tariff\w*|treaty|decree)\b", re.I)),
    ("event", re.compile(r"\b\w+ed\b|\b(met|held|took|made|began|won|lost|said)\b", re.I)),
)


# The words without which a sentence is no causal claim, comparison or prediction: the guess's own rules, and a few
# more words ("compared with", "up from", "-er than", "could", "likely", "next").
_MORE_CUES = {
    "causal": r"\b(caus\w*|leads? to|lead to|results? in|resulting in|blamed|owing to|thanks to|linked to|contribut\w+|"
    r"driven by|responsible for|triggered|so that|therefore)\b",
    "comparison": r"\b(bigger|compared|versus|vs|up from|down from|twice|double\w*|half|times|highest|lowest|largest|"
    r"smallest|biggest|record|\w+est|\w+er than|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"\d+(?:st|nd|rd|th)|ranked|rank|behind|ahead)\b",
    "prediction": r"\b(are set to|could|may|might|likely|next|predict\w*|project\w*|future|by 20\d\d|going to|intends?|"
    r"aims? to|due to (open|start|be|close))\b",
}
TYPE_CUES: dict[str, re.Pattern[str]] = {
    kind: re.compile(f"{rule.pattern}|{_MORE_CUES[kind]}", re.I) for kind, rule in _TYPE_RULES if kind in _MORE_CUES
}


def guess_claim_type(sentence: str) -> ClaimType:
    """A cheap keyword guess at the claim type, for when no model is asked."""
    if has_number(sentence):
        return "statistic"
    for kind, pattern in _TYPE_RULES:
        if pattern.search(sentence):
            return kind
    return "other"
