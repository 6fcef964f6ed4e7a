"""The queue puts likely includes first (the ranker's persisted scores) with the terms that raised each score,
and a decision retrains the ranker in the background — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time

from sqlalchemy import func, select
from starlette.testclient import TestClient
from webharness import add_works, post_form, signin

from livereview.flows.init_store import init_store
from livereview.store.db import reading, transaction
from livereview.store.models import UNSCORED, RankingRun, RankingScore, Work


def record(i: int) -> dict:
    return {"title": f"Homework assignments in counselling study {i}", "abstract": f"Between-session homework {i}.",
            "authors": [f"Author{i}, A"], "year": 2024, "journal": "J Couns Psychol", "pmid": str(39200000 + i)}


def queue_ids(client: TestClient, **params) -> list[int]:
    res = client.get("/queue", params=params)
    assert res.status_code == 200
    return [int(m) for m in re.findall(r'data-href="[^"]*/works/(\d+)', res.text)]


def test_the_queue_lists_the_highest_relevance_first_with_its_reasons_and_unscored_works_after(make_app, engine,
                                                                                              users):
    ids = add_works(engine, [record(i) for i in range(4)])
    with transaction(engine) as s:
        run = RankingRun(method="model", n_included=50, n_excluded=9, n_scored=3, seconds=0.1)
        s.add(run)
        s.flush()
        for wid, score in zip(ids[:3], (0.2, 0.9, 0.5), strict=True):   # what a training persists
            s.add(RankingScore(work_id=wid, ranking_run_id=run.id, score=score, why=["homework", f"term{wid}"]))
            s.get(Work, wid).relevance = score
    client = TestClient(make_app(), follow_redirects=False)
    assert signin(client, "ann").status_code == 303
    assert queue_ids(client) == [ids[1], ids[2], ids[0], ids[3]]           # by score; the unscored one last
    assert queue_ids(client, order="newest") == list(reversed(ids))
    page = client.get("/queue").text
    assert "relevance 0.90 · why: homework, term" in page


def test_a_decision_retrains_the_ranker_in_the_background_and_the_page_does_not_wait(make_app, engine, users,
                                                                                     protocol):
    init_store(engine, protocol)   # the 50 included studies: what the ranker first learns from
    ids = add_works(engine, [record(i) for i in range(6)])
    client = TestClient(make_app(retrain=True), follow_redirects=False)
    assert signin(client, "ann").status_code == 303
    res = post_form(client, f"/works/{ids[0]}/decision", {"stage": "title-abstract", "decision": "include",
                                                          "advance": "0"})
    assert res.status_code == 303
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with reading(engine) as s:
            scored = s.scalar(select(func.count()).select_from(RankingScore))
        if scored:
            break
        time.sleep(0.5)
    with reading(engine) as s:
        assert s.scalar(select(func.count()).select_from(RankingRun)) == 1
        assert {w for (w,) in s.execute(select(RankingScore.work_id))} >= set(ids[1:])
        # the queue's sort key follows the scores; works without one (the included studies) sort as unscored
        scores = dict(s.execute(select(RankingScore.work_id, RankingScore.score)).all())
        assert all(w.relevance == scores.get(w.id, UNSCORED) for w in s.scalars(select(Work)))
