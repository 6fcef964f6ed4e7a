"""The monthly chase on replayed responses: a retraction and a citing paper reach the queue and the digest."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from chase_replay import RETRACTED_DOI, TODAY, api_settings, clients, plain_text, replay
from sqlalchemy import func, select

from livereview.digests.service import create_digest
from livereview.flows.chase import execute_chase
from livereview.flows.init_store import init_store
from livereview.settings import Settings
from livereview.store.chase import connection_label, connections, other_methods_counts
from livereview.store.db import transaction
from livereview.store.models import Notice, SourceRecord, Work, WorkLink


@pytest.fixture
def settings(tmp_path) -> Settings:
    return api_settings(tmp_path)


@pytest.fixture
def store(engine, protocol):
    init_store(engine, protocol)
    return engine


def snapshot(engine) -> dict[str, int]:
    with transaction(engine) as s:
        return {name: s.scalar(select(func.count()).select_from(model)) for name, model in
                (("works", Work), ("records", SourceRecord), ("links", WorkLink), ("notices", Notice))}


def test_a_retraction_and_a_citing_paper_reach_the_queue_and_the_digest_and_a_rerun_changes_nothing(
        store, protocol, settings, tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        replay(rsps)
        summary = execute_chase(settings, protocol, store, clients=clients(settings), today=TODAY)
    assert summary["status"] == "succeeded", summary["errors"]
    assert summary["studies"] == 50 and summary["chased"] == 50 and summary["notices"] >= 1
    # issue 19: chased records pass language and type only, not the concept filter: the homework paper and the
    # sleep paper both come (ranking orders them; the record page says which included study each cites)
    assert summary["methods"]["forward:openalex"]["new"] == 2
    assert summary["methods"]["forward:openalex"]["filtered_out"] == 0
    # S19's deposited references come first (both on topic); S39's OpenAlex reference to one of them is a duplicate
    assert summary["methods"]["backward:crossref"]["new"] == 2
    assert summary["methods"]["backward:openalex"]["update"] == 1        # it adds the abstract Crossref lacked
    assert summary["methods"]["backward:openalex"]["filtered_out"] == 0
    # one DOI look-up for the 37 DOIs, one reference batch, one citing page
    assert summary["requests"]["openalex"] == 3
    assert summary["requests"]["crossref"] == 1                         # the 37 DOIs in one filter

    with transaction(store) as s:
        retracted = s.scalars(select(Work).where(Work.doi == RETRACTED_DOI)).one()
        assert retracted.is_retracted and retracted.status == "included"
        evidence = [n.evidence for n in s.scalars(select(Notice).where(Notice.work_id == retracted.id))]
        assert evidence == ["crossref: retraction-in doi 10.1037/ccp0000990"]   # raised once, with its notice
        citing = s.scalars(select(Work).where(Work.doi == "10.55555/chase.cite.1")).one()
        assert citing.status == "queued"
        assert connection_label(connections(s, citing.id)) == "cites 1 included study"
        ref = s.scalars(select(Work).where(Work.doi == "10.55555/chase.ref.1")).one()
        # found backward from S39 (OpenAlex) and from S19 (Crossref): one work, two connections
        assert connection_label(connections(s, ref.id)) == "cited by 2 included studies"
        off_keywords = s.scalars(select(Work).where(Work.doi == "10.55555/chase.cite.2")).one()
        assert connection_label(connections(s, off_keywords.id)) == "cites 1 included study"
        assert other_methods_counts(s) == {"backward": 3, "forward": 2, "total": 5}
        assert connection_label(connections(s, retracted.id)) is None

    made = create_digest(store, protocol, settings, outbox=tmp_path / "box", chart=False)
    text = " ".join(plain_text(Path(made.eml_path)).split())
    assert "Homework adherence in internet-delivered cognitive behavioural therapy for insomnia" in text
    assert "Found by: citation-chase (cites 1 included study)" in text
    assert "RETRACTION of an INCLUDED study: Practice makes progress?" in text
    assert "notice: <https://doi.org/10.1037/ccp0000990>" in text         # the notice's own link
    html = Path(made.html_path).read_text(encoding="utf-8")
    assert 'href="https://doi.org/10.1037/ccp0000990"' in html and "(cites 1 included study)" in html

    before = snapshot(store)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        replay(rsps)
        again = execute_chase(settings, protocol, store, clients=clients(settings), today=TODAY)
    assert again["chased"] == 0 and again["skipped_recent"] == 50       # chased today: nothing to fetch
    assert again["requests"]["openalex"] == 1                           # only the evidence watch's look-up
    assert snapshot(store) == before


def test_an_interrupted_budget_resumes_next_run_without_refetching(store, protocol, settings):
    tight = protocol.model_copy(update={"chase": protocol.chase.model_copy(update={"openalex_budget": 2,
                                                                                  "refresh_days": 0})})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        replay(rsps)
        first = execute_chase(settings, tight, store, clients=clients(settings), today=TODAY)
    assert first["deferred_budget"] == 1 and first["chased"] == 49      # S39 needs 2 more requests than left
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        replay(rsps)
        second = execute_chase(settings, protocol.model_copy(update={"chase": tight.chase.model_copy(
            update={"openalex_budget": 100})}), store, clients=clients(settings), today=TODAY)
    assert second["deferred_budget"] == 0 and second["methods"]["forward:openalex"]["new"] == 2
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        replay(rsps)
        third = execute_chase(settings, tight, store, clients=clients(settings), today=TODAY)
    # refresh_days 0: every study is looked at again, but nothing changed, so nothing is fetched but the look-up
    assert third["requests"]["openalex"] == 1 and third["deferred_budget"] == 0
    assert all(c.get("new", 0) == 0 for c in third["methods"].values())

