from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from livereview.digests.content import Period, collect, newest_first
from livereview.records.model import Record, Relation
from livereview.reports.growth import BASELINE
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.merge import merge_works
from livereview.store.models import Notice, SourceRecord, Work
from livereview.store.runs import register_protocol, start_run, start_source_run
from livereview.store.screening import record_decision

SEED_DOI = "10.1023/a:1018703901116"   # Bryant et al. 1999, an included seed study


def period_until_now(start):
    return Period(start, utcnow() + timedelta(seconds=1), "Europe/London")


def work_id(engine, **by):
    with reading(engine) as s:
        return s.scalars(select(Work.id).filter_by(**by)).one()


def collect_now(engine, protocol, period, **kw):
    with reading(engine) as s:
        return collect(s, protocol, period, **kw)


def test_candidates_are_the_periods_new_open_works_with_every_source_that_found_them(store, protocol, make_record,
                                                                                    ingest_into):
    ingest_into(store, [make_record(0)])        # before the period: not this digest's news
    start = utcnow()
    ingest_into(store, [make_record(1), make_record(2), make_record(3)])
    ingest_into(store, [make_record(1, source="crossref", source_id="10.5555/cand.1", pmid=None)])  # already queued
    ingest_into(store, [make_record(9, doi=SEED_DOI, pmid=None, source_id="x9")])   # known, with an abstract: update
    ingest_into(store, [Record(source="crossref", source_id=SEED_DOI, doi=SEED_DOI)])  # known, nothing new: in-corpus
    with transaction(store) as s:
        w3 = s.get(Work, work_id(store, pmid="40000003"))
        record_decision(s, w3, reviewer="ann", stage="title-abstract", decision="exclude", is_final=True)
    c = collect_now(store, protocol, period_until_now(start))
    assert [(i.doi, i.sources) for i in c.candidates] == [("10.5555/cand.2", ["pubmed"]),
                                                         ("10.5555/cand.1", ["crossref", "pubmed"])]
    assert c.counts.as_dict() == {
        "new_candidates": 2, "new_by_source": {"crossref": 1, "pubmed": 2}, "duplicates_removed": 3,
        "duplicates_by_kind": {"already-queued": 1, "in-corpus": 1, "update": 1}, "identified": 5, "screened": 1,
        "included": 50}   # the PRISMA boxes: 5 records identified (the two found for a seed study are the previous
    #                      version's), 1 record screened (excluded), 50 studies included (all from the previous version)
    assert c.more == 0


def test_a_work_merged_away_is_neither_a_candidate_nor_counted_as_identified(store, protocol, make_record,
                                                                            ingest_into):
    start = utcnow()
    ingest_into(store, [make_record(1), make_record(2, doi="10.5555/other", pmid="777", source_id="777")])
    with transaction(store) as s:
        kept, gone = s.get(Work, work_id(store, pmid="40000001")), s.get(Work, work_id(store, pmid="777"))
        merge_works(s, kept, gone, rule="test", actor="ann")
    c = collect_now(store, protocol, period_until_now(start))
    assert [i.pmid for i in c.candidates] == ["40000001"]
    # two records identified (before deduplication), one new work after it: the merged-away work is not counted
    assert (c.counts.identified, c.growth.records[-1], c.growth.identified[-1]) == (2, 2, 1)


def test_candidates_are_newest_first_capped_and_a_ranker_can_reorder_them(store, protocol, make_record, ingest_into):
    start = utcnow()
    ingest_into(store, [make_record(1, year=2023), make_record(2, year=2025), make_record(3, year=2024),
                        make_record(4, year=2025)])
    small = protocol.model_copy(update={"digest": protocol.digest.model_copy(update={"max_candidates": 3})})
    c = collect_now(store, small, period_until_now(start))
    assert [(i.year, i.pmid) for i in c.candidates] == [(2025, "40000004"), (2025, "40000002"), (2024, "40000003")]
    assert c.more == 1 and c.counts.new_candidates == 4

    def by_score(cands):
        scored = [replace(x, score=float(x.pmid[-1]) / 10) for x in cands]
        return sorted(scored, key=lambda x: x.score)

    c2 = collect_now(store, small, period_until_now(start), rank=by_score)
    assert [(i.pmid, i.score) for i in c2.candidates] == [("40000001", 0.1), ("40000002", 0.2), ("40000003", 0.3)]
    assert newest_first([]) == []


