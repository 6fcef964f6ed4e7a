"""Full texts on the record page (plain HTTP, SQLite and PostgreSQL): PDF upload checked by its bytes and stored
once, refusals that store nothing, downloads that are never inline, attachments that follow a merge, the
open-access link (looked up on first view through the real finder, Unpaywall replayed), and "report not
retrieved" counted by PRISMA."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import responses
from pdfs import make_pdf
from sqlalchemy import select
from starlette.testclient import TestClient
from webharness import add_works, csrf_from, post_form, signin, web_settings

from livereview.flows.fulltext import Finder
from livereview.store import screening as sc
from livereview.store.attachments import pdf_path, sha256_of
from livereview.store.db import reading, transaction
from livereview.store.fulltext import cached_link
from livereview.store.merge import merge_works, undo_merge
from livereview.store.models import Attachment, AuditEntry, Decision, Work
from livereview.store.prisma import prisma_counts

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "unpaywall"
UNPAYWALL = "https://api.unpaywall.test/v2/"
TA, FT = "title-abstract", "full-text"


def record(i: int, **kw) -> dict:
    return {"title": f"Homework assignments in coaching, study {i} on a topic of its own {i * 13}",
            "abstract": f"Between-session homework {i}.", "authors": [f"Author{i}, A"], "year": 2024,
            "journal": "J Couns Psychol", "pmid": str(39300000 + i), **kw}


@pytest.fixture
def folder(app):
    return app.state.web.settings.resolved_pdf_dir


def upload(client, wid, data: bytes, filename="paper.pdf", *, token: str | None = None):
    token = csrf_from(client.get(f"/works/{wid}").text) if token is None else token
    return client.post(f"/works/{wid}/pdf", data={"csrf_token": token},
                       files={"pdf": (filename, data, "application/pdf")})


def attachments(engine):
    with reading(engine) as s:
        return [(a.work_id, a.filename, a.attached_by, a.sha256) for a in s.scalars(select(Attachment)
                                                                                    .order_by(Attachment.id))]


def test_a_reviewer_attaches_a_pdf_and_downloads_it_as_a_sandboxed_attachment(engine, as_user, folder):
    [wid] = add_works(engine, [record(1)])
    pdf = make_pdf("Smith et al. 2024")
    r = upload(as_user("ann"), wid, pdf, "Smith 2024 <final>.pdf")
    assert r.status_code == 303 and r.headers["location"].endswith(f"/works/{wid}?pdf=attached#fulltext")
    assert attachments(engine) == [(wid, "Smith 2024 <final>.pdf", "ann", sha256_of(pdf))]
    assert pdf_path(folder, sha256_of(pdf)).read_bytes() == pdf
    page = as_user("bob").get(f"/works/{wid}").text
    assert "Smith 2024 &lt;final&gt;.pdf" in page and "attached by ann" in page and sha256_of(pdf)[:12] in page
    [aid] = _ids(engine)
    got = as_user("bob").get(f"/attachments/{aid}")
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "sandbox; default-src 'none'"
    with reading(engine) as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "pdf-attached")).all()
        assert (entry.actor, entry.entity_id, entry.details["sha256"]) == ("ann", wid, sha256_of(pdf))


def _ids(engine):
    with reading(engine) as s:
        return list(s.scalars(select(Attachment.id).order_by(Attachment.id)))


def test_the_same_pdf_twice_is_stored_once(engine, as_user, folder):
    a, b = add_works(engine, [record(1), record(2)])
    pdf = make_pdf()
    assert upload(as_user("ann"), a, pdf).status_code == 303
    again = upload(as_user("bob"), a, pdf, "renamed.pdf")
    assert again.headers["location"].endswith("?pdf=already#fulltext")
    assert upload(as_user("bob"), b, pdf).status_code == 303
    assert [(w, who) for w, _, who, _ in attachments(engine)] == [(a, "ann"), (b, "bob")]
    assert [p for p in folder.rglob("*") if p.is_file()] == [pdf_path(folder, sha256_of(pdf))]


@pytest.mark.parametrize(("data", "filename", "problem"), [
    (b"", "empty.pdf", "empty.pdf: the file is empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "photo.pdf", "photo.pdf: not a PDF"),
    (b"<html><script>alert(1)</script></html>", "page.pdf", "page.pdf: not a PDF"),
    (make_pdf()[:200], "cut.pdf", "cut.pdf: truncated PDF"),
])
def test_what_is_not_a_whole_pdf_is_refused_in_one_line_and_nothing_is_stored(engine, as_user, folder, data,
                                                                               filename, problem):
    [wid] = add_works(engine, [record(1)])
    r = upload(as_user("ann"), wid, data, filename)
    assert r.status_code == 400 and problem in r.text and "nothing was stored" in r.text
    assert attachments(engine) == [] and not folder.exists()


def test_a_file_over_the_cap_is_refused_before_it_is_stored(engine, make_app, users, folder):
    settings = web_settings(engine.url.render_as_string(hide_password=False), pdf_max_mb=0.05)
    from livereview.web.app import create_app

    app = create_app(settings, engine=engine, protocol=make_app().state.web.protocol, retrain=False)
    [wid] = add_works(engine, [record(1)])
    c = TestClient(app, follow_redirects=False)
    signin(c, "ann")
    just_over = make_pdf(pad=60 * 1024)          # under cap + form room: the PDF check says so
    r = upload(c, wid, just_over)
    assert r.status_code == 400 and "over the 0.05 MB limit" in r.text
    far_over = make_pdf(pad=2 * 1024 * 1024)     # beyond cap + form room: refused while reading the body
    r = upload(c, wid, far_over)
    assert r.status_code == 413 and "over the 0.05 MB limit: nothing was stored" in r.text
    assert attachments(engine) == [] and not folder.exists()


def test_an_upload_without_the_forms_csrf_token_is_refused(engine, as_user, folder):
    [wid] = add_works(engine, [record(1)])
    r = upload(as_user("ann"), wid, make_pdf(), token="forged")
    assert r.status_code == 403 and attachments(engine) == [] and not folder.exists()
    assert as_user("ann").get("/attachments/1").status_code == 404


def test_a_download_needs_a_signed_in_user(engine, as_user, app):
    [wid] = add_works(engine, [record(1)])
    upload(as_user("ann"), wid, make_pdf())
    anonymous = TestClient(app, follow_redirects=False)
    assert anonymous.get("/attachments/1").status_code == 303   # to the login page


def test_an_attached_pdf_follows_its_record_through_a_merge_and_an_unmerge(engine, as_user):
    kept, merged = add_works(engine, [record(1), record(2)])
    upload(as_user("ann"), merged, make_pdf("the merged one"), "merged.pdf")
    with transaction(engine) as s:
        merge_id = merge_works(s, s.get(Work, kept), s.get(Work, merged), rule="manual", actor="root").id
    assert "merged.pdf" in as_user("bob").get(f"/works/{kept}").text
    with transaction(engine) as s:
        undo_merge(s, merge_id, actor="root")
    assert "merged.pdf" not in as_user("bob").get(f"/works/{kept}").text
    assert "merged.pdf" in as_user("bob").get(f"/works/{merged}").text


def to_full_text(as_user, wid):
    for who in ("ann", "bob"):
        assert post_form(as_user(who), f"/works/{wid}/decision",
                         {"stage": TA, "decision": "include", "advance": "0"}).status_code == 303


@responses.activate
def test_the_open_access_link_is_looked_up_on_first_view_and_shown_with_licence_and_version(engine, make_app,
                                                                                             users):
    responses.get(UNPAYWALL + "10.1016/j.beth.2016.05.002", body=(FIX / "doi_green_accepted.json").read_bytes())
    settings = web_settings(engine.url.render_as_string(hide_password=False), contact_email="team@example.org",
                            unpaywall_base_url=UNPAYWALL, http_retries=0)
    app = make_app(fulltext_finder=Finder(settings).find)
    [wid] = add_works(engine, [record(1, doi="10.1016/j.beth.2016.05.002")])
    c = TestClient(app, follow_redirects=False)
    signin(c, "ann")
    assert "oa-looking" not in c.get(f"/works/{wid}").text     # at title/abstract nobody looks
    b = TestClient(app, follow_redirects=False)
    signin(b, "bob")
    for who in (c, b):
        post_form(who, f"/works/{wid}/decision", {"stage": TA, "decision": "include", "advance": "0"})
    assert 'id="oa-looking"' in c.get(f"/works/{wid}").text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with reading(engine) as s:
            if cached_link(s, wid) is not None:
                break
        time.sleep(0.05)
    page = c.get(f"/works/{wid}").text
    assert 'href="https://eprints.example.ac.uk/123456/1/homework_accepted.pdf"' in page
    assert "accepted manuscript" in page and "licence cc-by-nc-nd" in page and "found via Unpaywall" in page
    assert len(responses.calls) == 1 and "email=team%40example.org" in responses.calls[0].request.url


def test_a_lookup_that_cannot_ask_unpaywall_still_uses_the_stored_openalex_payload(engine, make_app, users):
    work = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "openalex"
                       / "work_W2741809807_full_2025.json").read_bytes())
    settings = web_settings(engine.url.render_as_string(hide_password=False))    # no contact e-mail
    from livereview.connectors.openalex import item_to_record
    from livereview.store.ingest import Provenance, ingest_records

    with transaction(engine) as s:
        rep = ingest_records(s, [item_to_record(work)], Provenance(origin="search", actor="test"))
    [wid] = [w for _, w in rep.classifications if w is not None]
    with transaction(engine) as s:
        s.get(Work, wid).status = sc.AWAITING_FULL_TEXT
    best = Finder(settings).find(engine, wid)
    assert best is not None and (best.source, best.version, best.license) == ("openalex", "published", "cc-by")
    with reading(engine) as s:
        row = cached_link(s, wid)
        assert row.pdf_url == "https://peerj.com/articles/4375.pdf" and "LIVEREVIEW_CONTACT_EMAIL" in row.problems[0]
    app = make_app()
    c = TestClient(app, follow_redirects=False)
    signin(c, "ann")
    page = c.get(f"/works/{wid}").text
    assert "published version" in page and "licence cc-by" in page and "found via OpenAlex" in page


def test_report_not_retrieved_is_its_own_decision_and_prisma_counts_it(engine, as_user, protocol):
    [wid, other] = add_works(engine, [record(1), record(2)])
    to_full_text(as_user, wid)
    to_full_text(as_user, other)
    for who in ("ann", "bob"):
        post_form(as_user(who), f"/works/{wid}/decision", {"stage": FT, "decision": "not-retrieved",
                                                          "advance": "0"})
        post_form(as_user(who), f"/works/{other}/decision", {"stage": FT, "decision": "exclude",
                                                            "reason": protocol.exclusion_reasons[0][0],
                                                            "advance": "0"})
    with reading(engine) as s:
        ft = s.scalars(select(Decision).where(Decision.work_id == wid, Decision.stage == FT)).all()
        assert {(d.decision, d.reason, d.report_retrieved) for d in ft} == {("exclude", "not-retrieved", False)}
        c = prisma_counts(s, [r for r, _ in protocol.exclusion_reasons],
                          reviewers_required=protocol.review.reviewers_by_stage)
    assert (c.db.reports_sought, c.db.reports_not_retrieved, c.db.reports_assessed) == (2, 1, 1)
    assert c.db.excluded_by_reason == {protocol.exclusion_reasons[0][0]: 1}
