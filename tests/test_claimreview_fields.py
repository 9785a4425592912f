"""ClaimReview fields a reader or Google sees: the publisher (never the placeholder), each claim's url (its anchor
in the published HTML report) and the claimant's type; plus the publisher line of Markdown and HTML reports."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_cli_export import reviewed, store_with_claims  # noqa: F401 (fixtures)
from test_reports import PUBLISHER, PUBLISHER_URL, make_report
from typer.testing import CliRunner

from app.claimreview import claim_review, claim_url, claimant_type, render_claimreview
from app.cli import app
from app.config import DEFAULT_PUBLISHER_NAME, DEFAULT_PUBLISHER_URL, get_settings
from app.errors import ExportError
from app.report_formats import render_html, render_markdown

REPORT_URL = "https://checks.example.net/reports/latest.html"


class _Ids(HTMLParser):
    """Collects every element id of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value or "" for name, value in attrs if name == "id")


# -- the publisher -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "url", "named", "not_named"),
    [
        (DEFAULT_PUBLISHER_NAME, PUBLISHER_URL, "CLAIMDESK_PUBLISHER_NAME (still the placeholder 'claimdesk')", "_URL"),
        (PUBLISHER, DEFAULT_PUBLISHER_URL + "/", "CLAIMDESK_PUBLISHER_URL (still the placeholder", "_NAME"),
        (
            " claimdesk ",
            DEFAULT_PUBLISHER_URL,
            "set CLAIMDESK_PUBLISHER_NAME (still the placeholder 'claimdesk') and CLAIMDESK_PUBLISHER_URL",
            "CLAIMDESK_REPORT_URL",
        ),
    ],
)
def test_claimreview_refuses_the_placeholder_publisher(name: str, url: str, named: str, not_named: str) -> None:
    with pytest.raises(ExportError) as err:
        render_claimreview(make_report(), publisher_name=name, publisher_url=url, report_url=REPORT_URL)
    assert named in str(err.value) and not_named not in str(err.value)


@pytest.mark.parametrize(
    ("report_url", "message"),
    [
        (None, "ClaimReview needs the address where the HTML report will be published: set CLAIMDESK_REPORT_URL"),
        ("  ", "set CLAIMDESK_REPORT_URL"),
        ("reports/latest.html", "as an http(s) URL, got 'reports/latest.html': set CLAIMDESK_REPORT_URL"),
    ],
)
def test_claimreview_refuses_without_the_report_address(report_url: str | None, message: str) -> None:
    with pytest.raises(ExportError) as err:
        render_claimreview(make_report(), publisher_name=PUBLISHER, publisher_url=PUBLISHER_URL, report_url=report_url)
    assert message in str(err.value)


# -- each claim's url ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report_url", "expected"),
    [
        ("https://desk.example/r.html", "https://desk.example/r.html#claim-abc"),
        ("https://desk.example/r.html#top", "https://desk.example/r.html#claim-abc"),
        ("https://desk.example/r?issue=5&lang=en#x", "https://desk.example/r?issue=5&lang=en#claim-abc"),
        (" https://desk.example/ ", "https://desk.example/#claim-abc"),
    ],
)
def test_claim_url_is_the_claims_anchor_in_the_report(report_url: str, expected: str) -> None:
    assert claim_url(report_url, "abc") == expected


def test_every_claimreview_url_points_at_an_anchor_of_the_html_report() -> None:
    report = make_report()
    items = json.loads(
        render_claimreview(
            report, publisher_name=PUBLISHER, publisher_url=PUBLISHER_URL, report_url=REPORT_URL + "#summary"
        )
    )
    page = _Ids()
    page.feed(render_html(report))
    assert len(items) == 5
    for item in items:
        base, _, anchor = item["url"].partition("#")
        assert base == REPORT_URL
        assert anchor in page.ids
    published = {c.claim_id for _, c in report.claims()}
    assert {i["url"].rpartition("#claim-")[2] for i in items} == published


# -- through the command line --------------------------------------------------------------------------------


