"""The PRISMA page's as-of picker, the downloads and the agreement page, in headless Chromium (desktop and phone
width). Screenshots: tests/artifacts/ (prisma-*, agreement-*, prisma-download.png)."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from prisma_history import REASONS, build_history
from webharness import ARTIFACTS, add_works, login, shot

from livereview.store.db import reading, transaction
from livereview.store.models import Work
from livereview.store.prisma import prisma_counts
from livereview.store.screening import record_decision

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def history(engine, protocol, users):
    return build_history(engine, protocol)


def _count(page, name: str) -> int:
    return int(page.locator(f"[data-count={name}]").inner_text().replace(",", ""))


def test_the_as_of_picker_shows_the_diagram_of_the_chosen_day_and_downloads_it(history, live_server, page):
    day = date(2026, 1, 31)
    with reading(history) as s:
        then, now = prisma_counts(s, REASONS, as_of=day), prisma_counts(s, REASONS)
    assert then.identified != now.identified          # so the page can only pass if the date is used
    login(page, live_server.url, "root")
    page.goto(live_server.url + "/prisma")
    assert _count(page, "identified") == now.identified
    assert page.locator("#prisma svg g[data-side]").count() == 3      # Identification, Screening, Included
    assert "PubMed" in page.locator("#prisma svg g[data-box=identified]").text_content()
    shot(page, "prisma-1280")
    page.fill("#as-of-form input[name=as_of]", day.isoformat())
    page.click("#as-of-form button[type=submit]")
    page.wait_for_load_state()
    assert parse_qs(urlparse(page.url).query) == {"as_of": [day.isoformat()]}   # one as_of, the chosen day
    assert page.locator("[data-as-of]").inner_text() == f"as of {day.isoformat()}"
    assert page.locator("#as-of-form input[name=as_of]").input_value() == day.isoformat()
    assert (_count(page, "identified"), _count(page, "records_screened")) == (then.identified, then.records_screened)
    screened = page.locator("#prisma svg g[data-box=screened]").text_content().replace("\u00a0", " ")
    assert f"(n = {then.records_screened})" in screened
    with page.expect_download() as dl:
        page.click("[data-download=png]")
    assert dl.value.suggested_filename == f"prisma-{day.isoformat()}.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / "prisma-download.png"
    dl.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    update = page.locator("[data-update]").first              # an update's date is a link to its diagram
    target = update.get_attribute("data-update")
    update.click()
    page.wait_for_load_state()
    assert parse_qs(urlparse(page.url).query) == {"as_of": [target]}
    assert page.locator("[data-as-of]").inner_text() == f"as of {target}"
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + f"/prisma?as_of={day.isoformat()}")
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')].filter(e => e.closest('figure') === null
        && e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className)""")
    assert wide == []     # the page's own content fits; the diagram scrolls inside its figure
    shot(page, "prisma-390")


def test_the_agreement_page_gives_alpha_and_ac1_with_the_records_they_cover(history, live_server, page):
    # a three-reviewer week: pairs that agree, and disagreements a third reviewer joined and an admin resolved
    ids = add_works(history, [{"title": f"Homework between coaching sessions {i}", "pmid": str(700 + i)}
                              for i in range(8)])
    votes = [("include", "include", None), ("exclude", "exclude", None), ("include", "include", None),
             ("exclude", "exclude", None), ("include", "exclude", "include"), ("exclude", "include", "exclude"),
             ("include", "exclude", "exclude"), ("include", "maybe", "include")]
    with transaction(history) as s:
        for wid, trio in zip(ids, votes, strict=True):
            w = s.get(Work, wid)
            for who, vote in zip(("ann", "bob", "carol"), trio, strict=True):
                if vote:
                    record_decision(s, w, reviewer=who, stage="title-abstract", decision=vote, reviewers_required=2)
            if trio[2]:
                record_decision(s, w, reviewer="root", stage="title-abstract", decision=trio[2], is_final=True,
                                reviewers_required=2)
    login(page, live_server.url, "root")
    page.goto(live_server.url + "/agreement")
    ta = page.locator("section[data-stage=title-abstract]")
    assert re.fullmatch(r"-?\d\.\d{3}|–", ta.locator("[data-alpha]").inner_text())
    assert re.fullmatch(r"-?\d\.\d{3}|–", ta.locator("[data-ac1]").inner_text())
    assert int(ta.locator("[data-items]").inner_text()) == 6 + 8   # the history's pairs and this week's records
    assert "4 with 3" in ta.inner_text()
    assert "Blinding" in page.locator("[data-blinding]").inner_text()
    shot(page, "agreement-1280")
    page.set_viewport_size(PHONE)
    page.reload()
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.closest('.table-scroll') === null && e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className)""")
    assert wide == []     # the page's own content fits; wide tables scroll in their own box
    shot(page, "agreement-390")
