"""Time references in a sentence and the dates they stand for, found by rules (no model, so never invented).

`time_reference` is the article's own words for when a claimed fact happened ("on Monday", "last Thursday", "in
March 2021"); the reviewer resolves them against the article's date. `absolute_date` and `dated` fix a relative
expression by the publication date ("last Thursday" -> "2021-04-22"), and `undated_relative` finds one that no
date fixed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # date.weekday() order
_MONTHS = "January February March April May June July August September October November December".split()
# Capitalised words that never name a person or a body.
DAY_AND_MONTH_NAMES = frozenset((*_DAYS, *_MONTHS))
_DAY = f"(?:{'|'.join(_DAYS)})"
_MONTH = f"(?:{'|'.join(_MONTHS)})"
_UNIT = (
    r"(?:day|week|weekend|month|year|decade|quarter|spring|summer|autumn|fall|winter|morning|afternoon|evening|night|"
    r"season|term|half|century)"
)
_NUMBER = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|a few|few)"
_PREP = r"(?:on|in|since|by|until|till|before|after|from|during|through|between|as of|early|late|mid-?)"

_YEAR = r"(?:1[89]|20)\d{2}"
_PATTERNS = [
    # a span: "between 2016 and 2022", "from 2019 to 2023", "between June and mid-August"
    rf"\b(?:between|from)\s+(?:{_YEAR}|(?:early\s+|late\s+|mid-?)?{_MONTH})\s+(?:and|to|until)\s+"
    rf"(?:{_YEAR}|(?:early\s+|late\s+|mid-?)?{_MONTH}(?:\s+{_YEAR})?)\b",
    # "in the first half of 2026", "by the third quarter of 2025"
    rf"\b(?:(?:in|by|during|before|after|until)\s+)?the\s+(?:first|second|third|fourth|final|last)\s+(?:half|quarter)\s+of"
    rf"\s+{_YEAR}\b",
    # a duration that scopes the claim: "over six years", "for 31 years", "within 90 days", "as early as 2019"
    rf"\b(?:over|for|within|in)\s+(?:the\s+)?(?:about\s+|nearly\s+|more\s+than\s+)?(?:{_NUMBER}|\d+)\s+"
    r"(?:years|months|weeks|days|hours|decades)\b(?!\s+(?:old|ago|earlier|later|before|after|to)\b)",
    rf"\bas\s+(?:early|recently|late)\s+as\s+(?:{_YEAR}|{_MONTH}(?:\s+{_YEAR})?)\b",
    r"\b\d{4}-\d{2}-\d{2}\b",  # ISO date
    rf"\b(?:{_PREP}\s+)?(?:(?:early|late|mid-?)\s*)?{_MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?\b",
    rf"\b(?:{_PREP}\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+\d{{4}})?\b",
    # (not a habitual "on a Thursday")
    rf"\b(?<![Aa]\s)(?:(?:on|last|next|this|early|late)\s+)?{_DAY}(?:\s+(?:morning|afternoon|evening|night))?\b",
    rf"\b(?:this|last|next|earlier this|later this|the previous|the following|the same)\s+{_UNIT}\b",
    rf"\b{_NUMBER}\s+{_UNIT}s?\s+(?:ago|earlier|later|before|after)\b",
    # "over the previous three years", "in the past five years", "in the last decade"
    rf"\b(?:over|in|during|for)\s+the\s+(?:past|last|previous|next|coming)\s+(?:{_NUMBER}\s+)?{_UNIT}s?\b",
    # "in the spring", "in the autumn" (this year's, by the article's date)
    r"\b(?:in|by|until|during|over)\s+the\s+(?:spring|summer|autumn|fall|winter|new year)\b",
    # "the year to March", "the six months to the end of June", "the quarter to September 30"
    rf"\b(?:the\s+)?(?:{_NUMBER}\s+)?{_UNIT}s?\s+to\s+(?:the\s+end\s+of\s+)?{_MONTH}(?:\s+\d{{1,2}})?(?:,?\s+\d{{4}})?\b",
    # a clock time: "at about 2.40am", "at 18:40", "by 9 p.m."
    r"\b(?:(?:at|by|from|until|before|after)\s+(?:about\s+|around\s+)?)?\d{1,2}(?:[.:]\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)"
    r"(?![\w])|\b(?:at|by|from|until|before|after)\s+(?:about\s+|around\s+)?\d{1,2}:\d{2}\b",
    r"\bat the time\b",
    r"\b(?:yesterday|today|tomorrow|tonight|recently)\b",
    r"\b(?:in|since|by|until|before|after|from|during|through|as of)\s+(?:(?:1[89]|20)\d{2}\b|the\s+(?:1[89]|20)\d{2}s\b)",
]
_TIME = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_PENALTY_BEFORE = re.compile(
    r"\b(?:jailed|sentenced|imprisoned|banned|suspended|disqualified|detained|locked\s+up|sent\s+to\s+prison)\s*$",
    re.IGNORECASE,
)
# Weekday and month names are proper nouns: only their capitalised forms count ("may" and "march" are verbs).
_NAME = re.compile(rf"{_DAY}|{_MONTH}")


def time_reference(sentence: str, published: date | None = None) -> str | None:
    """The sentence's own time expressions, in order, joined by "; "; None when it has none. With the article's
    publication date, an expression that date fixes ("last Thursday", "yesterday", "said on Monday") carries it:
    "last Thursday (2021-04-22)"."""
    found: list[str] = []
    for m in _TIME.finditer(sentence):
        text = m.group(0).strip()
        names = _NAME.findall(text) or re.findall(rf"(?i){_DAY}|{_MONTH}", text)
        if any(not n[0].isupper() for n in names):
            continue
        if text.lower() in (f.lower() for f in found):
            continue
        if _PENALTY_BEFORE.search(sentence[: m.start()]):
            continue  # "jailed for four years": how long a penalty lasts, not when
        if published is not None:
            # read in the sentence, so that what follows counts ("on Wednesday, March 12" says its date)
            # (from a little before it: "of April" is one expression, "April" the time reference)
            rel = next((r for r in _RELATIVE.finditer(sentence, max(0, m.start() - 8)) if r.end() > m.start()), None)
            when = absolute_date(rel, published, sentence) if rel and rel.start() < m.end() else None
            text = f"{text} ({when})" if when else text
        found.append(text)
    return "; ".join(found) if found else None


_RELATIVE = re.compile(
    rf"\b(?:(?P<last_day>last)\s+(?P<day>{_DAY})"
    # "on Monday" (not "on Monday, March 5", which says the date): past or coming, as the verb says
    rf"|(?P<on>on|from|by|until|since)\s+(?P<on_day>(?-i:{_DAY}))(?:\s+(?:morning|afternoon|evening|night))?\b"
    rf"(?!,?\s+(?:\d|{_MONTH}))"
    r"|(?P<yesterday>yesterday)|(?P<today>today|tonight)|(?P<tomorrow>tomorrow)"
    r"|(?P<which>this|last|next)\s+(?P<unit>week|month|year)"
    # "next spring", "last autumn" (the northern seasons; a winter spans two years and is left alone)
    r"|(?P<season_which>this|last|next)\s+(?P<season>spring|summer|autumn|fall)"
    r"|(?P<last_night>last\s+night)"
    r"|(?:in|by|until|after|into)\s+the\s+(?P<new_year>new\s+year)"
    # a day or a month without its year: "on July 2", "2 July", "in October", "the end of April"
    rf"|(?P<md_month>(?-i:{_MONTH}))\s+(?P<md_day>\d{{1,2}})(?:st|nd|rd|th)?(?!,?\s+\d{{4}})(?![\d:]|\.\d|\s?[-–]\s?\d)"
    rf"|(?P<dm_day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dm_month>(?-i:{_MONTH}))(?!,?\s+\d{{4}})"
    rf"|(?:in|since|until|by|from|before|after|during|of|early|late|mid-?)\s+(?P<in_month>(?-i:{_MONTH}))(?![\s,]+\d)"
    r")\b",
    re.IGNORECASE,
)
# Words that put a clause in the future ("will vote on Friday") or the past ("voted on Friday", "said on Monday");
# anything else ("would", "could", "is expected to") leaves "on Friday" unresolved.
_FUTURE_WORDS = frozenset("will won't shall 'll due scheduled upcoming".split())
_UNSURE_WORDS = frozenset(
    "would could should might may can must expected planned proposed intended if unless until by before "
    "every each".split()
)
_PAST_WORDS = frozenset(
    "said told was were had did met made took gave went came found won lost held left rose fell saw began ran sent "
    "sold paid put hit cut spoke wrote broke struck became brought bought caught chose drove flew grew knew led "
    "shot shut stood spent thought threw woke tore sank sat fought hung".split()
)
_NOT_PAST = frozenset(
    "hundred red bed need needed shed united based limited related detailed armed aged used concerned interested "
    "alleged so-called embed".split()
)
_CLAUSE_BREAK = re.compile(r"[;:\"“”!?\n]|\.(?!\d)|\b(?:that|but|and|while|whereas|after|before|when)\b", re.IGNORECASE)


def _tense(before: str, after: str) -> int | None:
    """-1 when the clause around a time expression is in the past, 1 in the future, None when it does not say:
    the word nearest to the expression that tells (before it, else after it) decides."""

    def tell(word: str) -> int | None:
        """1 future, -1 past, 0 not plain (stop: no date), None says nothing (read on)."""
        if word in _FUTURE_WORDS:
            return 1
        if word in _UNSURE_WORDS:
            return 0
        if word in _PAST_WORDS or (word.endswith("ed") and len(word) > 3 and not word.endswith("eed")):
            return None if word in _NOT_PAST else -1
        return None

    nearest_first = re.findall(r"[a-z'’-]+", _CLAUSE_BREAK.split(before)[-1].lower())[::-1]
    for i, word in enumerate(nearest_first):
        if word == "been" or (i + 1 < len(nearest_first) and nearest_first[i + 1] in ("be", "been", "being")):
            continue  # "will be held", "has been arrested": the auxiliary before it tells
        told = tell(word.replace("’", "'"))
        if told is not None:
            return told or None
    for word in re.findall(r"[a-z'’-]+", _CLAUSE_BREAK.split(after)[0].lower()):
        told = tell(word.replace("’", "'"))
        if told is not None:
            return told or None
    return None


def absolute_date(m: re.Match[str], published: date, text: str) -> str | None:
    """What a relative expression (a match of _RELATIVE in `text`) means on the publication date: "last
    Thursday" -> "2021-04-22", "this month" -> "April 2021", "said on Monday" -> the Monday on or before it, "will
    vote on Friday" -> the Friday after it; None when the date does not fix it ("would resume on Monday")."""
    g = m.groupdict()
    if g["last_day"]:
        back = (published.weekday() - _DAYS.index(g["day"].capitalize())) % 7 or 7  # the one before that day
        return (published - timedelta(days=back)).isoformat()
    if g["on_day"]:
        tense = _tense(text[: m.start()], text[m.end() :])
        day = _DAYS.index(g["on_day"])
        if tense == -1:  # reported within the week before: the latest such day, the publication day included
            return (published - timedelta(days=(published.weekday() - day) % 7)).isoformat()
        if tense == 1 and (ahead := (day - published.weekday()) % 7):
            return (published + timedelta(days=ahead)).isoformat()
        return None
    if g["md_month"] or g["dm_month"] or g["in_month"]:
        return _year_of(g, published, _tense(text[: m.start()], text[m.end() :]))
    if g["yesterday"]:
        return (published - timedelta(days=1)).isoformat()
    if g["today"]:
        return published.isoformat()
    if g["tomorrow"]:
        return (published + timedelta(days=1)).isoformat()
    if g["last_night"]:
        return (published - timedelta(days=1)).isoformat()
    if g["new_year"]:  # said in the autumn or early winter, the coming one; in January or February, this one
        return (
            str(published.year + 1) if published.month >= 9 else str(published.year) if published.month <= 2 else None
        )
    if g["season"]:
        return _season_year(g["season"].lower(), g["season_which"].lower(), published)
    step = {"this": 0, "last": -1, "next": 1}[g["which"].lower()]
    unit = g["unit"].lower()
    if unit == "year":
        return str(published.year + step)
    if unit == "week":
        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
        return f"week of {monday.isoformat()}"
    month_index = published.year * 12 + published.month - 1 + step
    return f"{_MONTHS[month_index % 12]} {month_index // 12}"


