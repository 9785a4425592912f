"""Rewrite checks: the rules a cascade answer is checked by, before it becomes a claim.

Whether a rewritten statement keeps its sentence and brings in nothing from nowhere (`check_faithful`), whether a
sentence the model calls stand-alone is one, what an opening pronoun refers to (`pick_referent`,
`resolved_statement`), and a small model's claimant and claim type corrected where the sentence contradicts them
(`checked_claimant`, `checked_claim_type`). Used by app/extraction_cascade.py.
"""

from __future__ import annotations

import re

from app.claim_types import TYPE_CUES, guess_claim_type, has_number
from app.claimreview import claimant_type
from app.faithfulness import article_words, content_words
from app.models import ClaimType
from app.names import person_names
from app.references import unresolved_reference
from app.speakers import (
    according_to,
    attributed,
    body_reports,
    label_speaker,
    pronoun_reports,
    reporter_elsewhere,
    rule_claimant,
    sentence_speaker,
)

__all__ = [
    "MAX_FROM_ELSEWHERE",
    "MAX_NEW",
    "MIN_KEPT",
    "check_faithful",
    "check_refers_to",
    "check_stands_alone",
    "checked_claim_type",
    "checked_claimant",
    "pick_referent",
    "resolve_reference",
    "resolved_statement",
]

_POSSESSIVE = frozenset({"his", "her", "their", "its"})


def resolve_reference(sentence: str, phrase: str, refers_to: str) -> str:
    """`sentence` (whitespace normalised) with its first `phrase` replaced by what the article says it means."""
    text = " ".join(sentence.split())
    at = text.find(phrase)
    if at < 0:
        return text
    name = " ".join(refers_to.split()).strip(" .,;:")
    lowered = phrase.lower()
    if lowered == "in response":
        name = name if name.lower().startswith("in response") else f"in response to {name}"
    elif lowered in _POSSESSIVE:
        name = name if name.endswith(("'s", "’s")) else f"{name}'s"
    if at == 0 or not text[:at].strip(" \"'“‘("):
        name = name[:1].upper() + name[1:]
    return text[:at] + name + text[at + len(phrase) :]


MIN_KEPT = 0.5  # share of the sentence's content words the statement must keep
MAX_NEW = 0.4  # share of the statement's content words allowed to come from nowhere in the prompt
MAX_FROM_ELSEWHERE = 6  # content words a statement may bring from outside its sentence (a name and a role)


def check_faithful(statement: str, sentence: str, sources: str) -> None:
    """Raise ValueError when a rewrite drops most of the sentence or brings words found nowhere in the prompt."""
    said = content_words(sentence)
    stated = content_words(statement)
    if said and len(said & stated) < MIN_KEPT * len(said):
        raise ValueError(
            "statement: it must restate this whole sentence, keeping its facts and words; for a quotation write "
            f"the name of who said it and what they said, not the quoted words alone: {sentence!r}"
        )
    new = stated - content_words(sources)
    if stated and len(new) > MAX_NEW * len(stated):
        raise ValueError(
            f"statement: it adds words that are not in the article ({', '.join(sorted(new)[:8])}); "
            "use only what the article says"
        )
    # Words from the article but not from this sentence: who "he" is (a name and a role) belongs there, the
    # sentences around it do not (the 1.5B model glued one to three neighbours into 11 of 218 statements).
    elsewhere = stated - said
    if len(elsewhere) > max(MAX_FROM_ELSEWHERE, MAX_NEW * len(said)):
        raise ValueError(
            f"statement: restate only this sentence; it brings in other sentences ({', '.join(sorted(elsewhere)[:8])})"
        )
    if attributed(sentence) and not attributed(statement):
        # "Voss said catches fell" must not become "Catches fell": the claim is that someone says so.
        raise ValueError(
            "statement: keep who says it: the sentence reports someone's words or view, so the statement names the "
            "same person or body and keeps the sentence's reporting verb (said, wrote, according to)"
        )


def check_stands_alone(sentence: str) -> None:
    """Raise ValueError when the model says a sentence stands alone but it opens with an unresolved reference."""
    opening = unresolved_reference(sentence)
    if opening:
        raise ValueError(
            f"statement: this sentence starts with {opening!r}, which a reader cannot follow without the "
            "article, so it does not stand alone: write the statement with the name or thing the article says it "
            "refers to"
        )


def check_refers_to(refers_to: str, phrase: str, sentence: str, sources: str) -> None:
    """Raise ValueError when what the model says `phrase` means is not from the article, or is only more of the
    sentence itself ("Officials in Moscow called the accusations baseless": the accusations are not the
    officials)."""
    words = content_words(refers_to)
    new = words - content_words(sources)
    if new:
        raise ValueError(f"refers_to: use the article's own words; these are not in it: {', '.join(sorted(new)[:8])}")
    if words <= content_words(sentence.replace(phrase, " ")) or refers_to.strip().lower() == phrase.lower():
        raise ValueError(
            f"refers_to: {refers_to!r} is already in this sentence; {phrase!r} means something the article says "
            "elsewhere: give that"
        )


