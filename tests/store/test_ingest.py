import pytest
from sqlalchemy import func, select

from livereview.records.model import Record, Relation
from livereview.store import screening
from livereview.store.db import transaction
from livereview.store.ingest import PriorDecision, Provenance, find_by_identifiers, ingest_records
from livereview.store.merge import merge_works, undo_merge
from livereview.store.models import AuditEntry, Decision, Notice, SourceRecord, Work, WorkLink


def rec(**kw):
    base = dict(source="pubmed", title="Homework compliance in cognitive therapy", authors=["Bryant, M. J."],
                year=1999, journal="Cognitive Therapy and Research")
    base.update(kw)
    return Record(**base)


def ingest(engine, records, prov=None, **kw):
    with transaction(engine) as s:
        return ingest_records(s, records, prov or Provenance(origin="search", query_name="core"), **kw)


def count(engine, model):
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_new_record_becomes_a_queued_work_with_its_source_record(engine):
    r = ingest(engine, [rec(source_id="111", pmid="111", doi="10.1/abc", raw="<x/>", raw_format="pubmed-xml")])
    assert r.counts["new"] == 1
    with transaction(engine) as s:
        w = s.scalars(select(Work)).one()
        assert (w.status, w.doi, w.pmid, w.origin) == ("queued", "10.1/abc", "111", "search")
        sr = s.scalars(select(SourceRecord)).one()
        assert (sr.work_id, sr.source, sr.source_id, sr.raw, sr.classification) == (
            w.id, "pubmed", "111", "<x/>", "new")


def test_the_same_record_again_changes_nothing(engine):
    records = [rec(source_id="1", pmid="1"), rec(source_id="2", pmid="2", title="Another paper")]
    ingest(engine, records)
    again = ingest(engine, records)
    assert again.counts["unchanged"] == 2
    assert count(engine, Work) == 2
    assert count(engine, SourceRecord) == 2


def test_a_second_source_with_the_same_doi_is_already_queued(engine):
    ingest(engine, [rec(source_id="1", pmid="1", doi="10.1/x")])
    r = ingest(engine, [rec(source="crossref", source_id="10.1/x", doi="10.1/x")])
    assert r.counts["already-queued"] == 1
    assert count(engine, Work) == 1
    assert count(engine, SourceRecord) == 2


def test_an_abstract_or_doi_arriving_later_is_a_metadata_update(engine):
    ingest(engine, [rec(source_id="7", pmid="7")])
    r = ingest(engine, [rec(source="europepmc", source_id="MED:7", pmid="7", doi="10.9/late", abstract="Text.")])
    assert r.counts["update"] == 1
    with transaction(engine) as s:
        w = s.scalars(select(Work)).one()
        assert (w.doi, w.abstract) == ("10.9/late", "Text.")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "metadata-update")).one()
        assert set(entry.details["fields"]) >= {"doi", "abstract"}


def test_an_identifier_known_only_from_a_source_record_still_matches(engine):
    ingest(engine, [rec(source_id="5", pmid="5", doi="10.5/a")])
    with transaction(engine) as s:  # another work already owns DOI 10.5/b, so it stays on the source record only
        ingest_records(s, [rec(source="crossref", source_id="x", pmid="5", doi="10.5/b")], Provenance(origin="search"))
        assert find_by_identifiers(s, {"doi": "10.5/b"}).pmid == "5"


def test_a_record_matching_an_included_work_is_in_corpus(engine):
    prov = Provenance(origin="seed", prior=PriorDecision("include", "full-text", "team"))
    ingest(engine, [rec(source="seed:x", source_id="S01", doi="10.1023/a:1")], prov)
    r = ingest(engine, [rec(source="crossref", source_id="10.1023/a:1", doi="10.1023/a:1")])
    assert r.counts["in-corpus"] == 1


def test_prior_decisions_set_status_and_are_audited(engine):
    prov = Provenance(origin="import", prior=PriorDecision("exclude", "title-abstract", "2023 team", "E3"))
    ingest(engine, [rec(source="wos", source_id="WOS:1", title="Homework in schools")], prov)
    with transaction(engine) as s:
        w = s.scalars(select(Work)).one()
        assert w.status == screening.EXCLUDED
        d = s.scalars(select(Decision)).one()
        assert (d.reviewer, d.reason, d.is_final, d.origin) == ("2023 team", "E3", True, "import")
        assert s.scalars(select(AuditEntry.action)).all() == ["decision"]


