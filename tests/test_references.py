"""Rules that read time references and unresolved references out of a sentence (no model involved)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest

from app.claimants import claimant_in_context, described_body
from app.dates import dated, time_reference, undated_relative
from app.names import bodies_named, claimant_in_full, named_in_full, person_names
from app.references import leaning_words, pronoun_subject, unresolved_reference, vague_reference
from app.rewrite_checks import checked_claim_type, checked_claimant, pick_referent, resolve_reference
from app.speakers import according_to, attributed, closing_speaker, opening_speaker, rule_claimant
from retrieval.sentences import split_sentences


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Wang told a press briefing on Monday.", "on Monday"),
        ("The statement came after Wang spoke last Thursday.", "last Thursday"),
        ("Washington imposed sanctions on Russia this month.", "this month"),
        ("The EU sanctioned officials in March over abuses.", "in March"),
        ("The bank said on April 26, 2021 that it would close.", "on April 26, 2021"),
        ("Prices rose 5% in 2019 and have doubled since the 1990s.", "in 2019; since the 1990s"),
        ("The plant closed two weeks ago.", "two weeks ago"),
        ("Emissions must fall by 2030, the report says.", "by 2030"),
        ("Published 2021-04-26 by the ministry.", "2021-04-26"),
        # "may" and "march" are verbs here, and a year inside a noun phrase is not when the claim happened
        ("Protesters may march to parliament.", None),
        ("Hackers interfered in the 2020 US presidential election.", None),
        ("Russia expelled 10 US diplomats.", None),
        # out of sample (a second hand audit): spans the first rules missed or cut
        ("Turnover fell over the previous three years.", "over the previous three years"),
        ("Revenue rose 8% in the year to March.", "the year to March"),  # was "March"
        ("Profit fell in the six months to the end of June.", "the six months to the end of June"),
        ("The crash happened at about 2.40am on Sunday.", "at about 2.40am; on Sunday"),
        ("He scored 27 goals last season.", "last season"),
        ("A lawyer said at the time that the evidence was thin.", "at the time"),
        ("Villages now have one bus on a Thursday.", None),  # habitual, not when
        # spans and durations that scope a claim (bench/labelled/)
        ("He stole £780,000 over six years, between 2016 and 2022.", "over six years; between 2016 and 2022"),
        ("Rainfall between June and mid-August was low.", "between June and mid-August"),
        ("Profit fell in the first half of 2026.", "in the first half of 2026"),
        ("The report is due within 90 days.", "within 90 days"),
        ("The data go back as early as 2019.", "as early as 2019"),
        ("He was 24 years old.", None),
        ("A former treasurer was jailed for four years on Friday.", "on Friday"),  # a penalty's length is no time
    ],
)
def test_time_reference_reads_the_sentence_own_words(sentence: str, expected: str | None) -> None:
    assert time_reference(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("He said that China and Russia maintain a partnership.", "He"),
        ("The statement came a few days after Wang spoke.", "The statement"),
        ("Officials in Moscow called the accusations baseless.", "the accusations"),
        ("Russia expelled 10 US diplomats in response.", "in response"),
        ("Russia expelled 10 US diplomats in response to the sanctions.", None),
        ("Beijing denies the allegations of forced labour.", None),
        # which legislation, concessions, warning (a third hand-labelled set)
        ("Douglas Ferriby said the concessions were the bare minimum.", "the concessions"),
        ("Ministers dispute the warning, citing official figures.", "the warning"),
        ("Halasz said the dismissal of Oana Drescu was needed.", None),
        # which talks, development, app (bench/labelled/set2)
        ("Two people with knowledge of the talks said Halvorsen approached Brightpath.", "the talks"),
        ("Opponents say the development would double the population of Stoke Amner.", "the development"),
        ("Users of the app were not told.", "the app"),
        ("Users of the Pulsewise app were not told.", None),
        # which place (bench/labelled/set2): the article named it
        ("Turnout was 29 percent, the lowest in the city's history.", "the city"),
        ("About 1,200 farms in the county went out of business.", "the county"),
        ("Turnout was the lowest in the history of the city of Leeds.", None),
        ("Councils have a deficit, according to the County Councils Network.", None),
        ('"We firmly oppose unilateral sanctions," Wang Wenbin said.', None),  # the speaker is named
        ("It is unclear whether Iran and the US will meet again.", None),  # a dummy "it", not a reference
        ("Washington imposed sanctions on both Russia and China this month.", None),
    ],
)
def test_vague_reference_finds_words_only_the_article_explains(sentence: str, expected: str | None) -> None:
    assert vague_reference(sentence) == expected


def test_unresolved_reference_looks_only_at_the_opening_and_pronoun_subject_only_at_people() -> None:
    assert unresolved_reference("The statement came later.") == "The statement"
    assert unresolved_reference("Officials called the accusations baseless.") is None
    assert pronoun_subject("She said fares would fall.") == "She"
    assert pronoun_subject("Their members asked for buses.") == "Their"
    assert pronoun_subject("It rained.") is None and pronoun_subject("The statement came.") is None


def test_person_names_skip_institutions_dates_and_the_capitalised_first_word() -> None:
    assert person_names("Council member Raj Patel voted against the plan.") == ["Raj Patel"]
    assert person_names("Chinese Foreign Ministry spokesperson Wang Wenbin spoke on Monday.") == ["Wang Wenbin"]
    assert person_names("The United States and the European Union sanctioned officials in March.") == []
    assert person_names("Analysts at Commerzbank expect cuts.") == []
    assert person_names("Raj Patel criticised Mayor Linda Ortiz.") == ["Raj Patel", "Mayor Linda Ortiz"]
    # a person after a body's word, when the run holds the whole name
    assert person_names("It put City Councilman Ray Okonkwo on 37 percent.") == ["Councilman Ray Okonkwo"]
    assert person_names("Foreign Ministry Spokesperson Wang Wenbin spoke.") == []  # (the run stops at four words)
    assert person_names("Bellhaven State University said so.") == []


def test_resolve_reference_replaces_the_pronoun_keeping_case_and_possessives() -> None:
    assert resolve_reference("He said  40 people died.", "He", "health minister Ana Costa") == (
        "Health minister Ana Costa said 40 people died."
    )
    assert resolve_reference("Their members asked for buses.", "Their", "the union") == (
        "The union's members asked for buses."
    )
    assert resolve_reference("Russia acted in response.", "in response", "the sanctions") == (
        "Russia acted in response to the sanctions."
    )


def test_pick_referent_trusts_the_model_only_when_the_sentence_before_names_it() -> None:
    before = "Council member Raj Patel voted against the plan."
    assert pick_referent("He", "Council member Raj Patel", before) == "Council member Raj Patel"
    # the model named the article's most prominent person instead: the one name in the sentence before wins
    assert pick_referent("He", "Mayor Linda Ortiz", before) == "Raj Patel"
    # "They" with no matching answer and no rule to fall back on: unresolved
    assert pick_referent("They", "the company", "Analysts at Commerzbank expect cuts.") is None
    assert pick_referent("They", "Analysts at Commerzbank", "Analysts at Commerzbank expect cuts.") == (
        "Analysts at Commerzbank"
    )
    two = "Raj Patel criticised Linda Ortiz."
    assert pick_referent("He", "Mayor Linda Ortiz", two) == "Mayor Linda Ortiz"  # names one before: kept
    assert pick_referent("He", "the mayor of Paris", two) is None  # two names: the rule does not guess


def _when(expression: str, published: date) -> str | None:
    """The date `dated` gives an expression on its own, or None."""
    m = re.fullmatch(r".* \((.*)\)", dated(expression, published))
    return m.group(1) if m else None


def test_the_publication_date_fixes_last_weekday_yesterday_and_this_month() -> None:
    monday = date(2021, 4, 26)
    assert _when("last Thursday", monday) == "2021-04-22"
    assert _when("last Monday", monday) == "2021-04-19"  # the one before, not the day itself
    assert _when("yesterday", monday) == "2021-04-25" and _when("today", monday) == "2021-04-26"
    assert _when("tomorrow", monday) == "2021-04-27"
    assert _when("this month", monday) == "April 2021" and _when("next month", date(2021, 12, 3)) == "January 2022"
    assert _when("last month", date(2021, 1, 15)) == "December 2020"
    assert _when("last year", monday) == "2020" and _when("next year", monday) == "2022"
    assert _when("last week", date(2021, 4, 28)) == "week of 2021-04-19"
    assert _when("on Monday", monday) is None  # past or coming: the sentence does not say
    sentence = "Wang told reporters last Thursday that talks would resume on Monday."
    assert (
        dated(sentence, monday) == "Wang told reporters last Thursday (2021-04-22) that talks would resume on Monday."
    )
    assert dated(sentence, None) == sentence
    assert dated(dated(sentence, monday), monday) == dated(sentence, monday)  # dating twice adds nothing
    assert time_reference(sentence, monday) == "last Thursday (2021-04-22); on Monday"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # the verb nearest "on <day>" says past (the latest such day, the publication day included) or coming
        ("Police arrested a man on Tuesday.", "Police arrested a man on Tuesday (2025-03-11)."),
        ("The minister said on Wednesday the vote will be held on Thursday.",
         "The minister said on Wednesday (2025-03-12) the vote will be held on Thursday (2025-03-13)."),
        ("On Monday, the council voted to close the library.",
         "On Monday (2025-03-10), the council voted to close the library."),
        ("The union will strike on Friday.", "The union will strike on Friday (2025-03-14)."),
        # not plain past or future: left as it is
        ("A planned strike on Friday was called off.", "A planned strike on Friday was called off."),
        ("The board meets on Wednesday.", "The board meets on Wednesday."),
        ("Talks could resume on Monday.", "Talks could resume on Monday."),
        ("The union will strike on Wednesday.", "The union will strike on Wednesday."),  # today or next week?
        # the date is given
        ("Parliament voted on Tuesday, March 11, 2025.", "Parliament voted on Tuesday, March 11, 2025."),
        ("Drivers will walk out from Friday.", "Drivers will walk out from Friday (2025-03-14)."),
        ("The cap will rise to £1,812 a year from January 1.", "The cap will rise to £1,812 a year from January 1 (2026-01-01)."),
        ("Shares fell 4% last week and rose earlier this month.",
         "Shares fell 4% last week (week of 2025-03-03) and rose earlier this month (March 2025)."),
        # a day or month without its year: the year the tense says
        ("The track was inspected on July 2.", "The track was inspected on July 2 (2024-07-02)."),
        ("Cases rose in October.", "Cases rose in October (October 2024)."),
        ("The line will reopen in August.", "The line will reopen in August (August 2025)."),
        ("The report will be published on 4 January.", "The report will be published on 4 January (2026-01-04)."),
        ("Reserves stood at 14.3 billion euros at the end of February.",
         "Reserves stood at 14.3 billion euros at the end of February (February 2025)."),
        ("The meeting is on July 30.", "The meeting is on July 30."),  # this year's or last year's?
        ("The trial began in March 2023.", "The trial began in March 2023."),
    ],
)  # fmt: skip
def test_on_a_weekday_is_dated_by_the_tense_of_its_clause(sentence: str, expected: str) -> None:
    wednesday = date(2025, 3, 12)
    assert dated(sentence, wednesday) == expected
    undated = undated_relative(expected)
    assert (undated is None) == (expected != sentence or bool(re.search(r"\b20\d\d\b", sentence)))
    assert undated is None or leaning_words(expected) is not None  # an undated day: the statement needs context


@pytest.mark.parametrize(
    ("published", "expression", "expected"),
    [
        (date(2025, 1, 20), "next spring", "spring 2025"),
        (date(2025, 7, 1), "next spring", "spring 2026"),
        (date(2025, 7, 1), "next summer", "summer 2026"),  # in this one: the next to begin
        (date(2025, 1, 20), "last autumn", "autumn 2024"),
        (date(2025, 10, 15), "last autumn", "autumn 2024"),  # this one has not ended
        (date(2025, 12, 14), "last autumn", "autumn 2025"),
        (date(2025, 10, 15), "this summer", "summer 2025"),
        (date(2024, 5, 26), "last night", "2024-05-25"),
        (date(2024, 11, 19), "in the new year", "2025"),
        (date(2025, 1, 20), "in the new year", "2025"),
        (date(2025, 5, 1), "in the new year", None),
        (date(2025, 5, 1), "next winter", None),  # it spans two years
    ],
)
def test_seasons_last_night_and_the_new_year_are_dated(published: date, expression: str, expected: str | None) -> None:
    sentence = f"Talks begin {expression}."
    assert dated(sentence, published) == (f"Talks begin {expression} ({expected})." if expected else sentence)
    assert dated(dated(sentence, published), published) == dated(sentence, published)
    # undated, or a date that does not fix it: the statement leans on the article ("next winter" is a season)
    assert (undated_relative(dated(sentence, published)) is None) == (expected is not None or "winter" in sentence)


def test_a_range_of_days_is_not_dated_by_its_first_day() -> None:
    poll = "The poll, conducted April 10-14, put her on 41%."
    assert dated(poll, date(2025, 4, 20)) == poll  # not "April 10 (2025-04-10)-14"


def test_a_claimant_needs_reported_words_and_a_name_from_the_article() -> None:
    article = "Washington imposed sanctions this month. Russia said it would answer every sanction."
    assert attributed("Russia said it would answer.") and attributed('"We oppose sanctions," Wang noted.')
    assert not attributed("The United States and the EU sanctioned officials over alleged abuses.")
    # a reporting verb inside a relative clause does not make the sentence someone else's claim
    relative = (
        "The US and the EU sanctioned officials in Xinjiang, which several governments have described as genocide."
    )
    assert not attributed(relative)
    assert checked_claimant("US and European Union", relative, relative) is None
    assert attributed("Wang, who spoke on Monday, said China was ready.")
    assert attributed('"We oppose sanctions," said Wang, who spoke on Monday.')
    assert not attributed("The bill, which critics say will raise taxes, passed on Monday.")
    # a passive without an agent reports nobody's view (a model had answered "Planning officers")
    expected = "Planning officers are expected to publish their recommendation on March 20."
    assert not attributed(expected)
    assert checked_claimant("Planning officers", expected, expected) is None
    assert attributed("The bridge was described by engineers as unsafe.")
    assert checked_claimant("US government", "Washington imposed sanctions this month.", article) is None
    assert checked_claimant("Russia", "Russia said it would answer every sanction.", article) == "Russia"
    # the model's "Kremlin" is not in the article: the sentence's own subject is the claimant
    assert checked_claimant("Kremlin", "Russia said it would answer every sanction.", article) == "Russia"


def test_the_name_a_sentence_opens_with_is_the_claimant_when_it_does_the_reporting() -> None:
    article = (
        "Washington imposed sanctions on Russia this month. Russia expelled 10 US diplomats in response and said "
        "it would answer every new US sanction. Officials in Moscow called the accusations baseless. Chinese "
        "Foreign Ministry spokesperson Wang Wenbin told reporters that Beijing denies it. Biden met Putin, who "
        "said nothing. Russia's foreign ministry said more."
    )
    sentence = "Russia expelled 10 US diplomats in response and said it would answer every new US sanction."
    assert opening_speaker(sentence, article) == "Russia"
    # the 1.5B model named the other country in the sentence: the subject of "said" wins
    assert checked_claimant("US government", sentence, article) == "Russia"
    assert checked_claimant("Kremlin", sentence, article) == "Russia"  # a name the article lacks gives way too
    assert checked_claimant("Russia's government", sentence, article + " Russia's government") == (
        "Russia's government"  # the model named the subject too, in the article's words: kept
    )
    assert checked_claimant("Russian government", sentence, article) == "Russia"  # not the article's words
    assert opening_speaker("Beijing denies the allegations.", article) == "Beijing"
    # not a proper name (the article never capitalises "Officials" mid-sentence), another person in between,
    # a relative clause, a possessive: no opening speaker, the model's answer stands
    assert opening_speaker("Officials in Moscow called the accusations baseless.", article) is None
    # a word that opens a paragraph opens a sentence too: no evidence of a name
    assert opening_speaker("Ministers said more.", "Sanctions rose.\n\nMinisters said more.") is None
    spokesperson = "Chinese Foreign Ministry spokesperson Wang Wenbin told reporters that Beijing denies it."
    assert opening_speaker(spokesperson, article) is None
    assert checked_claimant("Wang Wenbin", spokesperson, article) == "Wang Wenbin"
    assert opening_speaker("Biden met Putin, who said nothing.", article) is None
    assert opening_speaker("Russia's foreign ministry said more.", article) is None
    assert opening_speaker("The Kremlin said more.", article) is None


def test_a_headline_or_sentence_that_ends_on_its_source_names_the_claimant() -> None:
    headline = "China, Russia to Support Each Other as West Ramps Up Sanctions Regime, Beijing Says"
    assert closing_speaker(headline) == "Beijing"
    assert checked_claimant(None, headline, headline) == "Beijing"
    assert closing_speaker("Prices will rise again, Finance Minister Ana Costa said.") == "Finance Minister Ana Costa"
    assert closing_speaker("Prices will rise again, he said.") is None
    # a group is who the article says reports it; "the officials" is someone named before
    assert closing_speaker("Prices will rise again, officials said.") == "officials"
    assert closing_speaker("Prices will rise again, the officials said.") is None
    assert (
        closing_speaker("Prices will rise, people familiar with the matter said.") == "people familiar with the matter"
    )
    # a name and a time after it, mid-sentence
    agency = "Cases quadrupled in 2024, the National Health Protection Agency said on Wednesday, urging caution."
    assert closing_speaker(agency) == "National Health Protection Agency"
    assert closing_speaker("Beijing says prices will rise.") is None


def test_a_claimant_the_sentence_does_not_mention_gives_way_to_the_one_person_it_names() -> None:
    article = "Mayor Linda Ortiz won. Union leader Maria Gomez welcomed the vote. Wang said it replied to Vladimir Putin's call."
    assert (
        checked_claimant("Mayor Linda Ortiz", "Union leader Maria Gomez welcomed the vote.", article) == "Maria Gomez"
    )
    # the model's "Wang Wenbin" shares "Wang" with the sentence: kept, although Putin is the one full name in it
    assert checked_claimant(
        "Wang Wenbin", "Wang said it replied to Vladimir Putin's call.", article + " Wang Wenbin"
    ) == ("Wang Wenbin")
    assert person_names("It replied to Russian President Vladimir Putin's call.") == [
        "Russian President Vladimir Putin"
    ]


def test_a_claim_type_the_sentence_contradicts_is_corrected() -> None:
    quoted = '"We firmly oppose unilateral sanctions," Wang Wenbin told a briefing on Monday.'
    assert checked_claim_type("statistic", quoted) == "quotation"
    assert checked_claim_type("event", "Officials called the accusations baseless.") == "event"  # nothing contradicts
    # a "statistic" without any number falls back to the keyword guess
    assert checked_claim_type("statistic", "Wang told reporters that China remains committed.") == "quotation"
    assert checked_claim_type("statistic", "Russia expelled 10 US diplomats.") == "statistic"
    # a causal claim, a comparison or a prediction needs a word that makes it one (a second, out-of-sample audit:
    # the model called 12 plain sentences causal)
    assert checked_claim_type("causal", "She appealed for anyone with dashcam footage to come forward.") == "event"
    assert checked_claim_type("causal", "The closure was blamed on falling demand.") == "causal"
    assert checked_claim_type("comparison", "A redesign of the junction was approved in 2021.") == "event"
    assert checked_claim_type("comparison", "It is the second serious collision this month.") == "comparison"
    assert checked_claim_type("prediction", "They estimated the weakening at between 9 and 21 percent.") == "statistic"
    assert checked_claim_type("prediction", "The plant is expected to close next year.") == "prediction"


def test_place_phrases_and_headline_verbs_are_not_claimants() -> None:
    # the scorer's own claimant rule published "In Yarrow" and "Authority Says Exports" as ClaimReview authors
    assert person_names("In Yarrow the mayor said 40 homes flooded.") == []
    assert person_names("Port Authority Says Exports Doubled") == []
    # (the officials are the group the sentence names, never "In Yarrow")
    assert rule_claimant("In Yarrow, officials said 40 homes flooded.", "In Yarrow, officials said ...") == "officials"
    assert rule_claimant("Port Authority Says Exports Doubled", "Port Authority Says Exports Doubled\n...") is None
    # names still found, with or without a title before them
    assert person_names("The budget was approved, said Mayor Linda Ortiz.") == ["Mayor Linda Ortiz"]
    assert person_names("After Raj Patel left, the plan stalled.") == ["Raj Patel"]


def test_a_heading_and_the_line_under_it_are_no_persons_name() -> None:
    # A PDF's contents page: "Contents Spending" had become a person, and every "Spending" after it "Contents Spending"
    report = "Harbour Fund Report\nForeword.\n\nContents\nSpending, audit, outlook.\n\n"
    assert person_names(report) == []
    assert named_in_full("Spending on the wall rose.", report + "Spending on the wall rose.", len(report)) == (
        "Spending on the wall rose."
    )
    # A name wrapped at a paragraph's line end is still one name.
    assert person_names("The budget was approved on Monday, said Colin\nAshdown, the chair.") == ["Colin Ashdown"]
    assert person_names("Nothing was said.\nColin Ashdown\nwas not there.") == ["Colin Ashdown"]


def test_a_tables_rows_and_source_line_are_not_sentences_to_check() -> None:
    from app.references import table_row

    for row in (
        "Harbour wall           2.1      3.4      6.2",
        "Total 2.9 4.5 8.1",
        "Programme 2023 2024 2025",
        "Dredging £0.8m (1.1) -0.4 12%",
        "Source: Harbour Fund accounts, 2023-2025.",
        "Sources: ONS; Bank of England",
        "6.2",  # a cell on its own line
        "(3.1)",
        "| Dredging works in the outer harbour | 0.8 | 1.1 | 1.9 |",  # an HTML table's row, read as Markdown
        "|---|---|",
    ):
        assert table_row(row), row
    for sentence in (
        "Spending rose from 2.1 to 6.2 million pounds.",
        "£2.3 million extra for adult social care",  # a list's item: the words say what the figure is
        "Inflation hits 3.1% in 2024",
        "Rates 2.1 3.4 6.2.",  # ends as a sentence does
        "The source said 12 of 40 staff left.",
        "| a pipe opens this sentence, which goes on to 12 things.",
        "",
    ):
        assert not table_row(sentence), sentence


def test_a_line_of_a_table_of_one_figure_a_row() -> None:
    from app.references import table_line

    text = (
        "Income (million pounds)\nHarbour dues 41.2\nGrant 12.1\nThe grant rose to 12.1\nVisitors: 1,200\nStaff: 340\n"
    )

    def at(line: str) -> bool:
        start = text.index(line)
        return table_line(text, start, start + len(line))

    assert at("Harbour dues 41.2") and at("Grant 12.1")
    assert at("The grant rose to 12.1")  # (a row's neighbour: read as the table's, like every line of it)
    assert not at("Visitors: 1,200") and not at("Staff: 340")  # a key fact names what its figure is
    assert not at("Income (million pounds)")
    assert not table_line("Spending rose 4.1\nIt said so.", 0, 17)  # no neighbour ends on a figure


def test_a_link_to_another_story_is_a_teaser() -> None:
    from app.references import teaser

    for line in (
        "Read more: Inflation hits 3.1% as food prices soar for a third month",
        "RELATED: Council tax to rise 5% in April",
        "Related stories: Port strike ends after 12 days",
        "See also: Harbour wall costs double",
        "READ MORE | Rents up 9%",
        "Also read: 40 homes flooded in Yarrow",
        "More on this story: the 2024 audit",
    ):
        assert teaser(line), line
    for sentence in (
        "Readers said 40 homes flooded.",
        "Related to this, the council said rents rose 5%.",
        "Reading: the town voted 12-3 to close the pool.",
        "She told reporters to read more: 'The figures show a 9% rise.'",
    ):
        assert not teaser(sentence), sentence


def test_a_claimant_the_sentence_does_not_mention_is_dropped_unless_a_pronoun_means_them() -> None:
    from app.speakers import according_to

    sentence = "Unemployment in the city fell to 5.1 percent in October, according to the national statistics office."
    article = f"Mayor Ana Lopez opened the session. {sentence} Officials in Moscow called the accusations baseless."
    assert according_to(sentence) == "the national statistics office"
    assert rule_claimant(sentence, article) == "the national statistics office"
    # the small model named the article's main person; the sentence says who reports the figure
    assert checked_claimant("Mayor Ana Lopez", sentence, article) == "the national statistics office"
    assert checked_claimant("Mayor Ana Lopez", "Officials in Moscow called the accusations baseless.", article) == (
        "Officials in Moscow"  # the group the sentence names, not the article's main person
    )
    assert checked_claimant("Ana Lopez", "She said the budget grew.", article) == "Ana Lopez"
    assert according_to("The figure is wrong, according to him.") is None


# Sentences from an audit of the embedded model's claims on hand-written news (court report, interview, sports,
# social media, list article, rumour and denial), each with the claimant it got wrong before.
COURT = (
    "Former council treasurer Martin Hale was jailed on Friday. Prosecutor Sarah Whitcombe said he used the money "
    "to pay debts. Hale's barrister, Anthony Reeve, said his client had been suffering from a gambling addiction. "
    "He said Hale had not intended to keep the money."
)


@pytest.mark.parametrize(
    ("model", "sentence", "article", "expected"),
    [
        # an aside names the speaker; "Hale's" only says whose barrister
        ("Martin Hale", "Hale's barrister, Anthony Reeve, said his client had been suffering from a gambling "
         "addiction.", COURT, "Anthony Reeve"),
        # the organisation speaks; a name inside its relative clause does not
        ("Brightline", "The Industrial Development Agency, which gave Brightline a 4 million euro grant in 2019, "
         "said it had not been informed of any changes.", "Brightline denied it. The Industrial Development Agency, "
         "which gave Brightline a 4 million euro grant in 2019, said it had not been informed.",
         "Industrial Development Agency"),
        # "He said": the speaker is someone earlier, never a name from the reported words
        ("Premier League", 'He said he expected the club to be promoted to the Premier League "within two seasons".',
         "Owner Viktor Salas spoke. He said he expected promotion to the Premier League.", None),
        ("Viktor Salas", 'He said he expected the club to be promoted to the Premier League "within two seasons".',
         "Owner Viktor Salas spoke. He said he expected promotion to the Premier League.", "Viktor Salas"),
        ("Crime Survey", "It says the Crime Survey for England and Wales is a more reliable measure.",
         "The Office for National Statistics disagreed. It says the Crime Survey for England and Wales is better.",
         None),
        # not saying something claims nothing
        ("Gary Bell", "She did not say whether the council supported the move.",
         "Deborah Quinn spoke. She did not say whether the council supported the move. Gary Bell said no.", None),
        # "The company said", "..., she said": the model's answer from earlier in the article stands
        ("Greenfield Energy plc", "The company said its customer base had grown to 2.1 million households.",
         "Greenfield Energy plc reported profits. The company said its customer base had grown.",
         "Greenfield Energy plc"),
        ("Emma Hardy", "The ban will take effect from April next year, she said.",
         "Minister Emma Hardy announced a ban. The ban will take effect from April next year, she said.", "Emma Hardy"),
        # a transcript's label is the speaker, named as the article names them
        (None, "Voss: We handled 410,000 containers last year.",
         "Port director Helena Voss answered. Voss: We handled 410,000 containers last year.", "Helena Voss"),
        (None, "Q: Critics say the dredging killed fish.", "Q: Critics say the dredging killed fish.", None),
        # the outlet's own correction note, and an "It" the small model mistook twice in three
        ("Environment Agency", "Correction: An earlier version of this article said the company had been fined.",
         "The Environment Agency fined the company. Correction: An earlier version of this article said so.", None),
        ("Department for Education", "- It said the deficit could reach 5 billion pounds by 2026.",
         "The Department for Education replied. - The County Councils Network disagreed. - It said so.", None),
    ],
)  # fmt: skip
def test_claimants_the_audit_found_wrong(model: str | None, sentence: str, article: str, expected: str | None) -> None:
    assert checked_claimant(model, sentence, article) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("- It said the deficit could reach 5 billion pounds by 2026.", "- It"),  # a list bullet before the pronoun
        ("Voss: We handled 410,000 containers last year.", "Voss: We"),  # a transcript label
        ("Our target is 850,000 containers.", "Our"),
        ('"We are on track to double our capacity by 2028."', "We"),
        ("The ban will take effect from April next year, she said.", "The ban"),  # which ban, and who says so
        ("It will take effect from April next year, she said.", "It"),
        ('"We firmly oppose unilateral sanctions," Wang Wenbin said.', None),
        ('"We firmly oppose sanctions," Chinese Foreign Ministry spokesperson Wang Wenbin told a briefing.', None),
        ('"Clean energy is good business," said chief executive Amira Khan.', None),
        ('"These results show that clean energy is good business," said chief executive Amira Khan.', "These results"),
        # out of sample (a second hand audit): a definite subject, a denial of "this", a pronoun someone reports
        ("The council refused.", "The council"),
        ("A Harlow spokesman denied this, saying the figure was wrong.", "denied this"),
        ("Ms Marsh rejected that figure.", "that figure"),
        ("Professor Liam Chadwick said it could lead to pneumonia.", "said it"),
        ("The agency said he had not been vaccinated.", "The agency"),
        # ... but not the reporter itself, a named subject, or a clause that says which
        ("Harlow Foods said it would close its factory in Wisbech.", None),
        ("Murphy said he had heard the rumour from more than one source.", None),
        ("The Leeds-based company said revenue rose 8 percent.", None),
        ("Greenfield also confirmed that its planned acquisition had been approved.", None),
        ("Opening the debate, Transport Minister Helen Marsh said bus miles had fallen by a quarter since 2015.", None),
        ("Correction: An earlier version of this article said the company had been fined 8.4 million pounds.",
         "Correction:"),  # the retracted figure is only meaningful beside the note
        ("Update, 18:40: After this article was first published, the company said it would not appeal.", "Update, 18:40:"),
        ("Two employees told this newspaper that managers had been asked to review costs.", None),
        ("2. They said the plan would cost 5 million pounds.", "2. They"),  # behind a list number
    ],
)  # fmt: skip
def test_references_a_reader_cannot_follow_behind_bullets_labels_quotes_and_a_closing_she_said(
    sentence: str, expected: str | None
) -> None:
    assert vague_reference(sentence) == expected


def _claimant_in(article: str, sentence: str) -> str | None:
    """The claimant claimant_in_context gives `sentence` of `article` when its own reading found none."""
    from app.claimants import claimant_in_context

    start = article.index(sentence)
    return claimant_in_context(article, start, start + len(sentence), None)


def test_a_body_a_sentence_describes_is_the_one_the_article_named_last() -> None:
    from app.claimants import claimant_in_context

    article = (
        "Measles warning\n\nParents were urged to vaccinate children, the UK Health Security Agency (UKHSA) said on "
        "Friday. The agency said 187 cases had been confirmed. In Birmingham, uptake is below 75 per cent, the agency "
        "said. A Bristol City Council engineer said the junction was unsafe. The council said the redesign would "
        "begin in the spring. The company said sales rose 8 percent."
    )

    assert _claimant_in(article, "The agency said 187 cases had been confirmed.") == "UK Health Security Agency"
    assert (
        _claimant_in(article, "In Birmingham, uptake is below 75 per cent, the agency said.")
        == "UK Health Security Agency"
    )
    assert _claimant_in(article, "The council said the redesign would begin in the spring.") == "Bristol City Council"
    assert _claimant_in(article, "The company said sales rose 8 percent.") is None  # no company named before it
    # the body the sentence names as reporter wins over a person a model took from the sentence before
    start = article.index("The council said")
    assert claimant_in_context(article, start, start + 20, "Mark Osei") == "Bristol City Council"


@pytest.mark.parametrize(
    ("sentence", "note"),
    [
        ("Update, 5pm Sunday: This article has been amended.", True),
        ("That claim could not be independently verified.", True),
        ("Westway did not respond to a request for comment.", True),
        ("Manager Anna Kowalczyk declined to comment on the stadium plans on Friday.", True),
        ("Reuters contributed reporting.", True),
        ('Streamly said it did not comment on "rumour or speculation".', True),
        # (a third hand-labelled set)
        ("This article has been updated to correct the number of abstentions.", True),
        ("The president's office did not immediately respond to a request for comment on her remarks.", True),
        ("(Reporting by Ana Petrescu; additional reporting by Tomas Brandt in Vienna; editing by Clare Hughes)", True),
        ("The minister said reporting by the BBC was wrong.", False),
        ("A spokesperson for Ofem declined to comment before publication.", True),
        ("This story has been updated with comment from Pulsewise.", True),
        ("This article was amended on December 14 to correct the name of Moon's manager.", True),
        ("The company did not respond to questions about whether the figure was guaranteed.", True),
        ("That amount could not be independently verified.", True),
        # a claim beside the note, or a note that is someone's claim, stays
        ("The company declined to comment on the figures, but said sales rose 8%.", False),
        ("Harlow, which employs 4,000 people, did not respond to requests for comment.", False),
        ("Police said the video could not be verified.", False),
        ("The spokesperson did not say by how much.", False),
    ],
)
def test_a_note_about_the_reporting_itself_is_no_claim(sentence: str, note: bool) -> None:
    from app.extraction import picked_sentences
    from app.references import reporting_note

    assert reporting_note(sentence) is note

    class Scored:
        start, end, text, score = 0, len(sentence), sentence, 0.9

    assert bool(picked_sentences([Scored()], 0.2, 40, sentence)) is not note


def test_it_said_is_the_body_the_sentence_before_reports_for() -> None:
    article = (
        "Measles warning\n\nParents were urged to vaccinate children, the UK Health Security Agency (UKHSA) said. "
        "In Birmingham, uptake is below 75 per cent, the agency said. It said pop-up clinics would open next week.\n\n"
        "Dr Anita Rahman said the figures were worrying. It said nothing about funding.\n\n"
        "The group cut its forecast. It also said it would close a factory."
    )

    assert _claimant_in(article, "It said pop-up clinics would open next week.") == "UK Health Security Agency"
    assert _claimant_in(article, "It said nothing about funding.") is None  # a person is not "it"
    assert _claimant_in(article, "It also said it would close a factory.") is None  # the sentence before reports nobody


def test_a_pronoun_inside_a_quotation_is_the_speakers_words_not_a_reference_to_resolve() -> None:
    # a second out-of-sample audit: '"Her first-serve percentage has gone up a lot," he said' had become
    # '"Coach Nick Cavaday's first-serve percentage ..."' ("Her" is the player)
    assert pronoun_subject('"Her first-serve percentage has gone up a lot," he said.') is None
    assert pronoun_subject("Her first-serve percentage has gone up a lot, Cavaday said.") == "Her"
    assert pronoun_subject("He said the plan would cost 5 million pounds.") == "He"


def test_a_description_closing_the_sentence_reports_and_the_names_in_the_words_do_not() -> None:
    article = "Streamly layoffs\n\nStreamly plans to cut jobs."
    said = "The cuts will mostly affect teams in Los Angeles and London, the people said."
    assert rule_claimant(said, article) is None  # was "Los Angeles"
    assert rule_claimant("Raducanu won 71% of points on serve, the tournament said.", article) is None
    # a body closing the sentence may be the one it names
    company = "Greenfield Energy will create 350 new jobs, the company said."
    assert rule_claimant(company, article) == "Greenfield Energy"


CLAIMANT_ARTICLE = (
    "Hospice fraud\n\n"
    "Colin Ashdown, 58, was jailed at Wexmoor Crown Court on Monday. Railnet owns the track.\n\n"
    "Prosecuting, Anita Desai told the court that Ashdown made 212 transfers. He disguised the payments as invoices, "
    "she said.\n\n"
    "Dr Samuel Achterberg, the agency's chief medical adviser, said the rise was worrying. \"Fewer mothers are "
    'getting the jab," he said. "The vaccine passes antibodies to the baby."\n\n'
    "Ratings agency Corwen & Lyle said on Tuesday it had placed the rating on review.\n"
)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a name, an aside, then the reporting verb
        ("Fiona McAllister, chief executive of St Brendan's Hospice, said the losses forced cuts.", "Fiona McAllister"),
        ("Railnet, which owns and maintains the track, said the cutting had been inspected.", "Railnet"),
        ("Drescu, who had been in the post since 2022, said she was a scapegoat.", "Drescu"),  # no fuller name
        ("Ashdown, who became treasurer in 2014, told police he was sorry.", "Colin Ashdown"),
        # a role before the name, a lead-in before the subject
        ("Rebel leader Douglas Ferriby said the concessions were enough.", "Douglas Ferriby"),
        ("Opposition leader Dana Cerny of the Civic Union party said the dismissal was cynical.", "Dana Cerny"),
        # an estimate is reported too; a conjunction opening the sentence is no subject
        ("But TourLedger, which compiles box-office data, puts the gross at about $870 million.", "TourLedger"),
        ("The board of Northern Arc Ltd puts the chance of an overrun at about one in four.", "Northern Arc Ltd"),
        ("The tour puts pressure on the venues at every stop.", None),
        ("Storm Ciara puts the region at risk of floods.", None),  # an estimate has a figure after "at"
        ("The statement came a day after Dana Cerny of the Civic Union party said it was cynical.", None),
        ("Ratings agency Corwen & Lyle said on Tuesday it had placed the rating on review.", "Corwen & Lyle"),
        ("Prosecuting, Anita Desai told the court that Ashdown made 212 transfers.", "Anita Desai"),
        # an organisation only the sentence start capitalises (the article never writes "railnet")
        ("Railnet said its spending had risen.", "Railnet"),
        # a group as the sentence describes it, not one named before ("The analysts")
        ("Analysts said the slide had been compounded by a stronger dollar.", "Analysts"),
        ("People familiar with the timetable said ministers wanted the law in force.", "People familiar with the timetable"),
        ("Two traders in Karvella, who spoke on condition of anonymity, said the bank sold euros.", "Two traders in Karvella"),
        ("The analysts said the slide would go on.", None),
        # common words that open a sentence are not names
        ("Residents said the water rose quickly.", "Residents"),
        ("Figures released on Monday showed a rise.", None),
        # (a second hand-labelled set)
        ("At a packed meeting in Stoke Amner village hall on Tuesday, residents said they were angry.", "residents"),
        ("A spokesperson for Pulsewise said the company was not aware of any investigation.", "Pulsewise"),
        ("A source close to the investigation said detectives were examining a sighting.", "A source close to the investigation"),
        ("Moon, whose real name is Delia Moncrieff, has previously said she had no control.", "Moon"),
        ("Farming Minister Gareth Llewellyn visited a farm near Wendle on Thursday and announced a fund.",
         "Farming Minister Gareth Llewellyn"),
        ("Planning officers are expected to publish their recommendation on March 20.", None),
        ("Shareholders of both companies will vote on the deal at meetings expected in December.", None),
    ],
)  # fmt: skip
def test_the_subject_that_opens_a_sentence_reports_it(sentence: str, expected: str | None) -> None:
    assert rule_claimant(sentence, CLAIMANT_ARTICLE + sentence) == expected


def test_a_pronoun_that_reports_is_the_one_person_its_paragraph_named() -> None:
    text = CLAIMANT_ARTICLE

    def claimant(start_words: str) -> str | None:
        (s,) = [s for s in split_sentences(text) if s.start == text.index(start_words)]
        return claimant_in_context(text, s.start, s.end, rule_claimant(s.text, text))

    # "..., she said": the paragraph named one person before it (Ashdown is a single word, not a full name there)
    assert claimant("He disguised") == "Anita Desai"
    # '"...," he said.' and the quotation that goes on after it
    assert claimant('"Fewer mothers') == "Samuel Achterberg"
    assert claimant('"The vaccine') == "Samuel Achterberg"
    # who reported just before, when the paragraph names several people
    council = (
        "Plan\n\nCouncil leader Martin Oduya, whose Liberal Democrats hold 31 seats, said the district must find "
        'land. Ruth Adeyemi disagrees. "Every district is asked to do the same," he said.\n'
    )
    (quote,) = [s for s in split_sentences(council) if s.text.startswith('"Every')]
    assert claimant_in_context(council, quote.start, quote.end, None) == "Martin Oduya"
    # two people named before: nobody is guessed
    two = "Talks\n\nAna Costa met Raj Patel on Monday. He said the talks went well.\n"
    start = two.index("He said")
    assert claimant_in_context(two, start, len(two) - 1, None) is None


def test_data_that_show_something_are_their_owners_claim() -> None:
    article = "Wire\n\nThe National Bank of Estrava raised rates. Bellhaven Police Department spoke.\n\n"

    def claimant(sentence: str) -> str | None:
        text = article + sentence
        return claimant_in_context(text, len(article), len(text), rule_claimant(sentence, text))

    assert claimant("City records show the police budget was cut by 3 percent.") == "city records"
    assert claimant("Reserves stood at 14.3 billion euros, central bank data show.") == "National Bank of Estrava"
    assert claimant("Police Department data show crime fell.") == "Bellhaven Police Department"
    assert claimant("Official figures show a fall.") is None  # nobody's
    assert claimant("The data show a rise.") is None


def test_he_said_without_a_quotation_is_who_the_sentence_before_was_about() -> None:
    def claimant(text: str, opening: str) -> str | None:
        (s,) = [s for s in split_sentences(text) if s.text.startswith(opening)]
        return claimant_in_context(text, s.start, s.end, rule_claimant(s.text, text))

    # (from bench/labelled/set2: "he" was the last person quoted, Marta Quiroga)
    debate = (
        "Race\n\nMarta Quiroga said crime was the top issue. Councilman Ray Okonkwo has made public safety the "
        "center of his campaign. At a televised debate on Thursday, he said violent crime had risen by 18 percent.\n"
    )
    assert claimant(debate, "At a televised") == "Councilman Ray Okonkwo"
    # a subject named in an aside, and a surname alone
    tennis = (
        "Final\n\nRaducanu, who won the US Open in 2021, has struggled with injuries. She said she felt stronger.\n"
    )
    assert claimant("Emma Raducanu lost.\n\n" + tennis, "She said") == "Emma Raducanu"
    # a role before the name is no subject: who reported before
    water = "Ban\n\nWater minister Emma Hardy said bonuses would be banned. The ban will start in April, she said.\n"
    assert claimant(water, "The ban") == "Emma Hardy"
    # "she" goes on from the "she" before it, never through a "he"
    club = (
        "Club\n\nManager Anna Kowalczyk declined to comment on Friday. She said her focus was the next game. Asked "
        "about the contract, she said talks were continuing.\n"
    )
    assert claimant(club, "Asked about") == "Manager Anna Kowalczyk"


def test_according_to_a_document_names_who_published_it_or_nobody() -> None:
    assert according_to("Cases rose, according to figures from the Office for National Statistics.") == (
        "Office for National Statistics"
    )
    assert according_to("The dinar fell 4%, according to data from the central bank.") == "the central bank"
    assert according_to("Cases rose, according to figures published alongside the advisory.") is None
    assert according_to("Cases rose, according to the health ministry.") == "the health ministry"
    # a description before the name is not "data" (it had named nobody for "the data firm PitchLedger")
    assert according_to("It raised $310 million, according to the data firm PitchLedger.") == "PitchLedger"
    assert according_to("Sales rose, according to the research group Kantar.") == "Kantar"


def after(article: str) -> Callable[[str], str]:
    """named_in_full of a statement written right after `article`."""
    return lambda statement: named_in_full(statement, article + statement, len(article))


def test_a_statement_names_in_full_who_a_surname_or_the_hospice_is() -> None:
    article = (
        "Treasurer jailed\n\nColin Ashdown, 58, was jailed at Wexmoor Crown Court. He was treasurer of St Brendan's "
        "Hospice. Finance Minister Oana Drescu was dismissed in October. The International Monetary Fund said "
        "little.\n\n"
    )
    full = after(article)

    assert full("Ashdown told the court he was sorry.") == "Colin Ashdown told Wexmoor Crown Court he was sorry."
    assert full("Staff at the hospice said Ashdown's transfers went unchecked.") == (
        "Staff at St Brendan's Hospice said Colin Ashdown's transfers went unchecked."
    )
    assert full("The court's ruling stands.") == "Wexmoor Crown Court's ruling stands."
    assert full("Drescu said the fund was not in talks.") == (
        "Oana Drescu said the International Monetary Fund was not in talks."  # "the" as the article writes it
    )
    # only the first mention; never inside a quotation; never after a title or the first name
    assert full("Ashdown said Ashdown was sorry.") == "Colin Ashdown said Ashdown was sorry."
    assert full('She said "Ashdown betrayed the hospice".') == 'She said "Ashdown betrayed the hospice".'
    assert full("Mr Ashdown and Colin Ashdown") == "Mr Ashdown and Colin Ashdown"
    # a name written surname first ("Wang" for Wang Wenbin); never from the title-case headline, nor a word the
    # article also writes in lower case
    seed = "West Ramps Up Sanctions\n\nSpokesperson Wang Wenbin spoke. New sanctions came.\n"
    assert named_in_full("Wang said so.", seed, len(seed)) == "Wang Wenbin said so."
    assert named_in_full("Sanctions rose.", seed, len(seed)) == "Sanctions rose."
    # a short name the article spelled out, and a surname after a courtesy title
    energy = "Energy\n\nThe cap is set by the Office of Energy Markets (Ofem). Ruth Adeyemi spoke.\n\n"
    assert named_in_full("Ofem said the cap would rise.", energy, len(energy)) == (
        "The Office of Energy Markets (Ofem) said the cap would rise."
    )
    assert named_in_full("A review by Ofem ended.", energy, len(energy)) == (
        "A review by the Office of Energy Markets (Ofem) ended."
    )
    assert named_in_full('"Ofem has the power," he said.', energy, len(energy)) == '"Ofem has the power," he said.'
    assert named_in_full("Ms Adeyemi said so.", energy, len(energy)) == "Ms Ruth Adeyemi said so."
    # two bodies of a kind, or none named before: left alone
    two = article + "The Charity Commission and the Health Commission met. "
    assert named_in_full("The commission said so.", two, len(two)) == "The commission said so."
    assert full("The court of appeal and the council met.") == "The court of appeal and the council met."


def test_a_company_a_police_force_and_a_headline_are_named_in_full() -> None:
    # From bench/labelled/set2: "Halvorsen", "Police" and the headline's "Deveraux" were left for the reader to work out.
    article = (
        "Halvorsen to buy Brightpath Freight as Deveraux looks on\n\n"
        "OSLO - Halvorsen ASA agreed to buy Brightpath Freight Inc. Severnshire Police said so. Mayor Carla Deveraux "
        "welcomed it. Bellhaven Public Radio and Bellhaven State University reported it. Deveraux said so.\n\n"
    )
    full = after(article)

    assert full("Halvorsen will pay $42.50 per Brightpath share.") == (
        "Halvorsen ASA will pay $42.50 per Brightpath Freight Inc share."
    )
    assert full("Brightpath Freight shares rose.") == "Brightpath Freight shares rose."  # named already
    assert full("Police said there was nothing to link them.") == (
        "Severnshire Police said there was nothing to link them."
    )
    assert full("A man was arrested by police on Friday.") == "A man was arrested by Severnshire Police on Friday."
    assert full('"Police did nothing," she said.') == '"Police did nothing," she said.'
    # the headline, by the whole article it sums up; a place that opens several names is no one's first name
    headline = article.split("\n", 1)[0]
    assert named_in_full(headline, article, 0) == ("Halvorsen ASA to buy Brightpath Freight as Carla Deveraux looks on")
    assert full("Crime rose in Bellhaven.") == "Crime rose in Bellhaven."
    # "the mayor", "the force" and "the water authority": the one the article named so
    poll = "Poll\n\nMayor Carla Deveraux leads. The Norvale Water Authority said so. Severnshire Police said so.\n\n"
    in_poll = after(poll)
    assert in_poll("Okonkwo accused the mayor of cutting the budget.") == (
        "Okonkwo accused Mayor Carla Deveraux of cutting the budget."
    )
    assert in_poll("The mayor of Paris spoke.") == "The mayor of Paris spoke."
    assert in_poll('"The mayor lied," he said.') == '"The mayor lied," he said.'
    assert in_poll("Officials at the water authority said levels would fall.") == (
        "Officials at the Norvale Water Authority said levels would fall."
    )
    assert in_poll("Officials at the gas authority said so.") == "Officials at the gas authority said so."
    assert in_poll("Officers searched, according to the force.") == (
        "Officers searched, according to Severnshire Police."
    )
    # two forces named: neither is guessed
    two = article + "Transport Police said so. "
    assert named_in_full("Police said so.", two + "Police said so.", len(two)) == "Police said so."


def test_a_description_an_aside_named_is_that_name() -> None:
    article = (
        "Rent bill passes\n\nThe vote came a day after the government's own spending watchdog, the Office for Fiscal "
        "Oversight, published its estimate. The watchdog said that figure could rise to £200 million. It also said "
        "it had low confidence in the estimate.\n"
    )
    sentences = {s.text[:12]: s for s in split_sentences(article)}
    said, also = sentences["The watchdog"], sentences["It also said"]
    assert claimant_in_context(article, said.start, said.end, None) == "Office for Fiscal Oversight"
    assert claimant_in_context(article, also.start, also.end, None) == "Office for Fiscal Oversight"
    assert named_in_full(said.text, article, said.start).startswith("The Office for Fiscal Oversight said")
    # an aside that runs on into the sentence is not a name
    assert described_body("The finance minister, Oana Drescu was dismissed. The minister said so.", 36, 60) is None


def test_the_sentence_own_source_overrules_a_small_model_claimant() -> None:
    article = (
        "Rent bill\n\nEleven government MPs voted against the bill, according to parliamentary clerks. People "
        "familiar with the government's timetable said ministers wanted the law in force by October. Winger Joel "
        "Mbatha limped off. The club said he would have a scan. Ratings agency Corwen & Lyle said on Tuesday it had "
        "placed the rating on review. It said it expected to conclude the review within 90 days. Railnet said the "
        "cutting was inspected. But it confirmed that an upgrade had been postponed.\n"
    )
    sentences = {s.text[:14]: s for s in split_sentences(article)}

    def checked(model: str | None, opening: str) -> str | None:
        s = sentences[opening]
        return claimant_in_context(article, s.start, s.end, checked_claimant(model, s.text, article))

    assert checked("government MPs", "Eleven governm") == "parliamentary clerks"  # its "according to"
    # a group the sentence names, not the one word of it the model kept
    assert checked("government", "People familia") == "People familiar with the government's timetable"
    assert checked("Joel Mbatha", "The club said ") == "the club"  # a body reports it, not the player
    # whose campaign reports it, over a model that answered its owner
    poll = "Poll\n\nMayor Carla Deveraux leads. Deveraux's campaign called the figure cherry-picked.\n"
    start = poll.index("Deveraux's")
    assert claimant_in_context(poll, start, len(poll) - 1, "Mayor Carla Deveraux") == "Mayor Carla Deveraux's campaign"
    # "It said" after a body that is no person, and "But it confirmed"
    assert checked(None, "It said it exp") == "Corwen & Lyle"
    assert checked(None, "But it confirm") == "Railnet"


def test_according_to_whose_document() -> None:
    assert according_to("The deficit will reach 6.8%, according to finance ministry projections.") == "finance ministry"
    poll = "Civic Union leads by six points, according to an Omnibus Research poll published on Monday."
    assert according_to(poll) == "Omnibus Research"
    assert according_to("Unemployment fell, according to the national statistics office.") == (
        "the national statistics office"
    )


def test_according_to_a_kind_of_document_or_its_owner_by_pronoun_names_nobody() -> None:
    # "annual" and "tournament" were claimants: the word before the document was taken for its owner
    assert according_to("The number rose to 210,000 last year, according to its annual reports.") is None
    assert according_to("Sales fell by a tenth, according to internal figures.") is None
    assert according_to("She made 42 errors, according to tournament statistics.") == "tournament"


def test_a_place_a_body_with_and_and_a_couple_are_not_mistaken_for_one_name() -> None:
    """Three ways a statement got a name the article does not mean (found reading a live blog and a strike story)."""
    live = (
        "Live: Wendmoor power cut\n\nAbout 62,000 homes in Wendmoor lost power. Wendmoor General Hospital switched "
        "to generators and Wendmoor Borough Council opened a centre. The charity Silver Circle Wendmoor urged "
        "neighbours to check on older people. Wendmoor Central station is closed."
    )
    # "Wendmoor" begins other names: a place, not the charity's "surname"
    assert (
        named_in_full("Wendmoor Central station is closed.", live, len(live)) == "Wendmoor Central station is closed."
    )
    assert named_in_full("Live: Wendmoor power cut", live, 0) == "Live: Wendmoor power cut"
    fire = "Homes were evacuated, Carnshire Fire and Rescue Service said. Later. "
    assert named_in_full("No one was hurt, the service said.", fire, len(fire)) == (
        "No one was hurt, Carnshire Fire and Rescue Service said."  # (it was "Rescue Service")
    )
    assert bodies_named("council", "Leeds City Council and Bradford Council agreed.") == [
        "Leeds City Council",
        "Bradford Council",
    ]
    couple = "Derek and Alison Moyo had planned to fly to Faro. Here."
    at = couple.index("Here")
    assert named_in_full("Mr Moyo said.", couple, at) == "Mr Moyo said."  # (it was "Mr Alison Moyo said.")
    assert claimant_in_full("Mr Moyo", couple, at) == "Mr Moyo"
    # a surname ending a line before a capitalised paragraph still names its person
    lines = "Transfer news\n\nDunmore agree fee for striker Tiago Ferreira\n\nDunmore City have agreed a fee. Later."
    assert named_in_full("Ferreira scored 27 goals.", lines, len(lines)) == "Tiago Ferreira scored 27 goals."


def test_a_claimant_is_named_as_the_statement_names_them() -> None:
    article = (
        "Chinese Foreign Ministry spokesperson Wang Wenbin spoke on Monday. Independent MP Helen Marsh objected, "
        "and Dr Hannah Lindqvist of the Institute agreed. The Office of Energy Markets (Ofem) said prices would "
        "fall. Officials at Calderport Combined Authority disagreed. The River Leden burst its banks. Leden Valley "
        "Fire and Rescue Service said 40 homes flooded. Marcus Feld of Feld Ostrander LLP spoke. Here."
    )
    at = article.index("Here.")
    full = {c: claimant_in_full(c, article, at) for c in (
        "Wang", "Ms Marsh", "Dr Lindqvist", "Ofem", "Officials at the authority", "Leden Valley Fire and Rescue Service",
        "Feld", "Anna Bell",
    )}  # fmt: skip
    assert full == {
        "Wang": "Wang Wenbin",  # (the name written first, for a name written family name first)
        "Ms Marsh": "Helen Marsh",  # a title of address goes once the first name is known; "Dr" stays
        "Dr Lindqvist": "Dr Hannah Lindqvist",
        "Ofem": "Office of Energy Markets (Ofem)",
        "Officials at the authority": "Officials at Calderport Combined Authority",
        # several words are one name: "Leden" in it is not "River Leden"'s
        "Leden Valley Fire and Rescue Service": "Leden Valley Fire and Rescue Service",
        "Feld": "Feld",  # the person or the law firm: never a guess
        "Anna Bell": "Anna Bell",
    }
    # named only after the sentence: left as it is (the statement is named from what came before, too)
    assert claimant_in_full("Wang", article, 10) == "Wang"


def test_a_sentence_inside_a_quotation_is_its_speakers_and_the_company_is_the_one_named() -> None:
    article = (
        'Search\n\nDetective Inspector Rachel Adebayo, who leads the search, said: "He left the party at 1am. We '
        'know he did not arrive." Pulsewise Inc denied the claims. In a statement, the company said it had never '
        "sold data.\n"
    )
    sentences = {s.text[:10]: s for s in split_sentences(article)}
    inside, company = sentences["We know he"], sentences["In a state"]
    assert (claimant_in_context(article, inside.start, inside.end, None) or "").endswith("Rachel Adebayo")
    assert claimant_in_context(article, company.start, company.end, None) == "Pulsewise Inc"
    assert (
        named_in_full(company.text, article, company.start)
        == "In a statement, Pulsewise Inc said it had never sold data."
    )
    # "has said", "had previously denied": the same reporting, in another tense (set2's "The company has said it
    # plans to go public next year" had no claimant)
    for verb in ("has said", "had previously said", "has also said"):
        tensed = article.replace("the company said", f"the company {verb}")
        (company,) = [s for s in split_sentences(tensed) if s.text.startswith("In a state")]
        assert claimant_in_context(tensed, company.start, company.end, None) == "Pulsewise Inc", verb
    # two companies with a legal form: neither is guessed
    two = article.replace("denied the claims.", "and Halvorsen ASA denied the claims.")
    (company,) = [s for s in split_sentences(two) if s.text.startswith("In a state")]
    assert claimant_in_context(two, company.start, company.end, None) is None


def test_the_review_page_says_which_words_need_the_article() -> None:
    from app.ui.app_pages.review_form import needs_context_note

    assert "“on Monday” does not say which day" in needs_context_note("Talks resumed on Monday.")
    assert "“He”" in needs_context_note("He said talks resumed.")
    assert "a pronoun or a vague reference" in needs_context_note("Talks resumed.")  # flagged by a model, no rule


def test_a_quotation_that_runs_over_sentences_is_the_speaker_named_at_its_start() -> None:
    article = (
        'Strike\n\n"Drivers have been pushed to the limit," said Dean Whitlock, the union\'s regional organiser. '
        '"We have members working 60-hour weeks. Some are sleeping in their cars."\n'
    )
    found = [
        claimant_in_context(article, s.start, s.end, rule_claimant(s.text, article)) for s in split_sentences(article)
    ]
    assert found == [None, "Dean Whitlock", "Dean Whitlock", "Dean Whitlock"]


@pytest.mark.parametrize(
    "word",
    ["Mason", "O'Neil", "Smith-Jones", "Brook", "Ngozi", "Jr.", "Zoë", "İstanbul", "Pine", "mason", "D’Arcy", "Lee"],
)
def test_the_lower_case_lookup_read_once_per_article_agrees_with_a_search_of_the_text(word: str) -> None:
    """The set of word runs built once per article answers exactly what searching the text for the word did."""
    from app.names import _written_in_lower_case

    text = (
        "Mason said the masonry was cracked; a mason agreed. O'neil and o'neil's dog; smith-jones-ward is not "
        "smith-jones. Brook, brooks and brook-side; zoë; i̇stanbul; jr. days; pine; d’arcy's; lee-side."
    )
    low = word.lower()
    searched = re.search(rf"(?<![\w'’-]){re.escape(low)}(?![\w'’-])", text) is not None
    assert _written_in_lower_case(word, text) is searched


def test_names_resolve_by_each_articles_own_lookups_claim_after_claim() -> None:
    """The per-article lookups (which words go on into other names, which are also written in lower case) are read
    once per article and never answer for another article."""
    one_person = "Spokesman Wang Wenbin spoke on Monday.\n"
    two_names = "Spokesman Wang Wenbin spoke on Monday. Wang Airlines cut fares.\n"
    lower_too = "Spokesman Wang Wenbin spoke on Monday. The wang is a coin.\n"
    statement = "Wang said talks would go on."
    expected = {one_person: "Wang Wenbin said talks would go on.", two_names: statement, lower_too: statement}
    for body in (one_person, two_names, one_person, lower_too, one_person):
        text = "Headline\n" + body
        assert named_in_full(statement, text + statement, len(text)) == expected[body], body


def test_a_headline_reporter_without_the_is_the_body_the_story_names() -> None:
    # From bench/labelled/set1 (development half): the headline had no claimant.
    body = "The National Health Protection Agency said on Wednesday that 4,812 cases were recorded.\n"
    article = "Whooping cough cases quadrupled last year, health agency warns\n\n" + body
    headline_end = article.index("\n")
    assert claimant_in_context(article, 0, headline_end, None) == "National Health Protection Agency"
    # two health agencies named: neither is guessed
    two = article + "The Regional Health Agency disagreed.\n"
    assert claimant_in_context(two, 0, headline_end, None) is None
    # only a headline drops "the": in the body the words are no reporter
    late = article + "Cases rose again, health agency warns\n"
    start = late.index("Cases rose")
    assert claimant_in_context(late, start, len(late) - 1, None) is None


@pytest.mark.parametrize("verb", ["recorded", "counted", "estimated", "found", "reported"])
def test_a_body_that_records_or_estimates_a_figure_is_its_source(verb: str) -> None:
    # From bench/labelled/set1 (development half): "The agency recorded 4,812 confirmed cases ..." had no claimant.
    article = (
        "Cough cases rise\n\nThe National Health Protection Agency issued an advisory on Wednesday. "
        f"The agency {verb} 4,812 confirmed cases last year, up from 1,130 in 2023.\n"
    )
    start = article.index("The agency")
    assert claimant_in_context(article, start, len(article) - 1, None) == "National Health Protection Agency"
