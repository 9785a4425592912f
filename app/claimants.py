"""Who makes a claim once the article around its sentence is read, by rules (no model, so never invented).

The speaker of a quotation the sentence opens, goes on from or sits inside; whom an opening "He said" or "It said"
means (who reported just before); the body a description reports for ("the agency said", "a spokesperson for the
company", "city records show") as the article named it. `claimant_in_context` puts these over the sentence's own
claimant (app/speakers.py).
"""

from __future__ import annotations

import re

from app.names import (
    COMPANY_WORDS,
    INSTITUTION_WORDS,
    NOT_SUBJECT,
    PERSON_TITLE,
    appositive_names,
    bodies_named,
    company_named,
    full_name,
    holding,
    person_names,
)
from app.sources import NUMBER_WORDS, SOURCE_GROUPS, group_before, participle_speaker, pollster, study_authors
from app.speakers import (
    AFTER_QUOTE,
    GROUP_WORDS,
    HAS,
    IT_REPORTS,
    LEAD_IN,
    PRONOUN_REPORTS,
    SPOKESPERSON_FOR,
    closing_pronoun,
    lead_speaker,
    rule_claimant,
    sentence_speaker,
    speaker_label_at,
)
from retrieval.sentences import sentences_before, split_sentences

_QUOTE_MARKS = '"“”'


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
    m = AFTER_QUOTE.match(rest[close + 1 : close + 120])
    if m is None:
        return None
    who = m.group("who") or m.group("after")
    if who is None or who.split()[0] in NOT_SUBJECT - {"He", "She", "They"}:
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
    if close is not None and (m := AFTER_QUOTE.match(after[close + 1 : close + 120])):
        who = m.group("who") or m.group("after")
        if who and who.lower() not in ("he", "she", "they") and who.split()[0] not in NOT_SUBJECT:
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
    m = AFTER_QUOTE.match(before[close + 1 :])
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
    m = PRONOUN_REPORTS.match(sentence)
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
    for sentence in reversed(sentences_before(article_text, start)[-6:]):
        speaker = sentence_speaker(sentence.text, article_text)
        if speaker is None:
            other = _reporting_pronoun(sentence.text)
            if other is not None and other in ("he", "she") and other == pronoun:
                # "She said ... . Asked about ..., she said": the same one the sentence before meant
                return pronoun_speaker(article_text, sentence.start, sentence.end)
            continue
        names = person_names(speaker)
        if names and speaker.endswith(names[-1]):
            return speaker  # as the sentence gives them ("Councillor Fiona Grant")
        if names or PERSON_TITLE.search(speaker):
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
    if PRONOUN_REPORTS.match(sentence) is None and closing_pronoun(sentence) is None:
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
    text = LEAD_IN.sub("", before[-1].text.strip(), count=1)
    aside = re.match(r"[^,]{2,60}?,\s+(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2}),\s+(?:\d{1,3},\s+)?[a-z]", text)
    if aside and person_names(aside.group("name")) == [aside.group("name")]:
        # "Mr Moore's partner, Alice Grant, read a statement", "The driver, Keith Barnard, 58, gave evidence"
        return aside.group("name")
    m = re.match(
        r"(?P<run>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})(?=,|\s+(?:has|had|is|was|will|would|said|told|[a-z]+ed|[a-z]+s)\b)",
        text,
    )
    if m is None or m.group("run").split()[0] in NOT_SUBJECT:
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
        or participle_speaker(article_text[start:end], article_text)
        or study_authors(article_text, start, end)
        or pollster(article_text, start, end)
        or pronoun_speaker(article_text, start, end)
        or it_reporter(article_text, start, end)
        or shown_by(article_text, start, end)
        or unnamed_body(article_text[start:end])
        or speaker_label_at(article_text, start)
    )


