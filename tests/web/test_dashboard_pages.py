"""Dashboard, PRISMA, search log and exports pages: numbers equal the store's, downloads parse, public view is safe."""

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from prisma_history import REASONS, build_history
from webharness import PASSWORD, login, shot

from livereview.reports.dashboard import collect
from livereview.reports.growth import growth
from livereview.store.db import reading
from livereview.store.prisma import prisma_counts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def history(engine, protocol, users):
    return build_history(engine, protocol)


def signed_in(client, name="ann"):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    res = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert res.status_code in (302, 303), res.text[:300]
    return client


def test_pages_need_an_account_and_the_public_view_is_off_by_default(client, history):
    for path in ("/dashboard", "/prisma", "/search-log", "/exports", "/prisma/prisma.svg"):
        assert client.get(path).status_code == 303
    off = client.get("/public/dashboard")    # the public view is off: sign in, then the full dashboard
    assert off.status_code == 303 and off.headers["location"] == "/login?next=/dashboard"


def test_prisma_downloads_parse_and_equal_the_store(client, history, engine):
    signed_in(client)
    with reading(engine) as s:
        c = prisma_counts(s, REASONS)
    svg = client.get("/prisma/prisma.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    ET.fromstring(svg.content)
    data = client.get("/prisma/prisma.json").json()
    assert (data["identified"], data["total_studies"], data["problems"]) == (c.identified, c.total_studies, [])
    rows = list(csv.DictReader(io.StringIO(client.get("/prisma/prisma.csv").text)))
    assert {r["box"]: int(r["n"]) for r in rows}["Records screened"] == c.records_screened
    assert client.get("/prisma/prisma.png").content[:8] == b"\x89PNG\r\n\x1a\n"
    page = client.get("/prisma?as_of=2026-02-02")
    assert page.status_code == 200 and 'data-box="screened"' in page.text
    dash = client.get("/dashboard")
    assert dash.status_code == 200 and f'data-kpi="included">{c.total_studies}<' in dash.text
    assert client.get("/dashboard/growth.svg").headers["content-type"].startswith("image/svg+xml")
    past = client.get("/prisma/prisma.json?as_of=2026-01-31").json()
    assert past["identified"] == 17
    assert client.get("/prisma?as_of=tomorrow").status_code == 400


def test_search_log_and_exports(client, history):
    signed_in(client)
    page = client.get("/search-log")
    assert page.status_code == 200 and "table1_alternatives" in page.text
    rows = list(csv.DictReader(io.StringIO(client.get("/search-log/search-log.csv").text)))
    assert {r["database"] for r in rows} >= {"pubmed", "openalex", "crossref", "psycinfo"}
    ris = client.get("/exports/download?fmt=ris&status=included")
    assert ris.status_code == 200 and ris.text.count("ER  -") == 52
    asr = client.get("/exports/download?fmt=asreview&status=all&ids=1,2")
    assert list(csv.DictReader(io.StringIO(asr.text)))[0]["included"] == "1"
    assert client.get("/exports/download?fmt=xml").status_code == 400


@pytest.mark.slow
def test_the_dashboard_and_prisma_diagram_render_in_a_browser_with_the_store_s_numbers(
        app, history, engine, protocol, live_server, page):
    app.state.public_dashboard = True
    with reading(engine) as s:
        g = growth(s)
        d = collect(s, enabled_sources=protocol.enabled_sources)
        c = prisma_counts(s, REASONS)
    login(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/dashboard")
    assert page.locator("[data-kpi=works]").inner_text() == f"{g.identified[-1]:,}"
    assert page.locator("[data-kpi=included]").inner_text() == str(c.total_studies)
    assert page.locator("[data-single-source]").inner_text() == str(d.single_source_works)
    for img in page.locator("img.chart").all():   # the charts loaded and drew
        assert page.evaluate("(el) => el.complete && el.naturalWidth > 0", img.element_handle())
    assert "table1_alternatives" in page.locator("#yield-queries").inner_text()
    shot(page, "dashboard")
    page.goto(f"{live_server.url}/prisma")
    text = page.locator("#prisma svg g[data-box=screened]").text_content()
    assert f"(n\u00a0=\u00a0{c.records_screened})" in text or f"(n = {c.records_screened})" in text
    assert page.locator("#prisma svg g[data-box]").count() >= 12
    with page.expect_download() as dl:
        page.click("[data-download=svg]")
    ET.parse(dl.value.path())
    shot(page, "prisma")
    page.goto(f"{live_server.url}/search-log")
    shot(page, "search-log")
    anon = page.context.browser.new_context()
    public = anon.new_page()
    public.goto(f"{live_server.url}/public/dashboard")
    body = public.locator("main").inner_text()
    assert "ann" not in body and "Distinct study number" not in body   # no reviewer names, no record titles
    assert public.locator("[data-kpi=included]").inner_text() == str(c.total_studies)
    shot(public, "public-dashboard")
    public.goto(f"{live_server.url}/public/prisma")
    assert public.locator("#prisma svg").count() == 1
    anon.close()
