"""Claimants the sentence does not name where a reporting verb would: a participle's subject, a study's authors,
sources described before, a body named only further on (app.sources, app.claimants). Rules, no model."""

from __future__ import annotations

from app.claimants import claimant_in_context
from app.speakers import rule_claimant


def _claimant(article: str, sentence: str) -> str | None:
    """The claimant scorer-only extraction gives `sentence` of `article`: its own rules, then its surroundings."""
    start = article.index(sentence)
    return claimant_in_context(article, start, start + len(sentence), rule_claimant(sentence, article))


def test_a_view_in_a_participle_is_the_subjects() -> None:
    article = (
        "Crime figures disputed\n\nCouncilman Ray Okonkwo is challenging the mayor.\n\n"
        "Okonkwo has made public safety the center of his campaign, accusing the mayor of cutting the police budget. "
        "The United Road Transport Workers' Association (URTWA) is demanding a 9 per cent rise, arguing that pay has "
        "fallen behind inflation. Officials are reviewing the budget, saying costs rose. "
        "The city has cut the budget, according to the mayor, saying it had no choice."
    )
    sentence = (
        "Okonkwo has made public safety the center of his campaign, accusing the mayor of cutting the police budget."
    )
    assert _claimant(article, sentence) == "Councilman Ray Okonkwo"
    union = "The United Road Transport Workers' Association (URTWA) is demanding a 9 per cent rise, arguing that pay "
    assert _claimant(article, union + "has fallen behind inflation.") == "United Road Transport Workers' Association"
    # a common word that opens the sentence is nobody's name; an attribution the sentence has wins
    assert _claimant(article, "Officials are reviewing the budget, saying costs rose.") is None
    assert _claimant(article, "The city has cut the budget, according to the mayor, saying it had no choice.") == (
        "the mayor"
    )


def test_a_studys_findings_are_its_authors() -> None:
    article = (
        "App data\n\nFeld said the case relied in part on a study published in February by researchers at Carrow "
        "University. The study found that 7 of the 20 most popular apps shared data with advertisers.\n\n"
        "The advisory comes days after researchers at Halberg University published a study suggesting that "
        "vaccination prevents nine in ten admissions. The study, published in the Annals of Population Health, "
        "followed 2,300 infants. It found that babies were 91% less likely to be admitted.\n\n"
        "The bridge opened in 1932. It found new fame in films.\n\n"
        "A study published in The Lancet found that sleep improved."
    )
    assert _claimant(article, "The study found that 7 of the 20 most popular apps shared data with advertisers.") == (
        "researchers at Carrow University"
    )
    advisory = article[article.index("The advisory") : article.index(" The study, published")]
    assert _claimant(article, advisory) == "researchers at Halberg University"
    assert _claimant(article, "It found that babies were 91% less likely to be admitted.") == (
        "researchers at Halberg University"
    )
    # "It" that is no study, and a study nobody is said to have written
    assert _claimant(article, "It found new fame in films.") is None
    assert _claimant(article, "A study published in The Lancet found that sleep improved.") is None


def test_sources_referred_back_to_are_the_ones_described_before() -> None:
    article = (
        "Striker close\n\nKingsbridge are close to signing Mateo Lindgren for about £18 million, according to people "
        "close to the negotiations. The 22-year-old will undergo a medical on Monday, the people said.\n\n"
        "Two people with knowledge of the talks said Halvorsen had first approached Brightpath in August. A rival "
        "bid also failed, one of the people said.\n\n"
        "The vote is on Friday, the officials said."
    )
    assert _claimant(article, "The 22-year-old will undergo a medical on Monday, the people said.") == (
        "people close to the negotiations"
    )
    assert _claimant(article, "A rival bid also failed, one of the people said.") == (
        "one of two people with knowledge of the talks"
    )
    assert _claimant(article, "The vote is on Friday, the officials said.") is None  # no officials described


def test_the_company_and_the_union_are_the_ones_the_story_names() -> None:
    article = (
        "Tour figures\n\nBut TourLedger, which compiles box-office data, puts the gross at about $870 million. "
        "The gap, the company said, is largely explained by 31 shows in Asia.\n\n"
        "More than 1,900 drivers will walk out from Wednesday, their union said.\n\n"
        "The United Road Transport Workers' Association is demanding a 9 per cent rise. "
        "Its director, Aisha Mensah, said the rise would hurt."
    )
    assert _claimant(article, "The gap, the company said, is largely explained by 31 shows in Asia.") == "TourLedger"
    # named only further on, and the only union the story names
    assert _claimant(article, "More than 1,900 drivers will walk out from Wednesday, their union said.") == (
        "United Road Transport Workers' Association"
    )
    assert _claimant(article, "Its director, Aisha Mensah, said the rise would hurt.") == "Aisha Mensah"
    two = article + "\n\nThe Bus Drivers' Union backed it."
    assert _claimant(two, "More than 1,900 drivers will walk out from Wednesday, their union said.") is None


