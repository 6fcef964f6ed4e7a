"""PRISMA 2020 counts for the updated review, from a store with a known history: every box, on both back-ends."""

from datetime import date

import pytest
from prisma_history import D1, D2, D3, REASONS, build_history, vote

from livereview.store.db import reading, transaction
from livereview.store.prisma import cached_prisma_counts, prisma_counts


@pytest.fixture
def history(engine, protocol):
    return build_history(engine, protocol)


def test_every_box_of_the_diagram_matches_the_history(history):
    with reading(history) as s:
        c = prisma_counts(s, REASONS)
    assert (c.previous_studies, c.previous_reports) == (50, 51)
    assert c.databases == {"crossref": 2, "openalex": 3, "psycinfo": 2, "pubmed": 8 + 3}
    assert c.registers == {}
    assert c.identified == 18
    # 15 records stored for 11 works; 2 of those works belong to the previous version (seed 1, study 10)
    assert (c.duplicates_removed, c.removed_by_automation, c.removed_other) == (15 - 9, 3, 2)
    assert c.removed_other_by_kind == {"other version of a study already held": 1,
                                       "retraction or correction notice": 1}
    assert (c.awaiting_screening, c.records_screened, c.records_excluded) == (1, 6, 1)
    db = c.db
    assert (db.reports_sought, db.reports_not_retrieved, db.awaiting_assessment) == (5, 1, 1)
    assert (db.reports_assessed, db.reports_excluded, db.included) == (3, 2, 1)
    assert db.excluded_by_reason == {"E1-language": 1, "E1-design": 1}
    assert c.other_identified == {"citation-searching": 2}
    o = c.other
    assert (o.reports_sought, o.reports_not_retrieved, o.reports_assessed, o.included) == (1, 0, 1, 1)
    assert (c.new_studies, c.new_reports, c.total_studies, c.total_reports) == (2, 2, 52, 53)
    assert c.problems() == []


def test_as_of_a_past_date_shows_the_diagram_of_that_update(history):
    with reading(history) as s:
        before = prisma_counts(s, REASONS, as_of=date(2026, 1, 1))
        first = prisma_counts(s, REASONS, as_of=date(2026, 1, 31))
        second = prisma_counts(s, REASONS, as_of=D2.date())
    assert before.identified == 0 and before.previous_studies == 50 and before.problems() == []
    # before D3 study 7 was still excluded at title/abstract, and the second run had not found study 10
    assert first.databases["pubmed"] == 10 and first.identified == 17
    assert (first.records_excluded, first.db.reports_sought, first.db.reports_not_retrieved) == (2, 4, 0)
    assert second.identified == 18 and second.duplicates_removed == 6
    assert first.problems() == [] and second.problems() == []


def test_the_cache_is_reused_until_the_store_changes(history):
    with reading(history) as s:
        a = cached_prisma_counts(s, REASONS)
        assert cached_prisma_counts(s, REASONS) is a
    with transaction(history) as s:
        vote(s, 4, "full-text", "include", "ann", when=D3)
        vote(s, 4, "full-text", "include", "bob", when=D3)
    with reading(history) as s:
        b = cached_prisma_counts(s, REASONS)
    assert b is not a and b.new_studies == a.new_studies + 1 and b.db.awaiting_assessment == 0
    assert b.problems() == []


def test_rows_read_in_diagram_order_and_name_every_reason(history):
    with reading(history) as s:
        rows = prisma_counts(s, REASONS).rows()
    labels = [box for _, box, _ in rows]
    assert labels[0] == "Studies included in previous version of review"
    assert ("screening", "Reports excluded: E1-design", 1) in rows
    assert labels.index("Records screened") < labels.index("Reports sought for retrieval")
    assert rows[-1] == ("included", "Reports of total included studies", 53)


