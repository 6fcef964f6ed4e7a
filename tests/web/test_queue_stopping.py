"""The queue shows the stopping rule's estimate — the digest's sentence, from the same function — and what the team
may stop screening once it holds; one reviewer's vote changes nothing another reviewer sees (blinding). On SQLite and
PostgreSQL, and in a real browser at desktop and phone width."""

from __future__ import annotations

import re

import pytest
from ranking_records import ingest, off_topic
from sqlalchemy import select
from starlette.testclient import TestClient
from webharness import login, post_form, shot, signin

from livereview.flows.init_store import init_store
from livereview.ranking import stop_estimate
from livereview.store.db import reading, transaction
from livereview.store.models import Work
from livereview.store.screening import record_decision


def corpus(engine, protocol) -> list[int]:
    """50 included studies, 200 excludes imported from an earlier screening, 10 records queued by a search."""
    init_store(engine, protocol)
    ingest(engine, [off_topic(n) for n in range(100, 300)], prior="exclude")
    ingest(engine, [off_topic(n) for n in range(1, 11)])
    with reading(engine) as s:
        return [s.scalars(select(Work.id).where(Work.doi == f"10.5555/off.{n}")).one() for n in range(1, 11)]


def resolve(engine, work_ids: list[int]) -> None:
    with transaction(engine) as s:
        for wid in work_ids:
            record_decision(s, s.get(Work, wid), reviewer="root", stage="title-abstract", decision="exclude",
                            is_final=True)


@pytest.fixture(autouse=True)
def _estimate_follows_every_vote(monkeypatch):
    """These tests vote and look at once: the queue recounts as soon as the inputs change (the app's bound of
    STOPPING_EVERY seconds between recounts is tested on its own below)."""
    monkeypatch.setattr("livereview.web.views.queue.STOPPING_EVERY", 0.0)


def test_a_summary_is_recounted_when_its_inputs_change_but_at_most_every_so_often(make_app):
    st = make_app().state.web
    calls = []
    inputs = [1]

    def compute():
        calls.append(inputs[0])
        return inputs[0] * 10

    assert st.cached_until_changed("k", lambda: inputs[0], compute, at_most_every=3600) == 10
    inputs[0] = 2                      # the inputs changed, but within the bound: the last value, no recount
    assert st.cached_until_changed("k", lambda: inputs[0], compute, at_most_every=3600) == 10
    assert st.cached_until_changed("k", lambda: inputs[0], compute) == 20   # no bound: recounted at once
    assert st.cached_until_changed("k", lambda: inputs[0], compute) == 20   # unchanged: not recounted
    assert calls == [1, 2]


def stopping_box(client: TestClient) -> str:
    res = client.get("/queue")
    assert res.status_code == 200
    found = re.search(r'<section class="stopping[^"]*" id="stopping".*?</section>', res.text, re.S)
    assert found, "no stopping estimate on the queue"
    return found.group(0)


def test_the_queue_shows_the_digests_estimate_and_what_may_stay_unscreened_once_it_holds(make_app, engine, users,
                                                                                         protocol):
    queued = corpus(engine, protocol)
    client = TestClient(make_app(), follow_redirects=False)
    assert signin(client, "ann").status_code == 303
    box = stopping_box(client)
    with reading(engine) as s:
        sentence = stop_estimate(s, protocol).sentence()
    assert sentence == ("screened 250 of 260; at least 95 % of includes found with 95 % confidence: not yet")
    assert sentence in box and "Keep screening" in box and "holds" not in box.split(">")[0]
    resolve(engine, queued[:7])
    box = stopping_box(client)   # a new decision: recomputed, not served from the page cache
    with reading(engine) as s:
        estimate = stop_estimate(s, protocol)
    assert estimate.holds and estimate.since is not None
    assert estimate.sentence() in box
    assert "screened 257 of 260" in box and "yes since" in box and "the 3 records left may stay unscreened" in box
    assert 'class="stopping holds"' in box
    assert "The team may stop title/abstract screening here: the 3 records not screened yet" in box


def test_one_reviewers_vote_changes_nothing_the_other_sees_until_the_record_is_resolved(make_app, engine, users,
                                                                                        protocol):
    queued = corpus(engine, protocol)
    app = make_app()
    ann, bob = TestClient(app, follow_redirects=False), TestClient(app, follow_redirects=False)
    assert signin(ann, "ann").status_code == 303 and signin(bob, "bob").status_code == 303
    before = stopping_box(bob)
    res = post_form(ann, f"/works/{queued[0]}/decision", {"stage": "title-abstract", "decision": "exclude",
                                                         "advance": "0"})
    assert res.status_code == 303
    with reading(engine) as s:
        assert s.get(Work, queued[0]).status == "screening", "one vote of two: the record is not resolved"
    assert stopping_box(bob) == before, "bob must not learn that ann voted"
    assert stopping_box(ann) == before
    res = post_form(bob, f"/works/{queued[0]}/decision", {"stage": "title-abstract", "decision": "exclude",
                                                         "advance": "0"})
    assert res.status_code == 303
    assert "screened 251 of 260" in stopping_box(bob), "both votes in: the record counts as screened"


def test_the_estimate_in_a_browser_at_desktop_and_phone_width(make_app, engine, users, protocol, new_page):
    from webharness import serve

    queued = corpus(engine, protocol)
    resolve(engine, queued[:7])
    with serve(make_app(), engine) as server:
        for width, name in ((1280, "queue-stopping-desktop"), (390, "queue-stopping-390")):
            page = new_page(width=width, height=844 if width < 500 else 900)
            login(page, server.url, "ann")
            page.goto(server.url + "/queue")
            box = page.locator("#stopping")
            assert box.is_visible()
            assert "yes since" in box.inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"
            shot(page, name)
