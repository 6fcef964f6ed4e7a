"""Decisions that leave the web app (SQLite and PostgreSQL): exports carry what was decided, blinded as the pages
are; the excluded-studies table on the PRISMA page and as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from decided import build_decided
from pdfs import make_pdf
from starlette.testclient import TestClient
from webharness import csrf_from, signin

from livereview.store.attachments import sha256_of


@pytest.fixture
def signed_in(app, users):
    def get(name):
        c = TestClient(app, follow_redirects=False)
        assert signin(c, name).status_code == 303
        return c

    return get


def download(client, fmt="csv", status="all"):
    r = client.get(f"/exports/download?fmt={fmt}&status={status}")
    assert r.status_code == 200
    return r.text


def by_id(text):
    return {int(r.get("id") or r.get("record_id")): r for r in csv.DictReader(io.StringIO(text))}


def test_a_reviewer_gets_closed_records_votes_and_an_admin_also_the_conflicts(engine, signed_in):
    w = build_decided(engine)
    carol, root = by_id(download(signed_in("carol"))), by_id(download(signed_in("root")))
    for rows in (carol, root):
        assert (rows[w[3]]["final_decision"], rows[w[3]]["decision_stage"], rows[w[3]]["decision_reason"]) == (
            "exclude", "full-text", "E1-design")
        assert "full-text bob exclude E1-design" in rows[w[3]]["votes"]
        assert rows[w[4]]["resolutions"].startswith("full-text root (web) exclude E2")
        assert rows[w[6]]["votes"] == "" and rows[w[6]]["final_decision"] == ""   # still taking votes
    assert carol[w[7]]["votes"] == "" and "bob exclude E1-topic" in root[w[7]]["votes"]


def test_every_format_carries_the_decision_and_the_pdf_hash(engine, signed_in):
    w = build_decided(engine)
    ann = signed_in("ann")
    pdf = make_pdf("included study")
    token = csrf_from(ann.get(f"/works/{w[1]}").text)
    assert ann.post(f"/works/{w[1]}/pdf", data={"csrf_token": token},
                    files={"pdf": ("s1.pdf", pdf, "application/pdf")}).status_code == 303
    digest = sha256_of(pdf)
    assert by_id(download(ann))[w[1]]["pdf_sha256"] == digest
    asreview = by_id(download(ann, "asreview"))
    assert (asreview[w[1]]["included"], asreview[w[1]]["final_decision"], asreview[w[1]]["pdf_sha256"]) == (
        "1", "include", digest)
    assert (asreview[w[3]]["included"], asreview[w[3]]["decision_reason"]) == ("0", "E1-design")
    ris = download(ann, "ris")
    assert f"C1  - PDF sha256: {digest}" in ris and "C3  - livereview decision: include at full-text" in ris
    assert "C4  - vote: full-text bob exclude E1-design" in ris
    bib = download(ann, "bibtex")
    assert f"pdf_sha256 = {{{digest}}}" in bib and "decision = {exclude full-text E1-design}" in bib


def test_the_prisma_page_lists_the_excluded_reports_with_reasons_and_offers_them_as_csv(engine, signed_in, app):
    w = build_decided(engine)
    ann = signed_in("ann")
    page = ann.get("/prisma").text
    assert 'id="excluded-studies"' in page and "Author3 et al. (2023)" in page and "Author4 et al. (2024)" in page
    assert "Author5" not in page                    # not retrieved: its own box, not an exclusion
    got = ann.get("/prisma/excluded.csv")
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [(int(r["record_id"]), r["reason"]) for r in rows] == [(w[3], "E1-design"), (w[4], "E2")]
    assert TestClient(app, follow_redirects=False).get("/prisma/excluded.csv").status_code == 303
    assert 'id="excluded-studies"' not in TestClient(app).get("/public/prisma").text
