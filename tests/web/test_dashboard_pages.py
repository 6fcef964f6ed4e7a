"""Dashboard, PRISMA, search log and exports pages: numbers equal the store's, downloads parse, public view is safe."""

import csv
import html
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


# -- per domain (issue 19): the PRISMA page's domain columns and the search log's per-query totals ------------------
def add_domain_searches(engine):
    """Study 1 found by both named queries, 20 by coaching only, 21 by therapy-counselling only."""
    from prisma_history import D2, rec, search

    from livereview.store.db import transaction
    from livereview.store.runs import finish_run, start_run

    with transaction(engine) as s:
        run = start_run(s, "monitor", None, {})
        search(s, run, "europepmc", "coaching", [rec(1, "europepmc"), rec(20, "europepmc")], when=D2)
        search(s, run, "europepmc", "therapy-counselling", [rec(1, "europepmc"), rec(21, "europepmc")], when=D2)
        finish_run(s, run.id, "succeeded", {})


def test_the_prisma_page_and_search_log_report_each_domain_and_say_how_both_count(client, history, engine):
    from livereview.store.prisma import DOMAIN_NOTE

    add_domain_searches(engine)
    signed_in(client)
    page = client.get("/prisma").text
    table = page.split("data-domains>")[1].split("</table>")[0]
    identified = table.split('data-domain-box="identified">')[1].split("</tr>")[0]
    assert [c.split("<")[0] for c in identified.split("<td>")[1:]] == ["2", "2", "3"]   # coaching, therapy, total
    assert DOMAIN_NOTE in html.unescape(page) and "1 new work found by both" in page
    log = client.get("/search-log").text
    row = log.split('data-domain="coaching">')[1].split("</tr>")[0]
    assert "<td>1</td><td>2</td>" in row                   # one search, two records found
    assert "a record both queries returned is in both lines" in html.unescape(log)
    md = client.get("/search-log/search-log.md").text
    assert "## Per domain" in md and "| coaching | 1 | 2 |" in md
    data = client.get("/prisma/prisma.json").json()
    assert data["domains"]["coaching"]["identified"] == 2 and data["domains"]["total"]["identified"] == 3
    assert data["domains_found_by_several"] == 1 and data["domains_note"] == DOMAIN_NOTE
    rows = list(csv.DictReader(io.StringIO(client.get("/prisma/prisma.csv").text)))
    by = {(r["section"], r["box"]): int(r["n"]) for r in rows}
    assert by[("domain:therapy-counselling", "identified")] == 2 and by[("domain:total", "works")] == 3
    assert by[("screening", "Records screened")] == data["records_screened"]     # the diagram's rows unchanged


@pytest.mark.slow
def test_the_domain_columns_read_in_a_browser_on_desktop_and_phone(app, history, engine, live_server, page):
    add_domain_searches(engine)
    login(page, live_server.url, "ann")
    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/prisma")
        table = page.locator("table[data-domains]")
        assert table.locator("th[data-domain]").all_inner_texts()[:2] == ["coaching", "therapy-counselling"]
        table.scroll_into_view_if_needed()
        shot(page, f"prisma-domains-{name}")
        page.goto(f"{live_server.url}/search-log")
        assert page.locator("tr[data-domain=therapy-counselling] td").first.inner_text() == "1"
        shot(page, f"search-log-domains-{name}")