def test_unreported_notices_list_retractions_of_included_studies_first(store, protocol, make_record, ingest_into):
    start = utcnow()
    ingest_into(store, [make_record(1)])
    ingest_into(store, [make_record(1, source="europepmc", source_id="MED:40000001",
                                    relations=[Relation("erratum-in", "doi", "10.5555/erratum.1")])])
    ingest_into(store, [make_record(9, doi=SEED_DOI, pmid=None, source_id="r9",
                                    relations=[Relation("retraction-in", "doi", "10.5555/retraction.9")])])
    with transaction(store) as s:
        old = Notice(work_id=work_id(store, pmid="40000001"), kind="correction", evidence="already reported",
                     source="pubmed")
        s.add(old)
    c = collect_now(store, protocol, period_until_now(start))
    shown = [(n.kind, n.work_status, n.evidence, n.urgent) for n in c.notices if n.evidence != "already reported"]
    assert shown == [("retraction", "included", "pubmed: retraction-in doi 10.5555/retraction.9", True),
                     ("correction", "queued", "europepmc: erratum-in doi 10.5555/erratum.1", False)]
    with transaction(store) as s:   # a notice already put in a digest is not reported again
        s.execute(update(Notice).where(Notice.evidence == "already reported").values(digest_id=None))
        from livereview.store.models import DigestRecord

        d = DigestRecord(period_start=start, period_end=start, status="sent", subject="s")
        s.add(d)
        s.flush()
        s.execute(update(Notice).where(Notice.evidence == "already reported").values(digest_id=d.id))
    c = collect_now(store, protocol, period_until_now(start))
    assert "already reported" not in [n.evidence for n in c.notices]
    assert c.notices[0].link == f"https://doi.org/{SEED_DOI}"


def test_a_protocol_version_loaded_in_the_period_is_a_protocol_change(store, protocol):
    start = utcnow()
    with transaction(store) as s:
        register_protocol(s, "ia-coaching", "2.2.0", "b" * 64, "changed", None)
    c = collect_now(store, protocol, period_until_now(start))
    assert [(p.version, p.previous) for p in c.protocol_changes] == [("2.2.0", "2.1.0")]


def _source_run(s, run, source, status, *, error=None, counts=None, warnings=None):
    sr = start_source_run(s, run.id, source, "core", f"{source}:core", date(2026, 1, 1), date(2026, 1, 8), "q")
    sr.status, sr.error, sr.counts, sr.warnings = status, error, counts or {}, warnings or []
    sr.finished_at = utcnow()
    return sr


def test_source_health_shows_last_success_records_and_a_failing_source(store, protocol):
    start = utcnow()
    with transaction(store) as s:
        for _ in range(2):
            run = start_run(s, "monitor", None, {})
            _source_run(s, run, "pubmed", "succeeded", counts={"fetched": 12, "new": 3})
            _source_run(s, run, "crossref", "failed", error="crossref: HTTP 503 after 5 retries")
            _source_run(s, run, "openalex", "skipped", warnings=["no OpenAlex API key: skipped"])
    c = collect_now(store, protocol, period_until_now(start))
    health = {h.source: h for h in c.health}
    assert [h.source for h in c.health] == ["pubmed", "europepmc", "crossref", "openalex", "feeds"]
    assert (health["pubmed"].state, health["pubmed"].records, health["pubmed"].last_error) == ("ok", 24, None)
    assert health["pubmed"].last_success is not None
    assert (health["crossref"].state, health["crossref"].failures, health["crossref"].last_error) == (
        "failing", 2, "crossref: HTTP 503 after 5 retries")
    assert health["crossref"].last_success is None
    assert (health["openalex"].state, health["openalex"].last_error) == ("skipped", "no OpenAlex API key: skipped")
    assert health["europepmc"].state == "never run"
    assert [h.source for h in c.failing] == ["crossref"]
    assert c.heartbeat == "Nothing new this period, but crossref is failing (see source health below)."


def test_nothing_new_and_all_healthy_is_a_heartbeat(store, protocol):
    with transaction(store) as s:
        run = start_run(s, "monitor", None, {})
        for src in protocol.enabled_sources:
            _source_run(s, run, src, "succeeded", counts={"fetched": 0})
    c = collect_now(store, protocol, period_until_now(utcnow()))
    assert c.nothing_new and c.heartbeat == "Nothing new this period; all sources healthy."


