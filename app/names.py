"""Names of people and bodies in an article, found by rules (a rule, not a tagger).

`person_names` finds names such as "Raj Patel", `bodies_named` / `company_named` / `appositive_names` the names of
bodies of one kind ("UK Health Security Agency", "Halvorsen ASA"), `full_name` a name as the article gives it in
full, and `named_in_full` writes out a bare surname or "the hospice" as the article named them. Also the word lists
the speaker rules share: institution words, titles, reporting verbs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from app.dates import DAY_AND_MONTH_NAMES

PERSON_TITLE = re.compile(
    r"\b(?:Professor|Prof|Dr|Mr|Mrs|Ms|Miss|Sir|Dame|Minister|Secretary|President|Chancellor|Judge|Justice|Inspector|"
    r"DI|DCI|Sergeant|Sgt|Constable|PC|Detective|Captain|Colonel|General|Senator|Governor|Mayor|Councillor|Cllr|MP)"
    r"\.?\s+[A-Z]"
)


# (a capital inside a name: "McAllister", "MacDonald", "DeSantis"; the words of a name may be on two lines of a
# wrapped paragraph, never on both sides of a blank line: "Mayor Quits\n\nHelena Voss said" names Helena Voss)
_GAP = r"(?:[ \t]+|[ \t]*\r?\n[ \t]*)"
_NAME_RUN = re.compile(
    r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[-'][A-Z]?[a-z]+)?"
    rf"(?:{_GAP}(?:(?:de|van|von|bin|al|da|di|del|la|le){_GAP})?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[-'][A-Z]?[a-z]+)?){{1,3}}"
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
NOT_PERSON = (
    frozenset(w.capitalize() for w in INSTITUTION_WORDS)
    | {"LLC", "Post"}  # "Washington Post" (ClaimReview tells Emily Post from a paper)
    | DAY_AND_MONTH_NAMES
)


_NEXT_CAPITAL = re.compile(r"\s+[A-Z]")


def _line_of_its_own(text: str, m: re.Match[str]) -> bool:
    """Whether a run of capitalised words goes on past a line that holds nothing but its first words: a heading or a
    list's line, not a paragraph wrapped inside a name. A PDF's "Contents\nSpending, audit" is no person "Contents
    Spending" (who then stood for every "Spending" after it); a wrapped "... said Colin\nAshdown" has its line's
    other words before it."""
    newline = text.find("\n", m.start(), m.end())
    if newline == -1:
        return False
    line_start = text.rfind("\n", 0, m.start()) + 1
    return not text[line_start : m.start()].strip()


def person_names(text: str) -> list[str]:
    """Runs of two to four capitalised words that look like a person's name ("Raj Patel"), in order; runs with
    an institution or date word ("Foreign Ministry", "European Union") are left out. A rule, not a tagger: it
    only backs up or stands in for the model when a sentence opens with "He" or "She"."""
    names: list[str] = []
    for m in _NAME_RUN.finditer(text):
        if _line_of_its_own(text, m):
            continue
        words = m.group(0).split()
        before = m.start()  # the last character before the run that is not whitespace (no slice: long texts)
        while before > 0 and text[before - 1].isspace():
            before -= 1
        at_start = m.start() == 0 or (before > 0 and text[before - 1] in '."“')
        if words[0] in NOT_SUBJECT:
            words = words[1:]  # "In Yarrow", "After Raj Patel ...": a capitalised function word is not a name
        elif at_start and len(words) >= 3:
            words = words[1:]  # a sentence's first word is capitalised anyway ("Mayor Linda Ortiz")
        if any(REPORTING_WORD.fullmatch(w) for w in words):
            continue  # a title-case headline's verb ("Port Authority Says Exports Doubled")
        bare = [re.sub(r"['’]s$", "", w) for w in words]
        last_body = max((i for i, w in enumerate(bare) if w in NOT_PERSON), default=-1)
        cut_short = _NEXT_CAPITAL.match(text, m.end()) is not None  # (the run stopped at its length limit)
        if 0 <= last_body < len(words) - 2 and bare[last_body] not in DAY_AND_MONTH_NAMES and not cut_short:
            words = words[last_body + 1 :]  # "City Councilman Ray Okonkwo": the person after the body's word
        if len(words) >= 2 and not NOT_PERSON & {re.sub(r"['’]s$", "", w) for w in words}:
            names.append(re.sub(r"['’]s$", "", " ".join(words)))  # "Vladimir Putin's call" names Vladimir Putin
    return names


REPORTING = (
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


REPORTING_WORD = re.compile(rf"(?:{''.join(REPORTING)})", re.IGNORECASE)
NOT_SUBJECT = frozenset(
    "The A An This That These Those He She They It We I You His Her Their Its Our My Your But And Or So Yet In On "
    "At For With After Before When While If As Some Many Most Several Officials Critics Analysts Experts".split()
)


@functools.lru_cache(maxsize=8)
def _article_names(article_text: str) -> tuple[str, ...]:
    """person_names of a whole article, read once per article (every sentence of a transcript asks)."""
    return tuple(person_names(article_text))


def full_name(name: str, article_text: str) -> str:
    """`name` as the article gives it in full ("Voss" -> "Helena Voss"), or `name` itself."""
    return next((n for n in _article_names(article_text) if n.endswith(name) and n != name), name)


def holding(names: Iterable[str], words: Iterable[str]) -> list[str]:
    """The names that hold every one of `words` as a word of their own ("National Weather Office" for "weather")."""
    wanted = [w.lower() for w in words]
    return [n for n in names if all(w in n.lower().split() for w in wanted)]


COMPANY_WORDS = frozenset("company firm business group corporation".split())
_LEGAL_FORMS = "Inc Ltd plc PLC ASA Corp Corporation LLC AG SA GmbH NV Co Limited Holdings".split()
_COMPANY_NAME = re.compile(rf"\b(?:[A-Z][\w&'’.-]*\s+){{1,4}}(?:{'|'.join(_LEGAL_FORMS)})\b\.?")


def company_named(noun: str, text: str) -> list[str]:
    """For "the company" / "the firm": the one company `text` names with a legal form ("Pulsewise Inc", "Halvorsen
    ASA"), or nothing when it names none or several."""
    if noun.lower() not in COMPANY_WORDS:
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
    """The names in `text` of bodies of one kind ("agency" -> "UK Health Security Agency", "Agency for ...", "service"
    -> "Carnshire Fire and Rescue Service", not "Rescue Service"), in order of appearance, each as written (without a
    leading "The" or a sentence's capitalised opening word)."""
    noun = noun.capitalize()
    name = re.compile(
        rf"\b((?:[A-Z][\w'’&.-]*[ \t]+(?:(?<!{noun} )(?:and|&)[ \t]+(?=[A-Z]))?){{1,5}}{noun}\b(?:[ \t]+(?:of|for)(?:[ \t]+the)?(?:[ \t]+(?:and[ \t]+)?[A-Z][\w'’-]*){{1,5}})?)"
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
    """The capitalised words that follow `word` on its line anywhere in the article ("Public" and "State" after
    "Bellhaven"; not the next paragraph's first word after a headline ending in a name)."""
    return frozenset(article_text[a:b] for a, b in _capitals_after(word, article_text))


_COUPLE = re.compile(r"\b([A-Z][a-z]+) and ([A-Z][a-z]+) ([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
# What a surname that also begins other names maps to beside its person: never one name, so never resolved.
_BEGINS_OTHER_NAMES = "\0begins other names"


def _title_case(line: str) -> bool:
    """Whether a headline capitalises its words ("Mayor Quits Over Harbour Fund"), not only its names."""
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", line) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


@functools.lru_cache(maxsize=4096)
def _capitals_after(word: str, text: str) -> tuple[tuple[int, int], ...]:
    """Where a capitalised word follows `word` on its line in `text`: each such word's span."""
    return tuple(n.span(1) for n in re.finditer(rf"\b{re.escape(word)}[ \t]+([A-Z][\w'’-]*)", text))


@functools.lru_cache(maxsize=8)
def _without_title_case_headline(article_text: str) -> str:
    """The article with a title-case headline blanked out (same offsets), one string object per article (so that
    caches keyed on it hit)."""
    headline_end = article_text.find("\n")
    if headline_end > 0 and _title_case(article_text[:headline_end]):
        return " " * headline_end + article_text[headline_end:]
    return article_text


def named_in_full(statement: str, article_text: str, start: int) -> str:
    """`statement` with who a bare surname or "the hospice" means, as the article named them before `start`:
    the first "Ashdown" -> "Colin Ashdown" (one person of that surname), the first "the hospice" -> "St Brendan's
    Hospice" (one body of that kind), "Halvorsen" -> "Halvorsen ASA" (the one company of that first word named with
    a legal form), "Police" -> "Severnshire Police" (the one force named). The headline (the first line) is
    resolved by the whole article, which it sums up. Words inside quotation marks are left as they were said; a
    name or body the article names in several ways is left alone (never a guess)."""
    headline_end = article_text.find("\n")
    before = article_text if 0 <= start < headline_end else article_text[:start]
    # bodies are looked up without a title-case headline, whose every word is capitalised: "Mayor Quits Over Harbour
    # Fund" is no fund's name
    bodies_text = " " * headline_end + before[headline_end:] if _title_case(article_text[:headline_end]) else before
    quoted = [m.span() for m in _QUOTED.finditer(statement)]

    def in_quote(i: int) -> bool:
        return any(a <= i < b for a, b in quoted)

    people: dict[str, set[str]] = {}

    def lower_case(word: str) -> bool:
        return _written_in_lower_case(word, article_text)

    # whether a word is followed by a capitalised one in bodies_text, read from one cached scan of the whole article
    # (bodies_text is a prefix of it, but a new string per claim: scanning it missed _words_after's cache and made
    # extraction three times slower)
    whole = _without_title_case_headline(article_text)
    prefix = whole.startswith(bodies_text)

    def begins_other_names(word: str) -> bool:
        if not prefix:
            return bool(_words_after(word, bodies_text))
        return any(at < len(bodies_text) for at, _ in _capitals_after(word, whole))

    persons = person_names(before[headline_end if headline_end > 0 else 0 :])  # (not the title-case headline)
    for name in persons:
        full = _person_in_full(name)
        if full:
            # by surname ("Ashdown"), or by the name written first ("Wang" for "Wang Wenbin") when that word goes
            # on into no other name (not "Bellhaven" of "Bellhaven Public Radio" and "Bellhaven State University");
            # a surname that itself begins other names may be a place's: "Wendmoor" of the charity "Silver Circle
            # Wendmoor", with "Wendmoor General Hospital" and "Wendmoor Borough Council", made every "Wendmoor" the
            # charity. Such a word stays a key (another name ending in it stays ambiguous) but is never resolved.
            first, last = full.split()[0], full.split()[-1]
            goes_on = _words_after(first, article_text)
            for key in {last} | ({first} if goes_on <= {full.split()[1]} else set()):
                if not lower_case(key):
                    people.setdefault(key, set()).add(full)  # (never a word the article also writes in lower case)
            if last in people and last != first and begins_other_names(last):
                people.setdefault(last, set()).add(_BEGINS_OTHER_NAMES)
    # two people of one surname named together ("Derek and Alison Moyo"): "Mr Moyo" is either (it had become "Mr
    # Alison Moyo", the one Moyo the name finder saw)
    for m in _COUPLE.finditer(before):
        one, other, surname = m.groups()
        if f"{other} {surname}" in persons and surname in people:
            people[surname] |= {f"{one} {surname}", f"{other} {surname}"}
    # a company by the first word of its name with a legal form: "Halvorsen" for "Halvorsen ASA"
    for m in _COMPANY_NAME.finditer(before[headline_end if headline_end > 0 else 0 :]):
        words = re.sub(r"^(?:The|A|An)\s+", "", m.group(0).rstrip(".")).split()
        if len(words) >= 2 and words[0] not in NOT_SUBJECT and not lower_case(words[0]):
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
        names = set(bodies_named(noun, bodies_text)) if noun.lower() in _BODY_KINDS else set()
        names = names or set(appositive_names(noun, bodies_text)) or set(company_named(noun, bodies_text))
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
        names = set(holding(bodies_named(noun, bodies_text), [modifier]))
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
        holders = {h for h in holders if not NOT_PERSON & set(h.split()[1:])}
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
    police = re.search(r"(?<![\w'’-])(?<!the )(?<!The )[Pp]olice\b(?!-)|\b[Tt]he force\b", statement)
    forces = set(bodies_named("police", bodies_text)) if police else set()  # (the article is read only when needed)
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
# Titles that say only how to address someone, dropped once the first name is known ("Ms Marsh" -> "Helen Marsh");
# "Dr", "Prof", "Sir" and "Dame" say something and stay.
_ADDRESS_ONLY = frozenset("Mr Mrs Ms Miss".split())
_SHORT_CLAIMANT = re.compile(r"(?:(?P<title>[A-Z][a-z]{1,8})\.?\s+)?(?P<name>[A-Z][\w'’-]*|police)")


def claimant_in_full(claimant: str, article_text: str, start: int) -> str:
    """`claimant` as the statement names it: a bare surname or short name in full ("Wang" -> "Wang Wenbin",
    "Ms Marsh" -> "Helen Marsh", "Police" -> "Severnshire Police", "Ofem" -> "Office of Energy Markets (Ofem)"), and
    "the authority" in a longer claimant as the one body of that kind ("Officials at the authority" -> "Officials at
    Calderport Combined Authority"), by named_in_full. Other claimants of several words are left as they are: their
    capitalised words are parts of one name ("Leden Valley Fire and Rescue Service" is not "River Leden"'s)."""
    short = _SHORT_CLAIMANT.fullmatch(claimant)
    if short and (short.group("title") is None or short.group("title") in _COURTESY_TITLES):
        full = named_in_full(claimant, article_text, start)
        if full == claimant:
            return claimant
        words = full.split()
        if words[0] in _ADDRESS_ONLY and len(words) >= 3:
            words = words[1:]
        if words[0] in ("The", "the"):
            words = words[1:]
        return " ".join(words)
    if re.search(r"\bthe\s+[a-z]+", claimant):
        return named_in_full(claimant, article_text, start)
    return claimant


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
