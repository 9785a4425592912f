"""schema.org ClaimReview JSON-LD for reviewed claims, as Google's fact-check markup documentation describes.

Google requires `claimReviewed`, `reviewRating` and `url` on a ClaimReview, and `alternateName` (the verdict
as readers see it) on its Rating; `ratingValue`, `bestRating` and `worstRating` are recommended and, when
the rating is numeric, come together. `bestRating` and `worstRating` are the highest and lowest number of
the configured scale (CLAIMDESK_RATING_SCALE), as recorded in the report. So a verdict with no number on our
scale (e.g. "Unverifiable") is published with `alternateName` only, which is valid; a claim with no verdict,
not yet reviewed (a draft verdict is not a fact check), or with a verdict no longer on the scale is not.
Export refuses the whole file, naming each such claim and what it lacks, rather than write invalid markup.

Each ClaimReview's `url` is the claim's place in the published HTML report: CLAIMDESK_REPORT_URL (fragment
removed) with `#claim-<claim id>`, the id the HTML report gives each claim. Export refuses while that setting is
unset, or while the publisher is still the configured placeholder, rather than publish addresses or a name that
belong to nobody.

Claims the reviewer marked "not checkable" are not fact checks and are left out of the markup.
`itemReviewed.appearance` is given only for articles read from an http(s) URL: a local file path is not a
public appearance and would leak the newsroom's file system.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import urldefrag

from app.config import publisher_placeholders
from app.dates import DAY_AND_MONTH_NAMES
from app.errors import ExportError
from app.names import INSTITUTION_PHRASES, INSTITUTION_WORDS
from app.reports import Report, ReportArticle, ReportClaim
from app.source_links import is_web_url

__all__ = [
    "ClaimReviewProblem",
    "check_publisher",
    "claim_review",
    "claim_url",
    "claimant_type",
    "render_claimreview",
    "review_problems",
]

# Words that make a claimant an organisation ("Amnesty International", "Chinese Foreign Ministry"): the name
# rules' list. Acronyms (NASA, WHO) need no list: an all-capital word is an organisation's.
_ORGANISATION_WORDS = re.compile(
    r"\b(?:"
    + "|".join(sorted(map(re.escape, {*INSTITUTION_WORDS, *INSTITUTION_PHRASES}), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
# "Post" names a newspaper after a place or a paper's word ("Washington Post", "the Daily Post"), a person
# otherwise ("Emily Post").
_PAPER_WORDS = frozenset("daily sunday morning evening national financial huffington".split())

# Capitals that stand for their governments in news copy ("Beijing denies ..."); countries come from Babel's
# English territory names.
_CAPITALS = frozenset(
    "washington beijing moscow kyiv kiev london paris berlin brussels tokyo tehran jerusalem ankara new delhi "
    "pyongyang seoul taipei ottawa canberra rome madrid warsaw damascus riyadh cairo caracas havana minsk tbilisi "
    "baghdad kabul islamabad beirut doha pretoria nairobi brasilia".split()
) | {"new delhi", "abu dhabi", "mexico city", "buenos aires", "the kremlin", "kremlin", "the white house"}


@functools.lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    from babel import Locale

    names = {name.lower() for code, name in Locale("en").territories.items() if code.isalpha()}
    names |= {"us", "u.s.", "usa", "uk", "u.k.", "the us", "the uk", "the united states", "the united kingdom", "eu"}
    names |= {"hong kong", "macau", "macao", "palestine"}  # Babel: "Hong Kong SAR China", "Palestinian Territories"
    return frozenset(names) | _CAPITALS


# Titles before a name ("President Joe Biden", "Foreign Ministry spokesperson Wang Wenbin"): the claimant is that
# person, whatever body the title names.
_TITLE = re.compile(
    r"(?i:spokes(?:person|man|woman)|minister|president|secretary|mayor|senator|sen|rep|governor|gov|"
    r"chair(?:man|woman|person)?|director|ambassador|chancellor|premier|king|queen|prince|princess|general|"
    r"professor|prof|dr|mr|mrs|ms|ceo|commissioner|administrator|judge|justice|pope|sir|dame|leader)\.?"
)
# Capitalised words that are not names: a claimant that is a phrase about Monday's figures names nobody.
_NOT_NAMES = DAY_AND_MONTH_NAMES
# Lower-case words inside a personal name ("Ursula von der Leyen"), and what may follow one ("Jr.").
_NAME_PARTICLES = frozenset("de del della der den di da du dos van von bin ibn al el la le ter ten y".split())
_NAME_SUFFIXES = frozenset("Jr Jr. Sr Sr. II III IV".split())
_NAME_WORD = re.compile(r"[^\W\d_]\.|[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*")


def _is_name_word(word: str) -> bool:
    """A capitalised word that can be part of a personal name: "Wenbin", "O'Brien", "Jean-Luc", "J." (no acronym)."""
    return (
        word[:1].isupper()
        and _NAME_WORD.fullmatch(word) is not None
        and ((len(word) == 2 and word.endswith(".")) or any(ch.islower() for ch in word))
        and word not in _NOT_NAMES
    )


def _personal_name(words: list[str], *, least: int = 2) -> bool:
    """Whether `words` read as a personal name: `least` to 4 capitalised words, particles between them, an
    optional suffix ("Jr."), and no organisation word."""
    if words and words[-1] in _NAME_SUFFIXES:
        words = words[:-1]
    named = [w for w in words if w not in _NAME_PARTICLES]
    return (
        bool(words)
        and words[0] not in _NAME_PARTICLES
        and words[-1] not in _NAME_PARTICLES
        and least <= len(named) <= 4
        and all(_is_name_word(w) for w in named)
        and not _organisation(words)
    )


def _organisation(words: list[str]) -> bool:
    """Whether the words name an organisation by one of its words (Ministry, International, Reuters, a paper's Post)."""
    if _ORGANISATION_WORDS.search(" ".join(words)):
        return True
    for i, word in enumerate(words):
        if word.lower() == "post" and i > 0:
            before = words[i - 1].lower()
            if before in _PAPER_WORDS or before in _places() or " ".join(words[:i]).lower() in _places():
                return True
    return False


def _titled_person(words: list[str]) -> bool:
    """A title and the person holding it: "President Joe Biden", "Mr Smith", "Foreign Ministry spokesperson Wang
    Wenbin", or an office itself ("the President", "Secretary of State")."""
    for i, word in enumerate(words):
        if not _TITLE.fullmatch(word):
            continue
        rest = words[i + 1 :]
        if rest and _personal_name(rest, least=1):
            return True
        # An office: the title alone, or "of" / "for" what it is the office of.
        office = not rest or (rest[0] in ("of", "for") and any(w[:1].isupper() for w in rest[1:]))
        if i == 0 and word[:1].isupper() and office:
            return True
    return False


ClaimReviewProblem = tuple[str, str]


def claimant_type(claimant: str) -> str | None:
    """schema.org type for a claimant, or None (leave `author` out) when it names nobody.

    Organization: a country or capital standing for its government ("Russia", "Beijing"), a name with an
    organisation word ("Amnesty International", "Chinese Foreign Ministry"), an acronym ("NASA") or any other single
    capitalised word ("Pfizer"). Person: a personal name of two to four capitalised words ("Wang Wenbin", "Emily
    Post"), or one after a title ("President Joe Biden"). None: no capitalised word ("officials", "the national
    statistics office", "figures released on Monday"), or a phrase that is neither.
    """
    name = " ".join(claimant.split())
    bare = re.sub(r"^(?:the|a|an)\s+", "", name, flags=re.IGNORECASE)
    words = bare.split()
    if not any(w[:1].isupper() and w.strip(".,;:") not in _NOT_NAMES for w in words):
        return None  # Google: leave the author out when the claim has none
    if name.lower() in _places() or bare.lower() in _places():
        return "Organization"
    if _titled_person(words):
        return "Person"
    if _organisation(words) or len(words) == 1:
        return "Organization"
    if _personal_name(words):
        return "Person"
    return None


def review_problems(claim: ReportClaim) -> list[str]:
    """What this claim lacks before it can be published as a ClaimReview (empty when it is ready)."""
    problems: list[str] = []
    if claim.status != "reviewed":
        problems.append(f"not reviewed yet (status {claim.status})")
    if not (claim.verdict or "").strip():
        problems.append("no verdict")
    else:
        if not claim.verdict_on_scale:
            problems.append(
                f"verdict {claim.verdict!r} is not on the current rating scale (review it again with a current "
                "label, or add the label to CLAIMDESK_RATING_SCALE)"
            )
        if claim.reviewed_at is None:
            problems.append("no review date")
    if not claim.statement.strip():
        problems.append("an empty statement")
    return problems


def claim_url(report_url: str, claim_id: str) -> str:
    """The claim's place in the published HTML report: the report's address, any fragment dropped, + #claim-ID."""
    base, _ = urldefrag(report_url.strip())
    return f"{base}#claim-{claim_id}"


def check_publisher(publisher_name: str, publisher_url: str, report_url: str | None) -> str:
    """The report address to build claim URLs on; ExportError, naming the setting to fix, for a blank or
    placeholder publisher or a missing or non-http(s) address."""
    if not publisher_name.strip():
        raise ExportError("ClaimReview needs the publisher's name: set CLAIMDESK_PUBLISHER_NAME.")
    placeholders = publisher_placeholders(publisher_name, publisher_url)
    if placeholders:
        values = {"CLAIMDESK_PUBLISHER_NAME": publisher_name.strip(), "CLAIMDESK_PUBLISHER_URL": publisher_url.strip()}
        named = " and ".join(f"{name} (still the placeholder {values[name]!r})" for name in placeholders)
        raise ExportError(
            f"ClaimReview needs your organisation as its publisher: set {named} to your organisation's name and site."
        )
    if not is_web_url(publisher_url):
        raise ExportError(
            f"ClaimReview needs the publisher's site as an http(s) URL, got {publisher_url!r}: "
            "set CLAIMDESK_PUBLISHER_URL (e.g. https://www.your-desk.org)."
        )
    if report_url is None or not report_url.strip():
        raise ExportError(
            "ClaimReview needs the address where the HTML report will be published: set CLAIMDESK_REPORT_URL "
            "(e.g. https://www.your-desk.org/checks/2026-12.html); each claim's url is that address + #claim-<id>."
        )
    if not is_web_url(report_url):
        raise ExportError(
            f"ClaimReview needs the HTML report's address as an http(s) URL, got {report_url!r}: "
            "set CLAIMDESK_REPORT_URL (e.g. https://www.your-desk.org/checks/2026-12.html)."
        )
    return report_url.strip()


def claim_review(
    article: ReportArticle,
    claim: ReportClaim,
    *,
    publisher_name: str,
    publisher_url: str,
    report_url: str,
    best_rating: int | None,
    worst_rating: int | None,
) -> dict[str, Any]:
    """One ClaimReview object for a reviewed claim (call `review_problems` first); bounds are the scale's."""
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": claim.verdict}
    if claim.rating is not None and best_rating is not None and worst_rating is not None:
        rating.update(ratingValue=claim.rating, bestRating=best_rating, worstRating=worst_rating)
    item: dict[str, Any] = {"@type": "Claim"}
    kind = claimant_type(claim.claimant or "")
    if kind is not None:
        item["author"] = {"@type": kind, "name": (claim.claimant or "").strip()}
    if article.published is not None:
        item["datePublished"] = article.published.date().isoformat()
    if is_web_url(article.source):
        item["appearance"] = [{"@type": "CreativeWork", "url": article.source.strip()}]
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": claim_url(report_url, claim.claim_id),
        "claimReviewed": claim.statement,
        "author": {"@type": "Organization", "name": publisher_name, "url": publisher_url},
        "reviewRating": rating,
        "itemReviewed": item,
    }
    if claim.reviewed_at is not None:
        review["datePublished"] = claim.reviewed_at.date().isoformat()
    return review


