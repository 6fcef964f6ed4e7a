"""Full texts in headless Chromium: a record at full text finds its open-access copy on first view (the real finder,
Unpaywall replayed by `responses`), a reviewer attaches a PDF, a non-PDF is refused, the PDF downloads; the PRISMA
page's excluded-studies table. Screenshots at 1280 and 390 px: tests/artifacts/fulltext-*.png (look at them)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import responses
from decided import build_decided
from pdfs import make_pdf
from webharness import add_works, login, serve, shot, web_settings

from livereview.flows.fulltext import Finder
from livereview.store.db import reading, transaction
from livereview.store.fulltext import cached_link
from livereview.store.models import Work
from livereview.store.screening import record_decision

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "unpaywall"
UNPAYWALL = "https://api.unpaywall.test/v2/"
DOI = "10.1016/j.beth.2016.05.002"


@pytest.fixture
def replayed_unpaywall():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(UNPAYWALL + DOI, body=(FIX / "doi_green_accepted.json").read_bytes())
        yield rsps


@pytest.fixture
def finder_server(make_app, engine, users, replayed_unpaywall):
    settings = web_settings(engine.url.render_as_string(hide_password=False), contact_email="team@example.org",
                            unpaywall_base_url=UNPAYWALL, http_retries=0)
    app = make_app(fulltext_finder=Finder(settings).find)
    with serve(app, engine) as server:
        yield server


def at_full_text(engine):
    [wid] = add_works(engine, [{"title": "Homework compliance counts in cognitive-behavioral therapy",
                                "abstract": "A meta-analysis of homework compliance and outcome in CBT.",
                                "authors": ["Kazantzis, N", "Whittington, C", "Dattilio, F"], "year": 2016,
                                "journal": "Behavior Therapy", "doi": DOI, "pmid": "27993336"}])
    with transaction(engine) as s:
        for who in ("ann", "bob"):
            record_decision(s, s.get(Work, wid), reviewer=who, stage="title-abstract", decision="include")
    return wid


def test_the_record_page_shows_the_open_access_copy_and_takes_a_pdf(finder_server, engine, new_page, tmp_path):
    wid = at_full_text(engine)
    page = new_page(1280, 900)
    login(page, finder_server.url, "ann")
    page.goto(f"{finder_server.url}/works/{wid}")
    assert page.locator("#oa-looking").is_visible()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with reading(engine) as s:
            if cached_link(s, wid) is not None:
                break
        time.sleep(0.1)
    page.reload()
    link = page.locator("#oa-link")
    assert link.get_attribute("href") == "https://eprints.example.ac.uk/123456/1/homework_accepted.pdf"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    meta = page.locator("#oa-meta").inner_text()
    assert "accepted manuscript" in meta and "licence cc-by-nc-nd" in meta and "repository" in meta

    not_pdf = tmp_path / "scan.pdf"
    not_pdf.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 200)
    page.set_input_files("#attach-pdf input[type=file]", str(not_pdf))
    with page.expect_navigation():
        page.click("#attach-pdf button[type=submit]")
    assert "scan.pdf: not a PDF (it does not start with %PDF-): nothing was stored" in page.inner_text("main")
    shot(page, "fulltext-refused-desktop")

    page.goto(f"{finder_server.url}/works/{wid}")
    paper = tmp_path / "Kazantzis 2016.pdf"
    paper.write_bytes(make_pdf("Kazantzis 2016"))
    page.set_input_files("#attach-pdf input[type=file]", str(paper))
    with page.expect_navigation():
        page.click("#attach-pdf button[type=submit]")
    assert page.locator("#pdf-flash").inner_text() == "PDF attached."
    item = page.locator("#attachments li").first
    assert "Kazantzis 2016.pdf" in item.inner_text() and "attached by ann" in item.inner_text()
    shot(page, "fulltext-record-desktop")
    with page.expect_download() as dl:
        item.locator("a").click()
    assert Path(dl.value.path()).read_bytes() == paper.read_bytes()
    assert dl.value.suggested_filename == "Kazantzis 2016.pdf"

    phone = new_page(390, 844)
    login(phone, finder_server.url, "bob")
    phone.goto(f"{finder_server.url}/works/{wid}#fulltext")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("#oa-link").is_visible() and phone.locator("#attach-pdf button").is_visible()
    shot(phone, "fulltext-record-phone")


def test_the_prisma_page_lists_the_excluded_reports(live_server, engine, users, new_page):
    build_decided(engine)
    for width, name in ((1280, "desktop"), (390, "phone")):
        page = new_page(width, 900)
        login(page, live_server.url, "carol")
        page.goto(f"{live_server.url}/prisma")
        rows = page.locator("#excluded-studies tbody tr")
        assert rows.count() == 2 and "E1-design" in rows.first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator("#excluded-studies").scroll_into_view_if_needed()
        shot(page, f"fulltext-prisma-excluded-{name}")
