"""Who reports a sentence, read from the sentence itself by rules (no model, so never invented).

`sentence_speaker` finds the name it opens with, a name before or inside an aside, its lead-in subject or the name
it ends on; `label_speaker` a transcript's speaker label, `according_to` an "according to" source, `closing_pronoun`
a closing "..., she said". `attributed` says whether anyone reports the sentence at all, and `rule_claimant` puts
these together into who makes the claim (scorer-only extraction).
"""

from __future__ import annotations

import re

from app.dates import DAY_AND_MONTH_NAMES
from app.names import (
    INSTITUTION_WORDS,
    NOT_SUBJECT,
    PERSON_TITLE,
    REPORTING,
    REPORTING_WORD,
    bodies_named,
    full_name,
    person_names,
)

# What may stand before a sentence's first word without being part of it: brackets and quotation marks, a list
# bullet or number ("- It said ...", "2. They ..."), a transcript's speaker label ("Voss: We handled ...").
# A list item's bullet or number ("- ", "2. "): part of its sentence, as the quote has it, not of what it says.
LIST_MARKER = r"(?:[-–—•*]|\(?\d{1,3}[.)])\s+"
LEAD = rf"^[\s(\"“‘']*(?:{LIST_MARKER})?(?:[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?:\s+)?[\s(\"“‘']*"


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


# A quotation mark, "according to", or a reporting verb (whole words: "States" is not "stated").
_ATTRIBUTION = re.compile(rf"[\"“”]|\baccording to\b|\b(?:{''.join(REPORTING)})\b", re.IGNORECASE)