def test_works_the_citation_chase_found_are_counted_under_other_methods_not_databases(history):
    from prisma_history import rec, search

    from livereview.store.runs import start_run

    with transaction(history) as s:
        run = start_run(s, "chase", None, {})
        search(s, run, "citation-chase", "forward:openalex", [rec(40, "citation-chase"), rec(41, "citation-chase")],
               filtered_out=5)   # what the chase dropped by the protocol filter is not the databases' automation
    with reading(history) as s:
        c = prisma_counts(s, REASONS)
    assert "citation-chase" not in c.databases and c.identified == 18        # the databases arm is unchanged
    assert c.removed_by_automation == 3
    assert c.other_identified == {"citation-chase": 2, "citation-searching": 2}
    assert c.problems() == []


def test_the_diagram_on_any_day_from_one_pass_equals_the_diagram_counted_for_that_day(history):
    """prisma_series replays the store's events once; every point must equal a count made for that moment alone,
    including a conflict settled by a changed vote and that vote withdrawn again (the record leaves 'screened')."""
    from datetime import UTC, datetime, timedelta

    from livereview.store.prisma import prisma_series

    with transaction(history) as s:
        vote(s, 3, "title-abstract", "include", "bob", when=D3 + timedelta(hours=1))    # the conflict settles
        vote(s, 3, "title-abstract", "withdrawn", "bob", when=D3 + timedelta(hours=3))  # and opens again
    bounds = [datetime(2026, 1, 1, tzinfo=UTC), D1 + timedelta(seconds=1), D2, D2 + timedelta(days=1),
              D3 + timedelta(hours=1, minutes=30), D3 + timedelta(hours=2, minutes=30), D3 + timedelta(days=1)]
    with reading(history) as s:
        series = prisma_series(s, REASONS, bounds)
        single = [prisma_counts(s, REASONS, as_of=b) for b in bounds]
    assert [c.as_dict() for c in series] == [c.as_dict() for c in single]
    screened = [c.records_screened for c in series]
    assert screened[4] == screened[5] == screened[6] + 1   # in, then out again on withdrawal
    assert all(c.problems() == [] for c in series)


# -- per domain (issue 19): the paper's two named queries, each its own column, the total once per record ----------
def test_each_domain_counts_the_records_its_query_found_and_the_total_counts_each_once(history):
    from prisma_history import D2, rec, search

    from livereview.store.prisma import domain_counts
    from livereview.store.runs import finish_run, start_run

    with transaction(history) as s:
        run = start_run(s, "monitor", None, {})
        # study 1 (already included) is found by both queries; 20 only by coaching; 21 only by therapy-counselling,
        # whose search also had 2 records dropped by the concept filter
        search(s, run, "europepmc", "coaching", [rec(1, "europepmc"), rec(20, "europepmc")], when=D2)
        search(s, run, "europepmc", "therapy-counselling", [rec(1, "europepmc"), rec(21, "europepmc")],
               filtered_out=2, when=D2)
        finish_run(s, run.id, "succeeded", {})
        for who in ("ann", "bob"):
            vote(s, 21, "title-abstract", "exclude", who, when=D2, reason="E1-topic")
    with reading(history) as s:
        t = domain_counts(s, REASONS, ["coaching", "therapy-counselling"])
        whole = prisma_counts(s, REASONS)
    coaching, therapy = t.domains["coaching"], t.domains["therapy-counselling"]
    assert (coaching.identified, coaching.works, coaching.included, coaching.awaiting_screening) == (2, 2, 1, 1)
    assert (therapy.identified, therapy.removed_by_automation, therapy.works) == (4, 2, 2)
    assert (therapy.records_screened, therapy.records_excluded, therapy.included) == (2, 1, 1)
    # the record of study 1 found by both: in both columns, once in the total
    assert t.in_several == 1
    assert (t.total.identified, t.total.works, t.total.included) == (2 + 1 + 2, 3, 1)
    assert coaching.identified + therapy.identified == t.total.identified + 1
    assert whole.databases["europepmc"] == t.total.identified and whole.problems() == []
    assert ("total", "included", 1) in t.rows()


def test_a_protocol_with_only_core_has_no_domains_and_an_empty_table(history, protocol):
    from livereview.store.prisma import domain_counts

    with reading(history) as s:
        t = domain_counts(s, REASONS, [])
    assert t.domains == {} and t.total.identified == 0 and t.in_several == 0
    assert protocol.domains == ["coaching", "therapy-counselling"]
