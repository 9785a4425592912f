"""References in a sentence that only the article explains, found by rules (no model, so never invented).

`unresolved_reference` finds a sentence that opens with a pronoun or a vague "the statement"-like subject, and
`vague_reference` also a bare "the accusations" or "in response" further in: words a reader cannot follow without
the article. `leaning_words` adds a relative time no publication date fixed; `reporting_note`, `subheading`,
`table_row` and `teaser` find a note about the reporting, a section heading, a table's row and a link to another
story, none a claim to check on its own.
"""

from __future__ import annotations

import re

from app.dates import undated_relative
from app.names import NOT_PERSON, PERSON_TITLE, person_names
from app.speakers import LEAD, attributed, closing_pronoun, closing_speaker

_PRONOUN_START = re.compile(
    LEAD + r"(?:He|She|They|It|This|That|These|Those|His|Her|Their|Its|We|I|Our|My)\b"
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
    r"raid|arrest|sentence|appeal|settlement|acquisition|bid|"
    # a place the article has named ("the county's farmers", "across the city", "in the town"; "the city of Leeds"
    # says which)
    r"(?-i:county|city|town|district|borough|region|country|village)"  # (lower case: "the County Councils Network")
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


# A line that links to another story inside an article's body ("Read more: Inflation hits 3.1% ...", "RELATED: ..."):
# what it states is that story's claim, checked there, not in this article.
_TEASER = re.compile(
    r"^\s*(?:read\s+more|related(?:\s+(?:stor(?:y|ies)|articles?|coverage|content|reading))?|see\s+also|"
    r"(?:also\s+)?read(?:\s+also)?|more\s+on\s+this(?:\s+story)?|recommended(?:\s+reading)?)\s*[:|»›>]",
    re.IGNORECASE,
)


def teaser(sentence: str) -> bool:
    """Whether a sentence is a link to another story inside the article ("Read more: Inflation hits 3.1% as food
    prices soar", "RELATED: Council tax to rise 5%"): the claim in it is that story's, not this article's."""
    return _TEASER.match(sentence) is not None


# A table's cell: a figure, with its sign, currency, percent or bracket ("6.2", "-0.4", "£1,200", "12%", "(3.1)").
_CELL = re.compile(r"[-+−(]?[£$€]?\d[\d.,]*%?\)?")
_TABLE_SOURCE = re.compile(r"^\s*Sources?\s*:", re.IGNORECASE)


def table_row(sentence: str) -> bool:
    """Whether a "sentence" is a table's row, or the source line under a table, as a PDF's text layer gives them
    ("Harbour wall 2.1 3.4 6.2", "Total 2.9 4.5 8.1", "Source: Harbour Fund accounts, 2023-2025."): at least two
    figures and no more words than figures, or no word at all (a cell alone: "6.2"), without a sentence's end; or a
    row between pipes ("| Dredging works | 0.8 | 1.9 |"), as HTML tables and Markdown articles give them. Its figures mean what the table's header says,
    which the row does not: read alone (by a reviewer, or by a model asked to restate it) it invites a guess."""
    stripped = sentence.strip()
    if _TABLE_SOURCE.match(sentence) or (len(stripped) > 1 and stripped[0] == "|" and stripped[-1] == "|"):
        return True  # (a row between pipes: a Markdown table's, as an .md article has it and HTML tables are read)
    tokens = sentence.split()
    if not tokens or tokens[-1][-1] in ".!?…":
        return False
    figures = sum(1 for t in tokens if _CELL.fullmatch(t))
    words = sum(1 for t in tokens if sum(c.isalpha() for c in t) >= 2)
    if words == 0:
        return True  # a cell on a line of its own ("6.2", as pypdf gives many tables): it says nothing alone
    return figures >= 2 and figures >= words


def _figure_line(line: str) -> bool:
    """A line that ends on a figure and ends no sentence, as a table's row: "Government grant   12.1" (not a key
    fact's "Visitors in 2024: 1,200,000", whose label says what its figure is)."""
    tokens = line.split()
    return bool(tokens) and _CELL.fullmatch(tokens[-1]) is not None and len(tokens) <= 12 and ":" not in line


def table_line(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` is a whole line of a table that gives each row one figure ("Government grant 12.1"
    between "Harbour dues 41.2" and "Property rents 3.4"): it and the line before or after it end on a figure and
    end no sentence. A PDF's text layer gives a two-column table so; alone, a row's figure means what the table's
    header says."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end].strip()
    if line != text[start:end].strip() or not _figure_line(line):
        return False
    before = text[:line_start].rstrip("\n").rsplit("\n", 1)[-1]
    after = text[line_end:].lstrip("\n").split("\n", 1)[0]
    return _figure_line(before) or _figure_line(after)


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
        if PERSON_TITLE.search(reporter) and pronoun in ("it", "its", "they", "their"):
            return m.group(0)
        a_person = (
            person_names(reporter)
            or PERSON_TITLE.search(reporter)
            or _PERSON_ROLE.search(reporter)
            or any(w not in NOT_PERSON for w in _SURNAME.findall(reporter))  # "Murphy said he ..."
        )
        if pronoun in ("he", "she") and reporter.strip() and not a_person:
            return m.group(0)  # "The agency said he ...": an agency is not "he"
    return None


_PERSON_PRONOUN = re.compile(LEAD + r"(?:He|She|They|His|Her|Their)\b")


def pronoun_subject(sentence: str) -> str | None:
    """The personal pronoun a sentence opens with ("He said ..."), the one reference a small model resolves
    reliably (with a name from the article); None otherwise."""
    if sentence.lstrip(" (-–—•*").startswith(('"', "“", "‘", "'")):
        return None  # '"Her first serve has improved," he said': the quotation's "Her" is not the one speaking
    m = _PERSON_PRONOUN.match(sentence)
    return m.group(0).split()[-1].strip(" (\"“‘'") if m else None


# A common noun the article used before as the head of a name means that one later ("the tour", "the race", "the
# line"). Heads: the last word of a run of capitalised words ("Glasshouse Tour"), and the one or two lower-case
# words after the run ("Bellhaven mayoral race", "the Council's planning committee").
_NAME_AND_HEAD = re.compile(
    r"\b[A-Z][\w'’-]+(?P<more>(?:\s+[A-Z][\w'’-]+)*)(?:['’]s)?"
    r"(?:\s+(?P<one>[a-z][a-z-]{3,})(?:\s+(?P<two>[a-z][a-z-]{3,}))?)?"
)
_DEFINITE_WORDS = re.compile(r"(?<![\w'’-])[Tt]he\s+(?P<words>(?:\d[\d,.]*-)?[a-z][\w-]*(?:\s+[a-z][\w-]*)?)")
# Words that are no such head: they say which one by themselves, are rarely fixed by a name before them, or are no
# nouns at all (what follows a name in "X said that ...", "Y will ...").
_NOT_A_HEAD = frozenset(
    (
        "government public world economy market people country state nation first last same most rest majority end "
        "start beginning middle year years month months week weeks weekend morning afternoon evening night time past "
        "future moment period season quarter half decade century hour hours days number percent cent rate level "
        "average total price prices cost costs value amount share data next previous following latest whole "
        "that this those these which what when where while whose will would could should shall have has had been "
        "being said says told added only also even more much very into onto about after before over under than then "
        "there their they them with without from just like such some many other another each every both either "
        "neither were well here power right ability chance opportunity"
    ).split()
)

_SUPERLATIVE = re.compile(
    r"(?:best|worst|most|least)\b|(?:bigg|larg|small|high|low|fast|old|new|long|strong|great|earli|lat|slow|rich|"
    r"poor|cheap|short|wid|deep|hott|cold|wett|dri|busi)est\b"
)

_NAME_FOLLOWS = re.compile(
    r"(?:\s+(?!(?:in|at|on|to|for|from|with|by|of|and|or|that|which|was|is|had|has|would|will|said)\b)[a-z][\w-]*){0,2}"
    r"\s+(?:the\s+)?[A-Z]"
)
_VERB_LIKE = re.compile(r"\w+ed$|(?:sold|made|took|went|rose|fell|grew|won|lost|paid|left|came|began|ran|saw|set)$")


def back_reference(statement: str, article_text: str, start: int) -> str | None:
    """A definite description in `statement` ("the tour", "the planning committee") whose noun the article used
    before `start` as the head of a name ("Delia Moon's Glasshouse Tour", "Bramley District Council's planning
    committee") that the statement does not give: which one it means is in the article. None otherwise."""
    before = article_text[max(0, start - 4000) : start]
    heads: set[str] = set()
    for m in _NAME_AND_HEAD.finditer(before):
        if m.group("more"):
            heads.add(m.group("more").split()[-1].lower().removesuffix("'s").removesuffix("’s"))
        heads.update(w for w in (m.group("one"), m.group("two")) if w)
    heads -= _NOT_A_HEAD
    for m in _DEFINITE_WORDS.finditer(statement):
        words = m.group("words").split()
        if words[0] in _NOT_A_HEAD or _SUPERLATIVE.match(words[0]):
            continue  # "the past five years", "the same plan", "the best-run energy company in Britain"
        for n in range(1, len(words) + 1):  # "the tour" (of "the tour sold"), else "the planning committee"
            head = words[n - 1]
            after = statement[m.start("words") + len(" ".join(words[:n])) :]
            if _NAME_FOLLOWS.match(after):
                break  # a name follows and says which: "the energy regulator Ofgem", "the think tank the Kestrel Trust"
            if head in heads and not head.endswith("ly"):
                if n < len(words) and words[n] in heads and not _VERB_LIKE.match(words[n]):
                    n, head = n + 1, words[n]  # "the waiting list", "the church hall"
                named = rf"\b(?!(?:The|A|An|This|That)\b)[A-Z][\w'’-]+(?:['’]s)?\s+(?:[a-z][\w-]+\s+)?(?i:{head})\b"
                if re.search(named, statement) is None:
                    return " ".join([m.group(0)[:3], *words[:n]])  # "the" or "The", as the statement has it
                break
    return None
