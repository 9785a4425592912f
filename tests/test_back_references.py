"""A definite description whose noun the article used before as the head of a name ("the tour" after "the
Glasshouse Tour") leans on the article: the claim is flagged needs_context and the Review page names the words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.extraction import sentence_claim
from app.references import back_reference
from app.ui.app_pages.review_form import needs_context_note
from retrieval.models import Article, content_id
from retrieval.sentences import split_sentences

ARTICLE = (
    "Tour figures questioned\n\n"
    "Delia Moon's Glasshouse Tour sold 4.2 million tickets, Starline Live said. The Bramley District Council's "
    "planning committee meets on Friday. The county's energy regulator Ofgem set the cap.\n\n"
    "Fans complained about the tour. The committee will decide on March 27. Ticket sales for the tour sold out.\n\n"
    "The Glasshouse Tour had 148 shows. Moon said the tour was her last. Prices rose over the past five years. "
    "Greenfield is the best-run energy company in Britain. The regulator said the energy regulator Ofgem agreed. "
    "Critics said the tour ended in London. Its promoter said the 21-month tour made money."
)


def _in(sentence: str) -> str | None:
    return back_reference(sentence, ARTICLE, ARTICLE.index(sentence))


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("Fans complained about the tour.", "the tour"),
        ("The committee will decide on March 27.", "The committee"),
        ("Ticket sales for the tour sold out.", "the tour"),
        ("Its promoter said the 21-month tour made money.", "the 21-month tour"),
        # the statement names it, or a name follows the description, or it says which by itself
        ("The Glasshouse Tour had 148 shows.", None),
        ("Prices rose over the past five years.", None),
        ("Greenfield is the best-run energy company in Britain.", None),
        ("The regulator said the energy regulator Ofgem agreed.", None),
    ],
)
def test_a_description_the_article_named_before_leans_on_it(sentence: str, words: str | None) -> None:
    assert _in(sentence) == words


def test_only_a_name_before_the_sentence_counts() -> None:
    # the first sentence is where the tour is named; nothing before it names a tour
    first = "Delia Moon's Glasshouse Tour sold 4.2 million tickets, Starline Live said."
    assert back_reference("Fans complained about the tour.", ARTICLE, ARTICLE.index(first)) is None


def test_the_claim_is_flagged_and_the_note_names_the_words() -> None:
    article = Article(
        id=content_id(ARTICLE), title="Tour figures questioned", source="t.txt", text=ARTICLE,
        ingested_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    [s] = [s for s in split_sentences(ARTICLE) if s.text == "Critics said the tour ended in London."]

    class Scored:
        start, end, text, score = s.start, s.end, s.text, 0.9

    claim = sentence_claim(article, Scored())
    assert claim.needs_context
    note = needs_context_note(claim.statement, ARTICLE, claim.start)
    assert "(“the tour” could not be resolved)" in note
    # without the article the note cannot say which words
    assert "a pronoun or a vague reference" in needs_context_note(claim.statement)
