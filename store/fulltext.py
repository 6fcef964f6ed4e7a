"""The open-access finder's cache: the best legal full-text link of each work, and when it was last looked for.

The finder itself (asking Unpaywall, reading what Europe PMC and OpenAlex said) is a flow step
(``flows/fulltext.py``): this module only says which works are due and keeps what was found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from livereview.records.fulltext import OpenAccessLink
from livereview.store import screening
from livereview.store.clock import utcnow
from livereview.store.models import FullTextLink, SourceRecord, Work

#: the statuses of a work at the full-text stage (the finder looks for these; included works too, for extraction)
FULL_TEXT_STATUSES: tuple[str, ...] = (screening.AWAITING_FULL_TEXT, screening.FULL_TEXT_SCREENING,
                                       screening.FULL_TEXT_CONFLICT, screening.INCLUDED)
#: the raw payloads that may name an open-access copy (their connectors' pure readers turn them into links)
OA_SOURCES: tuple[str, ...] = ("europepmc", "openalex")


def _aware(when: datetime) -> datetime:
    from datetime import UTC

    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def is_due(link: FullTextLink | None, *, days: int, now: datetime | None = None) -> bool:
    """True when the work was never checked, or last checked more than ``days`` days ago."""
    if link is None:
        return True
    return _aware(link.checked_at) < (now or utcnow()) - timedelta(days=days)


def works_due(session: Session, *, days: int, limit: int = 200, now: datetime | None = None) -> list[int]:
    """Works at the full-text stage whose link was never looked for or is older than ``days`` days, oldest first."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    stmt = (select(Work.id).outerjoin(FullTextLink, FullTextLink.work_id == Work.id)
            .where(Work.merged_into_id.is_(None), Work.status.in_(FULL_TEXT_STATUSES),
                   or_(FullTextLink.work_id.is_(None), FullTextLink.checked_at < cutoff))
            .order_by(FullTextLink.checked_at.is_not(None), FullTextLink.checked_at, Work.id).limit(limit))
    return list(session.scalars(stmt))


def is_at_full_text(work: Work) -> bool:
    return work.merged_into_id is None and work.status in FULL_TEXT_STATUSES


def raw_payloads(session: Session, work_id: int, sources: Sequence[str] = OA_SOURCES) -> list[tuple[str, str]]:
    """``(source, raw JSON)`` of the work's source records from sources whose payload may name a free copy."""
    rows = session.execute(select(SourceRecord.source, SourceRecord.raw)
                           .where(SourceRecord.work_id == work_id, SourceRecord.source.in_(list(sources)),
                                  SourceRecord.raw.is_not(None)).order_by(SourceRecord.id))
    return [(src, raw) for src, raw in rows if raw]


def cached_link(session: Session, work_id: int) -> FullTextLink | None:
    return session.get(FullTextLink, work_id)


def save_link(session: Session, work_id: int, link: OpenAccessLink | None, *, problems: Sequence[str] = (),
              now: datetime | None = None) -> FullTextLink:
    """Keep what the finder found for a work (``link`` None: no free copy known), dated; replaces the last check.
    A check that could not ask every source and found nothing keeps the link found before."""
    row = session.get(FullTextLink, work_id)
    if row is None:
        row = FullTextLink(work_id=work_id)
        session.add(row)
    if link is not None or not problems:
        row.url, row.pdf_url = (link.url, link.pdf_url) if link else (None, None)
        row.license = link.license if link else None
        row.version = link.version if link else None
        row.host_type = link.host_type if link else None
        row.oa_status = link.oa_status if link else None
        row.source = link.source if link else None
    row.problems = list(problems)
    row.checked_at = now or utcnow()
    session.flush()
    return row