def test_a_retraction_of_a_known_work_raises_one_notice(engine):
    ingest(engine, [rec(source_id="9", pmid="9")])
    retracted = rec(source="pubmed", source_id="9", pmid="9", is_retracted=True,
                    relations=[Relation("retraction-in", "pmid", "99")], publication_types=["Retracted Publication"])
    r = ingest(engine, [retracted])
    assert r.counts["notice"] == 1
    again = ingest(engine, [retracted])
    assert again.counts["unchanged"] == 1
    with transaction(engine) as s:
        w = s.scalars(select(Work)).one()
        assert w.is_retracted
        kinds = s.scalars(select(Notice.kind)).all()
        # one retraction, one notice: the RetractionIn link (which names the notice); the record flag adds none
        assert kinds.count("retraction") == 1
        assert s.scalars(select(Notice.evidence)).all() == ["pubmed: retraction-in pmid 99"]
        assert s.scalars(select(WorkLink.kind)).all() == ["retraction-in"]


def test_a_retraction_notice_flags_its_target_and_is_not_queued(engine):
    ingest(engine, [rec(source_id="20", pmid="20", doi="10.2/orig")])
    notice = rec(source="crossref", source_id="10.2/notice", doi="10.2/notice", title="Retraction notice",
                 publication_types=["retraction"], relations=[Relation("retraction-of", "doi", "10.2/orig")])
    r = ingest(engine, [notice])
    assert r.counts["notice"] == 1
    with transaction(engine) as s:
        orig = s.scalars(select(Work).where(Work.doi == "10.2/orig")).one()
        note = s.scalars(select(Work).where(Work.doi == "10.2/notice")).one()
        assert orig.is_retracted and orig.status == screening.QUEUED
        assert note.status == screening.NOTICE


def test_a_failing_batch_stores_nothing(engine):
    class Boom(Record):
        def content_hash(self, canonical=None):
            raise RuntimeError("parser bug")

    with pytest.raises(RuntimeError):
        ingest(engine, [rec(source_id="1", pmid="1"), Boom(source="pubmed", source_id="2", title="t")])
    assert count(engine, Work) == 0
    assert count(engine, SourceRecord) == 0


def test_merging_keeps_decisions_and_undo_restores_everything(engine):
    ingest(engine, [rec(source_id="1", pmid="1", title="A study of homework"),
                    rec(source="wos", source_id="W1", doi="10.1/dup", title="A study of homework.",
                        abstract="Abstract.")])
    with transaction(engine) as s:
        a, b = s.scalars(select(Work).order_by(Work.id)).all()
        screening.record_decision(s, b, reviewer="ann", stage="title-abstract", decision="include")
        m = merge_works(s, a, b, rule="manual", actor="ann")
        assert b.status == screening.DUPLICATE and b.merged_into_id == a.id
        assert (a.doi, a.abstract, b.doi) == ("10.1/dup", "Abstract.", None)
        assert [d.reviewer for d in s.scalars(select(Decision).where(Decision.work_id == a.id))] == ["ann"]
        assert a.status == screening.SCREENING
        assert find_by_identifiers(s, {"doi": "10.1/dup"}).id == a.id
        undo_merge(s, m.id, actor="ann")
        assert (a.doi, a.abstract, b.doi, b.merged_into_id) == (None, None, "10.1/dup", None)
        assert b.status == screening.SCREENING and a.status == screening.QUEUED
        assert s.scalars(select(Decision.work_id)).all() == [b.id]


