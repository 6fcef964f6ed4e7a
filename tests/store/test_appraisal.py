"""QATSDD appraisal (issue 21): the tool's items and arithmetic, two blind raters, resolution, refusals."""

import pytest
from includes import new_include
from sqlalchemy import func, select

from livereview.flows.init_store import init_store
from livereview.protocols.model import parse_protocol
from livereview.store import appraisal as ap
from livereview.store.db import reading, transaction
from livereview.store.models import AppraisalRecord, AuditEntry


def full(design, score=2, **over):
    return {n: over.get(f"i{n}", score) for n in ap.applicable_items(design)}


def test_the_tools_items_and_their_designs():
    assert len(ap.ITEMS) == 16
    assert ap.ITEMS[1][0] == "Explicit theoretical framework" and ap.ITEMS[8][0] == "Detailed recruitment data"
    assert [n for n, (_, d) in ap.ITEMS.items() if d == ap.QUANTITATIVE] == [9, 10]
    assert [n for n, (_, d) in ap.ITEMS.items() if d == ap.QUALITATIVE] == [11, 14]
    assert ap.max_score("quantitative") == ap.max_score("qualitative") == 42 and ap.max_score("mixed") == 48
    assert 11 not in ap.applicable_items("quantitative") and 9 not in ap.applicable_items("qualitative")
    assert ap.SCALE == {0: "Not at all", 1: "Very slightly", 2: "Moderately", 3: "Complete"}


def test_the_score_is_a_percentage_of_the_maximum_the_design_allows():
    assert ap.percent(full("quantitative", 3), "quantitative") == 100.0
    assert ap.percent(full("qualitative", 1), "qualitative") == round(100 * 14 / 42, 1)
    scores = full("mixed", 2, i1=0, i16=3)
    assert ap.percent(scores, "mixed") == round(100 * (2 * 14 + 0 + 3) / 48, 1)


@pytest.mark.parametrize(("scores", "message"), [
    ({**full("quantitative"), 3: 4}, "item 3: score 4 is outside 0-3"),
    ({**full("quantitative"), 3: -1}, "item 3: score -1 is outside 0-3"),
    ({**full("quantitative"), 3: "2.5"}, "item 3: score '2.5' is not 0, 1, 2 or 3"),
    ({**full("quantitative"), 11: 2}, "item 11 does not apply to a quantitative study"),
    ({**full("quantitative"), 17: 2}, "item 17 is not a QATSDD item"),
    ({k: v for k, v in full("quantitative").items() if k != 5}, "item 5 has no score"),
])
def test_bad_scores_are_refused(scores, message):
    with pytest.raises(ap.AppraisalError, match=message):
        ap.check_scores(scores, "quantitative")


@pytest.fixture
def store(engine, protocol):
    init_store(engine, protocol)
    return engine


def test_the_published_studies_are_not_appraised_with_the_reason(store):
    with reading(store) as s:
        resolved = ap.resolved_appraisals(s)
        assert len(resolved) == 50 and ap.open_appraisals(s) == []
        assert {(r["status"], r["reason"], r["percent"]) for r in resolved.values()} \
            == {("not appraised", ap.BASELINE_REASON, None)}


def test_two_blind_ratings_disagreements_and_a_third_reviewer(store, protocol):
    work = new_include(store)
    with transaction(store) as s:
        ap.submit_rating(s, protocol, work, "ann", status="scored", design="quantitative", scores=full("quantitative"))
    with reading(store) as s:
        assert ap.visible_ratings(s, work, "bob") == {} and set(ap.visible_ratings(s, work, "ann")) == {"ann"}
        assert ap.open_appraisals(s) == [work]
    with transaction(store) as s:
        ap.submit_rating(s, protocol, work, "bob", status="scored", design="quantitative",
                         scores=full("quantitative", i4=3, i9=0))
    with reading(store) as s:
        a, b = ap.ratings(s, work).values()
        assert ap.disagreements(a, b) == ["4", "9"]
        assert ap.open_appraisals(s) == [work]
    with transaction(store) as s:
        with pytest.raises(ap.AppraisalError, match="ann rated work .*: the third reviewer is someone else"):
            ap.resolve(s, protocol, work, "ann", method="third reviewer", status="scored", design="quantitative",
                       scores=full("quantitative"))
        with pytest.raises(ap.AppraisalError, match="cat did not rate work"):
            ap.resolve(s, protocol, work, "cat", method="discussion", status="scored", design="quantitative",
                       scores=full("quantitative"))
        ap.resolve(s, protocol, work, "cat", method="third reviewer", status="scored", design="quantitative",
                   scores=full("quantitative", i4=3), note="sample size argued in the methods")
    with reading(store) as s:
        final = ap.resolved_appraisals(s)[work]
        assert final["status"] == "scored" and final["resolved_by"] == "third reviewer" and final["max"] == 42
        assert final["percent"] == round(100 * (2 * 13 + 3) / 42, 1) and final["items"][4] == 3
        assert 11 not in final["items"] and ap.open_appraisals(s) == []
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "appraisal-resolved")).one()
        assert audit.details["disagreed"] == ["4", "9"] and audit.actor == "cat"


