"""The one ingest decision (:func:`store.ingest.decide`): what a record is, from the record and what it matched,
without a store. Both the record-at-a-time path and the bulk path ask it (tests/store/test_ingest_bulk.py checks
they then store the same thing)."""

from types import SimpleNamespace

import pytest

from livereview.records.model import Record, Relation
from livereview.records.vocabulary import NoticeKind
from livereview.store import screening
from livereview.store.ingest import Decision, Matches, decide, find_matches
from livereview.store.merge import survivor


def rec(**kw):
    return Record(**{"source": "pubmed", "title": "Homework compliance in cognitive therapy", "year": 1999} | kw)


def work(wid=7, status=screening.QUEUED, origin="search"):
    return SimpleNamespace(id=wid, status=status, origin=origin)


def test_a_record_nothing_matched_is_a_new_queued_work():
    d = decide(rec(), Matches())
    assert d == Decision("new", screening.QUEUED, None)
    assert d.creates and d.indexed and d.settle([]) == "new"


@pytest.mark.parametrize(("status", "origin", "expected"), [
    (screening.QUEUED, "search", "already-queued"),
    (screening.INCLUDED, "search", "in-corpus"),
    (screening.EXCLUDED, "import", "in-corpus"),
    (screening.QUEUED, "seed", "in-corpus"),
])
def test_a_record_of_a_known_work_joins_it(status, origin, expected):
    d = decide(rec(), Matches(work(status=status, origin=origin), "identifier"))
    assert not d.creates and not d.indexed
    assert d.settle([]) == expected
    assert d.settle(["abstract"]) == "update"                           # it brought what the work lacked
    assert d.settle(["abstract"], notice_raised=True) == "notice"       # its relations raised a notice


def test_another_version_is_a_new_work_in_the_version_status():
    d = decide(rec(), Matches(version_of=work()))
    assert d == Decision("version", screening.VERSION, None) and d.indexed


def test_a_notice_matched_to_its_article_is_a_correction_unless_it_says_otherwise():
    assert decide(rec(), Matches(notice_for=work())) == Decision("notice", screening.NOTICE, NoticeKind.CORRECTION)
    retraction = rec(publication_types=["Retraction of Publication"])
    assert decide(retraction, Matches(notice_for=work())).notice_kind == NoticeKind.RETRACTION
    assert not decide(retraction, Matches(notice_for=work())).indexed


def test_a_record_that_is_a_notice_by_its_own_relations_is_a_notice_work():
    erratum = rec(relations=[Relation("erratum-for", "doi", "10.1/article")])
    assert decide(erratum, Matches()) == Decision("notice", screening.NOTICE, NoticeKind.CORRECTION)


class Lookup:
    """A stand-in store of three works, 2 merged into 3."""

    works_ = {1: work(1), 2: work(2), 3: work(3)}
    merged = {2: 3}

    def survivor(self, wid):
        return self.works_.get(survivor(wid, self.merged.get))


class Matcher:
    def __init__(self, kind, key=2, rule="fuzzy-title"):
        self.result = SimpleNamespace(kind=kind, key=key, rule=rule)

    def match(self, record):
        return self.result


def test_matches_prefer_identifiers_then_follow_a_fuzzy_match_to_the_surviving_work():
    assert find_matches(rec(), [work(1)], Lookup(), Matcher("duplicate")).rule == "identifier"
    dup = find_matches(rec(), [], Lookup(), Matcher("duplicate"))
    assert (dup.work.id, dup.rule) == (3, "fuzzy-title")                 # work 2 was merged into 3
    assert find_matches(rec(), [], Lookup(), Matcher("version")).version_of.id == 3
    assert find_matches(rec(), [], Lookup(), Matcher("notice")).notice_for.id == 3
    assert find_matches(rec(), [], Lookup(), None) == Matches()
    assert find_matches(rec(), [], Lookup(), Matcher("duplicate", key=99)) == Matches()   # gone from the store


def test_following_merges_stops_at_the_survivor_and_on_a_loop():
    assert survivor(1, {1: 2, 2: 3}.get) == 3
    assert survivor(5, {}.get) == 5
    assert survivor(1, {1: 2, 2: 1}.get) in (1, 2)
