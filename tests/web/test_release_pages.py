"""The versions of the review in the web app: the list (and the living-review trigger that fired), a version's
report and its downloads, for signed-in users only; then in Chromium at desktop and phone width (screenshots)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from webharness import login, shot, signin

from livereview.flows.init_store import init_store
from livereview.store.db import transaction
from livereview.store.models import Notice, Work
from livereview.store.releases import release


@pytest.fixture
def released(engine, protocol, users):
    init_store(engine, protocol)
    with transaction(engine) as s:
        release(s, protocol, "2.0", actor="root")
        seed = s.scalars(select(Work).where(Work.origin == "seed").order_by(Work.id).limit(1)).one()
        s.add(Notice(work_id=seed.id, kind="retraction", evidence="pubmed:RetractionIn pmid 40000003",
                     source="pubmed"))
    return engine


def test_the_versions_their_report_and_downloads(released, client):
    assert client.get("/releases").status_code in (302, 303)          # signed-in users only
    signin(client, "ann")
    page = client.get("/releases")
    assert page.status_code == 200
    assert page.text.index(">2.0</a>") < page.text.index(">1.0</a>")   # newest first
    assert "1 included study retracted since version 2.0" in page.text   # the trigger that fired, since when
    report = client.get("/releases/2.0")
    assert report.status_code == 200 and "Table 2. Studies in coaching" in report.text
    assert "<style" not in report.text and 'href="/releases/report.css"' in report.text   # the app's strict CSP
    css = client.get("/releases/report.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    csv_file = client.get("/releases/2.0/evidence-table.csv")
    assert csv_file.status_code == 200 and len(csv_file.text.strip().splitlines()) == 1 + 50
    xlsx = client.get("/releases/2.0/evidence-table.xlsx")
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(xlsx.content))["All studies"].max_row == 51
    assert client.get("/releases/2.0/report.json").json()["included_total"] == 50
    standalone = client.get("/releases/2.0/report.html")
    assert standalone.status_code == 200 and "<style>" in standalone.text
    assert "attachment" in standalone.headers["content-disposition"]
    for path, code in (("/releases/9.0", 404), ("/releases/v2", 400), ("/releases/2.0/report.csv", 400),
                       ("/releases/2.0/table.json", 400), ("/releases/9.0/report.json", 404)):
        assert client.get(path).status_code == code, path


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_release_pages_in_chromium(released, make_app, new_page):
    from webharness import serve

    _new_include(released)
    with serve(make_app(), released) as server:
        for width, suffix in ((1280, "desktop"), (390, "390")):
            page = new_page(width=width)
            login(page, server.url, "ann")
            page.goto(f"{server.url}/releases")
            assert page.locator("table.releases tbody tr").count() == 2
            assert page.locator("form.theme-form").count() == 1          # the new include, to tag
            shot(page, f"releases-list-{suffix}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
            with page.expect_navigation():
                page.locator("table.releases a", has_text="2.0").click()
            assert page.locator("table.evidence").count() == 2
            assert page.locator(".prisma svg").count() == 1          # the diagram drawn under the app's CSP
            shot(page, f"release-page-{suffix}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1   # wide tables scroll inside


def test_a_reviewer_tags_a_new_include_with_a_theme(released, client, protocol):
    from webharness import post_form

    from livereview.store.db import reading
    from livereview.store.models import ThemeTag

    wid = _new_include(released)
    signin(client, "carol")
    page = client.get("/releases")
    assert f'id="work-{wid}"' in page.text and "New includes since version 2.0" in page.text
    assert client.post("/releases/themes", data={"work_id": str(wid), "theme": "effects"}).status_code == 403
    for form, message in (({"theme": "colour"}, "unknown theme"), ({"theme": "effects", "changes": "yes"},
                                                                     "needs a --note"),
                          ({"theme": "effects", "work_id": "1x"}, "work_id must be a work id")):
        res = post_form(client, "/releases/themes", {"work_id": str(wid), **form}, page="/releases")
        assert res.status_code == 400 and message in res.text, form
    res = post_form(client, "/releases/themes", {"work_id": str(wid), "theme": "effects", "changes": "yes",
                                                 "note": "the first RCT in coaching"}, page="/releases")
    assert res.status_code == 303 and res.headers["location"].endswith(f"/releases#work-{wid}")
    with reading(released) as s:
        [tag] = s.scalars(select(ThemeTag)).all()
        assert (tag.work_id, tag.theme, tag.changes_conclusion, tag.reviewer) == (wid, "effects", True, "carol")
    assert "effects: changes the conclusion" in client.get("/releases").text


def _new_include(engine) -> int:
    """A study found and included (two reviewers, both stages) after version 2.0."""
    from webharness import add_works

    from livereview.store.screening import record_decision

    [wid] = add_works(engine, [{"title": "Homework in executive coaching: a trial", "doi": "10.9999/rel.1"}])
    with transaction(engine) as s:
        w = s.get(Work, wid)
        for stage in ("title-abstract", "full-text"):
            for who in ("ann", "bob"):
                record_decision(s, w, reviewer=who, stage=stage, decision="include", reviewers_required=2)
    return wid
