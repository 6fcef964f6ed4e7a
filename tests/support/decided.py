"""A small store where every kind of outcome happened, for the export and excluded-studies tests.

Works (by title number): 1 included at full text; 2 excluded at title/abstract (E1-language); 3 excluded at
full text by both reviewers (E1-design, notes); 4 a full-text conflict resolved by root as an exclusion (E2,
a note); 5 report not retrieved; 6 still taking title/abstract votes (ann voted); 7 a title/abstract conflict.
"""

from __future__ import annotations

from livereview.records.model import Record
from livereview.store.db import transaction
from livereview.store.ingest import Provenance, ingest_records
from livereview.store.models import Work
from livereview.store.screening import record_decision

TA, FT = "title-abstract", "full-text"
NOTE = 'wrong design, see "Methods", p. 3;\nsecond line'


def build_decided(engine) -> dict[int, int]:  # noqa: ANN001
    """Ingest seven works and decide them as the module says; returns title number -> work id."""
    recs = [Record(source="pubmed", source_id=str(41000000 + n), pmid=str(41000000 + n), year=2020 + n,
                   title=f"Homework study number {n} of a design all its own {n * 7919}",
                   authors=[f"Author{n}, A.", "Second, B.", "Third, C."], journal="Journal of Tests")
            for n in range(1, 8)]
    with transaction(engine) as s:
        rep = ingest_records(s, recs, Provenance(origin="search", actor="test"))
    ids = [wid for _, wid in rep.classifications if wid is not None]
    works = dict(zip(range(1, 8), ids, strict=True))

    def vote(s, n, stage, decision, who, **kw):  # noqa: ANN001, ANN202
        record_decision(s, s.get(Work, works[n]), reviewer=who, stage=stage, decision=decision, **kw)

    with transaction(engine) as s:
        for n in (1, 3, 4, 5):
            vote(s, n, TA, "include", "ann")
            vote(s, n, TA, "include", "bob")
        vote(s, 1, FT, "include", "ann", report_retrieved=True)
        vote(s, 1, FT, "include", "bob", report_retrieved=True)
        vote(s, 2, TA, "exclude", "ann", reason="E1-language")
        vote(s, 2, TA, "exclude", "bob", reason="E1-language")
        vote(s, 3, FT, "exclude", "ann", reason="E1-design", note=NOTE, report_retrieved=True)
        vote(s, 3, FT, "exclude", "bob", reason="E1-design", report_retrieved=True)
        vote(s, 4, FT, "include", "ann", report_retrieved=True)
        vote(s, 4, FT, "exclude", "bob", reason="E2", report_retrieved=True)
        vote(s, 4, FT, "exclude", "root", reason="E2", note="not an intervention study", is_final=True,
             report_retrieved=True)
        vote(s, 5, FT, "exclude", "ann", reason="not-retrieved", report_retrieved=False)
        vote(s, 5, FT, "exclude", "bob", reason="not-retrieved", report_retrieved=False)
        vote(s, 6, TA, "exclude", "ann", reason="E1-topic", note="off topic")
        vote(s, 7, TA, "include", "ann")
        vote(s, 7, TA, "exclude", "bob", reason="E1-topic")
    return works
