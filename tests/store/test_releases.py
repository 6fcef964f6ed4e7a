"""Versions of the review (store.releases): version 1.0 from init, refusals, PRISMA since the previous version,
immutability, the diff, the living-review triggers and the theme tags, on both back-ends."""

from collections import Counter
from datetime import datetime, timedelta

import pytest
from prisma_history import rec, search, vote, work
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from livereview.errors import ConfigError, ReleaseError
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.models import ReleaseWork, Work
from livereview.store.prisma import prisma_counts
from livereview.store.releases import (
    diff,
    fired_triggers,
    get_release,
    open_items,
    record_baseline,
    release,
    releases,
    tag_theme,
    verify,
)
from livereview.store.runs import finish_run, start_run


@pytest.fixture
def two_reviewers(protocol):
    """The bundled protocol with two reviewers per record, as the PRISMA history voted."""
    return protocol.model_copy(update={"review": protocol.review.model_copy(update={"reviewers_per_record": 2})})


@pytest.fixture
def history(engine, two_reviewers):
    from prisma_history import build_history

    return build_history(engine, two_reviewers)


def _reasons(p):
    return [r for r, _ in p.exclusion_reasons]


def test_init_records_version_1_0_the_published_review_once(history, two_reviewers):
    from livereview.flows.init_store import init_store

    with reading(history) as s:
        rel = get_release(s, "1.0")
        snap = rel.snapshot
        rows = [(r.work_id, r.role, r.is_new) for r in s.scalars(select(ReleaseWork).where(
            ReleaseWork.release_id == rel.id))]
        seed = set(s.scalars(select(Work.id).where(Work.origin == "seed")))
        intact = verify(rel)
    assert (snap["version"], snap["previous"], snap["included_total"], snap["included_new"]) == ("1.0", None, 50, 0)
    assert Counter(r["domain"] for r in snap["included"]) == {"therapy-counselling": 43, "coaching": 7}
    assert {w for w, role, _ in rows if role == "included"} == seed
    # the 2023 team's screening was imported after init: not in 1.0's rows (PRISMA still counts it as previous)
    assert {w for w, role, _ in rows if role == "excluded"} == set()
    assert len(snap["extraction"]["rows"]) == 50 and "domain" in snap["extraction"]["fields"]
    assert {r["work_id"] for r in snap["extraction"]["rows"]} == seed
    assert snap["cutoff"].startswith("2024-01-01")   # the end of review.baseline_date, the published search date
    assert intact
    assert init_store(history, two_reviewers).baseline_recorded is False
    with transaction(history) as s:
        assert record_baseline(s, two_reviewers) is False
        assert [r.version for r in releases(s)] == ["1.0"]


def test_release_with_open_items_is_refused_naming_how_many_and_where(history, two_reviewers):
    with reading(history) as s:
        w3 = work(s, 3).id
        included_new = {work(s, 1).id, work(s, 9).id}
        items = open_items(s, included_new)
    assert items["conflicts"] == [w3]
    assert set(items["extractions"]) == included_new and set(items["appraisals"]) == included_new
    with pytest.raises(ReleaseError) as err, transaction(history) as s:
        release(s, two_reviewers, "2.0", actor="ann")
    msg = str(err.value)
    assert msg.startswith("version 2.0 not released: 5 open: 1 screening conflict (work ") and f"{w3})" in msg
    assert "2 unreconciled extractions (works " in msg and "2 unresolved appraisals (works " in msg
    assert "--allow-open" in msg and err.value.exit_code == 9
    with reading(history) as s:
        assert [r.version for r in releases(s)] == ["1.0"]


