"""Read-side queries: works for export and listing, status counts, run and source health."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livereview.store import screening
from livereview.store.models import SourceRecord, Work
from livereview.store.outcomes import VoteAccess, outcomes
from livereview.store.tags import tags_for_works

STATUS_FILTERS = {
    "included": (screening.INCLUDED,),
    "excluded": (screening.EXCLUDED,),
    "queued": screening.OPEN_STATUSES,
    "all": None,
    "unscreened": (screening.QUEUED,),
} | {status: (status,) for status in screening.OPEN_STATUSES if status != screening.QUEUED}


def works_for_export(session: Session, status: str, ids: Sequence[int] | None = None, *,
                     access: VoteAccess = "all") -> Iterator[dict[str, Any]]:
    """One dict per canonical work (duplicates merged away are not exported) with its sources and what was decided
    (``store.outcomes``: final decision, stage, reason, votes and notes — blinded by ``access`` —, resolutions, PDF
    hashes) and its tags; ``ids`` selects."""
    if status not in STATUS_FILTERS:
        raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}")
    stmt = select(Work).where(Work.merged_into_id.is_(None)).order_by(Work.id)
    wanted = STATUS_FILTERS[status]
    if wanted is not None:
        stmt = stmt.where(Work.status.in_(wanted))
    if ids is not None:
        stmt = stmt.where(Work.id.in_(list(ids)))
    sources = dict(session.execute(
        select(SourceRecord.work_id, func.group_concat(SourceRecord.source.distinct())
               if session.bind.dialect.name == "sqlite"  # type: ignore[union-attr]
               else func.string_agg(SourceRecord.source.distinct(), ";"))
        .group_by(SourceRecord.work_id)).all())
    for batch in session.scalars(stmt.execution_options(yield_per=1000)).partitions():
        decided = outcomes(session, {w.id: w.status for w in batch}, access=access)
        tags = tags_for_works(session, [w.id for w in batch])
        for w in batch:
            yield {
                "id": w.id, "status": w.status, "doi": w.doi, "pmid": w.pmid, "pmcid": w.pmcid,
                "openalex_id": w.openalex_id, "title": w.title, "authors": w.authors, "year": w.year,
                "journal": w.journal, "volume": w.volume, "issue": w.issue, "pages": w.pages, "issn": w.issn,
                "language": w.language, "publication_types": w.publication_types, "abstract": w.abstract,
                "keywords": w.keywords, "url": w.url,
                "domain": w.domain, "origin": w.origin, "is_retracted": w.is_retracted,
                "has_correction": w.has_correction,
                "sources": sorted(set((sources.get(w.id) or "").replace(",", ";").split(";")) - {""}),
                "created_at": w.created_at.isoformat() if w.created_at else None,
                **decided[w.id].cells(),
                "tags": tags.get(w.id, []),   # the team's tags on the work (store.tags), sorted
            }


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Work.status, func.count()).group_by(Work.status)).all()
    return {status: n for status, n in rows}
