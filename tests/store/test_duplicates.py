"""Duplicates reviewed by people (store.duplicates): what the matcher joined, the near misses it proposes, and
the corrections a person makes — on SQLite and PostgreSQL, through the real ingest and matcher."""

import pytest
from sqlalchemy import func, select

from livereview.records.model import Record
from livereview.store import duplicates as dup
from livereview.store import screening
from livereview.store.db import transaction
from livereview.store.ingest import PriorDecision, Provenance, ingest_records
from livereview.store.matching import matcher_for
from livereview.store.models import AuditEntry, Decision, DuplicatePair, Import, Run, SourceRecord, Work, WorkMerge

TITLE = "Homework compliance and outcome in cognitive behavioural therapy for depression: a randomised trial"


def rec(**kw):
    base = dict(source="pubmed", title=TITLE, authors=["Bryant, M. J.", "Simons, A. D.", "Thase, M. E."],
                year=1999, journal="Cognitive Therapy and Research", volume="23", pages="381-399")
    base.update(kw)
    return Record(**base)


def run_row(engine) -> int:
    with transaction(engine) as s:
        run = Run(flow="monitor", status="succeeded")
        s.add(run)
        s.flush()
        return run.id


def ingest(engine, records, run_id=None, import_id=None, prior=None):
    with transaction(engine) as s:
        prov = Provenance(origin="search", query_name="core", run_id=run_id, import_id=import_id, prior=prior)
        return ingest_records(s, records, prov, matcher=matcher_for(s))


def test_a_record_joined_by_a_rule_keeps_the_rule_and_an_identifier_match_says_so(engine):
    first = run_row(engine)
    ingest(engine, [rec(source_id="1", pmid="1")], run_id=first)
    second = run_row(engine)
    ingest(engine, [rec(source="crossref", source_id="10.1/a", doi="10.1/a", title=TITLE.upper()),
                    rec(source="europepmc", source_id="MED:1", pmid="1")], run_id=second)
    with transaction(engine) as s:
        rules = dict(s.execute(select(SourceRecord.source, SourceRecord.match_rule)).all())
        assert rules["pubmed"] is None and rules["europepmc"] == "identifier"
        assert rules["crossref"] not in (None, "identifier")
        [batch] = dup.batches(s)
        assert (batch.kind, batch.id, batch.joined, batch.merged, batch.open_pairs) == ("run", second, 1, 0, 0)
        [joined] = dup.joined_records(s, "run", second)
        assert joined.record.source == "crossref" and joined.work.pmid == "1"
        assert dup.explain_rule(joined.record.match_rule) != dup.explain_rule("no-rule")


def test_a_near_miss_is_proposed_once_and_an_answer_is_kept(engine):
    """Same title and journal, different author lists and pages: no rule holds, nothing vetoes: a near miss."""
    run = run_row(engine)
    ingest(engine, [rec(source_id="1", pmid="1")], run_id=run)
    ingest(engine, [rec(source="crossref", source_id="10.1/b", doi="10.1/b", authors=["Bryant, Mark"],
                        volume=None, pages="1-9", year=2000)], run_id=run)
    with transaction(engine) as s:
        [pair] = dup.pairs(s, "run", run)
        older = s.scalars(select(Work).where(Work.pmid == "1")).one()
        newer = s.scalars(select(Work).where(Work.doi == "10.1/b")).one()
        assert (pair.work_id, pair.other_id, pair.status) == (newer.id, older.id, "open")
        assert pair.score >= 0.7
    # the same window again: nothing new is proposed
    ingest(engine, [rec(source="crossref", source_id="10.1/b", doi="10.1/b", authors=["Bryant, Mark"],
                        volume=None, pages="1-9", year=2000)], run_id=run)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(DuplicatePair)) == 1
        dup.decide_pair(s, pair.id, "distinct", actor="ann")
    with transaction(engine) as s:
        assert s.get(DuplicatePair, pair.id).status == "distinct"
        assert s.scalar(select(func.count()).select_from(WorkMerge)) == 0
        with pytest.raises(dup.DuplicateReviewError, match="already answered"):
            dup.decide_pair(s, pair.id, "merge", actor="bob")
        actions = s.scalars(select(AuditEntry.action)).all()
        assert "not-duplicate" in actions