def test_a_body_with_its_short_name_in_brackets_and_it_past_another_it() -> None:
    article = (
        "Price cap\n\nThe cap will rise by 6.4 per cent from January 1, the Office of Energy Markets (Ofem) said on "
        "Monday, adding that gas prices were the main cause. It means the annual bill will go up by £109.\n\n"
        "It said the cap would be reviewed again in February."
    )
    first = article[article.index("The cap") : article.index(" It means")]
    assert _claimant(article, first) == "Office of Energy Markets"
    assert _claimant(article, "It said the cap would be reviewed again in February.") == "Office of Energy Markets"
    assert _claimant(article, "It means the annual bill will go up by £109.") is None


def test_a_quotation_going_on_from_a_long_attribution_is_the_same_speakers() -> None:
    article = (
        "Merger\n\n"
        '"This is a transformational step," Halvorsen Chief Executive Ingrid Solberg said in a statement. "Together '
        'we will have the scale to compete."'
    )
    assert _claimant(article, '"Together we will have the scale to compete."') == (
        "Halvorsen Chief Executive Ingrid Solberg"
    )


def test_a_polls_findings_are_its_pollsters() -> None:
    article = (
        "Deveraux holds narrow lead in mayoral race, poll finds\n\n"
        "Mayor Carla Deveraux leads her main challenger by four points with less than three weeks to go until "
        "Bellhaven's May 5 election, according to a poll released on Friday by the Harbor Research Institute at "
        "Bellhaven State University. The survey of 612 likely voters, conducted April 10-14, put Deveraux on 41 "
        "percent. The survey was expensive."
    )
    headline = "Deveraux holds narrow lead in mayoral race, poll finds"
    pollster = "Harbor Research Institute at Bellhaven State University"
    assert _claimant(article, headline) == pollster  # the headline by the whole story
    survey = "The survey of 612 likely voters, conducted April 10-14, put Deveraux on 41 percent."
    assert _claimant(article, survey) == pollster
    assert _claimant(article, "The survey was expensive.") is None  # no findings
    # an "according to" source longer than 80 characters is read too
    lead = article[article.index("Mayor Carla") : article.index(" The survey of")]
    assert _claimant(article, lead) == "Harbor Research Institute"
    # two pollsters: which one the headline means is a guess
    two = article + " A poll by Omnibus Research found the same."
    assert _claimant(two, headline) is None


def test_a_name_never_runs_across_a_blank_line() -> None:
    from app.names import full_name, person_names

    # a title-case headline's last words and the name that opens the first paragraph are not one name
    article = "Mayor Quits\n\nHelena Voss resigned on Tuesday. Voss said the fund had been audited."
    assert person_names(article) == ["Mayor Quits", "Helena Voss"]  # was "Quits Helena Voss"
    assert full_name("Voss", article) == "Helena Voss"
    wrapped = "Harbour fund\n\nThe mayor, Helena\nVoss, resigned. Voss said the fund had been audited."
    assert _claimant(wrapped, "Voss said the fund had been audited.") == "Helena Voss"  # a wrapped line is one


def test_a_title_case_headline_names_no_body() -> None:
    from app.names import named_in_full

    article = (
        "Water Company Fined Over Sewage Spills\n\nSouthern Vale was fined 4 million pounds on Monday. "
        "Helen Ward said the company had failed to maintain its pumps. The fund paid out.\n\n"
        "Figures from Metro City Police show crime fell. Experts said police-recorded crime figures can mislead."
    )

    def statement(sentence: str) -> str:
        return named_in_full(sentence, article, article.index(sentence))

    # "Water Company" is the headline's capitalisation, not the company's name
    assert statement("Helen Ward said the company had failed to maintain its pumps.") == (
        "Helen Ward said the company had failed to maintain its pumps."
    )
    # "police-recorded" is no police force
    sentence = "Experts said police-recorded crime figures can mislead."
    assert statement(sentence) == sentence
    # a headline in sentence case still names what it names
    plain = "Harbour fund audited\n\nThe Harbour Pension Fund was audited. The fund paid out."
    assert named_in_full("The fund paid out.", plain, plain.index("The fund paid")) == (
        "The Harbour Pension Fund paid out."
    )


def test_a_study_nobody_is_said_to_have_written_is_no_claimant() -> None:
    article = (
        "Glacier report\n\nHalvorsen said profits rose. The Halvorsen Glacier lost 38% of its volume, according to a "
        "study published on Thursday. Prices rose, according to the data firm PitchLedger."
    )
    sentence = "The Halvorsen Glacier lost 38% of its volume, according to a study published on Thursday."
    assert rule_claimant(sentence, article) is None  # was "Thursday", and then the glacier (a "person" who speaks)
    assert rule_claimant("Prices rose, according to the data firm PitchLedger.", article) == "PitchLedger"
