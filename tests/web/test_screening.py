"""Screening through the app (plain HTTP): independent votes, changes and undo, conflicts, full text, audit,
merges, the import path — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import select
from starlette.testclient import TestClient
from webharness import add_works, post_form, signin

from livereview.store import screening as sc
from livereview.store.db import reading, transaction
from livereview.store.merge import merge_works, undo_merge
from livereview.store.models import AuditEntry, Decision, Work

TA, FT = "title-abstract", "full-text"


def record(i: int, **kw) -> dict:
    return {"title": f"Homework assignments in counselling study {i}", "abstract": f"Between-session homework {i}.",
            "authors": [f"Author{i}, A"], "year": 2024, "journal": "J Couns Psychol", "pmid": str(39100000 + i), **kw}


def vote(client, wid, decision, stage=TA, **extra):
    return post_form(client, f"/works/{wid}/decision", {"stage": stage, "decision": decision, "advance": "0", **extra})


def status(engine, wid):
    with reading(engine) as s:
        return s.get(Work, wid).status


def audit_actions(engine, wid):
    with reading(engine) as s:
        return [(a.actor, a.action) for a in s.scalars(select(AuditEntry).where(AuditEntry.entity == "work",
                                                                              AuditEntry.entity_id == wid)
                                                       .order_by(AuditEntry.id))]


def test_two_agreeing_reviewers_send_a_record_to_full_text_and_full_text_includes_it(engine, as_user):
    [wid] = add_works(engine, [record(1)])
    assert vote(as_user("ann"), wid, "include").status_code == 303
    assert status(engine, wid) == sc.SCREENING
    vote(as_user("bob"), wid, "include")
    assert status(engine, wid) == sc.AWAITING_FULL_TEXT
    assert vote(as_user("ann"), wid, "exclude", FT).status_code == 400  # a reason is required at full text
    assert vote(as_user("ann"), wid, "exclude", FT, reason="no-such-reason").status_code == 400
    vote(as_user("ann"), wid, "include", FT)
    vote(as_user("bob"), wid, "include", FT)
    assert status(engine, wid) == sc.INCLUDED
    with reading(engine) as s:
        ft = s.scalars(select(Decision).where(Decision.work_id == wid, Decision.stage == FT)).all()
        assert {(d.reviewer, d.decision, d.report_retrieved, d.origin) for d in ft} == {
            ("ann", "include", True, "web"), ("bob", "include", True, "web")}


def test_a_report_not_retrieved_is_recorded_for_prisma(engine, as_user):
    [wid] = add_works(engine, [record(2)])
    vote(as_user("ann"), wid, "include")
    vote(as_user("bob"), wid, "include")
    vote(as_user("ann"), wid, "not-retrieved", FT)
    vote(as_user("bob"), wid, "not-retrieved", FT)
    assert status(engine, wid) == sc.EXCLUDED
    with reading(engine) as s:
        ft = s.scalars(select(Decision).where(Decision.work_id == wid, Decision.stage == FT)).all()
        assert {(d.decision, d.reason, d.report_retrieved) for d in ft} == {("exclude", "not-retrieved", False)}


def test_the_number_of_reviewers_per_record_comes_from_the_protocol(engine, users, make_app, protocol):
    three = protocol.model_copy(update={"review": protocol.review.model_copy(update={"reviewers_per_record": 3})})
    app = make_app(protocol=three)
    [wid] = add_works(engine, [record(3)], reviewers_required=3)
    for name in ("ann", "bob"):
        c = TestClient(app, follow_redirects=False)
        signin(c, name)
        vote(c, wid, "include")
    assert status(engine, wid) == sc.SCREENING  # two of three
    c = TestClient(app, follow_redirects=False)
    signin(c, "carol")
    assert "3 reviewers per record" in c.get(f"/works/{wid}").text
    vote(c, wid, "include")
    assert status(engine, wid) == sc.AWAITING_FULL_TEXT


def test_a_reviewer_changes_and_undoes_their_decision_until_the_record_is_resolved(engine, as_user):
    [wid] = add_works(engine, [record(4)])
    ann = as_user("ann")
    vote(ann, wid, "include")
    r = vote(ann, wid, "exclude", reason="E2")  # a second plain vote is never silent: refused, nothing written
    assert r.status_code == 409 and "Change my decision" in r.text
    assert vote(ann, wid, "exclude", reason="E2", change="1").status_code == 303  # the change action
    post_form(ann, f"/works/{wid}/undo", {"stage": TA})
    assert status(engine, wid) == sc.QUEUED
    with reading(engine) as s:  # nothing deleted: a change is a withdrawal plus a vote, the undo a withdrawal
        rows = s.scalars(select(Decision).where(Decision.work_id == wid).order_by(Decision.id)).all()
        assert [d.decision for d in rows] == ["include", sc.WITHDRAWN, "exclude", sc.WITHDRAWN]
    vote(ann, wid, "exclude")
    vote(as_user("bob"), wid, "exclude")
    assert status(engine, wid) == sc.EXCLUDED
    assert post_form(ann, f"/works/{wid}/undo", {"stage": TA}).status_code == 409
    assert vote(ann, wid, "include").status_code == 409
    assert audit_actions(engine, wid) == [
        ("ann", "decision"), ("ann", "decision"), ("ann", "decision"), ("ann", "decision-changed"),
        ("ann", "decision"), ("ann", "decision-undone"), ("ann", "decision"), ("bob", "decision")]
    with reading(engine) as s:
        changed = s.scalars(select(AuditEntry).where(AuditEntry.action == "decision-changed")).one()
        assert changed.details["before"]["decision"] == "include" and changed.details["after"]["decision"] == "exclude"


def test_a_conflict_is_resolved_by_an_admin_or_a_reviewer_who_did_not_screen_it_with_a_note(engine, as_user):
    [w1, w2] = add_works(engine, [record(5), record(6)])
    for wid in (w1, w2):
        vote(as_user("ann"), wid, "include")
        vote(as_user("bob"), wid, "exclude", reason="E3")
        assert status(engine, wid) == sc.CONFLICT
    form = {"stage": TA, "decision": "include", "note": "meets I1-I3 on reading the abstract"}
    assert post_form(as_user("bob"), f"/works/{w1}/resolve", form).status_code == 403
    assert post_form(as_user("root"), f"/works/{w1}/resolve", {**form, "note": " "}).status_code == 400
    assert post_form(as_user("root"), f"/works/{w1}/resolve", form).status_code == 303
    assert status(engine, w1) == sc.AWAITING_FULL_TEXT
    assert "Resolve conflict" in as_user("carol").get(f"/works/{w2}").text
    post_form(as_user("carol"), f"/works/{w2}/resolve", {**form, "decision": "exclude", "reason": "E3"})
    assert status(engine, w2) == sc.EXCLUDED
    with reading(engine) as s:
        final = s.scalars(select(Decision).where(Decision.work_id == w2, Decision.is_final.is_(True))).one()
        resolved = s.scalars(select(AuditEntry).where(AuditEntry.action == "conflict-resolved",
                                                      AuditEntry.entity_id == w2)).one()
        assert (final.reviewer, final.decision, final.reason) == ("carol", "exclude", "E3")
        assert resolved.details["votes"] == {"ann": "include", "bob": "exclude"}


def test_needs_my_decision_shows_only_what_i_have_not_screened(engine, as_user):
    ids = add_works(engine, [record(i) for i in range(10, 14)])
    vote(as_user("ann"), ids[0], "include")
    html = as_user("ann").get("/queue?mine=1").text
    shown = {wid for wid in ids if f'/works/{wid}?' in html}
    assert shown == set(ids[1:])
    assert f"/works/{ids[0]}?" in as_user("bob").get("/queue?mine=1").text
    post_form(as_user("ann"), f"/works/{ids[0]}/undo", {"stage": TA})  # taken back: hers to decide again
    assert f"/works/{ids[0]}?" in as_user("ann").get("/queue?mine=1").text
    vote(as_user("ann"), ids[1], "include")
    vote(as_user("bob"), ids[1], "include")  # on to full text: everyone's to decide again, at that stage
    assert f"/works/{ids[1]}?" in as_user("ann").get("/queue?mine=1&stage=full-text").text
    # "needs my decision" does not mix the stages unless asked: title/abstract by default
    assert f"/works/{ids[1]}?" not in as_user("ann").get("/queue?mine=1").text
    assert f"/works/{ids[1]}?" in as_user("ann").get("/queue?mine=1&stage=any").text
    vote(as_user("ann"), ids[1], "include", FT)
    assert f"/works/{ids[1]}?" not in as_user("ann").get("/queue?mine=1&stage=full-text").text
    assert f"/works/{ids[1]}?" in as_user("bob").get("/queue?mine=1&stage=full-text").text


def test_the_queue_filters_by_source_stage_and_status_and_refuses_unknown_values(engine, as_user):
    [a] = add_works(engine, [record(20)], source="pubmed")
    [b] = add_works(engine, [record(21)], source="wos")
    ann = as_user("ann")
    html = ann.get("/queue?source=wos").text
    assert f"/works/{b}" in html and f"/works/{a}" not in html
    vote(ann, a, "include")
    vote(as_user("bob"), a, "include")
    html = ann.get("/queue?stage=full-text").text
    assert f"/works/{a}" in html and f"/works/{b}" not in html
    assert f"/works/{b}" in ann.get("/queue?status=queued").text
    assert ann.get("/queue?status=bogus").status_code == 400
    assert ann.get("/queue?order=bogus").status_code == 400


def test_the_queue_order_is_a_function_passed_in(engine, users, make_app):
    from livereview.store.models import Work as W
    from livereview.web.queue import newest_first

    ids = add_works(engine, [record(i) for i in range(30, 33)])
    app = make_app(orderings={"newest": newest_first, "oldest": lambda stmt: stmt.order_by(W.id.asc())})
    c = TestClient(app, follow_redirects=False)
    signin(c, "ann")

    def order(html):
        return sorted(ids, key=lambda wid: re.search(rf'href="/works/{wid}["?]', html).start())

    assert order(c.get("/queue").text) == sorted(ids, reverse=True)
    assert order(c.get("/queue?order=oldest").text) == sorted(ids)


def test_deciding_moves_on_to_the_next_record_in_the_same_queue_view(engine, as_user):
    ids = add_works(engine, [record(i) for i in range(40, 43)])
    newest = sorted(ids, reverse=True)
    r = post_form(as_user("ann"), f"/works/{newest[0]}/decision",
                  {"stage": TA, "decision": "include", "back": "mine=1"})
    assert re.fullmatch(rf"/works/{newest[1]}\?mine=1&recorded=\d+", r.headers["location"])


def test_decisions_survive_a_merge_and_an_unmerge_through_the_app(engine, as_user):
    [keep, dup] = add_works(engine, [record(50), record(51, pmid="39100999")])
    vote(as_user("ann"), dup, "exclude", reason="E4")
    with transaction(engine) as s:
        m = merge_works(s, s.get(Work, keep), s.get(Work, dup), rule="manual", actor="test")
        merge_id = m.id
    ann = as_user("ann")
    assert ann.get(f"/works/{dup}").headers["location"] == f"/works/{keep}"
    page = ann.get(f"/works/{keep}").text
    assert "Your decision" in page and "vote-exclude" in page and f"record {dup} merged into this one" in page
    with transaction(engine) as s:
        undo_merge(s, merge_id, actor="test")
    assert "Your decision" not in ann.get(f"/works/{keep}").text
    assert "Your decision" in ann.get(f"/works/{dup}").text


def test_the_import_path_and_the_app_write_the_same_decision_table(engine, as_user, protocol, fixtures):
    from livereview.flows.file_import import import_file
    from livereview.store.ingest import PriorDecision
    from livereview.store.queries import status_counts

    rep = import_file(engine, protocol, fixtures / "exports" / "pubmed_export.nbib", source="pubmed-manual",
                      prior=PriorDecision("exclude", TA, "2023 team", "E4"))
    assert rep.counts.get("new", 0) > 0
    with reading(engine) as s:
        wid = s.scalars(select(Decision.work_id).where(Decision.origin == "import")).first()
    page = as_user("root").get(f"/works/{wid}").text  # the admin sees the imported vote like any other
    assert "2023 team" in page and "vote-exclude" in page
    [new] = add_works(engine, [record(60)])
    vote(as_user("ann"), new, "include")
    vote(as_user("bob"), new, "include")
    with reading(engine) as s:
        rows = s.scalars(select(Decision).where(Decision.work_id.in_([wid, new]))).all()
        assert {d.origin for d in rows} == {"import", "web"}
        assert status_counts(s)[sc.AWAITING_FULL_TEXT] == 1


def test_a_double_submitted_first_vote_is_stored_once(engine, protocol, users):
    """Two requests with the same first vote at the same moment (a double click): the first holds the record's
    lock until it commits, the second then sees that vote and is refused — one row, not two."""
    import threading

    from livereview.store.accounts import User
    from livereview.web.errors import Conflict
    from livereview.web.review import decide

    [wid] = add_works(engine, [record(1)])
    outcome: list[str] = []
    with transaction(engine) as first:
        ann = first.scalars(select(User).where(User.name == "ann")).one()
        decide(first, first.get(Work, wid), ann, protocol, stage=TA, decision="include")

        def second() -> None:
            try:
                with transaction(engine) as s:
                    user = s.scalars(select(User).where(User.name == "ann")).one()
                    decide(s, s.get(Work, wid), user, protocol, stage=TA, decision="include")
                outcome.append("stored")
            except Conflict:
                outcome.append("refused")

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "the second vote went ahead while the first was not yet committed"
    thread.join(30)
    assert outcome == ["refused"]
    with reading(engine) as s:
        assert len(s.scalars(select(Decision).where(Decision.work_id == wid)).all()) == 1


def test_a_chased_record_says_which_included_studies_it_cites_or_is_cited_by(engine, as_user):
    """Issue 19: chased records skip the concept filter, so the record page shows why each came."""
    from livereview.store.chase import link_to_included

    included, chased, plain = add_works(engine, [record(1), record(2, title="A later trial"), record(3)])
    with transaction(engine) as s:
        link_to_included(s, chased, included, "forward", "openalex")
    page = as_user("ann").get(f"/works/{chased}").text
    assert "Why citation chasing brought it" in page
    assert f'href="/works/{included}"' in page and "cites included: " in page
    assert "Homework assignments in counselling study 1" in page
    assert "Why citation chasing brought it" not in as_user("ann").get(f"/works/{plain}").text
