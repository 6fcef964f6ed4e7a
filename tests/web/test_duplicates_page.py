"""The duplicates page (plain HTTP, SQLite and PostgreSQL): what the deduplication did per run, near misses to
decide; an admin merges, keeps apart, splits, unmerges (CSRF, audited); a reviewer sees but cannot change, and
nothing on the page tells anyone how another person voted."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from webharness import login, post_form, shot

from livereview.records.model import Record
from livereview.store import screening
from livereview.store.db import reading, transaction
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.matching import matcher_for
from livereview.store.models import AuditEntry, DuplicatePair, Run, SourceRecord, Work, WorkMerge

TITLE = "Homework compliance and outcome in cognitive behavioural therapy for depression: a randomised trial"


def rec(**kw):
    base = dict(source="pubmed", title=TITLE, authors=["Bryant, M. J.", "Simons, A. D.", "Thase, M. E."],
                year=1999, journal="Cognitive Therapy and Research", volume="23", pages="381-399")
    return Record(**{**base, **kw})


def ingest(engine, records, run_id):
    with transaction(engine) as s:
        ingest_records(s, records, Provenance(origin="search", query_name="core", run_id=run_id),
                       matcher=matcher_for(s))


@pytest.fixture
def batch(engine):
    """Run 1 stored the study; run 2 brought a copy joined by a rule and a near miss (pages 1-9 online first)."""
    with transaction(engine) as s:
        runs = [Run(flow="monitor", status="succeeded"), Run(flow="monitor", status="succeeded")]
        s.add_all(runs)
        s.flush()
        first, second = runs[0].id, runs[1].id
    ingest(engine, [rec(source_id="1", pmid="1")], first)
    with transaction(engine) as s:
        w = s.scalars(select(Work)).one()
        screening.record_decision(s, w, reviewer="ann", stage="title-abstract", decision="exclude", reason="E3")
    ingest(engine, [rec(source="crossref", source_id="10.1/a", doi="10.1/a", title=TITLE.upper()),
                    rec(source="psycinfo", source_id="P9", authors=["Bryant, Mark"], volume=None, pages="1-9",
                        year=2000)], second)
    return second


def the_pair(engine):
    """The near miss's (id, newer work, known work)."""
    with reading(engine) as s:
        p = s.scalars(select(DuplicatePair)).one()
        return p.id, p.work_id, p.other_id


def test_the_page_lists_the_batch_with_its_rule_and_near_miss_and_reveals_no_vote(as_user, batch):
    page = as_user("bob").get("/duplicates").text   # bob has not voted on anything
    assert f"run #{batch} (monitor)" in page
    assert "Joined by a matching rule" in page and TITLE.upper() in page
    assert "Nearly joined" in page and "1-9" in page and "381-399" in page
    for leak in ("ann", "E3", "exclude", "Exclude", "conflict"):
        assert leak not in page.split("<main", 1)[1].split("</main>", 1)[0], leak
    assert "Not a duplicate" not in page and "Split off" not in page   # a reviewer cannot change anything


def test_a_reviewer_cannot_change_and_a_post_without_csrf_is_refused(as_user, batch, engine):
    pair_id, newer, known = the_pair(engine)
    r = post_form(as_user("bob"), f"/duplicates/pairs/{pair_id}", {"answer": "merge"}, page="/duplicates")
    assert r.status_code == 403
    r = as_user("root").post(f"/duplicates/pairs/{pair_id}", data={"answer": "merge"})
    assert r.status_code == 403
    with reading(engine) as s:
        assert s.get(DuplicatePair, pair_id).status == "open"


def test_an_admin_merges_a_near_miss_then_unmerges_it(as_user, batch, engine):
    pair_id, newer, known = the_pair(engine)
    root = as_user("root")
    r = post_form(root, f"/duplicates/pairs/{pair_id}", {"answer": "merge", "batch": f"run-{batch}"},
                  page="/duplicates")
    assert r.status_code == 303 and r.headers["location"].endswith(f"/duplicates?batch=run-{batch}")
    with reading(engine) as s:
        m = s.scalars(select(WorkMerge)).one()
        assert (m.kept_id, m.merged_id, m.rule, m.actor) == (known, newer, "reviewed", "root")
        merge_id = m.id
    page = root.get("/duplicates?batch=manual").text
    assert f"merge-{merge_id}" in page and "Unmerge" in page
    assert post_form(root, f"/duplicates/merges/{merge_id}/undo", {"batch": "manual"},
                     page="/duplicates").status_code == 303
    with reading(engine) as s:
        assert s.get(WorkMerge, merge_id).undone_at is not None
        assert s.get(Work, newer).merged_into_id is None
        actions = set(s.scalars(select(AuditEntry.action)))
        assert {"merge", "merge-undone"} <= actions
    # answered twice: a clear refusal, nothing changes
    r = post_form(root, f"/duplicates/pairs/{pair_id}", {"answer": "distinct"}, page="/duplicates")
    assert r.status_code == 400 and "already answered" in r.text


def test_an_admin_splits_a_joined_record_off_and_keeps_the_pair_apart(as_user, batch, engine):
    with reading(engine) as s:
        sr = s.scalars(select(SourceRecord).where(SourceRecord.source == "crossref")).one()
        old_id, sr_id = sr.work_id, sr.id
    root = as_user("root")
    assert post_form(root, f"/duplicates/records/{sr_id}/split", {"batch": f"run-{batch}"},
                     page="/duplicates").status_code == 303
    with reading(engine) as s:
        moved = s.get(SourceRecord, sr_id)
        assert moved.work_id != old_id and s.get(Work, moved.work_id).status == screening.QUEUED
        pair = s.scalars(select(DuplicatePair).where(DuplicatePair.rule == "split")).one()
        assert (pair.status, pair.decided_by) == ("distinct", "root")
    page = root.get(f"/duplicates?batch=run-{batch}").text
    assert f"record-{sr_id}" not in page and "not a duplicate" in page


@pytest.mark.parametrize("answer", ["", "delete", "merge'; --"])
def test_an_unknown_answer_is_refused(as_user, batch, engine, answer):
    pair_id, newer, known = the_pair(engine)
    r = post_form(as_user("root"), f"/duplicates/pairs/{pair_id}", {"answer": answer}, page="/duplicates")
    assert r.status_code == 400
    with reading(engine) as s:
        assert s.get(DuplicatePair, pair_id).status == "open"


def focus_text(page) -> str:  # noqa: ANN001
    return page.evaluate("document.activeElement ? document.activeElement.textContent.trim() : ''")


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_in_a_browser_an_admin_answers_a_near_miss_by_keyboard(live_server, users, engine, batch, new_page):
    """Keyboard only, at desktop and phone width; screenshots: tests/artifacts/duplicates-*.png."""
    for width in (1280, 390):
        page = new_page(width, 900)
        login(page, live_server.url, "root")
        page.goto(live_server.url + "/duplicates")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"duplicates-{width}")
    for _ in range(60):  # Tab through the page to the pair's "Not a duplicate" button, then Enter
        page.keyboard.press("Tab")
        if focus_text(page) == "Not a duplicate":
            break
    else:
        pytest.fail("the 'Not a duplicate' button cannot be reached with the keyboard")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "not a duplicate · root" in page.inner_text("main")
    shot(page, "duplicates-answered-390")
    with reading(engine) as s:
        assert s.scalars(select(DuplicatePair.status)).all() == ["distinct"]
