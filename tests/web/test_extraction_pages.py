"""Extraction and QATSDD pages over HTTP on SQLite and PostgreSQL: two blind extractors, the cross-check, two blind
raters and a third reviewer, the agreement table, and the refusals (400, nothing stored)."""

from __future__ import annotations

import pytest
from includes import new_include
from sqlalchemy import func, select
from starlette.testclient import TestClient
from webharness import add_user, csrf_from, signin

from livereview.store import appraisal as ap
from livereview.store import extraction as ex
from livereview.store.db import reading
from livereview.store.models import AppraisalRecord, AuditEntry, ExtractionRecord

MARK_ANN, MARK_BOB = "finding-seen-only-by-ann-qx", "finding-seen-only-by-bob-zv"


@pytest.fixture
def team(engine, make_app, protocol):
    for name in ("ann", "bob", "cat"):
        add_user(engine, name)
    apps = {}

    def client(name: str, proto=None) -> TestClient:
        app = apps.setdefault(id(proto), make_app(protocol=proto) if proto is not None else make_app())
        c = TestClient(app, follow_redirects=False)
        assert signin(c, name).status_code == 303
        return c

    return client


def form(**over) -> dict[str, str]:
    data = {"authors": "Doe, J.", "year": "2025", "country": "UK", "domain": "coaching",
            "publication_type": "Empirical study", "methodology": "quantitative", "rct": "yes", "orientation|CBC": "1",
            "sessions": "6", "findings": MARK_ANN}
    return {k: v for k, v in (data | over).items() if v is not None}


def post(c, path, data, page):
    return c.post(path, data={**data, "csrf_token": csrf_from(c.get(page).text)})


def test_two_blind_extractions_then_a_cross_check(engine, team):
    work = new_include(engine)
    ann, bob, cat = team("ann"), team("bob"), team("cat")
    page = f"/works/{work}/extraction"
    assert f'href="{page}"' in ann.get(f"/works/{work}").text      # the record page of an include links here
    assert ann.get("/extraction").status_code == 200 and f'data-work="{work}"' in ann.get("/extraction").text
    r = post(ann, page, form(), page)
    assert r.status_code == 303
    # bob sees nothing of ann's values, and the cross-check stays closed, until he has submitted too
    assert MARK_ANN not in bob.get(page).text
    assert bob.get(f"/works/{work}/cross-check").status_code == 403
    assert MARK_ANN in ann.get(page).text          # ann's own values, back in her form to correct
    r = post(bob, page, form(findings=MARK_BOB, rct="no", **{"orientation|CBC": None, "orientation|CBT": "1"}), page)
    assert r.status_code == 303
    html = cat.get(f"/works/{work}/cross-check").text
    assert MARK_ANN in html and MARK_BOB in html and 'data-differ>3<' in html
    assert 'class="differ" data-field="rct"' in html and 'class="same" data-field="country"' in html
    final = form(findings="Agreed wording.", rct="yes")
    data = {f"final.{k}": v for k, v in final.items()}
    data |= {"note.rct": "randomised: methods section", "note": "checked against the PDF"}
    r = post(cat, f"/works/{work}/cross-check", data, f"/works/{work}/cross-check")
    assert r.status_code == 303
    with reading(engine) as s:
        rec = ex.reconciled(s, work)
        assert rec.actor == "cat" and rec.values["rct"] == "yes" and rec.values["orientation"] == ["CBC"]
        assert rec.notes == {"rct": "randomised: methods section"} and rec.note == "checked against the PDF"
        assert ex.open_extractions(s) == []
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("extraction-%"))) == 3
    assert "Agreed wording." in ann.get(page).text


@pytest.mark.parametrize(("bad", "message"), [
    ({"publication_type": "Blog post"}, "publication_type: &#39;Blog post&#39; is not one of its choices"),
    ({"orientation|Reiki": "1"}, "orientation: &#39;Reiki&#39; is not one of its choices"),
    ({"sessions": "six"}, "sessions: &#39;six&#39; is not a number"),
])
def test_a_value_outside_its_field_is_a_400_and_nothing_stored(engine, team, bad, message):
    work = new_include(engine)
    ann = team("ann")
    page = f"/works/{work}/extraction"
    r = post(ann, page, form(**bad), page)
    assert r.status_code == 400 and message in r.text
    with reading(engine) as s:
        assert s.scalar(select(func.count()).select_from(ExtractionRecord)) == 0


