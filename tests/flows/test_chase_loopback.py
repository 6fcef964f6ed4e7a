"""The monthly chase against the loopback replay server: real HTTP, recorded item shapes, the scheduled flow's code."""

from __future__ import annotations

from datetime import date

import pytest
from replay_server import Paper, homework_paper
from sqlalchemy import func, select

from livereview.digests.content import collect
from livereview.digests.service import plan_period
from livereview.flows.chase import execute_chase
from livereview.flows.init_store import init_store
from livereview.store.chase import connection_label, connections
from livereview.store.clock import utcnow
from livereview.store.db import transaction
from livereview.store.models import Notice, SourceRecord, Work, WorkLink

S36_DOI = "10.1037/0022-006x.73.4.742"   # Kazantzis, Lampropoulos & Deane 2005, an included study


@pytest.fixture
def store(engine, replay_protocol):
    init_store(engine, replay_protocol)
    return engine


def counts(engine) -> dict[str, int]:
    with transaction(engine) as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Work, SourceRecord, WorkLink, Notice)}


def test_the_chase_over_http_queues_a_citing_paper_raises_the_retraction_once_and_reruns_unchanged(
        store, settings, replay, replay_protocol):
    included = Paper(900, date(2005, 8, 1), title="A national survey of practicing psychologists' use and "
                     "attitudes toward homework in psychotherapy", abstract="Survey of psychologists.",
                     sources={"crossref", "openalex"}, doi=S36_DOI, retracted_by="10.1037/ccp0000999")
    citing = homework_paper(901, date(2026, 11, 2), cites=(S36_DOI,))
    off_topic = Paper(902, date(2026, 11, 3), title="Sleep duration in adolescents", abstract="Actigraphy cohort.",
                      cites=(S36_DOI,))
    replay.replay.add(included, citing, off_topic)

    summary = execute_chase(settings, replay_protocol, store, today=date(2026, 12, 1))
    assert summary["status"] == "succeeded", summary["errors"]
    # chased records pass language and type only (issue 19): the off-keywords paper comes too, ranked with the rest
    assert summary["methods"]["forward:openalex"] == {"fetched": 2, "filtered_out": 0, "new": 2, "linked": 2}
    assert summary["requests"]["crossref"] == 1 and summary["requests"]["openalex"] == 2
    with transaction(store) as s:
        work = s.scalars(select(Work).where(Work.doi == citing.doi)).one()
        assert work.status == "queued" and connection_label(connections(s, work.id)) == "cites 1 included study"
        notices = s.scalars(select(Notice.evidence)).all()
        assert notices == ["crossref: retraction-in doi 10.1037/ccp0000999"]
        content = collect(s, replay_protocol, plan_period(s, replay_protocol, now=utcnow()).period)
    assert [n.notice_link for n in content.notices if n.kind == "retraction"] == ["https://doi.org/10.1037/ccp0000999"]
    assert sorted((c.title, c.connection) for c in content.candidates) == sorted(
        [(citing.title, "cites 1 included study"), (off_topic.title, "cites 1 included study")])

    before = counts(store)
    again = execute_chase(settings, replay_protocol, store, today=date(2026, 12, 1))
    assert again["status"] == "succeeded" and again["chased"] == 0
    assert counts(store) == before
