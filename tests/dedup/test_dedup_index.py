"""MatchIndex (incremental, for the store) gives the same pairwise decisions as find_duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livereview import dedup
from livereview.dedup import MatchIndex
from livereview.records.model import Record

CASES = json.loads((Path(__file__).parent / "pair_cases.json").read_text(encoding="utf-8"))


def test_index_finds_what_find_duplicates_links(corpus):
    records, _ = corpus(1500, seed=11)
    result = dedup.find_duplicates(records)
    linked_later = {link.j for link in result.links}  # links are (earlier, later)
    index = MatchIndex()
    matched = set()
    for i, r in enumerate(records):
        m = index.match(r)
        if m is not None and m.kind == "duplicate":
            matched.add(i)
            assert dedup.decide(dedup.prepare(records[m.key]), dedup.prepare(r)).kind == "duplicate"
        index.add(i, r)
    assert matched == linked_later
    assert len(matched) > 300  # the corpus has 450 copies


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_index_match_kind_agrees_with_the_case(case):
    index = MatchIndex()
    index.add("known", Record.from_json_dict({"source": "case", **case["a"]}))
    m = index.match(Record.from_json_dict({"source": "case", **case["b"]}))
    if case["expect"] == "distinct":
        assert m is None
    else:
        assert m is not None and (m.key, m.kind) == ("known", case["expect"])
        assert m.rule and 0 < m.score <= 1


ARTICLE = dict(title="How do requirements evolve over time? A case study of enterprise software requirements",
               authors=["Schneider, Stefan", "Wollersheim, Jan"], year=2018,
               journal="Journal of Information Technology", volume="33", issue="2", pages="151-170")
ERRATUM = {**ARTICLE, "title": "Erratum to: " + ARTICLE["title"], "issue": "4", "pages": "380",
           "doi": "10.1057/s41265-018-0050-x"}


def test_a_new_notice_matches_the_stored_article_it_corrects():
    index = MatchIndex()
    index.add("article", Record(source="t", **ARTICLE))
    index.add("other", Record(source="t", **{**ARTICLE, "title": "Requirements engineering for cloud platforms"}))
    m = index.match(Record(source="t", **ERRATUM))
    assert m is not None and (m.key, m.kind, m.rule) == ("article", "notice", "notice-of-work")


def test_a_new_article_is_never_matched_as_the_notice_of_a_stored_notice():
    index = MatchIndex()
    index.add("erratum", Record(source="t", **ERRATUM))
    assert index.match(Record(source="t", **ARTICLE)) is None


def test_a_stored_duplicate_outranks_a_stored_article_for_a_new_notice():
    index = MatchIndex()
    index.add("article", Record(source="t", **ARTICLE))
    index.add("same-erratum", Record(source="t", **{**ERRATUM, "doi": None}))
    m = index.match(Record(source="t", **ERRATUM))
    assert m is not None and (m.key, m.kind) == ("same-erratum", "duplicate")


def test_best_match_is_the_duplicate_with_the_highest_score():
    base = dict(title="Complement dysfunction in hemolytic uremic syndrome", authors=["Zipfel, P. F.", "Skerka, C."],
                year=2006, journal="Current Opinion in Rheumatology")
    index = MatchIndex()
    index.add("partial", Record(source="t", **base))
    index.add("full", Record(source="t", volume="18", pages="548-555", **base))
    m = index.match(Record(source="t", volume="18", pages="548-55", **base))
    assert m is not None and m.key == "full" and m.kind == "duplicate"


def test_removed_keys_are_no_longer_matched_and_re_adding_replaces():
    r = Record(source="t", title="Complement dysfunction in hemolytic uremic syndrome", authors=["Zipfel, P."],
               year=2006, journal="Current Opinion in Rheumatology")
    index = MatchIndex()
    index.add("k", r)
    assert "k" in index and len(index) == 1
    index.remove("k")
    assert index.match(r) is None and len(index) == 0
    index.add("k", Record(source="t", title="Something else entirely about kidneys", year=2001))
    index.add("k", r)
    assert len(index) == 1 and index.match(r).key == "k"
    with pytest.raises(KeyError):
        index.remove("missing")


def test_a_primed_record_is_matched_on_the_keys_worked_out_elsewhere(corpus):
    """prime() hands over prepare(record) made in another process: match() uses it instead of preparing again."""
    records, _ = corpus(40, seed=3)
    index = MatchIndex()
    index.add("known", records[0])
    stranger = records[1]
    assert index.match(stranger) is None or index.match(stranger).key != "known"
    # keys of the known record itself, handed over for the stranger: the index must take them as given
    index.prime(stranger, dedup.prepare(records[0]))
    m = index.match(stranger)
    assert m is not None and (m.key, m.kind) == ("known", "duplicate")
    # used once: matched again, the stranger is prepared from its own fields
    again = index.match(stranger)
    assert again is None or again.key != "known"


def test_priming_is_by_the_record_object_and_bounded(corpus, monkeypatch):
    records, _ = corpus(40, seed=5)
    index = MatchIndex()
    index.add("known", records[0])
    twin = Record.from_json_dict(records[1].to_json_dict())  # equal fields, another object: not primed
    index.prime(records[1], dedup.prepare(records[0]))
    m = index.match(twin)
    assert m is None or m.key != "known"
    monkeypatch.setattr("livereview.dedup.index.PRIMED", 2)
    for r in records[2:5]:
        index.prime(r, dedup.prepare(records[0]))
    assert index.match(records[1]) is None or index.match(records[1]).key != "known"  # dropped: the oldest
    assert index.match(records[4]).key == "known"


def test_find_duplicates_prepared_takes_a_stream(corpus):
    records, _ = corpus(600, seed=13)
    listed = dedup.find_duplicates(records)
    streamed = dedup.find_duplicates_prepared(dedup.prepare(r) for r in records)
    assert (streamed.groups, streamed.version_pairs, streamed.notice_pairs, streamed.stats) == (
        listed.groups, listed.version_pairs, listed.notice_pairs, listed.stats)
    assert len(listed.groups) > 50