_OPENING_SPEAKER = re.compile(
    r"(?P<subject>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})"  # capitalised words opening the sentence
    r"(?P<rest>(?:\s+(?!(?:who|whom|whose|which|that)\b)[^\s,;:\"“”]+){0,12}?)"  # one clause, no relative pronoun
    rf"\s+(?:{''.join(REPORTING)})\b"
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
    if subject.split()[0] in NOT_SUBJECT or subject.endswith(("'s", "’s")) or person_names(m.group("rest")):
        return None  # "Russia's foreign ministry said": the speaker is more than the name
    if _PASSIVE_REPORT.search(m.group(0)) or _GROUP_NOUN.match(m.group("rest").strip()):
        return None  # "Planning officers are expected to ...": neither a name nor anyone reporting
    if person_names(subject) and len(person_names(subject)[0].split()) >= 2 and PERSON_TITLE.search(subject):
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
GROUP_WORDS = frozenset(w.capitalize() for w in _GROUP_NOUNS.split("|"))
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
LEAD_IN = re.compile(
    r"^(?:[A-Z][a-z]+(?:ing|ly)?|Meanwhile|However|Separately|Earlier|Later|In a statement|In an interview|"
    r"In a letter|In a post on [A-Z]\w*|On [A-Z][a-z]+(?: (?:morning|afternoon|evening|night))?),\s+(?=[A-Z])"
    # "At a packed public meeting in Stoke Amner village hall on Tuesday, residents said ..."
    r"|^(?:At|In|During|After|Outside|Speaking (?:at|to|on)|Asked about)\s[^,;:\"“”]{3,90},\s+(?=[a-z])"
    # "But TourLedger, which compiles box-office data, puts the gross at ...": a conjunction opening the sentence
    r"|^(?:But|And|Yet)\s+(?=[A-Z])"
)
# "has previously said", "have repeatedly denied"
HAS = r"(?:(?:has|have|had)\s+(?:previously\s+|repeatedly\s+|already\s+|long\s+|since\s+)?)?"
# "A spokesperson for Pulsewise said ...", "A spokesperson for the department said ..." (the body it is, when the
# article names just one of that kind).
SPOKESPERSON_FOR = re.compile(
    r"^(?:[Aa]n?|[Tt]he)\s+(?:[a-z]+\s+)?(?:spokes(?:person|man|woman)|representative|lawyer|attorney|statement|"
    r"press officer)\s+(?:for|from)\s+(?:(?:the\s+(?P<noun>[a-z]+))|(?P<name>[A-Z][\w'’&.-]*(?:\s+(?:[A-Z][\w'’&.-]*|of|for|&)){0,5}?))"
    r"(?:,[^,]{1,80},)?\s+" + HAS + r"(?:also\s+)?(?:said|says|told|added|confirmed|denied|wrote|stated)\b"
)
# "Fiona McAllister, chief executive of St Brendan's Hospice, said ...", "Railnet, which owns the track, said ...":
# the subject, then an aside between commas, then the reporting verb.
_SUBJECT_ASIDE = re.compile(
    r"^(?P<subject>[^,;:\"“”]{2,80}?),\s+(?!(?:and|but)\b)[^;:\"“”]{2,160}?,\s+"
    + HAS
    + r"(?:also\s+)?(?:"
    + "".join(REPORTING)
    + r")\b"
)
# The subject alone before the verb: "Rebel leader Douglas Ferriby said", "Ratings agency Corwen & Lyle said",
# "Opposition leader Dana Cerny of the Civic Union party said" (a name's party or group ends it in lower case).
_PLAIN_SUBJECT = re.compile(
    r"^(?P<subject>(?:[A-Za-z&][\w'’.&-]*\s+){0,6}?[A-Z][\w'’.&-]*"
    r"(?:\s+of\s+the\s+(?:[A-Z][\w'’.&-]*\s+){1,3}(?:party|group|campaign|coalition|alliance|movement|caucus|bloc))?)\s+"
    + HAS
    + r"(?:also\s+)?(?:"
    + "".join(REPORTING)
    + r")\b"
)


def lead_speaker(sentence: str, article_text: str) -> str | None:
    """Who reports a sentence that opens with its speaker, when opening_speaker does not say: a name followed by an
    aside ("Fiona McAllister, chief executive of St Brendan's Hospice, said", "Drescu, who had been in the post
    since 2022, said" -> "Oana Drescu"), a name after a role ("Rebel leader Douglas Ferriby said", "Ratings agency
    Corwen & Lyle said" -> "Corwen & Lyle"), an organisation only the sentence start capitalises ("Railnet said"),
    after a lead-in ("Prosecuting, Anita Desai told the court"), or a group ("Analysts said", "People familiar with
    the matter said"). None otherwise."""
    text = LEAD_IN.sub("", sentence.strip(), count=1)
    if text[:1] in "\"“‘'(":
        return None
    m = SPOKESPERSON_FOR.match(text)
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
    if (words[0] in NOT_SUBJECT and words[0] not in ("The",)) or subject.endswith(("'s", "’s")):
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
    if not name or name in NOT_SUBJECT or name.split()[-1] in ("of", "for", "and", "the", "&"):
        return None
    if len(name.split()) == 1:
        if name in DAY_AND_MONTH_NAMES or re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", article_text):
            return None  # a common word capitalised only because it opens the sentence ("Officials", "Residents")
        return full_name(name, article_text)
    return name


_CLOSING_SPEAKER = re.compile(
    r",[\"”’']?\s+(?P<speaker>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}?)\s+(?i:says|said|say|told reporters)[.!]?[\"”]?$"
)


# "..., the National Health Protection Agency (NHPA) said on Wednesday, adding ...": a name after a comma, reporting
# the words before it, with at most a time between the verb and the next comma or the end.
_MID_SPEAKER = re.compile(
    r",[\"”’']?\s+(?:the\s+)?(?P<speaker>[A-Z][\w'’.&-]*(?:\s+(?:[A-Z][\w'’.&-]*|of|for|and|&|the)){0,6}?)"
    r"(?:\s+\([A-Z][A-Za-z]{1,9}\))?\s+(?:said|says|reported|announced|confirmed|warned|added|told\s+(?:reporters|[A-Z]\w+))"
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
    if m is not None and m.group("speaker").split()[0] not in NOT_SUBJECT:
        return m.group("speaker")
    m = _CLOSING_GROUP.search(text)
    return m.group("group") if m else None


_RELATIVE_CLAUSE = re.compile(r",\s+(?:which|who|whom|whose|where)\b[^,;]*(?:[,;]|$)")


# "She did not say whether ...", "declined to comment": nobody claims anything.
_NOT_REPORTING = re.compile(
    r"\b(?:did\s+not|didn't|does\s+not|doesn't|would\s+not|wouldn't|could\s+not|couldn't|declined\s+to|"
    r"refused\s+to|failed\s+to|not)\s+(?:" + "".join(REPORTING) + r")\b",
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


_ACCORDING_TO = re.compile(
    r"\baccording to\s+(?P<source>[^,;:.!?\"“”()]{3,120}?)\s*(?=[,;:.!?\"“”()]|$)", re.IGNORECASE
)


def according_to(sentence: str) -> str | None:
    """The source an "according to ..." names ("the national statistics office"), up to the next punctuation."""
    m = _ACCORDING_TO.search(sentence)
    if m is None:
        return None
    source = m.group("source").strip()
    if source.split()[0].lower() in _PRONOUN_SOURCES:
        return None  # ("according to our own modelling", "its annual reports": the speaker's, whom other rules find)
    # "the data firm PitchLedger", "the consultancy Oxford Analytica": the name its description comes before
    described = re.match(
        r"^(?:the|a|an)\s+(?:[a-z][\w-]*\s+){1,3}(?P<name>[A-Z][\w&'’.-]*(?:\s+(?:(?:of|for|and)\s+)?[A-Z][\w&'’.-]*){0,4})$",
        source,
    )
    if described and described.group("name").split()[0] not in DAY_AND_MONTH_NAMES:
        return described.group("name")  # (not "a study published on Thursday": a day is nobody)
    # "figures published by the Office for National Statistics" -> that office; "figures published alongside the
    # advisory" names nobody
    if _DOCUMENT.match(source):
        by = _DOCUMENT_BY.search(source)
        return (by.group("name") or by.group("description")) if by else None
    # "finance ministry projections", "an Omnibus Research poll published on Monday": whose they are
    owned = _OWNED_DOCUMENT.match(source)
    if owned and not set(owned.group("owner").lower().split()) - _KIND_OF_DOCUMENT:
        return None  # "annual reports", "internal figures": what kind of document, not whose
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
# "according to him", "according to its annual reports": whose they are is a pronoun's, which other rules resolve.
_PRONOUN_SOURCES = frozenset("him her them it its this that which our my his their".split())
_KIND_OF_DOCUMENT = frozenset(
    "annual monthly quarterly weekly daily yearly internal own published unpublished final full early recent previous "
    "separate independent detailed leaked draft revised updated confidential".split()
)
_DOCUMENT_BY = re.compile(
    r"\b(?:from|by)\s+(?:(?:the\s+)?(?P<name>[A-Z][\w'’.&-]*(?:\s+(?:(?:of|for|and|&)\s+)?[A-Z][\w'’.&-]*){0,6})"
    r"|(?P<description>the\s+(?:[a-z][\w'’-]*\s+){0,3}[a-z][\w'’-]*)\s*$)"
)


_NAME_WORDS = r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|for|and|de|van|von|al|the)\s+)?[A-Z][\w'’.-]*){0,5}"
# "Hale's barrister, Anthony Reeve, said ...": the name between the commas is who speaks.
_APPOSITIVE_SPEAKER = re.compile(rf"^[^,]{{2,60}},\s+(?P<speaker>{_NAME_WORDS}),\s+(?:" + "".join(REPORTING) + r")\b")
# "The Industrial Development Agency, which gave Brightline a grant, said ...": an organisation named with "The".
_THE_NAMED_SPEAKER = re.compile(rf"^[\s\"“]*The\s+(?P<speaker>{_NAME_WORDS})\s+(?:" + "".join(REPORTING) + r")\b")
# A transcript's speaker label ("Voss: We handled ..."); not a question's or a note's.
_LABEL = re.compile(r"^[\s\"“]*(?P<label>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?):\s+\S")
_NOT_LABEL = frozenset(
    {"Q", "A", "Question", "Answer", "Update", "Correction", "Note", "Editor", "Clarification", "Analysis", "Opinion",
     "Comment", "Explainer", "Exclusive", "Breaking", "Live", "Watch", "Listen", "Review", "Interview", "Factcheck",
     "Fact check", "Editorial", "Obituary", "Letters", "Briefing", "Profile", "Feature"}
)  # fmt: skip
# A sentence whose subject is a pronoun reporting something ("He said ...", "It says ..."): its speaker is who the
# pronoun means, never a name that comes after the verb.
PRONOUN_REPORTS = re.compile(
    LEAD + r"(?:He|She|They|We|I)\s+(?:also\s+|later\s+|then\s+)?(?:" + "".join(REPORTING) + r")\b"
)
# "It said ...": the small model named the wrong body twice in three (the previous bullet's council, the story's
# company for a correction note's "It"), so an "It" that reports keeps no claimant; the sentence needs context.
IT_REPORTS = re.compile(LEAD + r"(?:(?:But|And|However,?)\s+it|It)\s+(?:also\s+)?(?:" + "".join(REPORTING) + r")\b")


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
    if m and m.group("speaker").split()[0] not in NOT_SUBJECT:
        return m.group("speaker")
    m = _THE_NAMED_SPEAKER.match(main)
    if m and not REPORTING_WORD.fullmatch(m.group("speaker").split()[-1]):
        return m.group("speaker")
    return None


def pronoun_reports(sentence: str) -> bool:
    """Whether the sentence's subject is a pronoun that reports ("He said ...", "- It said ...")."""
    return PRONOUN_REPORTS.match(sentence) is not None or IT_REPORTS.match(sentence) is not None


# "The company said ...", "A spokesperson for the club said ...": a speaker the article named earlier.
_DESCRIBED_REPORTS = re.compile(
    LEAD + r"(?:The|A|An)\s+(?:[a-z][\w'’-]*\s+){1,5}?(?:also\s+)?(?:" + "".join(REPORTING) + r")\b"
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
    for pattern in (PRONOUN_REPORTS, _DESCRIBED_REPORTS):
        m = pattern.match(sentence)
        if m:
            return m.end()
    return 0 if closing_pronoun(sentence) else None


# What follows the closing mark of a quotation: '," Cho wrote', '?" she wrote', '," said Amira Khan'.
AFTER_QUOTE = re.compile(
    r"^[,.?!]?\s*(?:(?P<who>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,5}|he|she|they)\s+(?:"
    + _CLOSING_VERBS
    + r")|(?:"
    + _CLOSING_VERBS
    + r")\s+(?:[a-z][\w-]*\s+){0,3}"
    # (whose role comes first: 'said TourLedger's head of research, Owen Farrant' is Owen Farrant)
    r"(?:[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,3}['’]s\s+(?:[\w-]+\s+){1,4}?[\w-]+,\s+)?"
    r"(?P<after>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}))\b"
)


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
    m = AFTER_QUOTE.match(stripped[close + 1 :]) if close is not None else None
    who = (m.group("who") or m.group("after")) if m else None
    if not who or who.lower() in ("he", "she", "they") or who.split()[0] in NOT_SUBJECT:
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
    source = _ACCORDING_TO.search(sentence)
    if source is not None and _DOCUMENT.match(source.group("source").strip()):
        return None  # "according to a study published on Thursday": a document nobody is said to have written
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
    verbs = "".join(REPORTING)
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
