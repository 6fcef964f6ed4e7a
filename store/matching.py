"""The fuzzy matcher the store uses, built from the works it holds.

Identifier matching happens in :mod:`store.ingest` against the database; this module feeds the
duplicate detector (:mod:`dedup`) every active work so records without a shared identifier are
still recognised.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from dedup import MatchIndex
from records.model import Record
from store.ingest import FuzzyMatcher
from store.models import Work
from store.screening import DUPLICATE, NOTICE


def work_as_record(work: Work) -> Record:
    return Record(source="store", source_id=str(work.id), title=work.title, abstract=work.abstract,
                  authors=list(work.authors or []), year=work.year, journal=work.journal, volume=work.volume,
                  issue=work.issue, pages=work.pages, doi=work.doi, pmid=work.pmid, pmcid=work.pmcid,
                  openalex_id=work.openalex_id, issn=list(work.issn or []), language=work.language,
                  publication_types=list(work.publication_types or []))


def active_works(session: Session) -> Iterator[Work]:
    stmt = select(Work).where(Work.merged_into_id.is_(None), Work.status.not_in([DUPLICATE, NOTICE]))
    yield from session.scalars(stmt.execution_options(yield_per=2000))


def matcher_for(session: Session) -> FuzzyMatcher:
    """A :class:`dedup.MatchIndex` over every active work."""
    index = MatchIndex()
    for work in active_works(session):
        index.add(work.id, work_as_record(work))
    return index
