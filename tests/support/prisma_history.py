"""A store with a known history for the PRISMA tests (store counts, diagram, CLI, web pages): see build_history."""

from datetime import UTC, date, datetime

from sqlalchemy import select, update

from livereview.records.model import Record
from livereview.store.db import transaction
from livereview.store.ingest import PriorDecision, Provenance, ingest_records
from livereview.store.merge import merge_works, undo_merge
from livereview.store.models import Import, SourceRecord, Work
from livereview.store.runs import finish_run, start_run, start_source_run
from livereview.store.screening import VERSION, record_decision

D1, D2, D3 = (datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 2, 2, 9, tzinfo=UTC),
              datetime(2026, 3, 2, 9, tzinfo=UTC))
REASONS = ["E1-topic", "E1-language", "E1-date", "E1-design", "E2"]


def rec(n: int, source: str, **kw) -> Record:
    base = dict(source=source, source_id=f"{source}-{n}", title=f"Distinct study number {n} about homework {n * 7919}",
                doi=f"10.9999/prisma.{n}", year=2025, authors=[f"Author{n}, A."], journal="Journal of Tests")
    base.update(kw)
    return Record(**base)


def search(s, run, source, query, records, *, filtered_out=0, when=D1):
    sr = start_source_run(s, run.id, source, query, f"{source}:{query}", date(2026, 1, 1), date(2026, 1, 5), "q")
    report = ingest_records(s, records, Provenance(origin="search", run_id=run.id, source_run_id=sr.id,
                                                   query_name=query))
    sr.status, sr.counts = "succeeded", {"fetched": len(records) + filtered_out, "filtered_out": filtered_out}
    sr.started_at = sr.finished_at = when
    return report


def file_import(s, label, records, prior=None):
    imp = Import(path=f"/tmp/{label}.ris", sha256=label * 2, source=label, format="ris",
                 decision={"decision": prior.decision} if prior else None)
    s.add(imp)
    s.flush()
    ingest_records(s, records, Provenance(origin="import", import_id=imp.id, prior=prior))
    return imp


def work(s, n):
    return s.scalars(select(Work).where(Work.doi == f"10.9999/prisma.{n}")).one()


def vote(s, n, stage, decision, who, when=D1, **kw):
    record_decision(s, work(s, n), reviewer=who, stage=stage, decision=decision, decided_at=when, **kw)


def build_history(engine, protocol):
    """The store after ``init`` (50 included seed studies) and the history the docstring of each step tells."""
    from livereview.flows.init_store import init_store

    init_store(engine, protocol)
    with transaction(engine) as s:
        seed1, seed2 = s.scalars(select(Work).where(Work.origin == "seed", Work.doi.is_not(None))
                                 .order_by(Work.id).limit(2)).all()
        # the 2023 team's screening, imported with its decision: the previous version, not new records
        file_import(s, "2023-screening", [rec(10, "2023-screening")],
                    prior=PriorDecision("exclude", "title-abstract", "2023 team", "E1-topic"))
        run = start_run(s, "monitor", None, {})
        # pubmed: 6 studies, one seed study found again; 3 records dropped by the concept filter
        search(s, run, "pubmed", "core", [rec(i, "pubmed") for i in range(1, 7)] +
               [rec(99, "pubmed", doi=seed1.doi, title=seed1.title)], filtered_out=3)
        # the expansion block finds study 6 again: the same pubmed record, counted once
        search(s, run, "pubmed", "table1_alternatives", [rec(6, "pubmed")])
        search(s, run, "openalex", "core", [rec(1, "openalex"), rec(2, "openalex"), rec(7, "openalex")])
        search(s, run, "crossref", "core", [
            rec(11, "crossref", title="Retraction notice: a homework study", publication_types=["Retraction"]),
            rec(12, "crossref", title="Preprint version of a seed study")])
        w12 = work(s, 12)
        w12.version_of_id, w12.status = seed2.id, VERSION   # another version of a previous study
        finish_run(s, run.id, "succeeded", {})
        file_import(s, "psycinfo", [rec(8, "psycinfo"), rec(3, "psycinfo")])
        file_import(s, "citation-searching", [rec(9, "citation-searching"), rec(1, "citation-searching")])
        s.execute(update(SourceRecord).values(fetched_at=D1))

        # screening (two reviewers per record)
        for who in ("ann", "bob"):
            vote(s, 1, "title-abstract", "include", who)
            vote(s, 1, "full-text", "include", who)
            vote(s, 2, "title-abstract", "exclude", who, reason="E1-topic")
            vote(s, 5, "title-abstract", "include", who)       # study 5 is later merged into study 4
            vote(s, 6, "title-abstract", "include", who)
            vote(s, 7, "title-abstract", "exclude", who)       # excluded, re-included on D3
            vote(s, 8, "title-abstract", "include", who)
            vote(s, 8, "full-text", "exclude", who, reason="E1-language")
            vote(s, 9, "full-text", "include", who)
        vote(s, 3, "title-abstract", "include", "ann")
        vote(s, 3, "title-abstract", "exclude", "bob")             # a conflict: still awaiting screening
        vote(s, 6, "full-text", "exclude", "ann", reason="E1-topic")
        vote(s, 6, "full-text", "exclude", "bob", reason="E1-design")
        vote(s, 6, "full-text", "exclude", "carol", reason="E1-design", is_final=True)   # adjudication decides
        merge_works(s, work(s, 4), work(s, 5), rule="manual", actor="ann")
        m = merge_works(s, work(s, 3), work(s, 2), rule="manual", actor="ann")
        undo_merge(s, m.id, actor="ann")                            # two studies after all
        vote(s, 7, "title-abstract", "include", "carol", when=D3, is_final=True)
        vote(s, 7, "full-text", "exclude", "ann", when=D3, report_retrieved=False, note="no library access")

        run2 = start_run(s, "monitor", None, {})
        search(s, run2, "pubmed", "core", [rec(10, "pubmed")], when=D2)   # a study of the previous screening
        finish_run(s, run2.id, "succeeded", {})
        s.execute(update(SourceRecord).where(SourceRecord.run_id == run2.id).values(fetched_at=D2))
    return engine