def test_growth_is_cumulative_identified_and_included_per_day(store, protocol, make_record, ingest_into):
    ingest_into(store, [make_record(1), make_record(2)])
    old = datetime(2025, 6, 1, 12, tzinfo=UTC)
    with transaction(store) as s:
        s.execute(update(Work).where(Work.pmid == "40000001").values(created_at=old))
        s.execute(update(SourceRecord).where(SourceRecord.pmid == "40000001").values(fetched_at=old))
    c = collect_now(store, protocol, period_until_now(utcnow()))
    today = utcnow().date()
    # the 50 seed studies are the previous version: the starting level at the baseline, not a spike on the day
    # `init` loaded them; identified counts the new works found since then (on the day their record was found)
    assert c.growth.days == [BASELINE, date(2025, 6, 1), today]
    assert c.growth.identified == [0, 1, 2]
    assert c.growth.included == [50, 50, 50]


def test_without_fetched_counts_the_records_stored_by_the_period_runs_are_counted(store, protocol, make_record,
                                                                                   ingest_into):
    start = utcnow()
    with transaction(store) as s:
        run = start_run(s, "monitor", None, {})
        sr = _source_run(s, run, "europepmc", "succeeded")
        run_id, sr_id = run.id, sr.id
    ingest_into(store, [make_record(1, source="europepmc"), make_record(2, source="europepmc")],
                run_id=run_id, source_run_id=sr_id)
    c = collect_now(store, protocol, period_until_now(start))
    assert {h.source: h.records for h in c.health}["europepmc"] == 2


def test_the_digest_shows_the_top_fifteen_by_relevance_and_counts_the_rest(store, protocol, make_record,
                                                                         ingest_into):
    """The protocol's default: the 15 most likely includes, each with its score; the other new ones are "more"."""
    start = utcnow()
    ingest_into(store, [make_record(i, year=2025) for i in range(1, 41)])
    assert protocol.digest.max_candidates == 15

    def by_score(cands):
        return sorted((replace(x, score=int(x.pmid) % 97 / 100, why=("homework",)) for x in cands),
                      key=lambda x: -x.score)

    c = collect_now(store, protocol, period_until_now(start), rank=by_score)
    assert len(c.candidates) == 15 and c.more == 25 and c.counts.new_candidates == 40
    scores = [i.score for i in c.candidates]
    assert scores == sorted(scores, reverse=True) and all(i.why == ("homework",) for i in c.candidates)
    every = sorted((int(f"400000{i:02d}") % 97 / 100 for i in range(1, 41)), reverse=True)
    assert scores == every[:15]


def test_the_last_estimate_is_shown_beside_the_periods_actual_yield(store, protocol, make_record, ingest_into):
    from livereview.digests.render import render_text
    from livereview.store.estimates import record_estimate

    start = utcnow() - timedelta(days=7)
    assert collect_now(store, protocol, period_until_now(start)).volume is None     # never estimated: no line
    with transaction(store) as s:
        record_estimate(s, protocol.review.id, protocol.review.version, protocol.sha256, protocol.text, protocol.path,
                        {"capacity_per_week": 60, "per_week_total": 12.5, "sources": {}})
    ingest_into(store, [make_record(1)], query_name="coaching")
    ingest_into(store, [make_record(2), make_record(3)], query_name="therapy-counselling")
    c = collect_now(store, protocol, period_until_now(start))
    assert c.volume.startswith(f"Expected 12.5/week (estimate of {utcnow():%Y-%m-%d}, protocol 2.1.0); "
                               "this period 3 new (3.0/week; coaching 1; therapy-counselling 2); capacity 60/week")
    assert "Volume: Expected 12.5/week" in render_text(c)


def test_the_digest_reports_the_corpus_per_domain_with_records_found_by_both_counted_once_in_the_total(
        store, protocol, make_record, ingest_into):
    """Issue 19: as the paper reported 64 coaching / 1,273 therapy-counselling records."""
    from livereview.digests.render import render_text

    start = utcnow() - timedelta(days=7)
    ingest_into(store, [make_record(1), make_record(2)], query_name="coaching")
    ingest_into(store, [make_record(2), make_record(3), make_record(4)], query_name="therapy-counselling")
    c = collect_now(store, protocol, period_until_now(start))
    assert c.domains == ("coaching 2 records, 0 new included; therapy-counselling 3 records, 0 new included; "
                         "total 4 records, 0 new included (1 new work found by both queries: in each domain's "
                         "figure, once in the total)")
    assert f"Per domain: {c.domains}" in render_text(c)
