"""Blinding with three reviewers, over plain HTTP on SQLite and PostgreSQL: everything a reviewer who has not
voted can fetch is scanned for the others' votes; the conflict appears only with all three votes in; the
stages' reviewer counts, the change action, undo-last and an admin's reopen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from webharness import add_user, add_works, csrf_from, signin

from livereview.store import screening as sc
from livereview.store.db import reading
from livereview.store.models import AuditEntry, Decision, Work
from livereview.web.queue import STATUS_FILTERS

TA, FT = sc.TITLE_ABSTRACT, sc.FULL_TEXT
VOTERS = ("voterone", "votertwo")
NOTES = ("note-by-voter-one-xq", "note-by-voter-two-zk")


def record(i: int) -> dict:
    return {"title": f"Homework assignments in counselling study {i}", "abstract": f"Between-session homework {i}.",
            "authors": [f"Author{i}, A"], "year": 2024, "journal": "J Couns Psychol", "pmid": str(39500000 + i)}


@pytest.fixture
def team(engine, make_app, protocol):
    proto = protocol.model_copy(update={"review": protocol.review.model_copy(
        update={"reviewers_per_record": 3, "reviewers_full_text": 2})})
    for name in (*VOTERS, "blindthird", "fourthrev"):
        add_user(engine, name)
    add_user(engine, "teamadmin", admin=True)
    app = make_app(protocol=proto)
    clients: dict[str, TestClient] = {}

    def client(name: str) -> TestClient:
        if name not in clients:
            c = clients[name] = TestClient(app, follow_redirects=False)
            assert signin(c, name).status_code == 303
        return clients[name]

    return client


def post(c, path, data, page="/queue"):
    return c.post(path, data={**data, "csrf_token": csrf_from(c.get(page).text)})


def vote(c, wid, decision, stage=TA, **extra):
    return post(c, f"/works/{wid}/decision", {"stage": stage, "decision": decision, "advance": "0", **extra})


def status(engine, wid):
    with reading(engine) as s:
        return s.get(Work, wid).status


def everything(c, wids) -> dict[str, str]:
    """Every GET page and file a signed-in user can reach about these records."""
    paths = ["/queue", "/queue?mine=1", "/queue?mine=1&stage=any", "/queue?stage=full-text", "/dashboard", "/prisma",
             "/search-log", "/exports", "/agreement", "/duplicates", *(f"/queue?status={s}" for s in STATUS_FILTERS)]
    for wid in wids:
        paths += [f"/works/{wid}", f"/api/works/{wid}"]
    for st in ("queued", "all", "conflict"):
        paths += [f"/exports/download?fmt=csv&status={st}", f"/exports/download?fmt=asreview&status={st}"]
    out = {}
    for p in paths:
        r = c.get(p)
        assert r.status_code in (200, 403), (p, r.status_code)
        out[p] = r.text
    return out


def leaks(bodies: dict[str, str], wid: int) -> list[tuple[str, str]]:
    found = []
    for path, body in bodies.items():
        # the agreement page (admins only) names the reviewers it compares: it is about the team, not a record;
        # whether it may count records still taking votes is for that page (issue 24, "One set of numbers")
        # so does the dashboard's progress per reviewer (issue 20): counts of each one's decisions, never a direction
        names = () if path in ("/agreement", "/dashboard") else VOTERS
        for needle in (*names, *NOTES, "status-screening", "status-full-text-screening", 'class="others"',
                       'class="badge conflict"', '"status": "screening"', '"status":"screening"',
                       f"{wid},screening", "full-text-screening,"):
            if needle in body:
                found.append((path, needle))
        if path.startswith("/exports/download") and "csv" in path:
            for line in body.splitlines():
                if line.startswith(f"{wid},") and ",screening" in line:
                    found.append((path, line))
    return found


def test_a_reviewer_who_has_not_voted_can_fetch_nothing_of_the_others_votes(engine, team):
    [wid, other] = add_works(engine, [record(1), record(2)])
    vote(team(VOTERS[0]), wid, "include", note=NOTES[0])
    vote(team(VOTERS[1]), wid, "exclude", reason="E3", note=NOTES[1])
    assert status(engine, wid) == sc.SCREENING          # two of three disagree: not a conflict yet
    for name in ("blindthird", "teamadmin"):          # admins are no exception while votes are collected
        bodies = everything(team(name), [wid, other])
        assert leaks(bodies, wid) == [], name
        assert team(name).get(f"/api/works/{wid}").json()["status"] == sc.QUEUED
        assert f"/works/{wid}?" in team(name).get("/queue?mine=1").text
    # "screening" as a filter would list the records others voted on: it is the same list as "queued"
    assert team("blindthird").get("/queue?status=screening").text.count("work-row") == 2
    # the voters themselves see their own stage's votes once they voted
    assert NOTES[1] in team(VOTERS[0]).get(f"/works/{wid}").text

    vote(team("blindthird"), wid, "include")
    assert status(engine, wid) == sc.CONFLICT         # all three in and they disagree
    third = team("blindthird").get(f"/api/works/{wid}").json()
    assert {d["reviewer"] for d in third["stages"][TA]["others"]} == set(VOTERS)
    page = team("blindthird").get(f"/works/{wid}").text
    assert "Resolve conflict" not in page and 'class="badge conflict"' in page
    assert f"/works/{wid}?" not in team("blindthird").get("/queue?mine=1").text
    # a reviewer who did not vote may resolve it, and sees the votes to do so (nobody can vote any more)
    assert "Resolve conflict" in team("fourthrev").get(f"/works/{wid}").text


def test_a_second_plain_vote_is_refused_and_a_change_is_a_withdrawal_plus_a_vote(engine, team):
    [wid] = add_works(engine, [record(3)])
    c = team(VOTERS[0])
    assert vote(c, wid, "include").status_code == 303
    r = vote(c, wid, "exclude", reason="E3")
    assert r.status_code == 409 and "already decided" in r.text and "Change my decision" in r.text
    assert "Change my decision" in c.get(f"/works/{wid}").text
    assert 'name="change" value="1"' in c.get(f"/works/{wid}?change=1").text
    assert vote(c, wid, "exclude", reason="E3", change="1").status_code == 303
    with reading(engine) as s:
        rows = [(d.decision, d.reason) for d in s.scalars(select(Decision).order_by(Decision.id))]
        changed = s.scalars(select(AuditEntry).where(AuditEntry.action == "decision-changed")).one().details
    assert rows == [("include", None), (sc.WITHDRAWN, None), ("exclude", "E3")]
    assert changed["before"]["decision"] == "include"


def test_after_a_vote_next_is_the_next_record_needing_my_decision_and_u_undoes_the_last_vote(engine, team):
    ids = add_works(engine, [record(i) for i in range(10, 14)])
    newest = sorted(ids, reverse=True)
    c = team(VOTERS[0])
    vote(c, newest[1], "include")                     # already decided: "next" skips it
    r = post(c, f"/works/{newest[0]}/decision", {"stage": TA, "decision": "exclude", "reason": "E3", "back": ""})
    assert re.fullmatch(rf"/works/{newest[2]}\?recorded=\d+", r.headers["location"])
    page = c.get(r.headers["location"]).text
    assert re.search(rf"Recorded: <strong>Excluded #{newest[0]}, E3</strong>", page)
    r = post(c, "/undo-last", {})
    assert r.headers["location"] == f"/works/{newest[0]}"
    assert f"/works/{newest[0]}?" in c.get("/queue?mine=1").text
    for wid in newest[2:]:
        vote(c, wid, "maybe")
    r = post(c, f"/works/{newest[0]}/decision", {"stage": TA, "decision": "include", "back": "mine=1"})
    assert r.headers["location"].startswith("/queue?mine=1&done=")   # the last one: nothing left for me
    assert "Nothing left for you" in c.get(r.headers["location"]).text
    r = post(c, f"/works/{newest[0]}/decision", {"stage": TA, "decision": "exclude", "back": "mine=1"})
    assert r.status_code == 409                        # no silent second vote, even at the end


def test_reviewers_are_counted_per_stage_and_an_admin_reopens_a_decided_record_with_a_reason(engine, team):
    [wid] = add_works(engine, [record(20)])
    for name in (*VOTERS, "blindthird"):
        vote(team(name), wid, "include")
    assert status(engine, wid) == sc.AWAITING_FULL_TEXT
    vote(team(VOTERS[0]), wid, "include", FT)
    assert status(engine, wid) == sc.FULL_TEXT_SCREENING
    vote(team(VOTERS[1]), wid, "exclude", FT, reason="E3")
    assert status(engine, wid) == sc.FULL_TEXT_CONFLICT   # two at full text
    post(team("teamadmin"), f"/works/{wid}/resolve", {"stage": FT, "decision": "exclude", "reason": "E3",
                                                      "note": "sport setting"})
    assert status(engine, wid) == sc.EXCLUDED
    assert post(team(VOTERS[0]), f"/works/{wid}/reopen", {"reason": "x"}).status_code == 403
    assert post(team("teamadmin"), f"/works/{wid}/reopen", {"reason": " "}).status_code == 400
    assert post(team("teamadmin"), f"/works/{wid}/reopen", {"reason": "wrong criterion"}).status_code == 303
    assert status(engine, wid) == sc.AWAITING_FULL_TEXT   # the full-text stage is open again, votes set aside
    assert f"/works/{wid}?" in team(VOTERS[0]).get("/queue?mine=1&stage=full-text").text
    with reading(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "record-reopened")).one()
        assert entry.actor == "teamadmin" and entry.details["reason"] == "wrong criterion"
        assert entry.details["status_before"] == sc.EXCLUDED