def render_claimreview(
    report: Report,
    *,
    publisher_name: str,
    publisher_url: str,
    report_url: str | None,
) -> str:
    """The report's reviewed claims as a JSON-LD list of ClaimReview; refuses if any claim is not ready.

    `report_url` is where the HTML report will be published (CLAIMDESK_REPORT_URL). Claims of an earlier version
    of a source are refused: their quotes are text the source (and its `appearance`) no longer has."""
    report_address = check_publisher(publisher_name, publisher_url, report_url)
    best, worst = report.best_rating, report.worst_rating
    earlier = sorted({a.source for a in report.articles if a.replaced_by is not None and a.claims})
    if earlier:
        # Their quotes are text the source (and the ClaimReview's `appearance`) no longer has.
        raise ExportError(
            f"ClaimReview export refused: the report holds claims of earlier versions of {', '.join(earlier[:5])}"
            f"{' and more' if len(earlier) > 5 else ''}, since replaced by a newer text. Export ClaimReview without "
            "earlier versions (drop --include-earlier), and review the current version's claims."
        )
    problems: list[ClaimReviewProblem] = []
    reviews: list[dict[str, Any]] = []
    for article, claim in report.claims():
        if claim.not_checkable:
            continue
        lacking = review_problems(claim)
        if lacking:
            problems.append((claim.claim_id, ", ".join(lacking)))
            continue
        if claim.rating is not None and best is not None and worst is not None and best <= worst:
            # Google requires bestRating above worstRating: a scale with one number cannot rate anything.
            raise ExportError(
                f"ClaimReview needs a best rating above the worst, but the rating scale's highest and lowest "
                f"numbers are {best} and {worst}; give CLAIMDESK_RATING_SCALE at least two different numbers "
                "(e.g. True=5;Mostly true=4;Half true=3;Mostly false=2;False=1)."
            )
        reviews.append(
            claim_review(
                article,
                claim,
                publisher_name=publisher_name.strip(),
                publisher_url=publisher_url.strip(),
                report_url=report_address,
                best_rating=best,
                worst_rating=worst,
            )
        )
    if problems:
        listing = "\n".join(f"  - claim {claim_id}: {what}" for claim_id, what in problems)
        raise ExportError(
            f"ClaimReview export refused: {len(problems)} claim{'s' if len(problems) != 1 else ''} "
            f"cannot be published as valid ClaimReview:\n{listing}\n"
            "Give each a verdict and mark it reviewed, or leave it out: export only reviewed claims (keep "
            '"Only reviewed claims" on in the workbench; drop --all-claims, or filter with --verdict, on the '
            "command line)."
        )
    text = json.dumps(reviews, indent=2, ensure_ascii=False)
    # The markup is pasted into <script type="application/ld+json">: a statement containing "</script>"
    # must not end that element. Outside strings JSON has no <, > or &, so this only touches string content.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