def test_release_2_0_counts_since_version_1_0_as_the_dashboard_does(history, two_reviewers):
    with transaction(history) as s:
        snap = release(s, two_reviewers, "2.0", actor="ann", allow_open=True)
    cutoff = datetime.fromisoformat(snap["cutoff"])
    with reading(history) as s:
        counts = prisma_counts(s, _reasons(two_reviewers), as_of=cutoff, reviewers_required=2)
        included = set(s.scalars(select(Work.id).where(Work.status == "included", Work.merged_into_id.is_(None))))
        new = {work(s, 1).id, work(s, 9).id}
        rel = get_release(s, "2.0")
        open_n = rel.open_items
        rows = [(r.work_id, r.role, r.is_new) for r in s.scalars(select(ReleaseWork).where(
            ReleaseWork.release_id == rel.id))]
    assert snap["prisma"] == counts.as_dict()        # the seed-based diagram: 1.0 is the seed
    assert (snap["previous"], snap["included_total"], snap["included_new"]) == ("1.0", len(included), 2)
    assert snap["prisma"]["previous_studies"] == 50 and snap["prisma"]["total_studies"] == snap["included_total"]
    assert snap["prisma"]["new_studies"] == snap["included_new"] and snap["prisma_problems"] == []
    assert {r["work_id"] for r in snap["included"] if r["new"]} == new
    assert {w for w, role, is_new in rows if role == "included" and is_new} == new
    assert sum(len(v) for v in snap["open"].values()) == open_n == 5
    # the search log slice: every search (5) and import (3) since 1.0's cut-off (2023-12-31), the protocol in force
    assert len(snap["search_log"]) == 5 + 3 and {e["database"] for e in snap["search_log"]} >= {"pubmed", "psycinfo"}
    assert [p["version"] for p in snap["protocol_versions"]] == [two_reviewers.review.version]


def test_version_3_counts_from_version_2_not_from_the_seed(history, two_reviewers):
    with transaction(history) as s:
        v2 = release(s, two_reviewers, "2.0", actor="ann", allow_open=True)
    later = utcnow()   # after 2.0's cut-off, before 3.0's
    with transaction(history) as s:
        run = start_run(s, "monitor", None, {})
        # a new study, and study 2 (excluded by version 2.0) found again under a new record id
        search(s, run, "pubmed", "core", [rec(20, "pubmed"), rec(2, "pubmed", source_id="pubmed-2-again")],
               filtered_out=4, when=later)
        finish_run(s, run.id, "succeeded", {})
        for who in ("ann", "bob"):
            vote(s, 20, "title-abstract", "include", who, when=later)
            vote(s, 20, "full-text", "include", who, when=later)
    with transaction(history) as s:
        v3 = release(s, two_reviewers, "3.0", actor="ann", allow_open=True)
    p = v3["prisma"]
    assert p["previous_studies"] == v2["included_total"] == 52      # version 2.0's total, not the seed's 50
    assert (p["new_studies"], p["total_studies"], v3["included_new"], v3["included_total"]) == (1, 53, 1, 53)
    # identified: the two new pubmed records, 4 dropped by the filter, and the records of the works 2.0 left open
    # (study 3 in conflict: pubmed-3, psycinfo-3; study 4: pubmed-4 and pubmed-5 merged into it; study 7:
    # openalex-7); the works 2.0 settled (1, 2, 6, 8, 9, notice 11, version 12) are not counted again
    assert p["databases"] == {"openalex": 1, "psycinfo": 1, "pubmed": 2 + 4 + 3}
    assert p["removed_by_automation"] == 4
    # duplicates: pubmed-5 (merged into 4), psycinfo-3 (study 3 again) and study 2 found again
    assert p["duplicates_removed"] == 3 and p["removed_other"] == 0
    assert v3["prisma_problems"] == []
    assert [e["database"] for e in v3["search_log"]] == ["pubmed"]
    d = diff(v2, v3)
    with reading(history) as s:
        assert [r["work_id"] for r in d["added"]] == [work(s, 20).id] and d["removed"] == []
    assert {"box": "Studies included in previous version of review", "old": 50, "new": 52} in d["prisma"]


def test_a_released_version_never_changes(history, two_reviewers):
    with transaction(history) as s:
        snap = release(s, two_reviewers, "2.0", actor="ann", allow_open=True)
        w1 = work(s, 1).id
    with transaction(history) as s:   # later: study 1 reopened and excluded, study 3's conflict settled
        vote(s, 1, "full-text", "reopened", "admin", when=utcnow(), is_final=True)
        vote(s, 1, "full-text", "exclude", "ann", when=utcnow(), reason="E1-topic")
        vote(s, 1, "full-text", "exclude", "bob", when=utcnow(), reason="E1-topic")
        vote(s, 3, "title-abstract", "exclude", "carol", when=utcnow(), is_final=True)
    with reading(history) as s:
        rel = get_release(s, "2.0")
        assert rel.snapshot == snap and verify(rel)
        assert s.get(Work, w1).status == "excluded"
        assert w1 in {r["work_id"] for r in rel.snapshot["included"]}
    for stmt in ("UPDATE releases SET included_total = 0", "DELETE FROM releases",
                 "UPDATE release_works SET is_new = false", "DELETE FROM release_works"):
        with pytest.raises(DBAPIError, match="immutable"), transaction(history) as s:
            s.execute(text(stmt))
    with reading(history) as s:
        assert get_release(s, "2.0").snapshot == snap