def test_records_without_shared_identifiers_are_matched_by_the_fuzzy_stage(engine):
    from livereview.store.matching import matcher_for

    first = rec(source="pubmed", source_id="31", pmid="31", doi="10.1007/s10608-020-10151-y",
                title="Weekly self-ratings of treatment involvement and their relation to symptom reduction in "
                      "internet cognitive behavioral therapy for insomnia",
                authors=["Kraepelien, M.", "Blom, K.", "Jernelov, S.", "Kaldo, V."], year=2021, volume="45",
                pages="262-271")
    ingest(engine, [first])
    wos = rec(source="wos", source_id="WOS:1", title="Weekly self-ratings of treatment involvement and their "
              "relation to symptom reduction in Internet cognitive behavioral therapy for insomnia.",
              authors=["Kraepelien, Martin", "Blom, Kerstin", "Jernelöv, Susanna", "Kaldo, Viktor"], year=2021,
              journal="COGNITIVE THERAPY AND RESEARCH", volume="45", pages="262-71")
    with transaction(engine) as s:
        r = ingest_records(s, [wos], Provenance(origin="import"), matcher=matcher_for(s))
    assert r.counts["already-queued"] == 1
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Work)) == 1
        assert {sr.source for sr in s.scalars(select(SourceRecord))} == {"pubmed", "wos"}


def test_a_preprint_and_its_published_version_are_linked_and_screened_once(engine):
    from livereview.store.matching import matcher_for

    title = "Between-session homework engagement predicts outcome in executive coaching: a longitudinal study"
    authors = ["Smith, Jane", "Okafor, Chidi", "Larsen, Ida"]
    preprint = rec(source="europepmc", source_id="PPR:1", doi="10.31234/osf.io/abcde", title=title, authors=authors,
                   year=2024, journal="PsyArXiv", publication_types=["preprint"])
    published = rec(source="crossref", source_id="10.1080/17521882.2025.1", doi="10.1080/17521882.2025.1",
                    title=title, authors=authors, year=2025,
                    journal="Coaching: An International Journal of Theory, Research and Practice", volume="18",
                    pages="1-15")
    ingest(engine, [preprint])
    with transaction(engine) as s:
        r = ingest_records(s, [published], Provenance(origin="search"), matcher=matcher_for(s))
    assert r.counts["version"] == 1
    with transaction(engine) as s:
        pre, pub = s.scalars(select(Work).order_by(Work.id)).all()
        assert (pre.status, pub.status, pub.version_of_id) == ("queued", "version", pre.id)
        assert s.scalars(select(Notice.kind).where(Notice.work_id == pre.id)).all() == ["version"]


def test_a_record_whose_identifiers_join_two_works_merges_them_keeping_decisions(engine):
    ingest(engine, [rec(source="pubmed", source_id="41", pmid="41", title="Homework in CBT: a trial"),
                    rec(source="crossref", source_id="10.4/b", doi="10.4/b", title="Homework in CBT - a trial")])
    with transaction(engine) as s:
        a, b = s.scalars(select(Work).order_by(Work.id)).all()
        screening.record_decision(s, b, reviewer="ann", stage="title-abstract", decision="exclude", reason="E3")
    r = ingest(engine, [rec(source="europepmc", source_id="MED:41", pmid="41", doi="10.4/b")])
    assert r.counts["update"] + r.counts["already-queued"] == 1
    with transaction(engine) as s:
        a, b = s.scalars(select(Work).order_by(Work.id)).all()
        assert b.merged_into_id == a.id and b.status == screening.DUPLICATE
        assert (a.pmid, a.doi) == ("41", "10.4/b")
        assert [d.reason for d in s.scalars(select(Decision).where(Decision.work_id == a.id))] == ["E3"]
        assert a.status == screening.SCREENING


def test_apas_doubled_slash_and_the_single_slash_are_one_doi(engine):
    """S14's DOI as APA deposited it (10.1037//…) and as PubMed/Crossref give it (10.1037/…): the same work."""
    from livereview.records.normalise import normalise_doi

    prov = Provenance(origin="seed", prior=PriorDecision("include", "full-text", "team"))
    ingest(engine, [rec(source="seed:x", source_id="S14", doi=normalise_doi("10.1037//0022-006X.59.3.467"))], prov)
    r = ingest(engine, [rec(source="crossref", source_id="c", doi=normalise_doi("https://doi.org/10.1037/0022-006x.59.3.467"))])
    assert r.counts["in-corpus"] == 1 and count(engine, Work) == 1
    with transaction(engine) as s:
        assert s.scalars(select(Work)).one().doi == "10.1037/0022-006x.59.3.467"
