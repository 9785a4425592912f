"""Who a sentence reports for when it does not name them where a reporting verb would: the subject of a participle
that carries the view ("..., accusing the mayor of ..."), the authors of a study or the pollster of a poll whose
findings it gives ("The study found ...", "It found ...", "The survey of 612 voters put ..."), and the sources a
story described before and refers back to ("..., the people said"). Rules only, read from the article; used by
app.claimants.
"""

from __future__ import annotations

import re

from app.names import INSTITUTION_WORDS, NOT_SUBJECT, full_name, person_names
from app.speakers import LEAD_IN, attributed
from retrieval.sentences import sentences_before

__all__ = ["NUMBER_WORDS", "SOURCE_GROUPS", "group_before", "participle_speaker", "pollster", "study_authors"]


# "Okonkwo has made public safety his theme, accusing the mayor of ...": the subject's view, in a participle.
_PARTICIPLE_REPORT = re.compile(
    r"^(?:(?:But|And|Yet|However),?\s+)?(?P<subject>(?:The\s+)?[A-Z][\w'’&.-]*(?:\s+(?:[A-Z][\w'’&.-]*|of|for|and|&))*)"
    r"(?:\s+\([A-Z]{2,}\))?\s+(?:has|have|had|is|are|was|were|will|would|[a-z]+s|[a-z]+ed)\b[^,;:\"“”]{3,160},\s+"
    r"(?:accusing|alleging|arguing|claiming|insisting|saying|warning|complaining|contending)\b"
)


def participle_speaker(sentence: str, article_text: str) -> str | None:
    """Who a sentence reports when its view comes in a participle after the main clause ("Okonkwo has made public
    safety the centre of his campaign, accusing the mayor of ...", "The union is demanding 9 per cent, arguing
    that ..."): its subject, a person as the article names them in full or a body by its name; None otherwise."""
    m = _PARTICIPLE_REPORT.match(sentence.strip())
    if m is None or attributed(sentence[: m.end("subject")]):
        return None
    subject = re.sub(r"^The\s+", "", m.group("subject"))
    if subject.split()[0] in NOT_SUBJECT or subject.split()[-1] in ("of", "for", "and", "&"):
        return None
    if any(w.lower().strip("'’") in INSTITUTION_WORDS for w in subject.split()):
        return subject  # "The United Road Transport Workers' Association"
    names = person_names(subject)
    if names:
        return full_name(names[-1], article_text)
    if " " not in subject:
        full = full_name(subject, article_text)
        if full != subject:
            return full
        # a name only when the article capitalises it mid-sentence too ("Railnet"), never a common word capitalised
        # because it opens the sentence ("Officials are ...", "Rain falls, warning ...")
        word = re.escape(subject)
        return subject if re.search(rf"[\w,;]\s+{word}(?![\w-])", article_text) else None
    return subject


# Sources a story describes rather than names, and refers back to ("..., the people said").
SOURCE_GROUPS = frozenset({"people", "sources", "officials", "insiders", "diplomats", "executives", "lawyers"})
NUMBER_WORDS = frozenset("two three four five six several some".split())
_GROUP_BEFORE = (
    r"\b(?P<group>(?:(?:{numbers})\s+)?{noun}\s+(?:close\s+to|familiar\s+with|briefed\s+on|involved\s+in|"
    r"(?:with\s+)?(?:direct\s+)?knowledge\s+of)(?:\s+[^\s,;:.!?\"“”()]+){{1,6}}?)"
    r"(?=\s+(?:said|say|says|told|have|has|had|were|are|who)\b|\s*[,;:.!?\"”)])"
)


def group_before(noun: str, article_text: str, start: int) -> str | None:
    """The sources the text before `start` last described with `noun` ("people close to the negotiations",
    "Two people with knowledge of the talks" -> "two people with knowledge of the talks"), or None."""
    pattern = re.compile(_GROUP_BEFORE.format(numbers="|".join(NUMBER_WORDS), noun=noun), re.IGNORECASE)
    found = list(pattern.finditer(article_text[max(0, start - 2000) : start]))
    if not found:
        return None
    group = found[-1].group("group")
    return group[0].lower() + group[1:]


