"""Finding records in headless Chromium with the keyboard alone: ``/`` to the search box, words, Enter; ``j`` / ``k``
along the results, Tab to an abstract and Enter to open it, Enter on a record; the page size chosen once and kept.
Screenshots (1280 and 390 px): tests/artifacts/search-*.png and records-*.png."""

from __future__ import annotations

import re

import pytest
from webharness import add_user, add_works, login, serve, shot

from livereview.store import screening as sc
from livereview.store.db import transaction
from livereview.store.models import Work

pytestmark = [pytest.mark.slow]


@pytest.fixture
def server(make_app, engine):
    add_user(engine, "finder")
    topics = ("coaching homework", "counselling assignments", "therapy adherence")
    ids = add_works(engine, [{
        "title": f"Between-session {topics[k % 3]} in practice: study {k:02d}",
        "abstract": f"Clients with inter-session {topics[k % 3]} (study {k:02d}) improved; "
                    "a longer abstract that the list keeps folded until asked for.",
        "authors": [f"Writer{k:02d}, Q", "Okafor, C", "Larsen, I", "Smith, J"], "year": 2015 + k % 10,
        "journal": "Psychotherapy Research", "doi": f"10.1000/find.{k}", "pmid": str(39400000 + k)}
        for k in range(60)])
    with transaction(engine) as s:
        for wid in ids[:8]:
            w = s.get(Work, wid)
            for r in ("ann", "bob"):
                sc.record_decision(s, w, reviewer=r, stage=sc.TITLE_ABSTRACT, decision="exclude", reason="E2")
    with serve(make_app(), engine) as srv:
        srv.ids = ids
        yield srv


def test_keyboard_only_search_and_list_navigation(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, server.url, "finder")
    page.goto(f"{server.url}/records")
    assert page.locator("#record-list .work-row").count() == 25

    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type("coach")                         # a word's start is enough
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/records?q=coach" in page.url
    titles = page.locator("#record-list .work-row a.title").all_inner_texts()
    assert len(titles) == 20 and all("coaching homework" in t for t in titles)
    assert page.locator("#result-count").inner_text() == "20"

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    first = page.locator("#record-list .work-row").nth(0)
    assert "selected" in (first.get_attribute("class") or "")
    assert page.evaluate("document.activeElement.className") == "title"
    page.keyboard.press("Tab")                           # the row's abstract, folded
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    assert first.locator("details.abstract").get_attribute("open") is not None
    assert first.locator("details.abstract p").is_visible()
    shot(page, "search-desktop")

    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/works/\d+$", page.url)
    assert "coaching homework" in page.locator("h1").inner_text()

    # an identifier typed exactly finds its record; odd text is answered
    page.goto(f"{server.url}/search")
    page.keyboard.press("/")
    page.keyboard.type("https://doi.org/10.1000/FIND.7")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#record-list .work-row a.title").all_inner_texts() == [
        "Between-session counselling assignments in practice: study 07"]
    page.keyboard.press("/")
    page.keyboard.type('"coaching AND (NEAR*')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#result-count").inner_text() == "0" and "Nothing here" in page.content()

    # the excluded list, its stage and reason filters, 50 a page chosen by keyboard and kept
    page.goto(f"{server.url}/records/excluded?stage=title-abstract&reason=E2")
    assert page.locator("#record-list .work-row").count() == 8
    page.goto(f"{server.url}/records")
    page.locator(".page-size button[value='50']").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#record-list .work-row").count() == 50
    page.goto(f"{server.url}/records/excluded")
    shot(page, "records-excluded-desktop")
    page.goto(f"{server.url}/search?q=therapy")
    assert page.locator("#record-list .work-row").count() == 20

    mobile = browser.new_page(viewport={"width": 390, "height": 844})
    login(mobile, server.url, "finder")
    mobile.goto(f"{server.url}/search?q=counselling")
    assert mobile.locator("#record-list .work-row").count() == 20   # the page size is the account's
    mobile.locator("details.abstract summary").first.focus()
    mobile.keyboard.press("Enter")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile, "search-mobile")
    mobile.goto(f"{server.url}/records/excluded")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile, "records-excluded-mobile")
    mobile.close()
    page.close()
