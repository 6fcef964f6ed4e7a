"""The ranker on a real store (SQLite and PostgreSQL): what it learns from, what it persists, when it retrains."""

from __future__ import annotations

from ranking_records import ingest, off_topic, on_topic
from sqlalchemy import func, select

from livereview.ranking import rank, retrain, retrain_if_changed, scores_for, scores_or_rank
from livereview.store.db import reading, transaction
from livereview.store.models import RankingScore, Work
from livereview.store.screening import record_decision


def ids_by_doi(engine) -> dict[str, int]:
    with reading(engine) as s:
        return {doi: wid for wid, doi in s.execute(select(Work.id, Work.doi)) if doi}


def test_with_only_the_included_studies_the_queue_is_ranked_by_similarity_to_them_and_the_protocol(store,
                                                                                                   protocol):
    ingest(store, [off_topic(1), on_topic(1), off_topic(2)])
    run = retrain(store, protocol)
    assert run.method == "similarity" and run.n_included == 50 and run.n_excluded == 0 and run.n_scored == 3
    ids = ids_by_doi(store)
    with reading(store) as s:
        scores = scores_for(s, [ids["10.5555/on.1"], ids["10.5555/off.1"], ids["10.5555/off.2"]])
    on = scores[ids["10.5555/on.1"]]
    assert on[0] > max(scores[ids["10.5555/off.1"]][0], scores[ids["10.5555/off.2"]][0])
    assert any(t in ("homework", "therapy", "coaching") or "homework" in t for t in on[1])


def test_with_enough_decisions_the_model_learns_from_includes_and_imported_excludes(store, protocol):
    ingest(store, [off_topic(n) for n in range(10, 22)], prior="exclude")
    ingest(store, [off_topic(1), on_topic(1), on_topic(2), off_topic(2)])
    run = retrain(store, protocol)
    assert run.method == "model" and run.n_included == 50 and run.n_excluded == 12 and run.n_scored == 4
    ids = ids_by_doi(store)
    with reading(store) as s:
        ranking = rank(s, protocol)
    order = [w.work_id for w in ranking.scored]
    assert set(order[:2]) == {ids["10.5555/on.1"], ids["10.5555/on.2"]}
    assert all(0.0 <= w.score <= 1.0 for w in ranking.scored)
    assert ranking.scored[0].why, "an include-like work says why"


def test_retraining_replaces_every_score_and_only_open_works_are_scored(store, protocol):
    ingest(store, [off_topic(n) for n in range(10, 16)], prior="exclude")
    ingest(store, [on_topic(1), on_topic(2), off_topic(1)])
    first = retrain(store, protocol)
    ids = ids_by_doi(store)
    with transaction(store) as s:
        record_decision(s, s.get(Work, ids["10.5555/off.1"]), reviewer="ann", stage="title-abstract",
                        decision="exclude", is_final=True)
    second = retrain(store, protocol)
    assert second.id != first.id and second.n_excluded == first.n_excluded + 1
    with reading(store) as s:
        rows = list(s.execute(select(RankingScore.work_id, RankingScore.ranking_run_id)))
    assert {w for w, _ in rows} == {ids["10.5555/on.1"], ids["10.5555/on.2"]}
    assert {r for _, r in rows} == {second.id}


def test_retrain_if_changed_waits_for_new_works_an_include_or_a_batch_of_decisions(store, protocol):
    ingest(store, [on_topic(1), off_topic(1), off_topic(2), off_topic(3)])
    assert retrain_if_changed(store, protocol) is not None
    assert retrain_if_changed(store, protocol) is None
    ids = ids_by_doi(store)
    for n in (1, 2):
        with transaction(store) as s:
            record_decision(s, s.get(Work, ids[f"10.5555/off.{n}"]), reviewer="ann", stage="title-abstract",
                            decision="exclude")
    assert retrain_if_changed(store, protocol, batch=3) is None, "two excludes: the batch is not full"
    with transaction(store) as s:
        record_decision(s, s.get(Work, ids["10.5555/off.3"]), reviewer="ann", stage="title-abstract",
                        decision="exclude")
    assert retrain_if_changed(store, protocol, batch=3) is not None, "the third fills it"
    with transaction(store) as s:
        record_decision(s, s.get(Work, ids["10.5555/on.1"]), reviewer="ann", stage="title-abstract",
                        decision="include")
    assert retrain_if_changed(store, protocol) is not None
    ingest(store, [on_topic(3)])
    assert retrain_if_changed(store, protocol) is not None
    assert retrain_if_changed(store, protocol) is None


def test_works_without_a_persisted_score_are_ranked_on_the_spot(store, protocol):
    ingest(store, [on_topic(1), off_topic(1)])
    retrain(store, protocol)
    ingest(store, [on_topic(2), off_topic(2)])
    ids = ids_by_doi(store)
    wanted = [ids["10.5555/on.2"], ids["10.5555/off.2"]]
    with reading(store) as s:
        assert scores_for(s, wanted) == {}
        now = scores_or_rank(s, protocol, wanted)
        assert set(now) == set(wanted) and now[ids["10.5555/on.2"]][0] > now[ids["10.5555/off.2"]][0]
        assert s.scalar(select(func.count()).select_from(RankingScore)) == 2, "ranking on the spot writes nothing"


def test_an_empty_queue_trains_and_scores_nothing(store, protocol):
    run = retrain(store, protocol)
    assert run.n_scored == 0
    with reading(store) as s:
        assert scores_for(s, []) == {}
