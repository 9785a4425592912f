"""The workbench in a real browser: `streamlit run` on a free port, driven by Debian's Chromium via Playwright.

Screenshots of every page go to the test's tmp directory (kept by pytest for inspection).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "china-russia-sanctions.txt"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = (
    "Hostile headline <script>window.__pwned=1</script>\n\n"
    "Officials said 12 <script>window.__pwned=1</script> tanks crossed the border on 3 May.\n\n"
    'The ministry said 40 people <img src=x onerror="window.__pwned=1"> were hurt in 2024.\n\n'
    "Read the 2023 report [click](javascript:window.__pwned=1) which says exports fell 7%.\n"
)
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A headless Streamlit server on a free loopback port with its own data dir and no LLM."""
    data = tmp_path_factory.mktemp("browser-data")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMDESK_")}
    env.update(CLAIMDESK_DATA_DIR=str(data), CLAIMDESK_LLM="none", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    log = (data / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app" / "ui" / "main.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--client.toolbarMode",
            "minimal",
        ],
        cwd=data,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(data / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless (never downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _idle(page: object) -> None:
    """Wait until Streamlit finished the current run (the app root reports its script state)."""
    page.wait_for_timeout(250)  # type: ignore[attr-defined]  # let a triggered rerun start
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(  # type: ignore[attr-defined]
        timeout=TIMEOUT_MS
    )
    page.wait_for_timeout(250)  # type: ignore[attr-defined]  # stale elements fade back in


def _heading(page: object, title: str) -> None:
    page.get_by_role("heading", name=title, exact=True, level=1).wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]


def _go(page: object, url: str, name: str) -> None:
    page.goto(f"{url}/{name}")  # type: ignore[attr-defined]
    _heading(page, name.capitalize() if name else "Library")
    _idle(page)


def _upload(page: object, name: str, data: bytes, mime: str = "text/plain") -> None:
    page.locator('input[type="file"]').set_input_files(  # type: ignore[attr-defined]
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )
    _idle(page)
    page.get_by_role("button", name="Ingest", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_text("Last ingest").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _idle(page)


def test_ingest_extract_review_dashboard(server: str, browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 2000})  # type: ignore[attr-defined]
    _go(page, server, "")
    expect(page.get_by_text("No articles yet")).to_be_visible()
    _upload(page, SEED.name, SEED.read_bytes())
    expect(page.get_by_text("China, Russia to Support Each Other").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "1-library.png"), full_page=True)

    page.locator('[data-testid="stButton"]').filter(has_text="Open").first.click()  # not the selectbox's "Open"
    _heading(page, "Article")
    _idle(page)
    page.get_by_role("button", name="Extract claims").click()
    page.get_by_text("Kept").first.wait_for(timeout=TIMEOUT_MS)
    _idle(page)
    page.locator("mark.cd-claim").first.wait_for(timeout=TIMEOUT_MS)
    assert page.locator("mark.cd-claim").count() > 0
    page.screenshot(path=str(tmp_path / "2-article.png"), full_page=True)

    _go(page, server, "review")
    expect(page.get_by_text("In this article")).to_be_visible()
    page.get_by_text("False", exact=True).first.click()
    _idle(page)
    reviewer = page.get_by_label("Reviewer")
    reviewer.fill("Ana")
    reviewer.press("Enter")
    _idle(page)
    page.locator('[data-testid="stCheckbox"]').filter(has_text="Cite").first.click()
    _idle(page)
    page.get_by_role("button", name=re.compile(r"^Save(?!\s*&)")).click()
    page.get_by_text("Saved: False (version 1)").wait_for(timeout=TIMEOUT_MS)
    _idle(page)
    page.screenshot(path=str(tmp_path / "3-review.png"), full_page=True)

    # Ctrl+Enter while still typing in Notes saves what was typed (the box never lost focus), then moves on
    notes = page.get_by_label("Notes")
    notes.click()
    notes.press_sequentially("Matches the Treasury notice.")
    notes.press("Control+Enter")
    page.get_by_text("Saved: False (version 2)").wait_for(timeout=TIMEOUT_MS)
    _idle(page)
    page.get_by_role("button", name="Prev claim", exact=True).click()
    _idle(page)
    expect(page.get_by_label("Notes")).to_have_value("Matches the Treasury notice.")

    # typed but not saved, then Next: the edit is kept for the session and comes back with the claim
    notes = page.get_by_label("Notes")
    notes.click()
    notes.press("End")
    notes.press_sequentially(" Draft line.")
    page.get_by_role("button", name="Next claim", exact=True).click()
    _idle(page)
    page.get_by_role("button", name="Prev claim", exact=True).click()
    _idle(page)
    expect(page.get_by_label("Notes")).to_have_value("Matches the Treasury notice. Draft line.")
    expect(page.get_by_text("Unsaved changes to this claim")).to_be_visible()

    # a reload is a new session: the address keeps the claim (not the name: a shared link must not make a colleague
    # save as Ana); entering the name again brings back the draft the store kept under it
    assert "claim=" in page.url and "reviewer=" not in page.url, page.url
    page.reload()
    _heading(page, "Review")
    _idle(page)
    expect(page.get_by_label("Notes")).to_have_value("Matches the Treasury notice.")
    reviewer = page.get_by_label("Reviewer")
    reviewer.fill("Ana")
    reviewer.press("Enter")
    _idle(page)
    expect(page.get_by_label("Notes")).to_have_value("Matches the Treasury notice. Draft line.")
    expect(page.get_by_text("kept under your name since")).to_be_visible()

    _go(page, server, "dashboard")
    metric = page.get_by_test_id("stMetric").filter(has=page.get_by_text("Reviewed", exact=True))
    expect(metric.get_by_test_id("stMetricValue")).to_have_text("1")
    page.get_by_role("button", name="Prepare report").click()
    page.get_by_role("button", name="Markdown").wait_for(timeout=TIMEOUT_MS)
    _idle(page)
    page.screenshot(path=str(tmp_path / "4-dashboard.png"), full_page=True)
    page.close()


def test_hostile_article_is_inert(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 2000})  # type: ignore[attr-defined]
    _go(page, server, "")
    _upload(page, "hostile.md", HOSTILE.encode())
    shots = []
    for name in ("", "article", "review"):
        _go(page, server, name)
        if name == "article":
            # pick the hostile article and extract so its sentences are highlighted claims too
            page.get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option").filter(has_text="Hostile headline").first.click()
            _idle(page)
            page.get_by_role("button", name="Extract claims").click()
            page.get_by_text("Kept").first.wait_for(timeout=TIMEOUT_MS)
            _idle(page)
            assert page.get_by_text("window.__pwned=1").count() > 0  # shown literally, as text
        shot = tmp_path / f"hostile-{name or 'library'}.png"
        page.screenshot(path=str(shot), full_page=True)
        shots.append(shot)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("script", has_text="__pwned").count() == 0
        assert page.locator("img[onerror]").count() == 0
        assert page.locator('a[href^="javascript"]').count() == 0
        assert page.locator("a", has_text="click").count() == 0
    page.close()


