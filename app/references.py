"""Time references and unresolved references in a sentence, found by rules (no model, so never invented).

`time_reference` is the article's own words for when a claimed fact happened ("on Monday", "last Thursday", "in
March 2021"); the reviewer resolves them against the article's date. `unresolved_reference` finds a sentence that
opens with a pronoun or a vague "the statement"-like subject, and `vague_reference` also a bare "the accusations"
or "in response" further in: words a reader cannot follow without the article.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, timedelta

from retrieval.sentences import split_sentences

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


# What may stand before a sentence's first word without being part of it: brackets and quotation marks, a list
# bullet or number ("- It said ...", "2. They ..."), a transcript's speaker label ("Voss: We handled ...").
# A list item's bullet or number ("- ", "2. "): part of its sentence, as the quote has it, not of what it says.
LIST_MARKER = r"(?:[-–—•*]|\(?\d{1,3}[.)])\s+"
_LEAD = rf"^[\s(\"“‘']*(?:{LIST_MARKER})?(?:[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?:\s+)?[\s(\"“‘']*"
_PRONOUN_START = re.compile(
    _LEAD + r"(?:He|She|They|It|This|That|These|Those|His|Her|Their|Its|We|I|Our|My)\b"
    r"(?!\s+(?:is|was|has|had)\s+(?:not\s+)?"
    r"(?:clear|unclear|likely|unlikely|possible|true|false|known|expected|estimated|reported|said|believed))"
)
_VAGUE_SUBJECT = re.compile(
    r"^[\s(]*The\s+(?:statement|remarks?|comments?|move|decision|announcement|report|plan|deal|measures?|"
    r"accusations?|allegations?|claims?|findings?|figures?|numbers?|incident|attack|event|meeting|talks|"
    r"ministry|minister|spokesperson|spokesman|spokeswoman|official|company|country|government|agency|"
    r"president|leader|group|study|bill|law|policy|proposal)\b"
)


def unresolved_reference(statement: str) -> str | None:
    """The opening words a reader cannot resolve without the article ("He", "The statement"), or None."""
    for pattern in (_PRONOUN_START, _VAGUE_SUBJECT):
        m = pattern.match(statement)
        if m:
            if re.match(r"[\s(]*[\"“‘']", statement) and quote_speaker_named(statement):
                return None  # '"We oppose sanctions," Wang Wenbin said.': the quote's speaker is named
            return m.group(0).strip(" \"'“”‘’(")
    return None


_QUOTE_END = re.compile(r"[\"”’'],?\s")


def quote_speaker_named(sentence: str) -> bool:
    """Whether a sentence opening with a quotation names who said it after the quotation ('"...," Wang Wenbin
    told reporters', '"...," said chief executive Amira Khan')."""
    m = _QUOTE_END.search(sentence, 1)
    if m is None:
        return False
    rest = sentence[m.end() :]
    return bool(
        closing_speaker(sentence) or (attributed(rest) and (person_names(rest) or _NAME_AFTER_VERB.search(rest)))
    )


_NAME_AFTER_VERB = re.compile(r"\b(?:said|says|told|added|wrote)\s+(?:[a-z]+\s+){0,3}[A-Z][a-z]+")


_VAGUE_NOUN = (
    r"statement|remarks|comments|move|decision|announcement|accusations?|allegations?|claims?|charges|findings|"
    r"measures?|incident|deal|plan|proposal|report|figures?|numbers?|amount|sum|estimate|rise|fall|cut|increase|"
    r"decrease|change|changes|policy|scheme|bill|money|fee|sale|offer|ruling|verdict|result|results|legislation|"
    r"reforms?|concessions?|warning|dismissal|losses|slide|drop|deficit|vote|proposals|agreement|investigation|"
    r"inquiry|strike|programme|program|project|contract|transfer|fine|payment|payments|spending|cuts|case|trial|"
    r"study|survey|poll|talks|negotiations|walkout|lawsuit|complaint|plaintiffs|merger|takeover|development|site|app|"
    r"application|review|consultation|delay|closure|closures|attack|breach|outage|crash|derailment|accident|shooting|"
    r"raid|arrest|sentence|appeal|settlement|acquisition|bid"
)
# "the accusations" with nothing after it saying which ("of", "that", "by", "against", ...); "in response" to nothing.
_VAGUE_INSIDE = re.compile(
    rf"\b(?:the|these|those|this|that|such)\s+(?:{_VAGUE_NOUN})\b(?!\s+(?:of|that|by|against|on|over|from|to|about|"
    r"in|for|which|who)\b)|\bin response\b(?!\s+to\b)"
    # "denied this", "rejected that": what is denied is in the sentence before
    r"|\b(?:denied|denies|deny|rejected|rejects|disputed|disputes|confirmed|confirms|welcomed|criticised|criticized|"
    r"questioned|dismissed)\s+(?:this|these|those|it|them)\b(?!\s+\w+\s+(?:is|was|were|are|had|has|would|will)\b)",
    re.IGNORECASE,
)
# A reported clause whose subject is a pronoun: "Professor Liam Chadwick said it could lead to pneumonia" ("it" is
# in the sentence before). Once a leading "He" is replaced by the speaker's name, this is what is left to resolve.
_REPORTED_PRONOUN = re.compile(
    r"\b(?:said|says|told\s+\w+(?:\s+\w+)?|added|adds|warned|argued|insisted|believes?|believed|expects?|expected|"
    r"thinks?|thought|claimed|claims)\s+(?:that\s+)?(?P<pronoun>it|they|this|these|those|he|she|its|their)\b"
    r"(?!\s+(?:is|was)\s+(?:not\s+)?(?:clear|unclear|likely|unlikely|possible|true|false|too early|important)\b)",
    re.IGNORECASE,
)
# A sentence whose subject is a definite description only the article names: "The council refused.", "The
# company said ...", "The driver had been drinking" (which council, company, driver?). A capitalised word in the
# description names it ("The Leeds-based company"), and "of Leeds" after it says which.
_DEFINITE_SUBJECT = re.compile(
    r"^[\s(\"“‘']*The\s+(?P<what>(?:[a-z][\w'’-]*\s+){0,2}[a-z][\w'’-]*)\b"
    r"(?!\s+(?:of|in|at|for|from)\s+[A-Z])(?=\s+(?:[a-z]+ed|[a-z]+s|is|was|were|are|has|had|have|will|would|"
    r"could|can|may|might|must|should|did|does|do|said|told|says|refused|denied|rejected|plans?|wants?|expects?)\b)"
)


# "..., she said." / "..., he added": who is speaking is only in the article.
_CLOSING_VERBS = (
    "said|says|added|adds|told|wrote|writes|argued|insisted|warned|noted|explained|claimed|stated|replied|continued"
)
_CLOSING_PRONOUN = re.compile(
    r"[,;]\s*[\"”’']?\s*(?P<pronoun>he|she|they)\s+(?:" + _CLOSING_VERBS + r")\b[^.!?]*[.!?]?[\"”’']?\s*$",
    re.IGNORECASE,
)


def closing_pronoun(sentence: str) -> str | None:
    """The pronoun a sentence ends its attribution on ("..., she said."), or None."""
    m = _CLOSING_PRONOUN.search(sentence.strip())
    return m.group("pronoun") if m else None


# An outlet's note about its own article ("Correction: An earlier version of this article said ... 8.4 million"):
# the figure it quotes is the retracted one, which the note only makes sense beside.
_ABOUT_THIS_ARTICLE = re.compile(
    r"^[\s\"“]*(?:Correction|Clarification|Update|Editor's note)\b[^:]{0,20}(?::\d\d)?:|\bearlier version of this "
    r"(?:article|story|report|piece)\b",
    re.IGNORECASE,
)


# What an outlet says about its own reporting, not about the world: nothing in it can be checked against evidence.
_REPORTING_NOTE = re.compile(
    r"^[\s\"“]*(?:"
    r"(?:this|the) (?:article|story|report) (?:has been|was) (?:amended|updated|corrected|changed)"
    r"(?: on [\w ,]{3,30}?)?(?: (?:to (?:correct|reflect|include|add|remove|clarify)|with)\b[^.]{0,80})?"
    r"|(?:update|updated|correction)\b[^:]{0,25}:\s*this (?:article|story) has been (?:amended|updated|corrected)"
    r"|(?:that|the|this|his|her|their|these) (?:claim|claims|account|figure|figures|report|video|image|post|amount|"
    r"number|total|footage|photo|photograph)s? "
    r"(?:could|can) ?not be (?:independently )?(?:verified|confirmed)"
    r"|[^.,;]{0,60}\b(?:did not|didn't|has not|hasn't|have not|had not) (?:immediately )?(?:respond|reply|return)\w* to "
    r"(?:(?:a |an |several |repeated )?(?:request|requests|calls|emails|messages|inquiries|enquiries) for comment"
    r"|questions)(?:\s+(?:on|about)\s+[^.]{0,60})?"
    r"|[^.,;]{0,60}\bdeclined to comment(?:\s+(?:on|about|before|further|beyond)\s*[^,;.]{0,50})?"
    r"|[^.,;]{0,60}\b(?:does|do|did) not comment on\s+[^,;.]{0,50}"
    r"|[^.]{0,40}\bcontributed (?:reporting|to this (?:report|story|article))"
    # a wire story's credit line: "(Reporting by Ana Petrescu; editing by Clare Hughes)"
    r"|\(?(?:additional )?(?:reporting|writing|editing|compiled) by\b[^()]{0,200}\)?"
    r")[\s.\"”]*$",
    re.IGNORECASE,
)


def reporting_note(sentence: str) -> bool:
    """Whether a sentence only speaks of the reporting ("This article has been amended.", "That claim could not be
    independently verified.", "The company did not respond to a request for comment."): not a claim to check."""
    return _REPORTING_NOTE.match(sentence.strip()) is not None


_SENTENCE_END = frozenset('.!?…:;"”’)]')
_LIST_BULLET = re.compile(r"[-–—•*]\s")
SUBHEADING_MAX_WORDS = 14


def subheading(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` is a section heading inside the article ("2. Small rural schools get more",
    "Rates rise again"): a whole line of its own, short, without closing punctuation, after the article's first
    line (the headline) and followed by a line of running text that ends a sentence. A heading sums up the
    section under it in a few words; read alone it states less, or more, than the section says. List items (a
    bullet, or a line followed by another unpunctuated line) are not headings."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end].strip()
    if not line or line != text[start:end].strip() or not text[:line_start].strip():
        return False
    if line[-1] in _SENTENCE_END or _LIST_BULLET.match(line) or len(line.split()) > SUBHEADING_MAX_WORDS:
        return False
    above = text[:line_start].rstrip(" \t")
    if above.endswith("\n") and not above.endswith("\n\n"):
        previous_line = above[:-1].rsplit("\n", 1)[-1].strip()
        if previous_line and previous_line[-1] not in _SENTENCE_END:
            return False  # the last item of a list ("£2.3 million extra for adult social care"), under another
    following = text[line_end:].lstrip()
    next_line = following.split("\n", 1)[0].rstrip()
    return bool(next_line) and next_line[-1] in _SENTENCE_END


def vague_reference(sentence: str) -> str | None:
    """The first words of `sentence` that only the article can explain (an opening "He", a bare "the
    accusations", "in response" to nothing, a closing "..., she said", a correction note about "this article"),
    or None when the sentence stands alone by these rules."""
    opening = unresolved_reference(sentence)
    if opening:
        return opening
    m = _VAGUE_INSIDE.search(sentence) or _ABOUT_THIS_ARTICLE.search(sentence)
    if m:
        return m.group(0).strip(' "“')
    m = _DEFINITE_SUBJECT.match(sentence)
    if m:
        return m.group(0).strip(' "“(')
    reported = reported_pronoun(sentence)
    if reported:
        return reported
    return closing_pronoun(sentence)


def leaning_words(statement: str) -> str | None:
    """The first words of a statement that only the article can explain: a vague reference (vague_reference) or a
    relative time no publication date fixed ("on Monday" in an undated article); None when it stands alone."""
    return vague_reference(statement) or undated_relative(statement)


_PERSON_TITLE = re.compile(
    r"\b(?:Professor|Prof|Dr|Mr|Mrs|Ms|Miss|Sir|Dame|Minister|Secretary|President|Chancellor|Judge|Justice|Inspector|"
    r"DI|DCI|Sergeant|Sgt|Constable|PC|Detective|Captain|Colonel|General|Senator|Governor|Mayor|Councillor|Cllr|MP)"
    r"\.?\s+[A-Z]"
)


_PERSON_ROLE = re.compile(
    r"\b(?:spokes(?:man|woman|person)|chief|director|officer|minister|secretary|leader|chair(?:man|woman)?|executive|"
    r"professor|doctor|witness|driver|resident|mother|father|wife|husband|son|daughter|brother|sister|manager|"
    r"coach|player|judge|coroner|lawyer|barrister|solicitor|author|analyst|economist|scientist|researcher|teacher|"
    r"nurse|man|woman|boy|girl|worker|official|MP|councillor|mayor|president|governor|senator|inspector)\b",
    re.IGNORECASE,
)


# A capitalised word that may be a person's surname (not "The", not an acronym such as "UKHSA").
_SURNAME = re.compile(
    r"\b(?!(?:The|A|An|In|On|At|After|Before|Asked|But|And|Later|Also)\b)[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b"
)


def reported_pronoun(sentence: str) -> str | None:
    """A pronoun opening what someone is reported to say that is not the reporter themselves: "Professor Liam
    Chadwick said it could lead to pneumonia" (a person is not "it"), "The agency said he ..." (an agency is not
    "he"); "Acme said it would close" and "Ms Ruiz said she would resign" refer to their reporter."""
    for m in _REPORTED_PRONOUN.finditer(sentence):
        pronoun = m.group("pronoun").lower()
        reporter = sentence[: m.start()]
        if pronoun in ("this", "these", "those"):
            return m.group(0)
        # A titled person ("Professor Liam Chadwick", "Ms Marsh") is never "it"; a bare two-word name may be a
        # company's ("Harlow Foods said it would ..."), so only a title settles it.
        if _PERSON_TITLE.search(reporter) and pronoun in ("it", "its", "they", "their"):
            return m.group(0)
        a_person = (
            person_names(reporter)
            or _PERSON_TITLE.search(reporter)
            or _PERSON_ROLE.search(reporter)
            or any(w not in _NOT_PERSON for w in _SURNAME.findall(reporter))  # "Murphy said he ..."
        )
        if pronoun in ("he", "she") and reporter.strip() and not a_person:
            return m.group(0)  # "The agency said he ...": an agency is not "he"
    return None


_PERSON_PRONOUN = re.compile(_LEAD + r"(?:He|She|They|His|Her|Their)\b")


def pronoun_subject(sentence: str) -> str | None:
    """The personal pronoun a sentence opens with ("He said ..."), the one reference a small model resolves
    reliably (with a name from the article); None otherwise."""
    if sentence.lstrip(" (-–—•*").startswith(('"', "“", "‘", "'")):
        return None  # '"Her first serve has improved," he said': the quotation's "Her" is not the one speaking
    m = _PERSON_PRONOUN.match(sentence)
    return m.group(0).split()[-1].strip(" (\"“‘'") if m else None


_NAME_RUN = re.compile(  # (a capital inside a name: "McAllister", "MacDonald", "DeSantis")
    r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[-'][A-Z]?[a-z]+)?"
    r"(?:\s+(?:(?:de|van|von|bin|al|da|di|del|la|le)\s+)?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[-'][A-Z]?[a-z]+)?){1,3}"
)
# Words that make a capitalised phrase an institution's name, not a person's ("Foreign Ministry", "Amnesty
# International", "Crime Survey", "Harbour Rovers Football Club"), lower case. The name rules here and ClaimReview's
# author types (app/claimreview.py) both read this one list.
INSTITUTION_WORDS = frozenset(
    """
    ministry ministries government department agency office council committee commission parliament senate congress
    administration party bank fund reserve treasury union association institute institution university company
    corporation corp inc ltd llc plc group news times press media journal tribune gazette review report kremlin
    army navy police court foundation organization organisation authority bureau service board league embassy
    international reuters nations states kingdom republic federation alliance coalition society network motors
    airlines industries holdings city county port street hospital school club trust survey index statistics
    hospice charity church cathedral academy clinic centre center museum library prison stadium airport station
    democrats republicans conservatives socialists liberals greens
    """.split()
)
# Two-word names of the same kind ("Human Rights Watch", "the White House").
INSTITUTION_PHRASES = ("white house", "rights watch")
_NOT_PERSON = (
    frozenset(w.capitalize() for w in INSTITUTION_WORDS)
    | {"LLC", "Post"}  # "Washington Post" (ClaimReview tells Emily Post from a paper)
    | DAY_AND_MONTH_NAMES
)


_NEXT_CAPITAL = re.compile(r"\s+[A-Z]")


def person_names(text: str) -> list[str]:
    """Runs of two to four capitalised words that look like a person's name ("Raj Patel"), in order; runs with
    an institution or date word ("Foreign Ministry", "European Union") are left out. A rule, not a tagger: it
    only backs up or stands in for the model when a sentence opens with "He" or "She"."""
    names: list[str] = []
    for m in _NAME_RUN.finditer(text):
        words = m.group(0).split()
        before = m.start()  # the last character before the run that is not whitespace (no slice: long texts)
        while before > 0 and text[before - 1].isspace():
            before -= 1
        at_start = m.start() == 0 or (before > 0 and text[before - 1] in '."“')
        if words[0] in _NOT_SUBJECT:
            words = words[1:]  # "In Yarrow", "After Raj Patel ...": a capitalised function word is not a name
        elif at_start and len(words) >= 3:
            words = words[1:]  # a sentence's first word is capitalised anyway ("Mayor Linda Ortiz")
        if any(_REPORTING_WORD.fullmatch(w) for w in words):
            continue  # a title-case headline's verb ("Port Authority Says Exports Doubled")
        bare = [re.sub(r"['’]s$", "", w) for w in words]
        last_body = max((i for i, w in enumerate(bare) if w in _NOT_PERSON), default=-1)
        cut_short = _NEXT_CAPITAL.match(text, m.end()) is not None  # (the run stopped at its length limit)
        if 0 <= last_body < len(words) - 2 and bare[last_body] not in DAY_AND_MONTH_NAMES and not cut_short:
            words = words[last_body + 1 :]  # "City Councilman Ray Okonkwo": the person after the body's word
        if len(words) >= 2 and not _NOT_PERSON & {re.sub(r"['’]s$", "", w) for w in words}:
            names.append(re.sub(r"['’]s$", "", " ".join(words)))  # "Vladimir Putin's call" names Vladimir Putin
    return names


_REPORTING = (
    "say|says|said|tell|tells|told|claims?|claimed|stated|announce[sd]?|added|adds|warn(?:s|ed)?|argue[sd]?|",
    "insist(?:s|ed)?|den(?:y|ies|ied)|call(?:s|ed)|describe[sd]?|pledge[sd]?|vow(?:s|ed)?|promise[sd]?|",
    "blame[sd]?|welcome[sd]?|expect(?:s|ed)?|predict(?:s|ed)?|estimate[sd]?|reported|believe[sd]?|accuse[sd]?|",
    "alleges|urge[sd]?|noted|confirm(?:s|ed)?|reject(?:s|ed)?|dismiss(?:es|ed)?|critici[sz](?:es|ed)|",
    "condemn(?:s|ed)?|wrote|writes|tweeted|repl(?:y|ies|ied)|respond(?:s|ed)|oppose[sd]?|suggest(?:s|ed)?|",
    "admit(?:s|ted)?|acknowledge[sd]?|assert(?:s|ed)?|contend(?:s|ed)?|forecasts?|dispute[sd]?|",
    # an estimate: "TourLedger ... puts the gross at about $870 million" (a figure after "at": not "at risk")
    r"puts?\s+(?:the|its|their|his|her)\s+(?:[\w'’-]+\s+){0,6}?at(?=\s+(?:(?:about|around|roughly|nearly|almost|",
    r"some|just|over|under|more\s+than|less\s+than|up\s+to)\s+)?(?:[£$€\d]|(?:one|two|three|four|five|six|seven|",
    r"eight|nine|ten|a\s+(?:third|quarter|half|fifth|tenth))\b))",
)
# A quotation mark, "according to", or a reporting verb (whole words: "States" is not "stated").
_ATTRIBUTION = re.compile(rf"[\"“”]|\baccording to\b|\b(?:{''.join(_REPORTING)})\b", re.IGNORECASE)


_REPORTING_WORD = re.compile(rf"(?:{''.join(_REPORTING)})", re.IGNORECASE)

_OPENING_SPEAKER = re.compile(
    r"(?P<subject>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})"  # capitalised words opening the sentence
    r"(?P<rest>(?:\s+(?!(?:who|whom|whose|which|that)\b)[^\s,;:\"“”]+){0,12}?)"  # one clause, no relative pronoun
    rf"\s+(?:{''.join(_REPORTING)})\b"
)
_NOT_SUBJECT = frozenset(
    "The A An This That These Those He She They It We I You His Her Their Its Our My Your But And Or So Yet In On "
    "At For With After Before When While If As Some Many Most Several Officials Critics Analysts Experts".split()
)


# "is expected to", "were estimated at": a passive, not someone reporting.
_PASSIVE_REPORT = re.compile(
    r"\b(?:is|are|was|were|be|been|being)\s+(?:widely\s+|also\s+)?(?:expected|estimated|predicted|reported|believed|"
    r"called|described|forecast|claimed|said)\b",
    re.IGNORECASE,
)


def opening_speaker(sentence: str, article_text: str) -> str | None:
    """The proper name a sentence opens with when it is the one reporting ("Russia expelled ten diplomats and said
    ...", "Beijing denies ..."): the subject of the reporting verb, with no comma, relative clause or other person
    between them. A capitalised first word counts as a name only when the article also capitalises it where it
    does not open a sentence ("Officials in Moscow called ..." opens with a common noun). None otherwise."""
    m = _OPENING_SPEAKER.match(sentence.strip())
    if m is None:
        return None
    subject = m.group("subject")
    if subject.split()[0] in _NOT_SUBJECT or subject.endswith(("'s", "’s")) or person_names(m.group("rest")):
        return None  # "Russia's foreign ministry said": the speaker is more than the name
    if _PASSIVE_REPORT.search(m.group(0)) or _GROUP_NOUN.match(m.group("rest").strip()):
        return None  # "Planning officers are expected to ...": neither a name nor anyone reporting
    if person_names(subject) and len(person_names(subject)[0].split()) >= 2 and _PERSON_TITLE.search(subject):
        return subject  # "Farming Minister Gareth Llewellyn visited ... and announced"
    # After whitespace, but not after a sentence end nor at a line start (MULTILINE ^: a paragraph's first word).
    mid_sentence = re.compile(rf"(?<![.!?\"“]\s)(?<!^)(?<=\s){re.escape(subject.split()[0])}\b", re.MULTILINE)
    return subject if mid_sentence.search(article_text) else None


# People spoken of as a group who report something ("Analysts said ...", "Senior officials in the upper chamber said
# ...", "People familiar with the matter said ..."): the claimant is the group as the sentence describes it.
_GROUP_NOUNS = (
    "analysts|critics|officials|experts|economists|residents|witnesses|campaigners|ministers|lawmakers|legislators|"
    "traders|investors|sources|people|doctors|scientists|researchers|police|prosecutors|forecasters|opponents|"
    "supporters|activists|diplomats|executives|unions|parents|teachers|students|voters|MPs|senators|councillors|"
    "officers|firefighters|paramedics|engineers|regulators|bankers|lawyers|organisers|organizers|authorities|"
    "insiders|observers|commentators|protesters|protestors|workers|staff|employees|members|trustees|managers|"
    "negotiators|strategists|bondholders|shareholders|creditors|donors|families|relatives|neighbours|neighbors|"
    "fans|farmers|drivers|nurses|passengers|users|customers|plaintiffs|landlords|tenants|retailers|shoppers|"
    "consumers|patients|owners|developers|pilots|soldiers|survivors|victims|volunteers|businesses|"
    # one of them, with "a": "A source close to the investigation said ..."
    "(?<=\\b[Aa] )(?:source|senior official|official|insider|person|diplomat|executive|analyst|witness|resident)"
)
_GROUP_WORDS = frozenset(w.capitalize() for w in _GROUP_NOUNS.split("|"))
# what may say which group: "in Karvella", "familiar with the government's timetable" (no verb in it)
_GROUP_QUALIFIER = (
    r"(?:\s+(?:in|at|of|from|for|with|close\s+to|familiar\s+with|briefed\s+on|involved\s+in|with\s+knowledge\s+of)"
    r"(?:\s+(?!(?:will|would|have|has|had|is|are|was|were|to|be)\b)[^\s,;:\"“”]+){1,7}?)?"
)
_GROUP_NOUN = re.compile(rf"(?i:{_GROUP_NOUNS})\b")
_GROUP_SPEAKER = re.compile(
    r"^(?!(?i:the|these|those|they)\b)(?P<group>(?:(?:[A-Z][a-z]*|[a-z]+|\d+)\s+){0,3}?(?i:"
    + _GROUP_NOUNS
    + r")"
    + _GROUP_QUALIFIER
    + r")(?:,\s+[^,;:\"“”]{2,120}?,)?\s+(?:also\s+|privately\s+|separately\s+)?"
    r"(?:said|say|says|told|warned|warn|warns|believe|expect|argue|argued|estimate|predict|claim|claimed|insist|"
    r"insisted|reported|noted|added|wrote|dispute|disputed|called|call|described|denied|deny|rejected|dismissed|"
    r"condemned|welcomed|accused|confirmed)\b"
)
# A sentence's lead-in before its subject: "Prosecuting, Anita Desai told ...", "In a statement, Railnet said ...".
_LEAD_IN = re.compile(
    r"^(?:[A-Z][a-z]+(?:ing|ly)?|Meanwhile|However|Separately|Earlier|Later|In a statement|In an interview|"
    r"In a letter|In a post on [A-Z]\w*|On [A-Z][a-z]+(?: (?:morning|afternoon|evening|night))?),\s+(?=[A-Z])"
    # "At a packed public meeting in Stoke Amner village hall on Tuesday, residents said ..."
    r"|^(?:At|In|During|After|Outside|Speaking (?:at|to|on)|Asked about)\s[^,;:\"“”]{3,90},\s+(?=[a-z])"
    # "But TourLedger, which compiles box-office data, puts the gross at ...": a conjunction opening the sentence
    r"|^(?:But|And|Yet)\s+(?=[A-Z])"
)
# "has previously said", "have repeatedly denied"
_HAS = r"(?:(?:has|have|had)\s+(?:previously\s+|repeatedly\s+|already\s+|long\s+|since\s+)?)?"
# "A spokesperson for Pulsewise said ...", "A spokesperson for the department said ..." (the body it is, when the
# article names just one of that kind).
_SPOKESPERSON_FOR = re.compile(
    r"^(?:[Aa]n?|[Tt]he)\s+(?:[a-z]+\s+)?(?:spokes(?:person|man|woman)|representative|lawyer|attorney|statement|"
    r"press officer)\s+(?:for|from)\s+(?:(?:the\s+(?P<noun>[a-z]+))|(?P<name>[A-Z][\w'’&.-]*(?:\s+(?:[A-Z][\w'’&.-]*|of|for|&)){0,5}?))"
    r"(?:,[^,]{1,80},)?\s+" + _HAS + r"(?:also\s+)?(?:said|says|told|added|confirmed|denied|wrote|stated)\b"
)
# "Fiona McAllister, chief executive of St Brendan's Hospice, said ...", "Railnet, which owns the track, said ...":
# the subject, then an aside between commas, then the reporting verb.
_SUBJECT_ASIDE = re.compile(
    r"^(?P<subject>[^,;:\"“”]{2,80}?),\s+(?!(?:and|but)\b)[^;:\"“”]{2,160}?,\s+"
    + _HAS
    + r"(?:also\s+)?(?:"
    + "".join(_REPORTING)
    + r")\b"
)
# The subject alone before the verb: "Rebel leader Douglas Ferriby said", "Ratings agency Corwen & Lyle said",
# "Opposition leader Dana Cerny of the Civic Union party said" (a name's party or group ends it in lower case).
_PLAIN_SUBJECT = re.compile(
    r"^(?P<subject>(?:[A-Za-z&][\w'’.&-]*\s+){0,6}?[A-Z][\w'’.&-]*"
    r"(?:\s+of\s+the\s+(?:[A-Z][\w'’.&-]*\s+){1,3}(?:party|group|campaign|coalition|alliance|movement|caucus|bloc))?)\s+"
    + _HAS
    + r"(?:also\s+)?(?:"
    + "".join(_REPORTING)
    + r")\b"
)


def lead_speaker(sentence: str, article_text: str) -> str | None:
    """Who reports a sentence that opens with its speaker, when opening_speaker does not say: a name followed by an
    aside ("Fiona McAllister, chief executive of St Brendan's Hospice, said", "Drescu, who had been in the post
    since 2022, said" -> "Oana Drescu"), a name after a role ("Rebel leader Douglas Ferriby said", "Ratings agency
    Corwen & Lyle said" -> "Corwen & Lyle"), an organisation only the sentence start capitalises ("Railnet said"),
    after a lead-in ("Prosecuting, Anita Desai told the court"), or a group ("Analysts said", "People familiar with
    the matter said"). None otherwise."""
    text = _LEAD_IN.sub("", sentence.strip(), count=1)
    if text[:1] in "\"“‘'(":
        return None
    m = _SPOKESPERSON_FOR.match(text)
    if m:
        if m.group("name"):
            return m.group("name")
        found = bodies_named(m.group("noun"), article_text) if m.group("noun").lower() in INSTITUTION_WORDS else []
        return found[-1] if len(set(found)) == 1 else None
    m = _GROUP_SPEAKER.match(text)
    if m:
        return m.group("group")
    m = _SUBJECT_ASIDE.match(text) or _PLAIN_SUBJECT.match(text)
    if m is None:
        return None
    subject = m.group("subject").strip()
    words = subject.split()
    if (words[0] in _NOT_SUBJECT and words[0] not in ("The",)) or subject.endswith(("'s", "’s")):
        return None
    names = person_names(subject)
    if names:
        return full_name(names[-1], article_text)
    # the capitalised run that ends the subject: "Corwen & Lyle", "The National Landlords Federation" -> without "The"
    tail = re.search(r"(?:[A-Z][\w'’.-]*|&)(?:\s+(?:[A-Z][\w'’.-]*|&|of|for|and|the))*\s*$", subject)
    if tail is None:
        return None
    name = tail.group(0).strip()
    name = re.sub(r"^(?:The|A|An)\s+", "", name)
    if not name or name in _NOT_SUBJECT or name.split()[-1] in ("of", "for", "and", "the", "&"):
        return None
    if len(name.split()) == 1:
        if name in DAY_AND_MONTH_NAMES or re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", article_text):
            return None  # a common word capitalised only because it opens the sentence ("Officials", "Residents")
        return full_name(name, article_text)
    return name


_CLOSING_SPEAKER = re.compile(
    r",[\"”’']?\s+(?P<speaker>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}?)\s+(?i:says|said|say|told reporters)[.!]?[\"”]?$"
)


# "..., the National Health Protection Agency said on Wednesday, adding ...": a name after a comma, reporting
# the words before it, with at most a time between the verb and the next comma or the end.
_MID_SPEAKER = re.compile(
    r",[\"”’']?\s+(?:the\s+)?(?P<speaker>[A-Z][\w'’.&-]*(?:\s+(?:[A-Z][\w'’.&-]*|of|for|and|&|the)){0,6}?)"
    r"\s+(?:said|says|reported|announced|confirmed|warned|added|told\s+(?:reporters|[A-Z]\w+))"
    r"(?:\s+(?:on|in|late|early|last|this|earlier)(?:\s+[\w-]+){1,3}?)?\s*(?:[,;]|[.!]?[\"”]?$)"
)
# "..., people close to the negotiations said.": a group closes the sentence as the one reporting.
_CLOSING_GROUP = re.compile(
    r",[\"”’']?\s+(?!(?:the|these|those)\b)(?P<group>(?:(?:[a-z]+|\d+)\s+){0,3}?(?:"
    + _GROUP_NOUNS
    + r")"
    + _GROUP_QUALIFIER
    + r")\s+(?:said|say|says|told\s+\w+)[.!]?[\"”]?$"
)


def closing_speaker(sentence: str) -> str | None:
    """The name a sentence or headline ends on as its source: "..., Beijing Says", "..., Wang said.", also with a
    time after it, or mid-sentence: "..., the National Health Protection Agency said on Wednesday, adding ..."; or
    a group that ends it: "..., people close to the negotiations said." (None when it ends otherwise, or on a
    pronoun: "..., he said")."""
    text = sentence.strip()
    m = _CLOSING_SPEAKER.search(text) or _MID_SPEAKER.search(text)
    if m is not None and m.group("speaker").split()[0] not in _NOT_SUBJECT:
        return m.group("speaker")
    m = _CLOSING_GROUP.search(text)
    return m.group("group") if m else None


_RELATIVE_CLAUSE = re.compile(r",\s+(?:which|who|whom|whose|where)\b[^,;]*(?:[,;]|$)")


# "She did not say whether ...", "declined to comment": nobody claims anything.
_NOT_REPORTING = re.compile(
    r"\b(?:did\s+not|didn't|does\s+not|doesn't|would\s+not|wouldn't|could\s+not|couldn't|declined\s+to|"
    r"refused\s+to|failed\s+to|not)\s+(?:" + "".join(_REPORTING) + r")\b",
    re.IGNORECASE,
)


def attributed(sentence: str) -> bool:
    """Whether the sentence reports someone's words or view (a quote, "said", "according to", "denies", ...) in
    its main clause. Without that, the article itself makes the claim and it has no claimant of its own; "The US
    sanctioned officials, which several governments have described as genocide" is the article's claim that the
    US sanctioned them (a reporting verb only inside a ", which ..." or ", who ..." clause does not count, nor a
    negated one: "She did not say whether ...")."""
    main = _NOT_REPORTING.sub(" ", _RELATIVE_CLAUSE.sub(" ", sentence))
    # "Planning officers are expected to publish ...": a passive without an agent reports nobody's view
    main = re.sub(_PASSIVE_REPORT.pattern + r"(?!\s+by\b)", " ", main, flags=re.IGNORECASE)
    return _ATTRIBUTION.search(main) is not None


_ACCORDING_TO = re.compile(r"\baccording to\s+(?P<source>[^,;:.!?\"“”()]{3,80}?)\s*(?=[,;:.!?\"“”()]|$)", re.IGNORECASE)


def according_to(sentence: str) -> str | None:
    """The source an "according to ..." names ("the national statistics office"), up to the next punctuation."""
    m = _ACCORDING_TO.search(sentence)
    if m is None:
        return None
    source = m.group("source").strip()
    if source.split()[0].lower() in {"him", "her", "them", "it", "this", "that", "which", "our", "my", "his", "their"}:
        return None  # ("according to our own modelling": the speaker's, whom the other rules find)
    # "the data firm PitchLedger", "the consultancy Oxford Analytica": the name its description comes before
    described = re.match(
        r"^(?:the|a|an)\s+(?:[a-z][\w-]*\s+){1,3}(?P<name>[A-Z][\w&'’.-]*(?:\s+(?:(?:of|for|and)\s+)?[A-Z][\w&'’.-]*){0,4})$",
        source,
    )
    if described:
        return described.group("name")
    # "figures published by the Office for National Statistics" -> that office; "figures published alongside the
    # advisory" names nobody
    if _DOCUMENT.match(source):
        by = _DOCUMENT_BY.search(source)
        return (by.group("name") or by.group("description")) if by else None
    # "finance ministry projections", "an Omnibus Research poll published on Monday": whose they are
    owned = _OWNED_DOCUMENT.match(source)
    return owned.group("owner") if owned else source


# What is not a who: "according to figures ...", "according to a report ...".
_DOCUMENT = re.compile(
    r"(?:(?:the|a|an|new|latest|official|its|their|provisional|preliminary)\s+)*(?:figures|data|statistics|records|"
    r"documents?|estimates?|reports?|study|studies|research|analysis|survey|polls?|filings?|minutes|papers)\b",
    re.IGNORECASE,
)
_OWNED_DOCUMENT = re.compile(  # (the document word in lower case: "Omnibus Research" is a name)
    r"^(?:(?i:the|a|an|its|their|new|latest|official)\s+)*(?P<owner>(?:[\w'’&.-]+\s+){0,4}?[\w'’&.-]+)\s+(?:figures|"
    r"data|statistics|records|documents?|estimates?|projections?|forecasts?|reports?|study|research|analysis|survey|"
    r"polls?|filings?|calculations)(?:\s+(?:published|released|issued|seen|obtained|shared|out)\b.*)?$"
)
_DOCUMENT_BY = re.compile(
    r"\b(?:from|by)\s+(?:(?:the\s+)?(?P<name>[A-Z][\w'’.&-]*(?:\s+(?:(?:of|for|and|&)\s+)?[A-Z][\w'’.&-]*){0,6})"
    r"|(?P<description>the\s+(?:[a-z][\w'’-]*\s+){0,3}[a-z][\w'’-]*)\s*$)"
)


_NAME_WORDS = r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|for|and|de|van|von|al|the)\s+)?[A-Z][\w'’.-]*){0,5}"
# "Hale's barrister, Anthony Reeve, said ...": the name between the commas is who speaks.
_APPOSITIVE_SPEAKER = re.compile(rf"^[^,]{{2,60}},\s+(?P<speaker>{_NAME_WORDS}),\s+(?:" + "".join(_REPORTING) + r")\b")
# "The Industrial Development Agency, which gave Brightline a grant, said ...": an organisation named with "The".
_THE_NAMED_SPEAKER = re.compile(rf"^[\s\"“]*The\s+(?P<speaker>{_NAME_WORDS})\s+(?:" + "".join(_REPORTING) + r")\b")
# A transcript's speaker label ("Voss: We handled ..."); not a question's or a note's.
_LABEL = re.compile(r"^[\s\"“]*(?P<label>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?):\s+\S")
_NOT_LABEL = frozenset(
    {"Q", "A", "Question", "Answer", "Update", "Correction", "Note", "Editor", "Clarification", "Analysis", "Opinion",
     "Comment", "Explainer", "Exclusive", "Breaking", "Live", "Watch", "Listen", "Review", "Interview", "Factcheck",
     "Fact check", "Editorial", "Obituary", "Letters", "Briefing", "Profile", "Feature"}
)  # fmt: skip
# A sentence whose subject is a pronoun reporting something ("He said ...", "It says ..."): its speaker is who the
# pronoun means, never a name that comes after the verb.
_PRONOUN_REPORTS = re.compile(
    _LEAD + r"(?:He|She|They|We|I)\s+(?:also\s+|later\s+|then\s+)?(?:" + "".join(_REPORTING) + r")\b"
)
# "It said ...": the small model named the wrong body twice in three (the previous bullet's council, the story's
# company for a correction note's "It"), so an "It" that reports keeps no claimant; the sentence needs context.
_IT_REPORTS = re.compile(_LEAD + r"(?:(?:But|And|However,?)\s+it|It)\s+(?:also\s+)?(?:" + "".join(_REPORTING) + r")\b")


@functools.lru_cache(maxsize=8)
def _article_names(article_text: str) -> tuple[str, ...]:
    """person_names of a whole article, read once per article (every sentence of a transcript asks)."""
    return tuple(person_names(article_text))


def full_name(name: str, article_text: str) -> str:
    """`name` as the article gives it in full ("Voss" -> "Helena Voss"), or `name` itself."""
    return next((n for n in _article_names(article_text) if n.endswith(name) and n != name), name)


def label_speaker(sentence: str, article_text: str) -> str | None:
    """The speaker a transcript's label names ("Voss: ..."), as the article names them in full ("Helena Voss")."""
    m = _LABEL.match(sentence)
    if m is not None and m.group("label") in ("Q", "Question"):
        return interviewer(article_text)
    if m is None or m.group("label") in _NOT_LABEL:
        return None
    return full_name(m.group("label"), article_text)


# "In an interview with political editor Hannah Reyes", "speaking to our reporter Ana Costa": the one asking.
_INTERVIEWER = re.compile(
    r"\b(?:interview(?:ed)?\s+(?:with|by)|spoke\s+to|speaking\s+to|talked\s+to|told)\s+(?:(?:our|the|its|a|[a-z]+)\s+){0,3}?"
    r"(?:editor|reporter|correspondent|presenter|host|journalist|interviewer|writer)\s+"
    r"(?P<name>[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)"
)


def interviewer(article_text: str) -> str | None:
    """Who asks a transcript's questions ("Q: ..."): the one journalist the article says conducted the interview
    ("In an interview with political editor Hannah Reyes"), or None when it names none or several."""
    names = {m.group("name") for m in _INTERVIEWER.finditer(article_text)}
    return names.pop() if len(names) == 1 else None


def speaker_label_at(article_text: str, start: int) -> str | None:
    """The transcript label of the line a sentence at `start` belongs to: every sentence of Voss's answer is Voss's,
    not only the one after "Voss:"."""
    line_start = article_text.rfind("\n", 0, start) + 1
    line_end = article_text.find("\n", start)
    return label_speaker(article_text[line_start : line_end if line_end >= 0 else len(article_text)], article_text)


def named_speaker(sentence: str) -> str | None:
    """A speaker named before the reporting verb with "The" or as an aside between commas, or None."""
    main = _RELATIVE_CLAUSE.sub(" ", sentence.strip())
    m = _APPOSITIVE_SPEAKER.match(main)
    if m and m.group("speaker").split()[0] not in _NOT_SUBJECT:
        return m.group("speaker")
    m = _THE_NAMED_SPEAKER.match(main)
    if m and not _REPORTING_WORD.fullmatch(m.group("speaker").split()[-1]):
        return m.group("speaker")
    return None


def pronoun_reports(sentence: str) -> bool:
    """Whether the sentence's subject is a pronoun that reports ("He said ...", "- It said ...")."""
    return _PRONOUN_REPORTS.match(sentence) is not None or _IT_REPORTS.match(sentence) is not None


# "The company said ...", "A spokesperson for the club said ...": a speaker the article named earlier.
_DESCRIBED_REPORTS = re.compile(
    _LEAD + r"(?:The|A|An)\s+(?:[a-z][\w'’-]*\s+){1,5}?(?:also\s+)?(?:" + "".join(_REPORTING) + r")\b"
)


def body_reports(sentence: str) -> bool:
    """Whether a described body reports the sentence ("The club said ...", "The council also warned ...")."""
    m = _DESCRIBED_REPORTS.match(sentence)
    return m is not None and any(w.lower() in INSTITUTION_WORDS for w in re.findall(r"[A-Za-z]+", m.group(0)))


def reporter_elsewhere(sentence: str) -> int | None:
    """Where the reported words start when the one reporting is named only elsewhere in the article: a pronoun
    ("He said ...", "..., she said") or a description ("The company said ..."). None otherwise."""
    label = _LABEL.match(sentence)
    if label and label.group("label") in _NOT_LABEL:
        return None  # "Correction: An earlier version of this article said ...": the outlet itself
    for pattern in (_PRONOUN_REPORTS, _DESCRIBED_REPORTS):
        m = pattern.match(sentence)
        if m:
            return m.end()
    return 0 if closing_pronoun(sentence) else None


_QUOTE_MARKS = '"“”'
# What follows the closing mark of a quotation: '," Cho wrote', '?" she wrote', '," said Amira Khan'.
_AFTER_QUOTE = re.compile(
    r"^[,.?!]?\s*(?:(?P<who>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}|he|she|they)\s+(?:"
    + _CLOSING_VERBS
    + r")|(?:"
    + _CLOSING_VERBS
    + r")\s+(?:[a-z][\w-]*\s+){0,3}"
    # (whose role comes first: 'said TourLedger's head of research, Owen Farrant' is Owen Farrant)
    r"(?:[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,3}['’]s\s+(?:[\w-]+\s+){1,4}?[\w-]+,\s+)?"
    r"(?P<after>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}))\b"
)


def _quote_marks(text: str) -> int:
    """How many double quotation marks `text` holds (straight or curly)."""
    return sum(text.count(q) for q in _QUOTE_MARKS)


def _paragraph_before(article_text: str, start: int) -> str:
    """The text of the paragraph `start` is in, up to `start`, after the line break that opens it (so a title
    opening the paragraph is not taken for a sentence's capitalised first word: "Councillor Fiona Grant")."""
    para_start = article_text.rfind("\n\n", 0, start)
    return article_text[para_start + 1 if para_start >= 0 else 0 : start]


def split_quote_speaker(article_text: str, start: int, end: int) -> str | None:
    """Who said a quotation the sentence at `start:end` opens but does not close ('"Violent crime down 30% since I
    took office.' ... '," Cho wrote on X'): the speaker the words after its closing mark name, in full as the
    article names them; for "she wrote", the last person named before the quotation in its paragraph. None when
    the sentence is not such a quotation or nobody is named."""
    sentence = article_text[start:end]
    if not sentence.lstrip().startswith(('"', "“")) or _quote_marks(sentence) % 2 == 0:
        return None
    para_end = article_text.find("\n\n", end)
    rest = article_text[end : para_end if para_end >= 0 else len(article_text)]
    close = next((i for i, ch in enumerate(rest) if ch in '"”'), None)
    if close is None:
        return None
    m = _AFTER_QUOTE.match(rest[close + 1 : close + 120])
    if m is None:
        return None
    who = m.group("who") or m.group("after")
    if who is None or who.split()[0] in _NOT_SUBJECT - {"He", "She", "They"}:
        return None
    if who.lower() in ("he", "she", "they"):
        before = person_names(_paragraph_before(article_text, start))
        return _previous_speaker(article_text, start) or (before[-1] if before else None)
    return full_name(who, article_text)


def inside_quote_speaker(article_text: str, start: int, end: int) -> str | None:
    """Who said a sentence in the middle or at the end of a quotation its paragraph opened before it ('Adebayo
    said: "He left at 2am. We know he did not arrive."'): the speaker the words after the closing mark name, else
    the one reporting in the sentence where the quotation opened. None when the sentence is not inside one."""
    before = _paragraph_before(article_text, start)
    if _quote_marks(before) % 2 == 0:
        return None
    para_end = article_text.find("\n\n", start)
    after = article_text[start : para_end if para_end >= 0 else len(article_text)]
    close = next((i for i, ch in enumerate(after) if ch in '"”'), None)
    opened = start - len(before) + max(before.rfind('"'), before.rfind("“"))
    if close is not None and (m := _AFTER_QUOTE.match(after[close + 1 : close + 120])):
        who = m.group("who") or m.group("after")
        if who and who.lower() not in ("he", "she", "they") and who.split()[0] not in _NOT_SUBJECT:
            return full_name(who, article_text)
        if who and who.lower() in ("he", "she"):
            return _previous_speaker(article_text, opened)
    offset = max(0, opened - 600)
    around = [x for x in split_sentences(article_text[offset:start]) if x.start <= opened - offset < x.end]
    if not around:
        return None
    first = around[0]
    speaker = sentence_speaker(first.text, article_text)
    if speaker:
        names = person_names(speaker)
        return full_name(names[-1], article_text) if names and not speaker.endswith(names[-1]) else speaker
    # the quotation went on from one attributed before it ('"...," said Dean Whitlock. "We have ... Some are ..."')
    return continued_quote_speaker(article_text, offset + first.start, offset + first.end)


def continued_quote_speaker(article_text: str, start: int, end: int) -> str | None:
    """Who said a sentence that is a quotation and nothing else ('"We are on track to double our capacity."') right
    after a quotation of the same paragraph attributed to someone ('"...," said chief executive Amira Khan.'): the
    same speaker, as the article names them; also when the sentence opens a quotation that goes on past it ('"We
    have members working 60-hour weeks.' after '"...," said Dean Whitlock.'). None otherwise."""
    sentence = article_text[start:end].strip()
    if len(sentence) < 3 or sentence[0] not in '"“':
        return None
    whole = sentence[-1] in '"”' and _quote_marks(sentence) == 2
    if not whole and _quote_marks(sentence) != 1:
        return None  # a quotation with an attribution inside, or two quotations
    before = _paragraph_before(article_text, start).rstrip()
    close = max(before.rfind('"'), before.rfind("”"))
    if close < 0 or "\n" in before[close:]:
        return None
    m = _AFTER_QUOTE.match(before[close + 1 :])
    if m is None:
        return None
    who = m.group("who") or m.group("after")
    if who is None or who.lower() == "they":
        return None
    if who.lower() in ("he", "she"):  # '"...," he said. "The vaccine ..."': who reported before, or the one named
        return _previous_speaker(article_text, start) or _one_person_before(article_text, start)
    return full_name(who, article_text)


def _reporting_pronoun(sentence: str) -> str | None:
    """The pronoun that reports a sentence ("She said ...", '"...," he added'), lower case, or None."""
    m = _PRONOUN_REPORTS.match(sentence)
    if m is not None:
        word = re.search(r"\b(?:He|She|They|We|I)\b", m.group(0))
        return word.group(0).lower() if word else None
    closing = closing_pronoun(sentence)
    return closing.lower() if closing else None


def _previous_speaker(article_text: str, start: int, pronoun: str | None = None) -> str | None:
    """The person the sentences just before `start` (in its paragraph, else the paragraph before) have reporting,
    as the article names them in full: who "she added" or '"...," he said' goes on from ('Council leader Martin
    Oduya, whose Liberal Democrats hold 31 seats, said ...'). None when the nearest reported sentence's speaker is
    no person or none is found in six sentences."""
    offset = max(0, start - 1500)
    sentences = [x for x in split_sentences(article_text[offset:start]) if x.text.strip()][-6:]
    for sentence in reversed(sentences):
        speaker = sentence_speaker(sentence.text, article_text)
        if speaker is None:
            other = _reporting_pronoun(sentence.text)
            if other is not None and other in ("he", "she") and other == pronoun:
                # "She said ... . Asked about ..., she said": the same one the sentence before meant
                return pronoun_speaker(article_text, offset + sentence.start, offset + sentence.end)
            continue
        names = person_names(speaker)
        if names and speaker.endswith(names[-1]):
            return speaker  # as the sentence gives them ("Councillor Fiona Grant")
        if names or _PERSON_TITLE.search(speaker):
            return full_name(names[-1] if names else speaker, article_text)
        full = full_name(speaker, article_text) if " " not in speaker else speaker
        if full != speaker and full.endswith(speaker) and person_names(full):
            return full  # a surname alone ("Mason said ..."), who the article named in full before
        return None  # the one reporting just before is a body or a group: not "he" or "she"
    return None


def _one_person_before(article_text: str, start: int) -> str | None:
    """The one person the paragraph names before `start` (as the article names them in full), or None when it
    names nobody or more than one: who "he said" means when nobody else could be meant."""
    people: list[str] = []
    for name in person_names(_paragraph_before(article_text, start)):
        full = full_name(name, article_text)
        if not any(p.split()[-1] == full.split()[-1] for p in people):
            people.append(full)
    return people[0] if len(people) == 1 else None


def pronoun_speaker(article_text: str, start: int, end: int) -> str | None:
    """Who "He said ..." / '"...," she said' is in the sentence at `start:end`: the person the sentences just before
    have reporting, else the one person its paragraph names before it; None when a pronoun does not report the
    sentence, or neither says."""
    sentence = article_text[start:end]
    if _PRONOUN_REPORTS.match(sentence) is None and closing_pronoun(sentence) is None:
        return None
    if not _quote_marks(sentence):  # "He said crime rose ...": who the sentence before was about, if it opened so
        subject = _previous_subject(article_text, start)
        if subject:
            return subject
    pronoun = _reporting_pronoun(sentence)
    return _previous_speaker(article_text, start, pronoun) or _one_person_before(article_text, start)


def _previous_subject(article_text: str, start: int) -> str | None:
    """The person the sentence just before `start`, in its paragraph, opens with as its subject ("Ray Okonkwo has
    made public safety ...", "Raducanu, who won ..., has struggled"): the name as that sentence gives it, or a
    surname alone in full; None when it opens otherwise ("Water minister Emma Hardy": a role, not a subject)."""
    before = [x for x in split_sentences(_paragraph_before(article_text, start)) if x.text.strip()]
    if not before:
        return None
    text = _LEAD_IN.sub("", before[-1].text.strip(), count=1)
    aside = re.match(r"[^,]{2,60}?,\s+(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2}),\s+(?:\d{1,3},\s+)?[a-z]", text)
    if aside and person_names(aside.group("name")) == [aside.group("name")]:
        # "Mr Moore's partner, Alice Grant, read a statement", "The driver, Keith Barnard, 58, gave evidence"
        return aside.group("name")
    m = re.match(
        r"(?P<run>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})(?=,|\s+(?:has|had|is|was|will|would|said|told|[a-z]+ed|[a-z]+s)\b)",
        text,
    )
    if m is None or m.group("run").split()[0] in _NOT_SUBJECT:
        return None
    run = m.group("run")
    names = person_names(run)
    if names and run.endswith(names[-1]):
        return run  # as the sentence gives them ("Detective Sergeant Ian Brooks")
    if " " in run:
        return None
    full = full_name(run, article_text)
    return full if full != run and full.endswith(run) and person_names(full) else None


def claimant_in_context(article_text: str, start: int, end: int, claimant: str | None) -> str | None:
    """The claimant of the sentence at `start:end` once its surroundings are read: who closes a quotation it opens
    ('"Violent crime down 30% ...' ... '," Cho wrote'), or who said the quotation it goes on from ('"...," said
    Amira Khan. "We are on track ..."'), or the body a description reports for ("..., the agency said", as the
    article named it before), over `claimant` (the sentence's own, by rules or a checked model); failing all, a
    transcript's answering speaker."""
    return (
        split_quote_speaker(article_text, start, end)
        or continued_quote_speaker(article_text, start, end)
        or inside_quote_speaker(article_text, start, end)
        # "The council said ...": a body the article named, over a model's answer (it named the council's engineer)
        or described_body(article_text, start, end)
        or spokesperson_body(article_text, start, end)
        or owned_body(article_text[start:end], article_text)
        or claimant
        or pronoun_speaker(article_text, start, end)
        or it_reporter(article_text, start, end)
        or shown_by(article_text, start, end)
        or unnamed_body(article_text[start:end])
        or speaker_label_at(article_text, start)
    )


_REPORTS = (
    _HAS
    + r"(?:also\s+)?(?:said|says|told|added|confirmed|announced|warned|denied|called|described|disputed|stated|wrote)\b"
)
# "The ambulance service said ...", "..., the city clerk's office said.": a body described, never named.
_UNNAMED_NOUNS = "|".join(
    sorted(
        INSTITUTION_WORDS
        - {"company", "corp", "inc", "ltd", "llc", "plc", "group", "city", "county", "street", "port", "news", "times"}
        - {"press", "review", "report", "index", "statistics", "states", "nations", "kingdom", "republic", "media"}
        - {"international", "network", "society", "survey", "league", "party", "fund", "motors", "airlines"}
    )
)
_UNNAMED_BODY = re.compile(
    r"(?:^[\s\"“]*(?:[A-Z][a-z]+(?:\s+[a-z]+)?,\s+)?|,[\"”]?\s+)[Tt]he\s+(?P<body>(?:[a-z][\w'’-]*\s+){0,3}?"
    rf"(?:{_UNNAMED_NOUNS}))\s+{_REPORTS}"
)
# "Deveraux's campaign called ...", "Halasz's office said ...": whose campaign, office, lawyers.
_OWNED_BODY = re.compile(
    r"^[\s\"“]*(?P<owner>[A-Z][\w-]+(?:\s+[A-Z][\w-]+){0,2})['’]s\s+(?P<body>campaign|office|lawyers?|attorneys?|"
    rf"team|family|spokes(?:person|man|woman)|representatives?|aides?)\s+(?:,[^,]{{1,80}},\s+)?{_REPORTS}"
)


# "City records show ...", "..., central bank data show.": whose records or data the sentence reports.
_SHOW_VERBS = r"(?:show|shows|showed|suggest|suggests|suggested|indicate|indicates|indicated)\b"
_DOCUMENT_SHOWS = re.compile(
    r"(?:^[\s\"“]*|,\s+)(?P<owner>(?:[\w'’&.-]+\s+){1,4}?)(?P<document>data|figures|records|statistics)\s+"
    + _SHOW_VERBS
)
_NO_OWNER = frozenset(
    "the a an official new latest provisional preliminary these those recent separate its their other more".split()
)


def shown_by(article_text: str, start: int, end: int) -> str | None:
    """Whose data a sentence reports when they "show" it: "City records show ..." -> "city records", "...,
    central bank data show." -> the central bank the article named ("National Bank of Estrava"), else as written;
    None when the data are nobody's ("Official figures show ...")."""
    m = _DOCUMENT_SHOWS.search(article_text[start:end])
    if m is None:
        return None
    owner = m.group("owner").split()
    if all(w.lower() in _NO_OWNER for w in owner):
        return None
    before = article_text[:start]
    if [w.lower() for w in owner[-2:]] == ["central", "bank"]:
        banks = set(bodies_named("bank", before)) | set(bodies_named("reserve", before))
        if len(banks) == 1:
            return next(iter(banks))
    noun = owner[-1].lower()
    if noun in INSTITUTION_WORDS:
        named = _holding(_bodies_of_kind(noun, before), owner[:-1])
        if len(set(named)) == 1:
            return named[0]
    words = " ".join([*owner, m.group("document")])
    # ("City records": capitalised only as the sentence's first word)
    return words[0].lower() + words[1:] if owner[0].lower() in INSTITUTION_WORDS and len(owner) == 1 else words


def owned_body(sentence: str, article_text: str) -> str | None:
    """Whose campaign, office or lawyers report the sentence: "Deveraux's campaign called ..." -> "Mayor Carla
    Deveraux's campaign" (the owner as the article names them in full; a model tends to answer the owner), or
    None."""
    m = _OWNED_BODY.match(sentence)
    return f"{full_name(m.group('owner'), article_text)}'s {m.group('body')}" if m else None


def unnamed_body(sentence: str) -> str | None:
    """Who reports a sentence whose source the article describes without naming: "The ambulance service said"
    -> "the ambulance service". Used only when nothing names the source; None otherwise."""
    m = _UNNAMED_BODY.search(sentence)
    return f"the {m.group('body')}" if m else None


def it_reporter(article_text: str, start: int, end: int) -> str | None:
    """Who "It" is in "It said ..." / "It also said ...": the body the sentence just before reports for (its
    "according to", its "..., the agency said", its opening "Harlow Foods said"), when that is an institution, not a
    person. None otherwise (a model asked the same question named the wrong body twice in three)."""
    if _IT_REPORTS.match(article_text[start:end]) is None:
        return None
    return _body_before(article_text, start)


def _body_before(article_text: str, start: int, *, company: bool = False) -> str | None:
    """The body (an institution, not a person or a group) the sentence just before `start` reports for, or None.
    With `company` (the sentence itself speaks of "the company"), a two-word name such as "Greywell Homes" is taken
    for a company too, unless the article calls it by its last word alone somewhere, as it would a person."""
    before = [s for s in split_sentences(article_text[max(0, start - 1500) : start]) if s.text.strip()]
    if not before:
        return None
    offset = max(0, start - 1500)
    prev = before[-1]
    prev_start, prev_end = offset + prev.start, offset + prev.end
    body = described_body(article_text, prev_start, prev_end) or rule_claimant(prev.text, article_text)
    if not body:
        return None
    words = body.split()
    institution = any(w.lower().strip(".,") in INSTITUTION_WORDS for w in words) or any(
        w.isupper() and len(w) >= 2 for w in words
    )
    # "Corwen & Lyle", "Railnet": a name that is no person's (no first name and surname, no title) is a body too
    body_name = not person_names(body) and body[:1].isupper() and body.split()[0] not in _GROUP_WORDS
    if company and not body_name and len(words) >= 2:
        alone = re.compile(rf"(?<!{re.escape(words[-2])} ){re.escape(words[-1])}\b")
        body_name = alone.search(article_text) is None
    return body if (institution or body_name) and not _PERSON_TITLE.search(body) else None


# "The spokesperson said", '"...," the company's spokeswoman added': the one a sentence before spoke of.
_THE_SPOKESPERSON = re.compile(
    r"(?:^[\s\"“]*|,[\"”]?\s+)the\s+(?:(?:company|firm)(?:'s|’s)\s+)?spokes(?:person|man|woman)\s+(?:also\s+)?"
    r"(?:said|says|added|told|confirmed)\b",
    re.IGNORECASE,
)


def spokesperson_body(article_text: str, start: int, end: int) -> str | None:
    """Whom a spokesperson speaks for in the sentence at `start:end`: "a spokesperson for the company said" -> the
    one company named with a legal form, else the body the sentence just before reports for ("Greywell Homes said
    ... In a statement, a spokesperson for the company said ..."); "the spokesperson said" -> whom the last
    spokesperson spoken of before (within six sentences) speaks for. None when neither says."""
    sentence = article_text[start:end]
    m = _SPOKESPERSON_FOR.match(_LEAD_IN.sub("", sentence.strip(), count=1))
    if m is not None:
        noun = (m.group("noun") or "").lower()
        if noun not in _COMPANY_WORDS:
            return None
        named = company_named(noun, article_text[:start])
        return named[0] if named else _body_before(article_text, start, company=True)
    if _THE_SPOKESPERSON.search(sentence) is None:
        return None
    offset = max(0, start - 2000)
    before = [s for s in split_sentences(article_text[offset:start]) if s.text.strip()][-6:]
    for prev in reversed(before):
        if _SPOKESPERSON_FOR.match(_LEAD_IN.sub("", prev.text.strip(), count=1)):
            return lead_speaker(prev.text, article_text) or spokesperson_body(
                article_text, offset + prev.start, offset + prev.end
            )
    return None


_BODY_NOUNS = "|".join(
    sorted(INSTITUTION_WORDS - {"news", "times", "press", "review", "report", "index", "statistics"})
)
_BODY_REPORTER = re.compile(
    rf"(?:^[\s\"“]*|,\s*|\baccording to\s+)the\s+(?:(?P<modifier>[a-z]{{4,}})\s+)??(?P<noun>{_BODY_NOUNS}|[a-z]{{4,}})\b"
    r"(?:\s+"
    + _HAS
    + r"(?:also\s+)?(?:said|says|told|added|confirmed|announced|advised|warned|denied|disputes|disputed|stated|wrote|"
    r"urged|recorded|reported|counted|registered|estimated|estimates|found|forecast|forecasts)\b|\s*[.,])",
    re.IGNORECASE,
)
# A headline's reporter after a comma, without "the": "Whooping cough cases quadrupled last year, health agency warns".
_HEADLINE_REPORTER = re.compile(
    rf",\s+(?:(?P<modifier>[a-z]{{4,}})\s+)?(?P<noun>{_BODY_NOUNS})\s+(?:says|warns|finds|claims|reports|admits|confirms)\s*$"
)
# A union the article names as a workers' association: "the United Road Transport Workers' Association".
_WORKERS = re.compile(
    r"\b(?:Workers|Employees|Staff|Drivers|Nurses|Teachers|Doctors|Pilots|Journalists|Firefighters|Officers|"
    r"Engineers|Miners|Dockers|Lecturers|Midwives)[’']?\s"
)


def _holding(names: Iterable[str], words: Iterable[str]) -> list[str]:
    """The names that hold every one of `words` as a word of their own ("National Weather Office" for "weather")."""
    wanted = [w.lower() for w in words]
    return [n for n in names if all(w in n.lower().split() for w in wanted)]


def _bodies_of_kind(noun: str, text: str) -> list[str]:
    """bodies_named, and for "union" also the workers' associations, federations and guilds `text` names."""
    found = bodies_named(noun, text)
    if noun.lower() == "union":
        kin = [n for kind in ("association", "federation", "guild") for n in bodies_named(kind, text)]
        found += [n for n in kin if _WORKERS.search(n + " ")]
        found.sort(key=lambda n: text.rfind(n))
    return found


def described_body(article_text: str, start: int, end: int) -> str | None:
    """The body a sentence's reporter describes ("The agency said ...", "..., the council said", "according to the
    ministry", "The weather office said"), as the article named it last before the sentence ("the UK Health
    Security Agency (UKHSA) said" -> "UK Health Security Agency"; "the union" -> "United Road Transport Workers'
    Association"); None when no earlier name has that word (and the word before it: "National Weather Office")."""
    m = _BODY_REPORTER.search(article_text[start:end])
    before = article_text[:start]
    headline = False
    if m is None:
        # a headline's "..., health agency warns" (no "the"): the one body of that kind the story names
        headline_end = article_text.find("\n")
        m = _HEADLINE_REPORTER.search(article_text[start:end]) if 0 <= start < headline_end else None
        before, headline = article_text, True
    if m is None:
        return None
    noun, modifier = m.group("noun"), m.group("modifier")
    kind = "police" if noun.lower() == "force" else noun  # "the force": the police force named
    found = (_bodies_of_kind(kind, before) if kind.lower() in INSTITUTION_WORDS else []) or appositive_names(
        noun, before
    )
    found = found or company_named(noun, before)
    if modifier:
        found = _holding(found, [modifier])
    if headline and len(set(found)) != 1:
        return None  # the whole story names several: which one the headline means is a guess
    return found[-1] if found else None


_COMPANY_WORDS = frozenset("company firm business group corporation".split())
_LEGAL_FORMS = "Inc Ltd plc PLC ASA Corp Corporation LLC AG SA GmbH NV Co Limited Holdings".split()
_COMPANY_NAME = re.compile(rf"\b(?:[A-Z][\w&'’.-]*\s+){{1,4}}(?:{'|'.join(_LEGAL_FORMS)})\b\.?")


def company_named(noun: str, text: str) -> list[str]:
    """For "the company" / "the firm": the one company `text` names with a legal form ("Pulsewise Inc", "Halvorsen
    ASA"), or nothing when it names none or several."""
    if noun.lower() not in _COMPANY_WORDS:
        return []
    names = {re.sub(r"^(?:The|A|An)\s+", "", m.group(0).rstrip(".")) for m in _COMPANY_NAME.finditer(text)}
    return list(names) if len(names) == 1 else []


def appositive_names(noun: str, text: str) -> list[str]:
    """The names `text` gives a description in an aside ("the government's own spending watchdog, the Office for
    Fiscal Oversight," -> "Office for Fiscal Oversight" for "watchdog"), in order."""
    pattern = re.compile(
        rf"\b(?i:{re.escape(noun)}),\s+(?:the\s+)?(?P<name>[A-Z][\w'’&.-]*(?:\s+(?:[A-Z][\w'’&.-]*|of|for|and|&)){{0,6}}?)"
        r"\s*(?=[,.;(]|\s+(?:said|says|which|who)\b)"
    )
    return [m.group("name") for m in pattern.finditer(text)]


def bodies_named(noun: str, text: str) -> list[str]:
    """The names in `text` of bodies of one kind ("agency" -> "UK Health Security Agency", "Agency for ..."), in
    order of appearance, each as written (without a leading "The" or a sentence's capitalised opening word)."""
    noun = noun.capitalize()
    name = re.compile(
        rf"\b((?:[A-Z][\w'’&.-]*[ \t]+){{1,5}}{noun}\b(?:[ \t]+(?:of|for)(?:[ \t]+the)?(?:[ \t]+(?:and[ \t]+)?[A-Z][\w'’-]*){{1,5}})?)"
        rf"|\b({noun}[ \t]+(?:of|for)(?:[ \t]+the)?(?:[ \t]+(?:and[ \t]+)?[A-Z][\w'’-]*){{1,5}})"
    )
    found = []
    for mm in name.finditer(text):
        words = (mm.group(1) or mm.group(2)).split()
        # a sentence ended inside the run ("... in October. The International Monetary Fund"): "St." and "U.S." did not
        ends = [
            i
            for i, w in enumerate(words[:-1])
            if w.endswith((".", ":", "!", "?")) and (len(w) > 4 or w[:-1] in _LEGAL_FORMS) and "." not in w[:-1]
        ]
        words = words[ends[-1] + 1 :] if ends else words
        while words and (words[0] in ("The", "A", "An") or words[0].lower() in _NOT_A_NAME_START):
            words = words[1:]
        if len(words) >= 2:
            found.append(" ".join(words))
    return found


# Kinds of body "the water authority" may name: the _BODY_KINDS a body's name ends on.
_BODY_NOUN_WORDS = "authority|agency|council|office|board|service|commission|trust|department|ministry|union|court"
# Words of a title or role before a person's name ("Finance Minister Oana Drescu", "Dr Samuel Achterberg").
_TITLE_WORDS = frozenset(
    """
    Professor Prof Dr Mr Mrs Ms Miss Sir Dame Lord Lady Minister Secretary President Chancellor Judge Justice Inspector
    Sergeant Sgt Detective Constable Captain Colonel General Senator Governor Mayor Councillor Cllr MP Deputy Chief
    Executive Director Leader Spokesman Spokeswoman Spokesperson Chair Chairman Chairwoman Coach Manager Officer
    Commissioner Superintendent Commander Bishop Rev Reverend Father Sister Saint St Councilman Councilwoman
    Alderman Alderwoman Congressman Congresswoman Assemblyman Assemblywoman Representative Rep Sen
    """.split()
)
# Kinds of body a statement may call "the hospice" after the article named it ("St Brendan's Hospice").
_BODY_KINDS = (
    INSTITUTION_WORDS
    - {"news", "times", "press", "review", "report", "index", "statistics", "states", "nations", "kingdom"}
    - {"republic", "city", "county", "street", "port", "international", "group", "network", "society"}
) | {"hospice", "tribunal", "inquiry", "regulator", "charity", "firm", "airline", "club", "team", "prison"}
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]?")
_WORD_RUN = re.compile(r"[\w'’-]+")


def _person_in_full(name: str) -> str | None:
    """A name without the title or role before it ("Finance Minister Oana Drescu" -> "Oana Drescu"); None when
    less than a first name and a surname is left."""
    words = name.split()
    last_title = max((i for i, w in enumerate(words) if w.rstrip(".") in _TITLE_WORDS), default=-1)
    words = words[last_title + 1 :]
    return " ".join(words) if len(words) >= 2 else None


@functools.lru_cache(maxsize=8)
def _word_runs(article_text: str) -> frozenset[str]:
    """Every maximal run of word characters, apostrophes and hyphens in an article, read once per article."""
    return frozenset(_WORD_RUN.findall(article_text))


def _written_in_lower_case(word: str, article_text: str) -> bool:
    """Whether the article also writes `word` in lower case, as a whole word ("mason" for "Mason")."""
    low = word.lower()
    if _WORD_RUN.fullmatch(low):
        return low in _word_runs(article_text)
    return re.search(rf"(?<![\w'’-]){re.escape(low)}(?![\w'’-])", article_text) is not None


@functools.lru_cache(maxsize=4096)
def _words_after(word: str, article_text: str) -> frozenset[str]:
    """The capitalised words that follow `word` anywhere in the article ("Public" and "State" after "Bellhaven")."""
    return frozenset(n.group(1) for n in re.finditer(rf"\b{re.escape(word)}\s+([A-Z][\w'’-]*)", article_text))


def named_in_full(statement: str, article_text: str, start: int) -> str:
    """`statement` with who a bare surname or "the hospice" means, as the article named them before `start`:
    the first "Ashdown" -> "Colin Ashdown" (one person of that surname), the first "the hospice" -> "St Brendan's
    Hospice" (one body of that kind), "Halvorsen" -> "Halvorsen ASA" (the one company of that first word named with
    a legal form), "Police" -> "Severnshire Police" (the one force named). The headline (the first line) is
    resolved by the whole article, which it sums up. Words inside quotation marks are left as they were said; a
    name or body the article names in several ways is left alone (never a guess)."""
    headline_end = article_text.find("\n")
    before = article_text if 0 <= start < headline_end else article_text[:start]
    quoted = [m.span() for m in _QUOTED.finditer(statement)]

    def in_quote(i: int) -> bool:
        return any(a <= i < b for a, b in quoted)

    people: dict[str, set[str]] = {}

    def lower_case(word: str) -> bool:
        return _written_in_lower_case(word, article_text)

    for name in person_names(before[headline_end if headline_end > 0 else 0 :]):  # (not the title-case headline)
        full = _person_in_full(name)
        if full:
            # by surname ("Ashdown"), or by the name written first ("Wang" for "Wang Wenbin") when that word goes
            # on into no other name (not "Bellhaven" of "Bellhaven Public Radio" and "Bellhaven State University")
            first, last = full.split()[0], full.split()[-1]
            goes_on = _words_after(first, article_text)
            for key in {last} | ({first} if goes_on <= {full.split()[1]} else set()):
                if not lower_case(key):
                    people.setdefault(key, set()).add(full)  # (never a word the article also writes in lower case)
    # a company by the first word of its name with a legal form: "Halvorsen" for "Halvorsen ASA"
    for m in _COMPANY_NAME.finditer(before[headline_end if headline_end > 0 else 0 :]):
        words = re.sub(r"^(?:The|A|An)\s+", "", m.group(0).rstrip(".")).split()
        if len(words) >= 2 and words[0] not in _NOT_SUBJECT and not lower_case(words[0]):
            people.setdefault(words[0], set()).add(" ".join(words))
    out, done, pos = [], set(), 0
    for m in re.finditer(r"(?<![\w'’.-])([A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?)(?=['’]s\b|\b)", statement):
        word = m.group(1)
        fulls = people.get(word)
        if not fulls or len(fulls) != 1 or word in done or in_quote(m.start()):
            continue
        (full,) = fulls
        previous = statement[: m.start()].rstrip().split(" ")[-1] if statement[: m.start()].strip() else ""
        after_name = previous[:1].isupper() and not re.search(r"[.!?:;,\"“”]$", previous)
        if full in statement or (after_name and previous.rstrip(".") not in _COURTESY_TITLES):
            continue  # already in full, or after a first name or a rank ("Colin Ashdown", "Detective Holt")
        if full.startswith(word + " ") and re.match(rf"\s+{re.escape(full.split()[1])}\b", statement[m.end() :]):
            continue  # "Brightpath Freight" for "Brightpath Freight Inc": named already
        out.append(statement[pos : m.start()] + full)
        pos = m.end()
        done.add(word)
    statement = "".join(out) + statement[pos:]

    def body(m: re.Match[str]) -> str:
        noun = m.group("noun")
        names = set(bodies_named(noun, before)) if noun.lower() in _BODY_KINDS else set()
        names = names or set(appositive_names(noun, before)) or set(company_named(noun, before))
        if len(names) != 1 or in_quote(m.start()) or noun.lower() in done:
            return m.group(0)
        (name,) = names
        if name in statement:
            return m.group(0)
        done.add(noun.lower())
        the = re.search(rf"\bthe\s+{re.escape(name)}", before, re.IGNORECASE) is not None
        return (m.group("the") + " " + name) if the else name

    quoted = [m.span() for m in _QUOTED.finditer(statement)]
    statement = re.sub(r"\b(?P<the>[Tt]he)\s+(?P<noun>[a-z]+)\b(?!\s+(?:of|for)\b)", body, statement)

    # "the water authority" -> "Norvale Water Authority": the one body of that kind whose name has that word too
    def described(m: re.Match[str]) -> str:
        modifier, noun = m.group("modifier"), m.group("noun")
        names = set(_holding(bodies_named(noun, before), [modifier]))
        if len(names) != 1 or in_quote(m.start()) or noun.lower() in done or next(iter(names)) in statement:
            return m.group(0)
        done.add(noun.lower())
        (name,) = names
        the = re.search(rf"\bthe\s+{re.escape(name)}", before, re.IGNORECASE) is not None
        return (m.group(0)[:3] + " " + name) if the else name

    quoted = [m.span() for m in _QUOTED.finditer(statement)]
    statement = re.sub(rf"\b[Tt]he\s+(?P<modifier>[a-z]{{4,}})\s+(?P<noun>{_BODY_NOUN_WORDS})\b", described, statement)

    # "the mayor" -> "Mayor Carla Deveraux": the one person the article gave that title
    def titled(m: re.Match[str]) -> str:
        title = m.group("title").capitalize()
        holders = set(
            re.findall(
                rf"\b{title}\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?){{1,2}}", before
            )
        )
        holders = {h for h in holders if not _NOT_PERSON & set(h.split()[1:])}
        if len(holders) != 1 or in_quote(m.start()) or title in done:
            return m.group(0)
        (holder,) = holders
        if holder in statement or (_person_in_full(holder) or holder) in statement:
            return m.group(0)
        done.add(title)
        return holder

    quoted = [m.span() for m in _QUOTED.finditer(statement)]
    statement = re.sub(
        r"\b[Tt]he\s+(?P<title>mayor|governor|chancellor|premier|coroner)\b(?!\s+of\s+(?:the\s+)?[A-Z])",
        titled,
        statement,
    )

    # "Police said ..." / "arrested by police" / "the force": the one force the article named ("Severnshire Police")
    quoted = [m.span() for m in _QUOTED.finditer(statement)]
    police = re.search(r"(?<![\w'’-])(?<!the )(?<!The )[Pp]olice\b|\b[Tt]he force\b", statement)
    forces = set(bodies_named("police", before)) if police else set()  # (the article is read only when needed)
    if len(forces) == 1 and police and not in_quote(police.start()) and "police" not in done:
        (force,) = forces
        previous = statement[: police.start()].rstrip().split(" ")[-1] if statement[: police.start()].strip() else ""
        if force not in statement and not (previous[:1].isupper() and not re.search(r"[.!?:;,\"“”]$", previous)):
            statement = statement[: police.start()] + force + statement[police.end() :]

    # a short name the article spelled out before: "Ofem" -> "the Office of Energy Markets (Ofem)", once
    quoted = [m.span() for m in _QUOTED.finditer(statement)]
    for abbreviation, (full, the) in _abbreviations(before).items():
        if full in statement:
            continue
        short = re.search(rf"(?<![\w(]){re.escape(abbreviation)}(?![\w)])", statement)
        if short is None or in_quote(short.start()):
            continue
        article = "the " if the and not statement[: short.start()].rstrip().lower().endswith("the") else ""
        named = f"{article}{full} ({abbreviation})"
        named = named[0].upper() + named[1:] if short.start() == 0 else named
        statement = statement[: short.start()] + named + statement[short.end() :]
        quoted = [q.span() for q in _QUOTED.finditer(statement)]
    return statement


_COURTESY_TITLES = frozenset("Mr Mrs Ms Miss Dr Prof Professor Sir Dame".split())
# "the Office of Energy Markets (Ofem)", "United Road Transport Workers' Association (URTWA)"
_ABBREVIATED = re.compile(
    r"(?P<the>\bthe\s+)?(?P<full>[A-Z][\w'’&-]*(?:\s+(?:(?:of|for|and|on|the|in)\s+)*[A-Z][\w'’&-]*){1,7})"
    r"\s+\((?P<abbreviation>[A-Z][A-Za-z&]{1,9})\)"
)


def _abbreviations(text: str) -> dict[str, tuple[str, bool]]:
    """Short names `text` spells out ("Full Name (ABBR)"): abbreviation -> (full name, written with "the")."""
    found: dict[str, tuple[str, bool]] = {}
    for m in _ABBREVIATED.finditer(text):
        words = m.group("full").split()
        while words and (words[0] in ("The", "A", "An") or words[0].lower() in _NOT_A_NAME_START):
            words = words[1:]
        if len(words) >= 2:
            found.setdefault(m.group("abbreviation"), (" ".join(words), bool(m.group("the"))))
    return found


# Capitalised words that open a sentence before a body's name ("In Birmingham City Council's ...").
_NOT_A_NAME_START = frozenset("in on at after before but and when while as by for from with".split())


def sentence_speaker(sentence: str, article_text: str) -> str | None:
    """The speaker the sentence itself names as the one reporting: its opening name (opening_speaker), a name
    before or inside an aside (named_speaker), its lead-in subject (lead_speaker), or a name it ends on."""
    return (
        opening_speaker(sentence, article_text)
        or named_speaker(sentence)
        or lead_speaker(sentence, article_text)
        or closing_speaker(sentence)
        or quote_attribution(sentence, article_text)
    )


def quote_attribution(sentence: str, article_text: str) -> str | None:
    """The name after a quotation that opens the sentence ('"...," said Dean Whitlock, the union's organiser.'),
    as the article names them; None for a pronoun or when the sentence does not open with a whole quotation."""
    stripped = sentence.lstrip()
    if not stripped.startswith(('"', "“")):
        return None
    close = next((i for i, ch in enumerate(stripped[1:], 1) if ch in '"”'), None)
    m = _AFTER_QUOTE.match(stripped[close + 1 :]) if close is not None else None
    who = (m.group("who") or m.group("after")) if m else None
    if not who or who.lower() in ("he", "she", "they") or who.split()[0] in _NOT_SUBJECT:
        return None
    return full_name(who, article_text)


def rule_claimant(sentence: str, article_text: str) -> str | None:
    """Who makes the claim, by rules alone (scorer-only extraction, no model): None unless the main clause reports
    someone's words or view; then a transcript label's speaker, the name it opens with (also "The ... Agency" and
    an aside "X's lawyer, Jane Doe, said"), or ends on as the one reporting, else the source an "according to"
    names, else the one person it names (not when a pronoun does the reporting: that is someone earlier)."""
    label = label_speaker(sentence, article_text)
    if label is not None:
        return label
    if not attributed(sentence):
        return None
    speaker = sentence_speaker(sentence, article_text) or according_to(sentence)
    if speaker is not None:
        return speaker
    closing = _CLOSING_DESCRIPTION.search(sentence)
    if closing and not any(w.lower() in INSTITUTION_WORDS for w in re.findall(r"[A-Za-z]+", closing.group(0))):
        return None  # "..., the people said", "..., the tournament said": never a name from the reported words
    if pronoun_reports(sentence) or closing_pronoun(sentence):
        return None
    names = person_names(sentence)
    # (a body closing the sentence, "..., the company said.", is the one it names: "Greenfield Energy"; not one
    # said in an aside, "The gap, the company said, is explained by shows in South America")
    at_end = closing is not None and len(re.split(_CLOSING_VERBS, closing.group(0), maxsplit=1)[-1].split()) <= 4
    return names[0] if len(names) == 1 and (at_end or _speaks(names[0], article_text)) else None


def _speaks(name: str, article_text: str) -> bool:
    """Whether the article has `name` (or its last word) report something somewhere ("Nadia Osei said", "...,"
    Osei told", "said Nadia Osei"): a person, not a place such as "San Francisco" or "Stoke Amner"."""
    last = re.escape(name.split()[-1])
    verbs = "".join(_REPORTING)
    return (
        re.search(rf"\b{last}(?:,[^,.;]{{1,100}},)?\s+(?:also\s+)?(?:{verbs})\b", article_text) is not None
        or re.search(
            rf"\b(?:said|says|told|added)\s+(?:[\w'’-]+\s+){{0,4}}{re.escape(name.split()[0])}\b", article_text
        )
        is not None
    )


# "..., the people said.", "..., the tournament said.": a description closes the sentence as the one reporting.
_CLOSING_DESCRIPTION = re.compile(
    r"[,;]\s*[\"”’']?\s*(?:the|a|an|one of the|another)\s+(?:[a-z][\w'’-]*\s+){0,3}?(?:" + _CLOSING_VERBS + r")\b"
    r"[^.!?]*[.!?]?[\"”’']?\s*$",
    re.IGNORECASE,
)
