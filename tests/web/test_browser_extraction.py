"""Extraction, cross-check and QATSDD appraisal in headless Chromium, by keyboard alone: two extractors fill the
form, a checker reconciles, two raters score the 16 criteria with the digit keys, a third reviewer resolves.
Screenshots (desktop and 390 px wide): tests/artifacts/extraction-*.png, appraisal-*.png."""

from __future__ import annotations

import pytest
from includes import new_include
from webharness import login, serve, shot

from livereview.store import appraisal as ap
from livereview.store import extraction as ex
from livereview.store.db import reading

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def server(make_app, engine, users):
    with serve(make_app(), engine) as srv:
        yield srv


def narrow_shot(page, name: str) -> None:
    """A 390 px screenshot, and the page fits that width (no sideways scrolling)."""
    shot(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, name


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (what a keyboard user does)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def extract_by_keyboard(page, findings: str, rct: str, orientation: str) -> None:
    tab_to(page, "#authors")
    page.keyboard.type("Doe, J.")
    page.keyboard.press("Tab")
    page.keyboard.type("2025")                       # year
    page.keyboard.press("Tab")
    page.keyboard.type("UK")                         # country
    tab_to(page, "#publication_type")
    page.keyboard.type("Empirical")
    tab_to(page, "#methodology")
    page.keyboard.type("quan")
    tab_to(page, "#rct")
    page.keyboard.type(rct)
    tab_to(page, f'input[name="orientation|{orientation}"]')
    page.keyboard.press("Space")
    tab_to(page, "#findings")
    page.keyboard.type(findings)
    tab_to(page, "#extract button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def score_by_keyboard(page, digits: str, design: str = "quan") -> None:
    """Pick the design, then one digit per applicable item: each scores its item and moves to the next."""
    tab_to(page, "select[data-design]")
    page.keyboard.type(design)
    tab_to(page, 'fieldset.item[data-item="1"] input')
    for d in digits:
        page.keyboard.press(d)
    assert page.evaluate("document.activeElement.type") == "submit"   # after the last item: the button
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_extraction_and_cross_check_by_keyboard(server, engine, new_page):
    work = new_include(engine, title="Between-session assignments in executive coaching: a trial")
    for name, rct, orient, marker in (("ann", "yes", "CBC", "IA raised goal attainment"),
                                      ("bob", "no", "CBT", "IA raised goal attainment a little")):
        page = new_page()
        login(page, server.url, name)
        page.goto(f"{server.url}/works/{work}/extraction")
        if name == "ann":
            shot(page, "extraction-form")
        extract_by_keyboard(page, marker, rct, orient)
        assert page.locator("[data-saved]").is_visible()
    with reading(engine) as s:
        both = {k: v.values for k, v in ex.extractions(s, work).items()}
    assert both["ann"]["rct"] == "yes" and both["bob"]["orientation"] == ["CBT"]
    assert both["ann"]["methodology"] == "quantitative" and both["ann"]["year"] == 2025
    page = new_page()
    login(page, server.url, "carol")
    page.goto(f"{server.url}/works/{work}/cross-check")
    assert page.locator("tr.differ").count() == 3     # rct, orientation, findings
    shot(page, "extraction-cross-check")
    tab_to(page, 'select[name="final.rct"]')
    page.keyboard.type("yes")
    tab_to(page, 'input[name="note.rct"]')
    page.keyboard.type("randomised: see the methods")
    tab_to(page, "#cross-check button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with reading(engine) as s:
        final = ex.reconciled(s, work)
        assert final.actor == "carol" and final.values["rct"] == "yes"
        assert final.notes == {"rct": "randomised: see the methods"}
    narrow = new_page(width=390, height=844)
    login(narrow, server.url, "carol")
    narrow.goto(f"{server.url}/works/{work}/cross-check")
    narrow_shot(narrow, "extraction-cross-check-390")
    narrow.goto(f"{server.url}/works/{work}/extraction")
    narrow_shot(narrow, "extraction-final-390")
    narrow.goto(f"{server.url}/extraction")
    narrow_shot(narrow, "extraction-list-390")


def test_appraisal_by_keyboard_with_a_third_reviewer(server, engine, new_page):
    work = new_include(engine, title="Homework compliance in CBT for insomnia: a trial")
    quant = len(ap.applicable_items("quantitative"))
    for name, digits in (("ann", "2" * quant), ("bob", "2223" + "2" * (quant - 4))):
        page = new_page()
        login(page, server.url, name)
        page.goto(f"{server.url}/works/{work}/appraisal")
        if name == "ann":
            shot(page, "appraisal-form")
        score_by_keyboard(page, digits)
    with reading(engine) as s:
        a, b = ap.ratings(s, work).values()
        assert ap.disagreements(a, b) == ["4"] and a.design == "quantitative"
    page = new_page()
    login(page, server.url, "carol")
    page.goto(f"{server.url}/works/{work}/appraisal")
    assert page.locator("[data-disagreements]").inner_text() == "1"
    shot(page, "appraisal-disagreement")
    tab_to(page, '#resolve fieldset.item[data-item="4"] input')
    page.keyboard.press("3")
    tab_to(page, "#resolve button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with reading(engine) as s:
        final = ap.resolved_appraisals(s)[work]
    assert final["resolved_by"] == "third reviewer" and final["items"][4] == 3
    assert final["percent"] == round(100 * (2 * (quant - 1) + 3) / 42, 1)
    assert page.locator("[data-percent]").inner_text() == f"{final['percent']:.1f}%"
    page.goto(f"{server.url}/appraisal")
    assert page.locator("[data-pairs]").inner_text() == str(quant)
    shot(page, "appraisal-list")
    narrow = new_page(width=390, height=844)
    login(narrow, server.url, "ann")
    narrow.goto(f"{server.url}/works/{work}/appraisal")
    narrow_shot(narrow, "appraisal-final-390")
    narrow.goto(f"{server.url}/appraisal")
    narrow_shot(narrow, "appraisal-list-390")
    other = new_include(engine, title="A second trial of homework", source_id="second")
    narrow.goto(f"{server.url}/works/{other}/appraisal")
    narrow_shot(narrow, "appraisal-form-390")
