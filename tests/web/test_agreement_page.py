"""The agreement page: every record with two or more votes counts, and it is blind to open records the viewing
admin has not voted on (no figure moves because of them)."""

import re

from webharness import add_works, signin

from livereview.store.db import transaction
from livereview.store.models import Work
from livereview.store.screening import record_decision


def _vote(engine, wid, who, decision, stage="title-abstract"):
    with transaction(engine) as s:
        record_decision(s, s.get(Work, wid), reviewer=who, stage=stage, decision=decision, reviewers_required=2)


def _page(client) -> str:
    html = client.get("/agreement").text
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_open_records_the_admin_has_not_voted_on_leave_the_page_unchanged(client, engine, users):
    ids = add_works(engine, [{"title": f"Homework in coaching {i}", "pmid": str(500 + i)} for i in range(4)])
    for who in ("ann", "bob"):
        _vote(engine, ids[0], who, "include")          # decided: counts
        _vote(engine, ids[1], who, "exclude")
    signin(client, "root")
    before = _page(client)
    assert "over <span data-items>2</span> records" in before
    _vote(engine, ids[2], "ann", "include")            # open: one vote
    assert _page(client) == before
    _vote(engine, ids[2], "bob", "exclude")            # open: a disagreement, not resolved
    assert _page(client) == before
    _vote(engine, ids[2], "root", "include")           # the admin votes too: now they may see it
    after = _page(client)
    assert "over <span data-items>3</span> records" in after and "ann, bob, root" in after


def test_a_reviewer_cannot_open_the_agreement_page(client, users):
    signin(client, "ann")
    assert client.get("/agreement").status_code == 403