_REPORTS = (
    HAS
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
        named = holding(_bodies_of_kind(noun, before), owner[:-1])
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
    if IT_REPORTS.match(article_text[start:end]) is None:
        return None
    body = _body_before(article_text, start)
    if body is None:
        # "Ofem said ... . It means bills will rise ... . It said the cap would ...": past one "It" that reports
        # nothing, to the body reporting before it
        previous = sentences_before(article_text, start)[-1:]
        if previous and previous[0].text.lstrip().startswith("It ") and IT_REPORTS.match(previous[0].text) is None:
            body = _body_before(article_text, previous[0].start)
    return body


def _body_before(article_text: str, start: int, *, company: bool = False) -> str | None:
    """The body (an institution, not a person or a group) the sentence just before `start` reports for, or None.
    With `company` (the sentence itself speaks of "the company"), a two-word name such as "Greywell Homes" is taken
    for a company too, unless the article calls it by its last word alone somewhere, as it would a person."""
    before = sentences_before(article_text, start)
    if not before:
        return None
    prev = before[-1]
    body = described_body(article_text, prev.start, prev.end) or rule_claimant(prev.text, article_text)
    if not body:
        return None
    words = body.split()
    institution = any(w.lower().strip(".,") in INSTITUTION_WORDS for w in words) or any(
        w.isupper() and len(w) >= 2 for w in words
    )
    # "Corwen & Lyle", "Railnet": a name that is no person's (no first name and surname, no title) is a body too
    body_name = not person_names(body) and body[:1].isupper() and body.split()[0] not in GROUP_WORDS
    if company and not body_name and len(words) >= 2:
        alone = re.compile(rf"(?<!{re.escape(words[-2])} ){re.escape(words[-1])}\b")
        body_name = alone.search(article_text) is None
    return body if (institution or body_name) and not PERSON_TITLE.search(body) else None


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
    m = SPOKESPERSON_FOR.match(LEAD_IN.sub("", sentence.strip(), count=1))
    if m is not None:
        noun = (m.group("noun") or "").lower()
        if noun not in COMPANY_WORDS:
            return None
        named = company_named(noun, article_text[:start])
        return named[0] if named else _body_before(article_text, start, company=True)
    if _THE_SPOKESPERSON.search(sentence) is None:
        return None
    for prev in reversed(sentences_before(article_text, start, window=2000)[-6:]):
        if SPOKESPERSON_FOR.match(LEAD_IN.sub("", prev.text.strip(), count=1)):
            return lead_speaker(prev.text, article_text) or spokesperson_body(article_text, prev.start, prev.end)
    return None


_BODY_NOUNS = "|".join(
    sorted(INSTITUTION_WORDS - {"news", "times", "press", "review", "report", "index", "statistics"})
)
_BODY_REPORTER = re.compile(
    r"(?:^[\s\"“]*|,\s*|\baccording to\s+)(?P<one>one\s+of\s+)?(?P<det>the|their|its)\s+"
    rf"(?:(?P<modifier>[a-z]{{4,}})\s+)??(?P<noun>{_BODY_NOUNS}|[a-z]{{4,}})\b"
    r"(?:\s+"
    + HAS
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
    if not headline and m.group("det").lower() != "the" and noun.lower() not in INSTITUTION_WORDS:
        return None  # "Its director, Aisha Mensah, said": a person the sentence names, not a body
    if not headline and not modifier and noun.lower() in SOURCE_GROUPS:
        # "..., the people said", "one of the people said": the sources a sentence before described
        group = group_before(noun.lower(), article_text, start)
        if group and m.group("one"):
            return f"one of {group}" if group.split()[0].lower() in NUMBER_WORDS else f"one of the {group}"
        return group
    kind = "police" if noun.lower() == "force" else noun  # "the force": the police force named
    institution = kind.lower() in INSTITUTION_WORDS
    found = (_bodies_of_kind(kind, before) if institution else []) or appositive_names(noun, before)
    found = found or company_named(noun, before)
    if modifier:
        found = holding(found, [modifier])
    if headline and len(set(found)) != 1:
        return None  # the whole story names several: which one the headline means is a guess
    if found:
        return found[-1]
    if not headline and noun.lower() in ("company", "firm"):
        # "The gap, the company said, ...": the body the sentence before reports for ("TourLedger ... puts ..."),
        # when it is one ("Pulsewise Inc and Halvorsen ASA" are two) and nothing calls it another kind of body
        # ("Bristol City Council")
        body = _body_before(article_text, start, company=True)
        if body is None or " and " in body:
            return None
        kinds = {w.lower() for w in body.split()} & INSTITUTION_WORDS
        return body if kinds <= COMPANY_WORDS | {"inc", "ltd", "plc", "corp", "llc"} else None
    if not headline and institution and not modifier:
        # "..., their union said." with the union named only further on: the one body of that kind the story names
        later = set(_bodies_of_kind(kind, article_text))
        return later.pop() if len(later) == 1 else None
    return None