def test_an_existing_or_earlier_version_number_or_no_version_at_all_is_refused(history, two_reviewers):
    with transaction(history) as s:
        release(s, two_reviewers, "2.0", actor="ann", allow_open=True)
    for version, why in (("2.0", "version 2.0 is already released"),
                         ("1.5", "does not come after the latest version, 2.0"), ("0.9", "does not come after")):
        with pytest.raises(ReleaseError, match=why), transaction(history) as s:
            release(s, two_reviewers, version, actor="ann", allow_open=True)
    for version in ("two", "2", "v2.0", "2.0.0.1", "02.0", "2.0-beta", "", "3.0 "):
        with pytest.raises(ConfigError, match="is not a version number"), transaction(history) as s:
            release(s, two_reviewers, version, actor="ann", allow_open=True)
    with reading(history) as s:
        assert [r.version for r in releases(s)] == ["1.0", "2.0"]


def test_a_dry_run_writes_nothing(history, two_reviewers):
    with transaction(history) as s:
        snap = release(s, two_reviewers, "2.0", actor="ann", allow_open=True, dry_run=True)
    assert snap["included_new"] == 2
    with reading(history) as s:
        assert [r.version for r in releases(s)] == ["1.0"]


def test_the_living_rules_fire_with_the_moment_they_did(history, two_reviewers):
    with transaction(history) as s:
        release(s, two_reviewers, "2.0", actor="ann", allow_open=True)
    with reading(history) as s:
        assert fired_triggers(s, two_reviewers) == []
    first = utcnow() + timedelta(seconds=1)
    with transaction(history) as s:
        run = start_run(s, "monitor", None, {})
        search(s, run, "pubmed", "core", [rec(n, "pubmed") for n in (30, 31)], when=first)
        finish_run(s, run.id, "succeeded", {})
        work(s, 31).domain = "coaching"
        for i, n in enumerate((30, 31)):
            for who in ("ann", "bob"):
                vote(s, n, "title-abstract", "include", who, when=first + timedelta(minutes=i))
                vote(s, n, "full-text", "include", who, when=first + timedelta(minutes=i))
    rules = two_reviewers.living.model_copy(update={"new_version_includes": 2})
    strict = two_reviewers.model_copy(update={"living": rules})
    with reading(history) as s:
        fired = {t.kind: t for t in fired_triggers(s, strict, now=first + timedelta(minutes=5))}
    assert set(fired) == {"includes", "domain"}
    assert fired["domain"].since == first + timedelta(minutes=1)        # the coaching include
    assert fired["includes"].since == first + timedelta(minutes=1)      # the second new include
    assert "2 studies included since version 2.0" in fired["includes"].message


def test_theme_tags_go_on_includes_with_a_theme_the_protocol_names(history, two_reviewers):
    with transaction(history) as s:
        w1, w2 = work(s, 1).id, work(s, 2).id
        tag_theme(s, two_reviewers, w1, "effects", changes_conclusion=True, note="larger effect", reviewer="ann")
        tag_theme(s, two_reviewers, w1, "adherence", changes_conclusion=False, note=None, reviewer="ann")
    for args, message in (((w1, "colour"), "unknown theme 'colour'"), ((w2, "effects"), "not an included study")):
        with pytest.raises(ReleaseError, match=message), transaction(history) as s:
            tag_theme(s, two_reviewers, *args, changes_conclusion=False, note=None, reviewer="ann")
    with pytest.raises(ReleaseError, match="needs a --note"), transaction(history) as s:
        tag_theme(s, two_reviewers, w1, "perceptions", changes_conclusion=True, note=" ", reviewer="ann")
    with transaction(history) as s:
        snap = release(s, two_reviewers, "2.0", actor="ann", allow_open=True)
    assert [(t["theme"], t["changes_conclusion"]) for t in snap["themes"]] == [("adherence", False),
                                                                                 ("effects", True)]
