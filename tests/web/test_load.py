"""Under load (issue 24): the sign-in check holds no pooled connection, no store endpoint runs on the event loop,
and many reviewers deciding at once get every decision answered and stored exactly once — on SQLite and
PostgreSQL. The timings are the page benchmark's job (``benchmarks/web_pages.py --load 20``), not these tests'."""

from __future__ import annotations

import inspect
import time

import pytest
from fastapi import Depends
from starlette.testclient import TestClient
from webharness import add_user, add_works, csrf_from, signin
from webload import reconcile, run_load

from livereview.store.accounts import User
from livereview.web.app import iter_routes
from livereview.web.context import current_user


def record(i: int) -> dict:
    return {"title": f"Homework between sessions in coaching, study {i}", "abstract": f"Inter-sessional tasks {i}.",
            "authors": [f"Author{i}, A"], "year": 2024, "journal": "J Couns Psychol", "pmid": str(39200000 + i)}


def test_sign_in_check_gives_its_connection_back_before_the_view_runs(make_app, engine, users):
    app = make_app()
    seen: dict[str, int] = {}

    @app.get("/_probe")
    def probe(user: User = Depends(current_user)) -> dict[str, str]:
        # a connection back in the pool was rolled back on return: none of ours idles in a transaction
        seen["checked_out"] = engine.pool.checkedout()
        return {"user": user.name}

    with TestClient(app, follow_redirects=False) as client:
        assert signin(client, "ann").status_code == 303
        resp = client.get("/_probe")
        assert resp.status_code == 200 and resp.json() == {"user": "ann"}
        assert seen["checked_out"] == 0
        assert client.get("/queue").status_code == 200
    assert engine.pool.checkedout() == 0   # and nothing is left checked out after a page either


def test_no_store_endpoint_runs_on_the_event_loop(app):
    """An ``async def`` endpoint doing store work blocks every other request while it waits for the database."""
    endpoints = [r.endpoint for r in iter_routes(app.routes) if getattr(r, "endpoint", None) is not None
                 and getattr(r.endpoint, "__module__", "").startswith("livereview.")]
    assert endpoints
    assert [e.__qualname__ for e in endpoints if inspect.iscoroutinefunction(e)] == []


@pytest.mark.slow
def test_twelve_reviewers_at_once_every_decision_answered_and_stored_once(live_server, engine):
    names = [f"rev{k:02d}" for k in range(1, 13)]
    for name in [*names, "onlooker"]:
        add_user(engine, name)
    ids = add_works(engine, [record(i) for i in range(12 * 40)])
    assignments = {name: ids[k::len(names)] for k, name in enumerate(names)}
    result = run_load(live_server.url, assignments, 4.0, timeout=60, bystander="onlooker", browse_ids=ids[:5])
    assert [(o.kind, o.error) for o in result.errors] == []
    assert len(result.answered) >= len(names)          # everybody got at least one decision through
    assert {o.reviewer for o in result.signins} == set(names)
    rec = reconcile(engine, result)
    assert rec.stored_not_answered == [] and rec.answered_not_stored == [] and rec.stored_twice == []
    assert rec.stored == rec.answered == len(result.answered)
    assert result.pages, "the bystander loaded pages meanwhile"
    deadline = time.monotonic() + 10   # a page's read session ends just after its response is sent
    while engine.pool.checkedout() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.pool.checkedout() == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_decision_the_store_cannot_take_in_time_is_answered_503_and_not_stored(app, engine, users, monkeypatch):
    """The writer lock held elsewhere past the bound: the reviewer is told nothing was saved, and nothing was."""
    from sqlalchemy import func, select

    from livereview.store import db as store_db
    from livereview.store.models import Decision

    ids = add_works(engine, [record(1)])
    monkeypatch.setattr(store_db, "WRITE_WAIT", 0.3)
    with TestClient(app, follow_redirects=False) as client:
        assert signin(client, "ann").status_code == 303
        token = csrf_from(client.get("/queue").text)
        with store_db.transaction(engine):    # another writer of this process holds the store
            resp = client.post(f"/works/{ids[0]}/decision",
                               data={"stage": "title-abstract", "decision": "include", "csrf_token": token})
        assert resp.status_code == 503 and "nothing was saved" in resp.text
        with store_db.reading(engine) as s:
            assert s.scalar(select(func.count()).select_from(Decision)) == 0
        resp = client.post(f"/works/{ids[0]}/decision",    # once the store is free the same vote goes through
                           data={"stage": "title-abstract", "decision": "include", "csrf_token": token})
        assert resp.status_code == 303
        with store_db.reading(engine) as s:
            assert s.scalar(select(func.count()).select_from(Decision)) == 1


def test_the_next_record_after_a_vote_reads_a_row_or_two_and_agrees_with_the_whole_list(engine):
    """Issue 24: the redirect after a vote finds the next record from the voted one's place in the ordering (a
    range read) — the same record the first 500 ids of both lists gave — for each ordering, ties included."""
    from sqlalchemy import select

    from livereview.store import screening as sc
    from livereview.store.db import reading, transaction
    from livereview.store.models import Work
    from livereview.web.queue import ORDERINGS, QueueFilter, _next_in_window, next_for_me

    ids = add_works(engine, [record(i) for i in range(24)])
    with transaction(engine) as s:
        for n, wid in enumerate(ids):
            w = s.get(Work, wid)
            w.relevance = (0.5, 0.9, 0.5, -1.0)[n % 4]          # ties, and unscored works
            if n % 5 == 0:                                     # some already voted on by ann, some by others
                sc.record_decision(s, w, reviewer="ann" if n % 2 else "bob", stage="title-abstract",
                                   decision="include")
    orderings = {**ORDERINGS, "mixed": lambda stmt: stmt.order_by(Work.relevance.desc(), Work.id.asc())}
    with reading(engine) as s:
        every = list(s.scalars(select(Work.id)))
        for order in orderings:
            for flt in (QueueFilter(order=order, mine=True), QueueFilter(order=order, stage="title-abstract")):
                for wid in every:
                    got = next_for_me(s, flt, wid, reviewer="ann", orderings=orderings)
                    assert got == _next_in_window(s, flt, wid, reviewer="ann", orderings=orderings, window=500), \
                        (order, flt, wid)
                    assert got != wid