# Who wrote a study: "researchers at Carrow University" in "a study published in February by researchers at ..."
# or "researchers at Halberg University published a study suggesting ...".
_INSTITUTION_RUN = r"(?:the\s+)?[A-Z][\w'’.&-]*(?:\s+(?:[A-Z][\w'’.&-]*|of|for|and|&))*"
_AUTHORS = (
    rf"(?:researchers|scientists|economists|academics|epidemiologists|a\s+team)\s+(?:at|from)\s+{_INSTITUTION_RUN}"
)
_STUDY = r"(?:study|paper|research|analysis|review|trial)"
_STUDY_BY = re.compile(rf"\b{_STUDY}\b[^.;!?]{{0,80}}?\bby\s+(?P<authors>{_AUTHORS})")
_AUTHORS_PUBLISHED = re.compile(
    rf"(?P<authors>{_AUTHORS})\s+(?:have\s+|has\s+)?(?:published|released|conducted|carried\s+out)\s+"
    rf"(?:a|an|the|their)\s+(?:new\s+|large\s+|major\s+)?{_STUDY}\b"
)
_FINDING = (
    r"(?:found|finds|find|showed|shows|show|suggested|suggests|suggest|concluded|concludes|estimated|estimates)\b"
)
# The sentence gives the findings: "The study found ...", "The research, published in ..., shows ...", "It found ..."
_STUDY_FINDS = re.compile(
    rf"^(?:(?:The|Their|This)\s+{_STUDY}|(?P<it>It))(?:,[^,;]{{2,120}},)?\s+(?:also\s+)?{_FINDING}"
)
_STUDY_SUBJECT = re.compile(rf"^(?:The|Their|This)\s+(?:new\s+)?{_STUDY}\b")
_FINDS_IN_SENTENCE = re.compile(
    rf"(?P<authors>{_AUTHORS})\s+(?:published|released)\s+[^.;]{{0,40}}?{_STUDY}\s+"
    r"(?:suggesting|showing|finding|concluding)\b"
)


def study_authors(article_text: str, start: int, end: int) -> str | None:
    """The authors of the study whose findings the sentence at `start:end` gives: "researchers at Halberg University
    published a study suggesting ..." names them itself; "The study found ..." (or "It found ..." after a sentence
    about the study) gives the findings of the study the article last said who wrote ("a study published in
    February by researchers at Carrow University"). None when the sentence gives no findings, or nobody is said to
    have written the study."""
    sentence = article_text[start:end].strip()
    own = _FINDS_IN_SENTENCE.search(sentence)
    if own is not None:
        return _authors(own.group("authors"))
    m = _STUDY_FINDS.match(LEAD_IN.sub("", sentence, count=1))
    if m is None:
        return None
    before = article_text[max(0, start - 3000) : start]
    if m.group("it"):
        previous = sentences_before(article_text, start, window=3000)[-1:]
        if not previous or _STUDY_SUBJECT.match(LEAD_IN.sub("", previous[0].text.strip(), count=1)) is None:
            return None  # "It found" of something other than a study
    found = [*_STUDY_BY.finditer(before), *_AUTHORS_PUBLISHED.finditer(before)]
    if not found:
        return None
    return _authors(max(found, key=lambda f: f.start()).group("authors"))


# Who ran a poll: "a poll released on Friday by the Harbor Research Institute", "a survey by Omnibus Research".
_NAME_WORD = r"[A-Z][\w'’&-]*(?:\.(?=\w)[\w'’&-]*)*"  # (a full stop inside it only: "St.John", not "University.")
_POLL = r"(?:opinion\s+)?(?:poll|survey)"
_POLL_BY = re.compile(
    rf"\b{_POLL}\b[^.;!?]{{0,80}}?\bby\s+(?:the\s+)?(?P<authors>{_NAME_WORD}"
    rf"(?:\s+(?:(?:of|for|and|&|at)\s+)?{_NAME_WORD}){{0,6}})"
)
# Its findings: "The survey of 612 likely voters, conducted April 10-14, put Deveraux on 41 percent", and a
# headline's "..., poll finds".
_POLL_FINDS = re.compile(
    rf"^(?:The|Their|This|Its)\s+(?:new\s+|latest\s+)?{_POLL}(?:\s+of\s+[^,;]{{1,60}}?)?(?:,[^,;]{{2,120}},)?\s+"
    r"(?:also\s+)?(?:found|finds|showed|shows|put|puts|gave|gives|suggested|suggests)\b"
)
_HEADLINE_POLL = re.compile(rf",\s+(?:new\s+)?{_POLL}\s+(?:finds|shows|suggests|says)\s*$")


def pollster(article_text: str, start: int, end: int) -> str | None:
    """Who ran the poll whose findings the sentence at `start:end` gives ("The survey of 612 likely voters ... put
    Deveraux on 41 percent", a headline's "..., poll finds"): the one organisation the article says ran a poll
    (before the sentence; the headline by the whole story). None when the sentence gives no poll's findings, or the
    article names no pollster or several."""
    sentence = LEAD_IN.sub("", article_text[start:end].strip(), count=1)
    headline_end = article_text.find("\n")
    if 0 <= start < headline_end and _HEADLINE_POLL.search(sentence):
        text = article_text
    elif _POLL_FINDS.match(sentence):
        text = article_text[max(0, start - 3000) : start]
    else:
        return None
    names = {_authors(m.group("authors")) for m in _POLL_BY.finditer(text)}
    return names.pop() if len(names) == 1 else None


def _authors(words: str) -> str:
    """The authors as the article wrote them, without the full stop or the "and" a name run caught at its end."""
    return re.sub(r"(?:\s+(?:of|for|and|&))+$", "", " ".join(words.split()).rstrip("."))
