"""The digest lists new candidates most-likely-include first, with the terms behind each score."""

from __future__ import annotations

from datetime import timedelta

from ranking_records import ingest, off_topic, on_topic

from livereview.digests.content import Period, collect, newest_first
from livereview.digests.render import render
from livereview.ranking import retrain
from livereview.store.clock import utcnow
from livereview.store.db import reading


def collect_now(engine, protocol, start, **kw):
    with reading(engine) as s:
        return collect(s, protocol, Period(start, utcnow() + timedelta(seconds=1), "Europe/London"), **kw)


def test_the_digest_ranks_by_learned_relevance_and_says_why(store, protocol):
    ingest(store, [off_topic(n) for n in range(10, 22)], prior="exclude")   # the team's earlier exclusions
    start = utcnow()
    ingest(store, [on_topic(1, year=2019), off_topic(1, year=2026), off_topic(2, year=2025)])
    retrain(store, protocol)
    newest = collect_now(store, protocol, start, rank=newest_first)
    assert newest.candidates[0].doi == "10.5555/off.1"
    ranked = collect_now(store, protocol, start)
    assert [c.doi for c in ranked.candidates][0] == "10.5555/on.1"
    top = ranked.candidates[0]
    assert top.score is not None and top.score > ranked.candidates[-1].score and top.why
    text = render(ranked).text
    assert f"(why: {', '.join(top.why)})" in text
    assert f"why: {', '.join(top.why)}</span>" in render(ranked).html


def test_before_any_training_the_digest_ranks_by_similarity_to_the_included_studies(store, protocol):
    start = utcnow()
    ingest(store, [off_topic(1, year=2026), on_topic(1, year=2019)])
    ranked = collect_now(store, protocol, start)
    assert [c.doi for c in ranked.candidates] == ["10.5555/on.1", "10.5555/off.1"]
    assert ranked.candidates[0].why
