"""Clustering never chains a false merge: no group holds conflicting identifiers or a vetoed pair."""

from __future__ import annotations

from livereview import dedup
from livereview.dedup.cluster import PairLink, cluster
from livereview.dedup.match import Verdict
from livereview.records.model import Record

BASE = dict(title="Sponsorship and IT vendor management of projects", authors=["Liu, Li", "Yetton, Philip"],
            year=2009, journal="Journal of Information Technology")


def test_a_record_matching_two_different_dois_joins_only_one_of_them():
    a = Record(source="t", source_id="a", doi="10.1057/jit.2009.2", **BASE)
    b = Record(source="t", source_id="b", **BASE)  # no DOI: a duplicate of both by title, authors and year
    c = Record(source="t", source_id="c", doi="10.1057/jit.2008.23", **BASE)
    result = dedup.find_duplicates([a, b, c])
    assert len(result.groups) == 1
    assert result.groups[0] in ([0, 1], [1, 2])
    assert len(result.refused) == 1


def test_a_reply_never_joins_the_article_through_a_third_record():
    article = Record(source="t", source_id="a", volume="24", pages="46-54", **BASE)
    copy = Record(source="t", source_id="b", **BASE)
    reply = Record(source="t", source_id="c", **{**BASE, "title": BASE["title"] + " - Reply"})
    result = dedup.find_duplicates([article, copy, reply])
    assert result.groups == [[0, 1]] and result.notice_pairs == []


def test_an_erratum_matched_by_title_alone_is_a_notice_pair_but_not_grouped():
    article = Record(source="t", source_id="a", volume="24", issue="1", pages="46-54", **BASE)
    copy = Record(source="t", source_id="b", **BASE)
    erratum = Record(source="t", source_id="c", volume="24", issue="3", pages="210",
                     **{**BASE, "title": "Erratum to: " + BASE["title"]})
    result = dedup.find_duplicates([article, copy, erratum])
    assert result.groups == [[0, 1]]
    assert result.notice_pairs == [(2, 0)]


def test_two_linked_corrections_join_their_article_despite_their_own_dois():
    title = BASE["title"]
    article = Record(source="t", source_id="a", volume="24", issue="1", pages="46-54", doi="10.1057/jit.2009.2",
                     **{**BASE, "title": f"{title}.[Erratum appears in J Inf Technol. 2009;24(3):210]"})
    same_issue = Record(source="t", source_id="b", volume="24", issue="1", pages="55", doi="10.1057/jit.2009.9",
                        **{**BASE, "title": "Correction: " + title})
    named = Record(source="t", source_id="c", volume="24", issue="3", pages="210", doi="10.1057/jit.2009.30",
                   **{**BASE, "title": f"{title} (vol 24, pg 46, 2009)"})
    result = dedup.find_duplicates([article, same_issue, named])
    assert result.groups == [[0, 1, 2]]
    assert result.notice_pairs == [(1, 0), (2, 0)]
    assert {(m.i, m.j, m.rule) for m in result.merged} == {(1, 0, "notice-same-issue"),
                                                          (2, 0, "notice-named-by-work")}


def test_one_article_published_twice_joins_its_two_dois():
    abstract = ("Project sponsorship is assumed to be critical to the success of information systems development"
                " and implementation, but its effect on vendor projects is rarely studied.")
    first = Record(source="t", source_id="a", volume="24", pages="46-54", doi="10.1057/jit.2009.2",
                   abstract=abstract, **BASE)
    again = Record(source="t", source_id="b", volume="25", pages="56-64", doi="10.1057/jit.2008.23",
                   abstract=abstract, **{**BASE, "year": 2010})
    result = dedup.find_duplicates([first, again])
    assert result.groups == [[0, 1]] and result.rule_for(0, 1) == "republished-same-abstract"


def test_an_undecided_pair_does_not_stop_a_join_but_a_veto_does():
    prepared = [dedup.prepare(Record(source="t", title=t)) for t in ("a", "b", "c")]
    links = [PairLink(0, 1, "rule", 0.9), PairLink(1, 2, "rule", 0.8)]

    def decide(rule):
        def pair(i, j):
            return Verdict("distinct", rule, 0.1) if {i, j} == {0, 2} else Verdict("duplicate", "rule", 0.9)
        return pair

    assert cluster(prepared, links, decide("notice-unplaced")).groups == [[0, 1, 2]]
    assert cluster(prepared, links, decide("notice-vs-work")).groups == [[0, 1]]


def test_cluster_refuses_links_that_would_join_different_pmids():
    prepared = [dedup.prepare(Record(source="t", title="x", pmid=p)) for p in ("111", None, "222")]
    links = [PairLink(0, 1, "rule", 0.9), PairLink(1, 2, "rule", 0.8)]
    out = cluster(prepared, links, lambda i, j: Verdict("duplicate", "rule", 0.9))
    assert out.groups == [[0, 1]]
    assert out.merged == [links[0]] and out.refused == [links[1]]


def test_cluster_refuses_a_join_when_any_cross_pair_is_vetoed():
    prepared = [dedup.prepare(Record(source="t", title=t)) for t in ("a", "b", "c")]
    links = [PairLink(0, 1, "rule", 0.9), PairLink(1, 2, "rule", 0.8)]

    def decide(i, j):
        return Verdict("distinct", "pages-differ", 0.1) if {i, j} == {0, 2} else Verdict("duplicate", "rule", 0.9)

    assert cluster(prepared, links, decide).groups == [[0, 1]]


def test_no_group_holds_two_dois_on_a_corpus_with_many_identifiers(corpus):
    records, _ = corpus(800, seed=5)
    # give every record its own DOI, then copy some titles with a second DOI: same citation, two works
    for i, r in enumerate(records):
        r.doi = f"10.5555/work.{i}" if i % 3 else None
    result = dedup.find_duplicates(records)
    for group in result.groups:
        dois = {records[i].doi for i in group if records[i].doi}
        assert len(dois) <= 1, (group, dois)