def test_merging_a_near_miss_moves_the_decisions_and_unmerge_puts_them_back(engine):
    from livereview.store.merge import undo_merge

    imp_id = None
    with transaction(engine) as s:
        imp = Import(path="/tmp/x.ris", sha256="0" * 64, source="psycinfo", format="ris")
        s.add(imp)
        s.flush()
        imp_id = imp.id
    ingest(engine, [rec(source_id="1", pmid="1")])
    ingest(engine, [rec(source="psycinfo", source_id="P1", authors=["Bryant, Mark"], volume=None, pages="1-9",
                        year=2000)], import_id=imp_id)
    with transaction(engine) as s:
        newer = s.scalars(select(Work).where(Work.pmid.is_(None))).one()
        screening.record_decision(s, newer, reviewer="ann", stage="title-abstract", decision="exclude", reason="E3")
        [pair] = dup.pairs(s, "import", imp_id)
        dup.decide_pair(s, pair.id, "merge", actor="admin")
    with transaction(engine) as s:
        pair = s.get(DuplicatePair, pair.id)
        older = s.get(Work, pair.other_id)
        assert pair.status == "merged" and pair.decided_by == "admin"
        assert s.get(Work, pair.work_id).merged_into_id == older.id
        assert [d.reviewer for d in s.scalars(select(Decision).where(Decision.work_id == older.id))] == ["ann"]
        m = s.scalars(select(WorkMerge)).one()
        assert m.rule == "reviewed" and dup.merges(s, None, None) == [m]
        undo_merge(s, m.id, actor="admin")
    with transaction(engine) as s:
        assert [d.work_id for d in s.scalars(select(Decision))] == [pair.work_id]


def test_splitting_a_joined_record_makes_it_a_work_and_keeps_decisions_where_they_were(engine):
    run = run_row(engine)
    ingest(engine, [rec(source_id="1", pmid="1")], run_id=run)
    with transaction(engine) as s:
        w = s.scalars(select(Work)).one()
        screening.record_decision(s, w, reviewer="ann", stage="title-abstract", decision="include")
    run2 = run_row(engine)
    ingest(engine, [rec(source="crossref", source_id="10.1/c", doi="10.1/c", title=TITLE.upper())], run_id=run2)
    with transaction(engine) as s:
        old = s.scalars(select(Work)).one()
        assert old.doi == "10.1/c"   # the join filled the DOI the work lacked
        [joined] = dup.joined_records(s, "run", run2)
        new = dup.split_record(s, joined.record.id, actor="admin")
        new_id, old_id = new.id, old.id
    with transaction(engine) as s:
        old, new = s.get(Work, old_id), s.get(Work, new_id)
        assert (old.doi, new.doi, new.status) == (None, "10.1/c", screening.QUEUED)
        sr = s.scalars(select(SourceRecord).where(SourceRecord.source == "crossref")).one()
        assert (sr.work_id, sr.match_rule, sr.classification) == (new_id, None, "new")
        assert [d.work_id for d in s.scalars(select(Decision))] == [old_id]
        pair = s.scalars(select(DuplicatePair)).one()
        assert (pair.work_id, pair.other_id, pair.status, pair.rule) == (new_id, old_id, "distinct", "split")
        assert dup.joined_records(s, "run", run2) == []
        with pytest.raises(dup.DuplicateReviewError, match="not joined by a matching rule"):
            dup.split_record(s, sr.id, actor="admin")
    # a rerun of the same window leaves the split record where the person put it
    ingest(engine, [rec(source="crossref", source_id="10.1/c", doi="10.1/c", title=TITLE.upper())], run_id=run2)
    with transaction(engine) as s:
        assert s.scalars(select(SourceRecord.work_id).where(SourceRecord.source == "crossref")).all() == [new_id]


def test_an_identifier_bridge_merge_names_its_run(engine):
    run = run_row(engine)
    ingest(engine, [rec(source_id="41", pmid="41", title="Homework in CBT: a trial"),
                    rec(source="crossref", source_id="10.4/b", doi="10.4/b", title="Another title entirely",
                        volume="24", pages="10-20")],
           run_id=run)
    run2 = run_row(engine)
    ingest(engine, [rec(source="europepmc", source_id="MED:41", pmid="41", doi="10.4/b")], run_id=run2,
           prior=PriorDecision(reviewer="seed", stage="title-abstract", decision="include"))
    with transaction(engine) as s:
        [m] = dup.merges(s, "run", run2)
        assert m.rule == "identifier-bridge"
        assert any(b.kind == "run" and b.id == run2 and b.merged == 1 for b in dup.batches(s))