# The months a season starts in (March, June, September): it lasts three.
_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9}


def _season_year(season: str, which: str, published: date) -> str:
    """ "next spring" -> "spring 2025": the next one to begin after the publication date, the last one to have
    ended before it, or this year's."""
    first = _SEASON_START[season]
    year = published.year
    if which == "next" and first <= published.month:
        year += 1
    elif which == "last" and first + 2 >= published.month:
        year -= 1
    return f"{season} {year}"


def _year_of(g: dict[str, str | None], published: date, tense: int | None) -> str | None:
    """The year a day or month without one falls in: the latest on or before the publication date in a clause in
    the past, the next on or after it in one in the future, or the publication year when either reads the same;
    None when the tense does not say and the years differ."""
    month_name = g["md_month"] or g["dm_month"] or g["in_month"] or ""
    month = _MONTHS.index(month_name) + 1
    day_text = g["md_day"] or g["dm_day"]
    day = int(day_text) if day_text else None
    try:
        this_year = date(published.year, month, day or 1)
    except ValueError:
        return None  # "February 30"
    # (a whole month counts as past when it has begun, and as coming until it ends)
    started, ended = this_year <= published, (this_year.month, this_year.day) < (published.month, published.day)
    if day is None:
        ended = month < published.month
    year = published.year
    if tense == -1 and not started:
        year -= 1
    elif tense == 1 and (ended if day is not None else month < published.month):
        year += 1
    elif tense is None and month != published.month:
        return None  # (in the publication's own month, this year's is meant either way)
    if day is None:
        return f"{month_name} {year}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def undated_relative(text: str) -> str | None:
    """The first expression of `text` only a publication date can fix ("on Monday", "last week", "yesterday")
    that no date in parentheses follows, or None: a statement holding one does not stand alone in time."""
    return next((m.group(0) for m in _RELATIVE.finditer(text) if not _DATE_ADDED.match(text, m.end())), None)


# What `dated` puts after an expression it fixed (so dating a dated text again adds nothing).
_DATE_ADDED = re.compile(
    r" \((?:\d{4}-\d\d-\d\d|week of \d{4}-\d\d-\d\d|\d{4}|(?:spring|summer|autumn|fall) \d{4}|" + _MONTH + r" \d{4})\)"
)


def dated(text: str, published: date | None) -> str:
    """`text` with each relative expression the publication date fixes followed by that date in parentheses:
    "told reporters last Thursday (2021-04-22) that ..." (a statement that stands alone in time)."""
    if published is None:
        return text

    def add(m: re.Match[str]) -> str:
        if _DATE_ADDED.match(text, m.end()):
            return m.group(0)
        when = absolute_date(m, published, text)
        return f"{m.group(0)} ({when})" if when else m.group(0)

    return _RELATIVE.sub(add, text)