def test_two_ratings_that_agree_need_no_resolution(store, protocol):
    work = new_include(store)
    with transaction(store) as s:
        for rater in ("ann", "bob"):
            ap.submit_rating(s, protocol, work, rater, status="scored", design="mixed", scores=full("mixed", 3))
    with reading(store) as s:
        final = ap.resolved_appraisals(s)[work]
        assert final["resolved_by"] == "agreement" and final["percent"] == 100.0 and len(final["items"]) == 16


def test_not_appraised_needs_a_reason_and_is_not_a_zero(store, protocol):
    work = new_include(store)
    with transaction(store) as s:
        with pytest.raises(ap.AppraisalError, match="needs the reason"):
            ap.submit_rating(s, protocol, work, "ann", status="not appraised")
        ap.submit_rating(s, protocol, work, "ann", status="not appraised", reason="Book chapter")
        ap.submit_rating(s, protocol, work, "bob", status="scored", design="qualitative",
                         scores=full("qualitative", 0))
        ap.resolve(s, protocol, work, "bob", method="discussion", status="not appraised",
                   reason="Book chapter: the tool does not fit")
    with reading(store) as s:
        final = ap.resolved_appraisals(s)[work]
        assert final == final | {"status": "not appraised", "percent": None, "items": {},
                                 "reason": "Book chapter: the tool does not fit", "resolved_by": "discussion"}


def test_a_third_rater_or_a_non_rater_is_refused_and_nothing_stored(store, protocol):
    strict = parse_protocol(protocol.text.replace('raters = []', 'raters = ["ann", "bob", "cat"]', 1),
                            protocol.path)
    work = new_include(store)
    with pytest.raises(ap.AppraisalError, match="dan is not a rater"), transaction(store) as s:
        ap.submit_rating(s, strict, work, "dan", status="scored", design="quantitative", scores=full("quantitative"))
    with transaction(store) as s:
        ap.submit_rating(s, strict, work, "ann", status="scored", design="quantitative", scores=full("quantitative"))
        ap.submit_rating(s, strict, work, "bob", status="scored", design="quantitative", scores=full("quantitative"))
    with pytest.raises(ap.AppraisalError, match="cat is not a rater of work"), transaction(store) as s:
        ap.submit_rating(s, strict, work, "cat", status="scored", design="quantitative", scores=full("quantitative"))
    with pytest.raises(ap.AppraisalError, match="outside 0-3"), transaction(store) as s:
        ap.resolve(s, strict, work, "ann", method="discussion", status="scored", design="quantitative",
                   scores={**full("quantitative"), 1: 7})
    with reading(store) as s:
        assert s.scalar(select(func.count()).select_from(AppraisalRecord)
                        .where(AppraisalRecord.work_id == work)) == 2


def test_item_pairs_feed_the_weighted_kappa(store, protocol):
    from livereview.web.agreement import weighted_kappa

    works = [new_include(store, title=f"Study number {i} of homework") for i in range(3)]
    with transaction(store) as s:
        for i, work in enumerate(works):
            ap.submit_rating(s, protocol, work, "ann", status="scored", design="quantitative",
                             scores=full("quantitative", i))
            ap.submit_rating(s, protocol, work, "bob", status="scored", design="quantitative",
                             scores=full("quantitative", min(3, i + (i == 2))))
    with reading(store) as s:
        pairs = ap.item_pairs(s)
    assert pairs[1] == [(0, 0), (1, 1), (2, 3)] and pairs[11] == []
    assert weighted_kappa(pairs[1]) == pytest.approx(1 - (1 / 9 / 3) / (sum(
        ((i - j) / 3) ** 2 * a * b for i, a in ((0, 1), (1, 1), (2, 1)) for j, b in ((0, 1), (1, 1), (3, 1))) / 9))