def _seed_claims(page: object, server: str) -> None:
    _go(page, server, "")
    _upload(page, SEED.name, SEED.read_bytes())
    _go(page, server, "article")
    page.get_by_test_id("stSelectbox").first.click()  # type: ignore[attr-defined]
    page.get_by_role("option").filter(has_text="China, Russia").first.click()  # type: ignore[attr-defined]
    _idle(page)
    page.get_by_role("button", name="Extract claims").click()  # type: ignore[attr-defined]
    page.get_by_text("Kept").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _idle(page)


def _focused(page: object) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : ''"))  # type: ignore[attr-defined]


def test_the_keyboard_keeps_its_place_when_a_first_edit_makes_a_draft(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    _seed_claims(page, server)
    _go(page, server, "review")
    # arrow keys through the verdicts: the first change makes a draft (and its note above the form)
    page.get_by_role("radio", name="— no verdict yet —").focus()
    page.keyboard.press("ArrowDown")
    _idle(page)
    assert not _focused(page).startswith("<body"), "the first arrow key lost the focus"
    page.keyboard.press("ArrowDown")
    _idle(page)
    expect(page.get_by_text("Unsaved changes to this claim")).to_be_visible()
    checked = page.locator('[data-testid="stRadio"] label:has(input:checked)').all_inner_texts()
    assert checked == ["Mostly true"], f"the second arrow key was lost: {checked}"
    # a first note typed and Tab: the focus moves on to the next field, not to the page
    page.get_by_role("button", name="Discard changes").click()
    _idle(page)
    notes = page.get_by_label("Notes")
    notes.click()
    notes.press_sequentially("First note.")
    page.keyboard.press("Tab")
    _idle(page)
    assert not _focused(page).startswith("<body"), _focused(page)
    page.close()


def test_ctrl_enter_in_the_evidence_search_box_searches_and_does_not_save(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    _seed_claims(page, server)
    _go(page, server, "review")
    reviewer = page.get_by_label("Reviewer")
    reviewer.fill("Ana")
    reviewer.press("Enter")
    _idle(page)
    page.get_by_text("Mostly true", exact=True).first.click()
    _idle(page)
    claim = page.url
    query = page.get_by_label(re.compile("^Search query"))
    query.fill("Treasury bond ban")
    query.press("Control+Enter")  # the page-wide Save & next key, typed where a search is meant
    _idle(page)
    expect(page.get_by_text("Saved:")).to_have_count(0)
    assert page.url == claim, "Ctrl+Enter in the search box moved on to the next claim"
    query.press("Enter")  # Enter still searches
    _idle(page)
    expect(page.get_by_label(re.compile("^Search query"))).to_have_value("Treasury bond ban")
    # (Ctrl+Enter in Notes still saves: test_ingest_extract_review_dashboard) the draft goes, for the tests after
    page.get_by_role("button", name="Discard changes").click()
    _idle(page)
    page.close()


def _mostly_true_then(page: object, reviewer: str, button: str) -> None:
    """As `reviewer` (blank: nobody), choose Mostly true and press the button (scrolled to, as on a phone)."""
    box = page.get_by_label("Reviewer")  # type: ignore[attr-defined]
    box.fill(reviewer)
    box.press("Enter")
    _idle(page)
    page.get_by_text("Mostly true", exact=True).first.click()  # type: ignore[attr-defined]
    _idle(page)
    pressed = page.get_by_role("button", name=re.compile(button))  # type: ignore[attr-defined]
    pressed.scroll_into_view_if_needed()
    pressed.click()
    _idle(page)


def test_on_a_phone_save_and_next_shows_the_next_claim_from_its_top(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    _seed_claims(page, server)
    _go(page, server, "review")
    _mostly_true_then(page, "Ana", r"^Save & next")
    page.get_by_text("Saved: Mostly true").wait_for(timeout=TIMEOUT_MS)
    _idle(page)
    expect(page.get_by_text("Saved: Mostly true")).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_in_viewport()
    # a refused save says why beside the buttons, where the reviewer is
    _mostly_true_then(page, "", r"^Save(?!\s*&)")
    expect(page.get_by_text("Enter your name as reviewer").last).to_be_in_viewport()
    page.close()


# Two articles with one title: their controls must still be told apart.
SAME_TITLE = (
    ("harbour-1.md", b"# Harbour budget\n\nThe council said 40 jobs would go at the harbour in 2024.\n"),
    ("harbour-2.md", b"# Harbour budget\n\nThe mayor said 12 ships docked at the harbour in 2023.\n"),
)
PAGES = ("", "article", "review", "dashboard")


@pytest.fixture(scope="module")
def library(server: str, browser: object) -> str:
    """The seed article with its claims and two more articles sharing a title; the seed's Article page address."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    _seed_claims(page, server)
    article = f"{server}/article?article={page.url.split('article=')[1].split('&')[0]}"
    _go(page, server, "")
    for name, data in SAME_TITLE:
        _upload(page, name, data)
    page.close()
    return article


def _open(page: object, server: str, name: str, article: str) -> None:
    """Open a page; the Article page on the seed article (its claims), not the newest article."""
    if name != "article":
        _go(page, server, name)
        return
    page.goto(article)  # type: ignore[attr-defined]
    _heading(page, "Article")
    _idle(page)


def _names(page: object) -> dict[str, list[str]]:
    """The names of the page's buttons, checkboxes and links in Chromium's own accessibility tree (read over CDP), as
    a screen reader announces them (a heading's "Link to heading" is a link too). A select box's arrow button, which
    Streamlit names "Open", is named after its box by common.OPEN_NAMES_SCRIPT ("Open Claim list"). Left out, as
    Streamlit's and not named from Python: the toolbar a chart or data grid shows on hover ("Fullscreen", "Download
    as CSV", ...; one per element)."""
    cdp = page.context.new_cdp_session(page)  # type: ignore[attr-defined]
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]

        def role(node: dict) -> str | None:
            return node.get("role", {}).get("value")

        def streamlits_own(node: dict) -> bool:
            element = cdp.send("DOM.resolveNode", {"backendNodeId": node["backendDOMNodeId"]})["object"]
            return bool(
                cdp.send(
                    "Runtime.callFunctionOn",
                    {
                        "objectId": element["objectId"],
                        "functionDeclaration": "function () { return !!this.closest('[data-testid=stElementToolbar]') }",
                        "returnByValue": True,
                    },
                )["result"]["value"]
            )

        names: dict[str, list[str]] = {"button": [], "checkbox": [], "link": []}
        for node in nodes:
            if not node.get("ignored") and role(node) in names and not streamlits_own(node):
                names[str(role(node))].append(" ".join(str(node.get("name", {}).get("value", "")).split()))
        return names
    finally:
        cdp.detach()


def _cut_labels(page: object) -> list[str]:
    """The visible labels of buttons, checkboxes and expanders drawn narrower than their text (cut to "O…"), button
    labels broken over more than three lines (one letter a line), checkbox labels over more than two (a column too
    narrow for "Not checkable (opinion, ...)"), a Dashboard figure's label cut ("of which not check…"), and select boxes
    cutting a short value ("Any stat" for "Any status";
    a long one, an article's title or a claim, may be cut)."""
    return list(
        page.evaluate(  # type: ignore[attr-defined]
            """() => [...new Set([...document.querySelectorAll('button, [data-testid="stCheckbox"] label, summary')]
            .filter(b => b.getBoundingClientRect().width > 0)
            .flatMap(b => [...b.querySelectorAll('[data-testid="stMarkdownContainer"], p')]
              .filter(p => getComputedStyle(p).position !== 'absolute' && p.getBoundingClientRect().width > 0)
              .filter(p => p.scrollWidth > p.clientWidth + 1
                           || p.getBoundingClientRect().height
                              > (b.tagName === 'BUTTON' ? 3 : b.tagName === 'LABEL' ? 2 : Infinity)
                                * parseFloat(getComputedStyle(p).lineHeight) + 1)
              .map(p => `${b.innerText.replace(/\\s+/g, ' ').trim()} (${p.clientWidth} of ${p.scrollWidth} px wide, `
                        + `${Math.round(p.getBoundingClientRect().height)} px high)`))
            .concat([...document.querySelectorAll('[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"]')]
              .filter(m => m.getBoundingClientRect().width > 0 && m.scrollWidth > m.clientWidth + 1)
              .map(m => `metric ${m.innerText}: ${m.clientWidth} of ${m.scrollWidth} px wide`))
            .concat([...document.querySelectorAll('[data-testid="stSelectbox"] input')]
              .filter(i => i.getBoundingClientRect().width > 0 && i.value.length <= 20
                           && i.scrollWidth > i.clientWidth + 1)
              .map(i => `select box ${i.getAttribute('aria-label')}: ${i.value} (${i.clientWidth} of `
                        + `${i.scrollWidth} px wide)`)))]"""
        )
    )


def test_every_button_and_checkbox_has_a_name_of_its_own(server: str, browser: object, library: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    shared: dict[str, dict[str, list[str]]] = {}
    seen: dict[str, dict[str, list[str]]] = {}
    for name in PAGES:
        _open(page, server, name, library)
        seen[name] = _names(page)
        for role, found in seen[name].items():
            repeated = sorted({n for n in found if found.count(n) > 1})
            if repeated:
                shared.setdefault(name or "library", {})[role] = repeated
    page.close()
    # the pages hold what the test is about: several articles, claims and passages
    assert sum(n.startswith("Open") for n in seen[""]["button"]) >= 3, seen[""]
    assert sum(n.startswith("Review") for n in seen["article"]["button"]) >= 5, seen["article"]
    assert sum(n.startswith("Cite") for n in seen["review"]["checkbox"]) >= 3, seen["review"]
    assert {"Open Article list", "Open Claim list"} <= set(seen["review"]["button"]), seen["review"]
    assert not shared, f"controls that share one name (a screen reader cannot tell them apart): {shared}"


@pytest.mark.parametrize("width", [390, 820, 1024, 1280])
def test_no_label_is_cut_or_broken_on_a_phone_a_tablet_or_a_laptop(
    server: str, browser: object, library: str, width: int
) -> None:
    """At 820 and 1024 px the sidebar stays open beside the page: a tablet, or a laptop's half screen."""
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    cut = {}
    for name in PAGES:
        _open(page, server, name, library)
        if name == "review":  # with an edit (whatever was saved), the unsaved-changes note and its button show too
            page.locator('[data-testid="stCheckbox"]').filter(has_text="Not checkable").click()  # type: ignore[attr-defined]
            _idle(page)
            page.get_by_text("Unsaved changes to this claim").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
        if found := _cut_labels(page):
            cut[name or "library"] = found
    page.close()
    assert not cut, f"labels cut or broken at {width} px: {cut}"


def test_the_verdict_form_stays_in_sight_while_the_evidence_scrolls(server: str, browser: object, library: str) -> None:
    """Side by side on a laptop: citing the last passage shown, Save & next is on screen (it had scrolled away with
    the page). On a phone the form is under the evidence and scrolls with the page (the phone test above)."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    _open(page, server, "review", library)
    cite = page.locator('[data-testid="stCheckbox"]').filter(has_text="Cite this passage")  # type: ignore[attr-defined]
    assert cite.count() >= 3
    cite.last.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    expect(cite.last).to_be_in_viewport()
    expect(page.get_by_role("button", name="Save & next")).to_be_in_viewport()  # type: ignore[attr-defined]
    page.close()


@pytest.mark.parametrize("height", [650, 1400])
def test_the_article_and_its_claims_scroll_in_boxes_the_window_holds(
    server: str, browser: object, library: str, height: int
) -> None:
    """A laptop's browser window (650 px of a 768 px screen) and a tall screen: once scrolled to, each box fits
    under Streamlit's header, and takes the height there is."""
    page = browser.new_page(viewport={"width": 1366, "height": height})  # type: ignore[attr-defined]
    _open(page, server, "article", library)
    header = page.locator('[data-testid="stHeader"]').bounding_box()["height"]  # type: ignore[attr-defined]
    for box in ("article-text", "article-claims"):
        scroller = page.locator(f'[data-testid="stLayoutWrapper"]:has(> .st-key-{box})')  # type: ignore[attr-defined]
        scroller.evaluate("e => e.scrollIntoView({block: 'end'})")
        drawn = scroller.bounding_box()
        assert drawn["height"] >= 0.8 * height - header, (box, drawn)  # not half the screen
        assert drawn["height"] <= height - header, (box, drawn)  # the whole box in sight below the header
    page.close()


def test_claims_ticked_on_the_article_page_are_marked_not_checkable_together(server: str, browser: object) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    _seed_claims(page, server)
    boxes = page.locator('[data-testid="stCheckbox"]').filter(has_text="Select")  # type: ignore[attr-defined]
    before = boxes.count()
    assert before >= 2, before
    for box in (boxes.nth(before - 1), boxes.nth(before - 2)):  # the least check-worthy two
        box.click()
        _idle(page)
    mark = page.get_by_role("button", name="Mark 2 selected claim(s) not checkable")
    expect(mark).to_be_disabled()  # no reviewer name yet
    reviewer = page.get_by_label("Reviewer")
    reviewer.fill("Browser triage")
    reviewer.press("Enter")
    _idle(page)
    expect(mark).to_be_enabled()
    mark.click()
    _idle(page)
    expect(page.get_by_text("Marked 2 claim(s) not checkable.")).to_be_visible()
    assert page.locator('[data-testid="stCheckbox"]').filter(has_text="Select").count() == before - 2  # type: ignore[attr-defined]
    page.close()