def _set(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


@pytest.mark.usefixtures("reviewed")
def test_cli_claimreview_names_each_setting_still_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "cr.json"
    default = CliRunner().invoke(app, ["export", "-f", "claimreview", "-o", str(out)])
    assert default.exit_code == 1 and not out.exists()
    assert "CLAIMDESK_PUBLISHER_NAME" in str(default.exception) and "CLAIMDESK_PUBLISHER_URL" in str(default.exception)
    _set(monkeypatch, CLAIMDESK_PUBLISHER_NAME="Desk", CLAIMDESK_PUBLISHER_URL="https://desk.example")
    no_report = CliRunner().invoke(app, ["export", "-f", "claimreview", "-o", str(out)])
    assert no_report.exit_code == 1 and not out.exists()
    assert "CLAIMDESK_REPORT_URL" in str(no_report.exception)
    _set(monkeypatch, CLAIMDESK_REPORT_URL="https://desk.example/checks/may.html")
    ok = CliRunner().invoke(app, ["export", "-f", "claimreview", "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    urls = [i["url"] for i in json.loads(out.read_text(encoding="utf-8"))]
    assert urls and all(u.startswith("https://desk.example/checks/may.html#claim-") for u in urls)


@pytest.mark.usefixtures("reviewed")
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_markdown_and_html_warn_about_the_placeholder_publisher(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    default = CliRunner().invoke(app, ["export", "-f", fmt, "-o", "-"])
    assert default.exit_code == 0
    assert "Published by claimdesk." in default.stdout
    assert (
        "Warning: the report says 'Published by claimdesk', the placeholder publisher; set CLAIMDESK_PUBLISHER_NAME"
        in default.stderr
    )
    _set(monkeypatch, CLAIMDESK_PUBLISHER_NAME="Desk")
    named = CliRunner().invoke(app, ["export", "-f", fmt, "-o", "-"])
    assert "Published by Desk." in named.stdout and "Warning" not in named.stderr
    csv = CliRunner().invoke(app, ["export", "-f", "csv", "-o", "-"])
    assert "Warning" not in csv.stderr  # CSV names no publisher


@pytest.mark.usefixtures("reviewed")
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_blank_publisher_name_prints_no_published_by_line(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, CLAIMDESK_PUBLISHER_NAME="  ")
    result = CliRunner().invoke(app, ["export", "-f", fmt, "-o", "-"])
    assert result.exit_code == 0
    assert "Published by" not in result.stdout and "Generated " in result.stdout
    assert "Warning: CLAIMDESK_PUBLISHER_NAME is empty, so the report names no publisher." in result.stderr


def test_renderers_leave_out_a_blank_publisher() -> None:
    report = make_report().model_copy(update={"publisher": ""})
    assert "Published by" not in render_markdown(report)
    assert "Published by" not in render_html(report)
    assert "Published by Example Fact Desk." in render_markdown(make_report())


def test_a_blank_report_url_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, CLAIMDESK_REPORT_URL=" ")
    assert get_settings().report_url is None


# -- the claimant's type -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimant", "expected"),
    [
        # organisations: a single capitalised word, an acronym, a name with an organisation word
        ("Reuters", "Organization"),
        ("NASA", "Organization"),
        ("the WHO", "Organization"),
        ("Pfizer", "Organization"),
        ("Apple", "Organization"),
        ("Greenpeace", "Organization"),
        ("Amnesty International", "Organization"),
        ("Thomson Reuters", "Organization"),
        ("the Washington Post", "Organization"),
        ("General Motors", "Organization"),
        ("Hong Kong", "Organization"),
        # people: a personal name, with or without a title
        ("Emily Post", "Person"),
        ("Wang Wenbin", "Person"),
        ("President Joe Biden", "Person"),
        ("Dr. Anthony Fauci", "Person"),
        ("Ursula von der Leyen", "Person"),
        ("Martin Luther King Jr.", "Person"),
        ("Jean-Luc Mélenchon", "Person"),
        # nobody named: no capitalised word (days and months do not count), or a phrase that is no name
        ("people who attended", None),
        ("the national statistics office", None),
        ("figures released on Monday covering 501 thousand people", None),
        ("a spokesperson for Pfizer", None),
        ("Officials in Moscow", None),
    ],
)
def test_claimant_type_reads_names_organisations_and_phrases(claimant: str, expected: str | None) -> None:
    assert claimant_type(claimant) == expected


def test_a_claimant_that_names_nobody_is_left_out_of_the_markup() -> None:
    article, claim = next((a, c) for a, c in make_report().claims() if c.verdict == "True")

    def item_reviewed(claimant: str) -> dict[str, object]:
        changed = claim.model_copy(update={"claimant": claimant})
        markup = claim_review(
            article,
            changed,
            publisher_name=PUBLISHER,
            publisher_url=PUBLISHER_URL,
            report_url=REPORT_URL,
            best_rating=5,
            worst_rating=1,
        )
        return dict(markup["itemReviewed"])

    assert "author" not in item_reviewed("figures released on Monday covering 501 thousand people")
    assert item_reviewed("Amnesty International")["author"] == {
        "@type": "Organization",
        "name": "Amnesty International",
    }


# -- a rating scale of any numbers ---------------------------------------------------------------------------


def test_a_zero_to_ten_scale_exports_in_every_format(
    publisher: dict[str, str],
    reviewed: dict[str, str],  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set(monkeypatch, CLAIMDESK_RATING_SCALE="True=10;Mostly true=7;Half true=5;Mostly false=3;False=0;Unverifiable=")
    outputs = {}
    for fmt in ("md", "html", "csv", "json", "claimreview"):
        result = CliRunner().invoke(app, ["export", "-f", fmt, "-o", "-"])
        assert result.exit_code == 0, (fmt, result.output)
        outputs[fmt] = result.stdout
    ratings = {i["reviewRating"]["alternateName"]: i["reviewRating"] for i in json.loads(outputs["claimreview"])}
    assert ratings["True"] == {
        "@type": "Rating",
        "alternateName": "True",
        "ratingValue": 10,
        "bestRating": 10,
        "worstRating": 0,
    }
    assert "- **Rating:** 10 on a scale from 0 to 10\n" in outputs["md"]


def test_claimreview_and_the_name_rules_read_one_list_of_institution_words() -> None:
    from app.claimreview import _organisation
    from app.names import INSTITUTION_WORDS, person_names

    for word in sorted(INSTITUTION_WORDS):
        name = f"Harbour {word.capitalize()}"
        assert _organisation(name.split()), name
        assert person_names(f"The report was written by {name} last year.") == [], name
