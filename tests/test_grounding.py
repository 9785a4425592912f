"""Quote grounding: exact, normalised (whitespace, NBSP, curly quotes, dashes) and nearest-match offsets."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.grounding import copied_run, echo_note, echoed_words, locate_quote, normalize_with_offsets
from app.models import normalize_for_match

TEXT = "Wang said \u201cwe firmly\u00a0oppose\u201d sanctions \u2014 again.\nHe said it  twice."


def test_exact_quote_is_found_at_its_offsets() -> None:
    span = locate_quote(TEXT, "sanctions")
    assert span is not None
    assert TEXT[span[0] : span[1]] == "sanctions"


def test_curly_quotes_nbsp_and_dashes_map_back_to_the_original_text() -> None:
    span = locate_quote(TEXT, '"we firmly oppose" sanctions - again.')
    assert span is not None
    assert TEXT[span[0] : span[1]] == "\u201cwe firmly\u00a0oppose\u201d sanctions \u2014 again."


def test_whitespace_runs_and_newlines_are_folded() -> None:
    span = locate_quote(TEXT, "again. He said it twice.")
    assert span is not None
    assert TEXT[span[0] : span[1]] == "again.\nHe said it  twice."


def test_a_quote_wrapped_in_extra_quotation_marks_is_still_found() -> None:
    span = locate_quote(TEXT, "\u201cHe said it twice.\u201d")
    assert span is not None
    assert TEXT[span[0] : span[1]] == "He said it  twice."


def test_invisible_characters_and_the_ellipsis_character_do_not_hide_a_quote() -> None:
    text = "Visits rose to 3\u200b million\u2026 then fell. The clinic closed."
    span = locate_quote(text, "Visits rose to 3 million... then fell.")
    assert span is not None and text[span[0] : span[1]] == "Visits rose to 3\u200b million\u2026 then fell."


def test_invented_or_empty_quotes_are_not_found() -> None:
    assert locate_quote(TEXT, "China will lift all sanctions") is None
    assert locate_quote(TEXT, "   ") is None
    assert locate_quote(TEXT, "") is None


def test_several_matches_prefer_the_one_nearest_the_hint() -> None:
    text = "He said no. " * 5
    assert locate_quote(text, "He said no.") == (0, 11)
    assert locate_quote(text, "He said no.", near=40) == (36, 47)
    # the same through the normalised path
    curly = "\u201cNo,\u201d he said. " * 4
    span = locate_quote(curly, '"No," he said.', near=30)
    assert span is not None and span[0] == 30 and curly[span[0] : span[1]] == "\u201cNo,\u201d he said."


def test_offsets_of_the_normalised_text_point_at_the_source_characters() -> None:
    norm, offsets = normalize_with_offsets(TEXT)
    assert len(norm) == len(offsets)
    assert offsets == sorted(offsets)
    for ch, i in zip(norm, offsets, strict=True):
        assert ch == (" " if TEXT[i].isspace() else normalize_for_match(TEXT[i]))
    assert norm == normalize_for_match(TEXT)


# --- properties -------------------------------------------------------------------------------------------

ALPHABET = st.sampled_from(list("ab c.\n\t\u00a0\u2019'\u201c\u201d\"\u2014\u2013-xyz\u2026\u200b"))
texts = st.text(ALPHABET, min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_every_substring_is_found_verbatim(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    if not quote.strip():
        return
    span = locate_quote(text, quote, near=start)
    assert span is not None
    assert text[span[0] : span[1]] == quote.strip()


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_a_normalised_quote_maps_back_to_an_equivalent_span(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = normalize_for_match(text[start:end])  # what a model that straightens quotes would return
    if not quote:
        return
    span = locate_quote(text, quote, near=start)
    assert span is not None
    found = text[span[0] : span[1]]
    # the span is original text, starts and ends on non-space, and folds to the same quote
    assert found == found.strip()
    assert normalize_for_match(found) == quote


@settings(max_examples=200, deadline=None)
@given(texts)
def test_normalised_offsets_are_increasing_and_in_range(text: str) -> None:
    norm, offsets = normalize_with_offsets(text)
    assert len(norm) == len(offsets)
    assert all(0 <= i < len(text) for i in offsets)
    # increasing, except the three dots an ellipsis character is spelled as, which all point at it
    assert all(a < b or (a == b and text[a] == "\u2026") for a, b in itertools.pairwise(offsets))


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        # republished word for word, with other punctuation and quote marks around it
        ("MOSCOW - Russia expelled 10 US diplomats in response, and said it would answer every new US sanction.", 16),
        (
            "Russia expelled 10 US diplomats in response and said it would answer every new sanction from Washington.",
            14,
        ),
        # the same facts in other words, or a few shared words: not a copy
        ("Moscow sent 10 American diplomats home and promised to answer each sanction.", 0),
        ("Russia expelled 10 US diplomats last week.", 0),
        ("", 0),
    ],
)
def test_a_passage_that_repeats_the_claims_sentence_is_a_copy_not_evidence(passage: str, expected: int) -> None:
    quote = "Russia expelled 10 US diplomats in response and said it would answer every new US sanction."
    assert echoed_words(quote, passage) == expected


def test_a_short_sentence_is_a_copy_only_when_repeated_whole() -> None:
    assert echoed_words("Inflation hit 9.1 percent.", "In June, inflation hit 9.1 percent, a 40-year high.") == 4
    assert echoed_words("Inflation hit 9.1 percent.", "Inflation hit a record.") == 0


def test_a_repeated_quotation_is_another_report_of_the_words_not_the_same_story() -> None:
    claim = '"We found no evidence that moderate coffee drinking is harmful," said lead author Dr Ana Ruiz.'
    other_outlet = 'Ruiz told the Herald: "We found no evidence that moderate coffee drinking is harmful."'
    wire_copy = "LONDON - We found no evidence that moderate coffee drinking is harmful, said lead author Dr Ana Ruiz."
    quoted, copied = echo_note(claim, other_outlet), echo_note(claim, wire_copy)
    assert quoted and "confirms they were said, not that they are true" in quoted
    assert copied and "probably the same story" in copied
    assert echo_note(claim, "Coffee is fine in moderation, the study found.") is None


def test_two_passages_sharing_a_long_run_of_words_are_one_story_printed_twice() -> None:
    story = "Moscow answered the new sanctions by expelling ten American diplomats, a spokesman said on Friday."
    assert copied_run(f"MOSCOW (Wires) - {story} More follows.", story) == len(story.split())
    assert copied_run("Moscow expelled ten American diplomats after the sanctions.", story) == 0  # same facts