def test_the_form_needs_the_csrf_token(engine, team):
    work = new_include(engine)
    r = team("ann").post(f"/works/{work}/extraction", data=form())
    assert r.status_code == 403


def scores(design: str, value: int = 2, **over) -> dict[str, str]:
    return {f"item{n}": str(over.get(f"i{n}", value)) for n in ap.applicable_items(design)}


def test_two_blind_ratings_a_third_reviewer_and_the_agreement(engine, team):
    work = new_include(engine)
    ann, bob, cat = team("ann"), team("bob"), team("cat")
    page = f"/works/{work}/appraisal"
    html = ann.get(page).text
    assert "Explicit theoretical framework" in html and "Assessment of reliability of analytical process" in html
    data = {"status": "scored", "design": "quantitative", "note": MARK_ANN, **scores("quantitative")}
    r = post(ann, page, data, page)
    assert r.status_code == 303
    blind = bob.get(page).text
    assert MARK_ANN not in blind and " checked>" not in blind.split('class="qatsdd"')[1]
    r = post(bob, page, {"status": "scored", "design": "quantitative", **scores("quantitative", i4=3, i9=0)}, page)
    assert r.status_code == 303
    html = cat.get(page).text
    assert "data-disagreements>2<" in html and 'class="differ" data-item="4"' in html
    assert 'class="differ" data-item="9"' in html and 'value="third reviewer" checked' in html
    data = {"method": "third reviewer", "res.status": "scored", "res.design": "quantitative",
            **{f"res.{k}": v for k, v in scores("quantitative", i4=3).items()}, "note": "sample size argued"}
    r = post(cat, f"{page}/resolve", data, page)
    assert r.status_code == 303
    with reading(engine) as s:
        final = ap.resolved_appraisals(s)[work]
    assert final["resolved_by"] == "third reviewer" and final["percent"] == round(100 * 29 / 42, 1)
    assert f"{final['percent']:.1f}%" in ann.get(page).text
    listing = ann.get("/appraisal").text
    assert "weighted κ (quadratic weights) over <span data-pairs>14</span>" in listing
    assert 'data-kappa>' in listing and "data-open>0<" in listing


def test_a_score_outside_0_3_or_a_non_rater_is_a_400_and_nothing_stored(engine, team, protocol):
    work = new_include(engine)
    ann = team("ann")
    page = f"/works/{work}/appraisal"
    r = post(ann, page, {"status": "scored", "design": "quantitative", **scores("quantitative", i3=4)}, page)
    assert r.status_code == 400 and "item 3: score &#39;4&#39; is outside 0-3" in r.text
    strict = protocol.model_copy(update={"appraisal": protocol.appraisal.model_copy(update={"raters": ["bob", "cat"]})})
    outsider = team("ann", strict)
    r = post(outsider, page, {"status": "scored", "design": "quantitative", **scores("quantitative")}, page)
    assert r.status_code == 400 and "ann is not a rater" in r.text
    with reading(engine) as s:
        assert s.scalar(select(func.count()).select_from(AppraisalRecord)) == 0


def test_a_book_chapter_is_offered_as_not_appraised(engine, team):
    work = new_include(engine)
    ann, bob = team("ann"), team("bob")
    page = f"/works/{work}/extraction"
    for c in (ann, bob):
        post(c, page, form(publication_type="Book chapter", methodology=None, rct=None), page)
    data = {f"final.{k}": v for k, v in form(publication_type="Book chapter", methodology=None, rct=None).items()}
    post(team("cat"), f"/works/{work}/cross-check", data, f"/works/{work}/cross-check")
    html = ann.get(f"/works/{work}/appraisal").text
    assert 'value="not appraised" checked' in html and "Book chapter: QATSDD does not fit" in html
    apage = f"/works/{work}/appraisal"
    for c in (ann, bob):
        assert post(c, apage, {"status": "not appraised", "reason": "Book chapter"}, apage).status_code == 303
    with reading(engine) as s:
        final = ap.resolved_appraisals(s)[work]
    assert final["status"] == "not appraised" and final["percent"] is None and final["reason"] == "Book chapter"