def pick_referent(pronoun: str, refers_to: str | None, previous: str) -> str | None:
    """Who a sentence-opening pronoun means: the model's answer when the sentence before names it, else the one
    person the sentence before names (for "He"/"She"), else None (the sentence is then kept, needs_context).

    The 1.5B model named the wrong person for 3 of 6 opening pronouns in trials on two short articles (mostly the
    article's most prominent person), but the antecedent of an opening pronoun is nearly always in the sentence
    just before, which the rules can check.
    """
    names = person_names(previous)
    words = content_words(refers_to or "")
    if refers_to and words and (words <= content_words(previous) or any(n in refers_to for n in names)):
        return refers_to
    if pronoun.lower() in ("he", "she", "his", "her") and len(names) == 1:
        return names[0]
    return None


_OPENING_PRONOUN = re.compile(r"[\s\"“(]*(?:He|She|They|We|I)\b")


def checked_claimant(claimant: str | None, sentence: str, article_text: str) -> str | None:
    """A small model's claimant, checked by rules: none unless the sentence reports someone's words or view
    ("Washington imposed sanctions" is the article's claim, not Washington's); the name the sentence opens with
    when that is who reports it (see opening_speaker), or ends on ("..., Beijing Says"), when the model named
    someone else; the one person the sentence names when the model named someone the sentence does not mention
    (it tends to name the article's main person), or its "according to" source; nobody when the sentence names
    neither and does not open with the "He" the model resolved; never a name the article does not have. Without a
    model answer this is `rule_claimant`."""
    ruled = rule_claimant(sentence, article_text)
    label = label_speaker(sentence, article_text)
    if label is not None or not claimant or not attributed(sentence):
        return ruled  # (a transcript's "Voss:" label names the speaker whatever the model says)
    # The sentence's own subject reports it ("Russia expelled ... and said"): the model, which leans on names
    # elsewhere in the sentence ("US government" there), is overruled unless it named that subject too.
    # (or its "according to" source: "..., according to parliamentary clerks" over the "government MPs" it counts)
    speaker = sentence_speaker(sentence, article_text) or according_to(sentence)
    words = content_words(claimant)
    in_article = words <= article_words(article_text)  # the article's words are tokenised once per article
    if speaker is not None:
        # the model's answer when it names the same, as fully ("Russian government" for "Russia"), not "government"
        # for "People familiar with the government's timetable"
        same = _same_name(claimant, speaker) and len(words) >= len(content_words(speaker))
        return claimant if same and in_article else speaker
    reported_from = reporter_elsewhere(sentence)
    if reported_from is None and pronoun_reports(sentence):
        return None  # "It said ...": the model's guess at which body "It" is was wrong twice in three
    if body_reports(sentence) and claimant_type(claimant) == "Person":
        return None  # "The club said ...": a body, not the player the model named
    if reported_from is not None:
        # "He said ...", "The company said ...", "..., she said": who reports is named earlier, which is what the
        # model answers; never a name from the reported words themselves ("It says the Crime Survey is ...").
        reported = content_words(sentence[reported_from:]) if reported_from else content_words(sentence)
        return claimant if in_article and not words & reported else None
    if not words & content_words(sentence):
        if ruled is not None:
            return ruled  # the one person the sentence names, or its "according to" source
        # Someone the sentence does not mention: right only for who an opening "He said" means.
        return claimant if in_article and _OPENING_PRONOUN.match(sentence) else None
    return claimant if in_article else None


def _same_name(a: str, b: str) -> bool:
    """Whether two names share a word, or one's word starts the other's ("Russia" and "Russian government")."""
    wa, wb = content_words(a), content_words(b)
    return any(x.startswith(y) or y.startswith(x) for x in wa for y in wb if min(len(x), len(y)) >= 3) or bool(wa & wb)


_DIRECT_QUOTE = re.compile(r"[\"“][^\"“”]{12,}[\"”]")


def checked_claim_type(claim_type: ClaimType, sentence: str) -> ClaimType:
    """A small model's claim type, corrected where the sentence plainly contradicts it: a direct quotation is a
    quotation, a "statistic" needs a number (the 1.5B model calls many plain sentences statistics), and a causal
    claim, a comparison or a prediction needs a word that makes it one (TYPE_CUES)."""
    if _DIRECT_QUOTE.search(sentence):
        return "quotation"
    if claim_type == "statistic" and not has_number(sentence):
        return guess_claim_type(sentence)
    cue = TYPE_CUES.get(claim_type)
    if cue is not None and cue.search(sentence) is None:
        # "causal" for "She appealed for dashcam footage", "prediction" for "estimated the weakening at 9 per cent":
        # a cause, a comparison or a forecast shows in the sentence's own words.
        return guess_claim_type(sentence)
    return claim_type


def resolved_statement(sentence: str, phrase: str, refers_to: str, sources: str) -> str | None:
    """The sentence with `phrase` replaced by `refers_to`, or None when that answer fails the checks."""
    try:
        check_refers_to(refers_to, phrase, sentence, sources)
        statement = resolve_reference(sentence, phrase, refers_to)
        check_faithful(statement, sentence, sources)
    except ValueError:
        return None
    return statement
