"""Sentence segmentation limits: very long sentences are cut near MAX_SENTENCE_CHARS, a line's list number stays with
its sentence, invisible characters count as spaces after a full stop, a footnote's mark after a sentence's end is in
neither sentence, and every offset stays exact."""

from __future__ import annotations

from retrieval.chunking import chunk_spans
from retrieval.sentences import MAX_SENTENCE_CHARS, split_sentences


def assert_exact(text: str) -> None:
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text and s.text == s.text.strip()


def test_unpunctuated_megabyte_is_cut_at_whitespace_within_the_limit() -> None:
    text = "Title\n\n" + "word " * 210_000 + "\n\nLast line."
    sentences = split_sentences(text)
    assert max(len(s.text) for s in sentences) <= MAX_SENTENCE_CHARS
    body = [s for s in sentences if s.text.startswith("word")]
    assert all(s.text.endswith("word") for s in body)  # cut at a space, never inside a word
    assert sum(s.text.count("word") for s in body) == 210_000
    assert sentences[0].text == "Title" and sentences[-1].text == "Last line."
    assert_exact(text)


def test_long_token_without_whitespace_is_hard_cut() -> None:
    text = "x" * (2 * MAX_SENTENCE_CHARS + 500) + " ends here."
    spans = [(s.start, s.end) for s in split_sentences(text)]
    assert spans == [(0, MAX_SENTENCE_CHARS), (MAX_SENTENCE_CHARS, 2 * MAX_SENTENCE_CHARS), (2000, len(text))]
    assert_exact(text)


def test_normal_sentences_are_untouched() -> None:
    sentence = "The council approved a budget of $3 million for schools in 2024, officials said on Friday. "
    text = sentence * 50
    assert [s.text for s in split_sentences(text)] == [sentence.strip()] * 50


def test_zero_width_and_format_characters_after_a_full_stop_split_sentences() -> None:
    text = "Prices rose 10 percent in 2023.\u200b The government said unemployment hit 7%.\u2060\u2066Rates fell."
    assert [s.text for s in split_sentences(text)] == [
        "Prices rose 10 percent in 2023.",
        "The government said unemployment hit 7%.",
        "Rates fell.",
    ]
    assert_exact(text)


def test_chunks_still_cover_a_long_line_with_exact_offsets() -> None:
    text = "word " * 5000
    spans = chunk_spans(text, 800)
    assert all(end - start <= 800 for start, end in spans)
    assert " ".join(text[a:b] for a, b in spans).split() == text.split()


def test_a_sentence_wrapped_over_lines_is_one_sentence() -> None:
    # pypdf's text of a PDF keeps the page's line ends; a hard-wrapped .txt has them too
    text = (
        "Transport plan\n\nThe opposition leader, Mark Stein, said the city had missed every transport\n"
        "deadline since 2015. The mayor disagreed.\nBudget: 4 million\nApproved in May"
    )
    assert [s.text for s in split_sentences(text)] == [
        "Transport plan",
        "The opposition leader, Mark Stein, said the city had missed every transport\ndeadline since 2015.",
        "The mayor disagreed.",
        "Budget: 4 million",  # a line ending a list item, and the next one starting in upper case, stay apart
        "Approved in May",
    ]
    assert_exact(text)


def test_a_line_list_number_starts_its_sentence_instead_of_being_one() -> None:
    text = (
        "Five things\n1. Total funding rises, but not by much\n12. Pay rises 5.5 percent. It is funded.\n1999. A year."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Five things",
        "1. Total funding rises, but not by much",
        "12. Pay rises 5.5 percent.",
        "It is funded.",
        "1999.",  # four digits: a year ending a sentence, not a list number
        "A year.",
    ]


def test_a_reference_mark_after_a_sentences_end_ends_it_and_belongs_to_neither() -> None:
    text = (
        "Spending rose to 6.2 million pounds this year.3 The auditor found two contracts without a tender.[4] "
        'Costs rose by 12%.5 The board said "costs rose by 9 percent."6 Prices fell (see below).7 Rents rose. '
        "It met in Section 4.2 The Hague office in 2025.3 Then No. 4 The end."
    )
    assert [s.text for s in split_sentences(text)] == [
        "Spending rose to 6.2 million pounds this year.",
        "The auditor found two contracts without a tender.",
        "Costs rose by 12%.",
        'The board said "costs rose by 9 percent."',
        "Prices fell (see below).",
        "Rents rose.",
        # after a figure a number may be a decimal's: nothing changes there
        "It met in Section 4.2 The Hague office in 2025.3 Then No. 4 The end.",
    ]
    assert_exact(text)


def test_sentences_before_give_offsets_into_the_whole_text() -> None:
    from retrieval.sentences import sentences_before

    text = "Title\n\nOne sentence here. Two sentences here.\n\nThird one. Fourth."
    start = text.index("Fourth")
    found = sentences_before(text, start)
    assert [s.text for s in found] == ["Title", "One sentence here.", "Two sentences here.", "Third one."]
    assert all(text[s.start : s.end] == s.text for s in found)
    cut = sentences_before(text, start, window=25)  # only the window's characters, the first cut by it
    assert [s.text for s in cut] == ["tences here.", "Third one."] and all(text[s.start : s.end] == s.text for s in cut)
