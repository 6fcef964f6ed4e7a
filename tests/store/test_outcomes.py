"""What exports carry about decisions (store.outcomes, via store.queries.works_for_export) and the excluded-studies
table (store.prisma.excluded_reports) — on SQLite and PostgreSQL."""

from __future__ import annotations

from decided import NOTE, build_decided

from livereview.reports.excluded import excluded_studies, to_csv
from livereview.store.db import reading
from livereview.store.prisma import excluded_reports, prisma_counts
from livereview.store.queries import works_for_export

REASONS = ["E1-topic", "E1-language", "E1-date", "E1-expertise", "E1-design", "E2"]


def rows(engine, access="all"):
    with reading(engine) as s:
        return {r["id"]: r for r in works_for_export(s, "all", access=access)}


def test_closed_records_carry_their_decision_stage_reason_votes_and_resolutions(engine):
    w = build_decided(engine)
    r = rows(engine)
    assert [(r[w[n]]["final_decision"], r[w[n]]["decision_stage"], r[w[n]]["decision_reason"]) for n in range(1, 6)] \
        == [("include", "full-text", ""), ("exclude", "title-abstract", "E1-language"),
            ("exclude", "full-text", "E1-design"), ("exclude", "full-text", "E2"),
            ("exclude", "full-text", "not-retrieved")]
    three = r[w[3]]["votes"].split(" | ")
    assert three == ["title-abstract ann include", "title-abstract bob include",
                     'full-text ann exclude E1-design "' + " ".join(NOTE.split()) + '"',
                     "full-text bob exclude E1-design"]
    assert r[w[4]]["resolutions"] == 'full-text root (web) exclude E2 "not an intervention study"'
    assert r[w[1]]["resolutions"] == "" and r[w[1]]["pdf_sha256"] == ""


def test_open_records_show_their_stage_and_votes_only_to_whoever_may_see_them(engine):
    w = build_decided(engine)
    everything, admin, reviewer = rows(engine, "all"), rows(engine, "unblinded"), rows(engine, "closed")
    six, seven = w[6], w[7]
    assert everything[six]["votes"] == 'title-abstract ann exclude E1-topic "off topic"'
    assert (admin[six]["votes"], reviewer[six]["votes"]) == ("", "")      # still taking votes: blind
    assert admin[seven]["votes"] == "title-abstract ann include | title-abstract bob exclude E1-topic"
    assert reviewer[seven]["votes"] == ""                                    # a conflict is not closed
    for r in (everything, admin, reviewer):
        assert (r[six]["final_decision"], r[six]["decision_stage"], r[six]["decision_reason"]) == \
            ("", "title-abstract", "")
        assert r[w[3]]["votes"] == everything[w[3]]["votes"] != ""           # closed: everyone sees them


def test_the_excluded_studies_table_lists_what_the_reports_excluded_box_counts(engine, protocol):
    w = build_decided(engine)
    with reading(engine) as s:
        pairs = excluded_reports(s, REASONS)
        counts = prisma_counts(s, REASONS)
        table = excluded_studies(s, protocol.exclusion_reasons)
    assert sorted(pairs) == sorted([(w[3], "E1-design"), (w[4], "E2")])
    assert counts.db.reports_excluded == len(pairs) == 2 and counts.db.reports_not_retrieved == 1
    from collections import Counter
    assert dict(Counter(reason for _, reason in pairs)) == counts.db.excluded_by_reason
    assert [(t.record_id, t.study, t.reason) for t in table] == [(w[3], "Author3 et al. (2023)", "E1-design"),
                                                                  (w[4], "Author4 et al. (2024)", "E2")]
    assert table[1].reason_text == "Focuses on non-adult populations."
    text = to_csv(table)
    assert text.splitlines()[0] == "record_id,study,title,journal,year,doi,pmid,reason,reason_text"
    assert len(text.splitlines()) == 3
