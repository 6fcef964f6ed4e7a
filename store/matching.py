"""The fuzzy matcher the store uses, built from the works it holds.

Identifier matching happens in :mod:`store.ingest` against the database; this module feeds the
duplicate detector (:mod:`dedup`) every active work so records without a shared identifier are
still recognised.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.dedup import MatchIndex
from livereview.records.model import Record
from livereview.store.models import Work
from livereview.store.screening import DUPLICATE, NOTICE


def work_as_record(work: Work) -> Record:
    return Record(source="store", source_id=str(work.id), title=work.title, abstract=work.abstract,
                  authors=list(work.authors or []), year=work.year, journal=work.journal, volume=work.volume,
                  issue=work.issue, pages=work.pages, doi=work.doi, pmid=work.pmid, pmcid=work.pmcid,
                  openalex_id=work.openalex_id, issn=list(work.issn or []), language=work.language,
                  publication_types=list(work.publication_types or []))


def active_works(session: Session) -> Iterator[Work]:
    stmt = select(Work).where(Work.merged_into_id.is_(None), Work.status.not_in([DUPLICATE, NOTICE]))
    yield from session.scalars(stmt.execution_options(yield_per=2000))


#: the columns the matcher reads (no abstracts beyond what prep keeps, no ORM objects: one pass, light)
_MATCH_COLUMNS = (Work.id, Work.title, Work.abstract, Work.authors, Work.year, Work.journal, Work.volume, Work.issue,
                  Work.pages, Work.doi, Work.pmid, Work.pmcid, Work.openalex_id, Work.publication_types)


def matcher_for(session: Session) -> MatchIndex:
    """A :class:`dedup.MatchIndex` over every active work, read in one streamed pass over the columns it needs."""
    index = MatchIndex()
    stmt = (select(*_MATCH_COLUMNS)
            .where(Work.merged_into_id.is_(None), Work.status.not_in([DUPLICATE, NOTICE]))
            .execution_options(yield_per=2000))
    for row in session.execute(stmt):
        index.add(row.id, Record(
            source="store", source_id=str(row.id), title=row.title, abstract=row.abstract,
            authors=list(row.authors or []), year=row.year, journal=row.journal, volume=row.volume, issue=row.issue,
            pages=row.pages, doi=row.doi, pmid=row.pmid, pmcid=row.pmcid, openalex_id=row.openalex_id,
            publication_types=list(row.publication_types or [])))
    return index
