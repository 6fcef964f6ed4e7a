"""Corpus growth since the previous version's search: the series the digest's chart and the dashboard draw.

The previous version (the seed corpus and the previous screening imported with its decisions) is
the *baseline*: it sits at :data:`BASELINE` as the starting level, not on the day ``livereview
init`` happened to load it (which drew a spike on that day). Merges are applied as known today;
works merged away count once, under the work they joined.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livereview.store import screening
from livereview.store.clock import as_utc, utcnow
from livereview.store.models import Decision, Import, Run, SourceRecord, SourceRun, Work

#: the previous version searched literature to 2023 (seed paper: "published between 1995 and 2023")
BASELINE = date(2023, 12, 31)


@dataclass(frozen=True)
class Growth:
    """Cumulative counts at the end of each day something changed, from the baseline to ``until``.

    ``identified``: new works found since the baseline, after deduplication; ``included``: studies
    included in all (the previous version's from the baseline on); ``records``: records identified
    before deduplication; ``screened``: new works with at least one screening decision.
    """

    days: list[date] = field(default_factory=list)
    identified: list[int] = field(default_factory=list)
    included: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    screened: list[int] = field(default_factory=list)
    baseline: date | None = None
    previous_included: int = 0


def _day(session: Session, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, computed by the database (SQLite keeps UTC wall time)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _prior_imports(session: Session) -> list[int]:
    # JSON null and SQL NULL both mean "no decision": decided in Python
    return [i for i, d in session.execute(select(Import.id, Import.decision)) if d] or [-1]


def growth(session: Session, until: datetime | None = None, *, baseline: date = BASELINE) -> Growth:
    """The growth series up to ``until`` (default now), one point per day with a change, plus both ends.

    Every count is grouped by day in the database: a few hundred rows come back, whatever the store's size.
    """
    end = as_utc(until or utcnow()).astimezone(UTC)  # type: ignore[union-attr]
    prior = _prior_imports(session)
    # (NULL-safe: a work no import brought is not "previous")
    previous = (Work.origin == "seed") | (Work.first_import_id.is_not(None) & Work.first_import_id.in_(prior))
    active = Work.merged_into_id.is_(None)
    previous_included = session.scalar(select(func.count()).select_from(Work).where(
        active, Work.origin == "seed", Work.status == screening.INCLUDED)) or 0

    def by_day(stmt: Any) -> Counter[date]:
        out: Counter[date] = Counter()
        for day, n in session.execute(stmt):
            if day is not None:
                out[max(baseline, _as_date(day))] += n
        return out

    wday = _day(session, Work.created_at)
    found = by_day(select(wday, func.count()).where(active, ~previous, Work.created_at < end).group_by(wday))
    rday = _day(session, SourceRecord.fetched_at)
    records = by_day(select(rday, func.count()).where(
        (SourceRecord.run_id.is_not(None)) | (SourceRecord.import_id.is_not(None)),
        SourceRecord.import_id.is_(None) | SourceRecord.import_id.not_in(prior),
        SourceRecord.fetched_at < end).group_by(rday))
    per_work = (select(Decision.work_id.label("wid"), func.min(Decision.decided_at).label("first"),
                       func.max(Decision.decided_at).label("last")).group_by(Decision.work_id).subquery())
    candidates = (Work.id == per_work.c.wid, active, ~previous)
    fday = _day(session, per_work.c.first)
    screened = by_day(select(fday, func.count()).select_from(per_work).join(Work, Work.id == per_work.c.wid)
                      .where(*candidates[1:], per_work.c.first < end).group_by(fday))
    lday = _day(session, per_work.c.last)
    included = by_day(select(lday, func.count()).select_from(per_work).join(Work, Work.id == per_work.c.wid)
                      .where(*candidates[1:], Work.status == screening.INCLUDED, per_work.c.last < end)
                      .group_by(lday))
    g = Growth(baseline=baseline, previous_included=previous_included)
    totals = [0, previous_included, 0, 0]
    for day in sorted(set(found) | set(records) | set(screened) | set(included) | {baseline}):  # all >= baseline
        totals[0] += found.get(day, 0)
        totals[1] += included.get(day, 0)
        totals[2] += records.get(day, 0)
        totals[3] += screened.get(day, 0)
        g.days.append(day)
        for series, total in zip((g.identified, g.included, g.records, g.screened), totals, strict=True):
            series.append(total)
    if g.days[-1] < end.date():  # carry the totals to today: a quiet spell shows as flat, the axis ends today
        g.days.append(end.date())
        for series, total in zip((g.identified, g.included, g.records, g.screened), totals, strict=True):
            series.append(total)
    return g


@dataclass(frozen=True)
class RunYield:
    """What one monitor run brought, summed over its sources and queries."""

    run_id: int
    started_at: datetime
    status: str
    fetched: int
    new: int
    duplicates: int
    by_source: dict[str, int]


DUPLICATE_KEYS = ("already-queued", "in-corpus", "update", "unchanged")


def run_yields(session: Session, limit: int | None = None) -> list[RunYield]:
    """Per monitor run, oldest first: records fetched, new works, duplicates, new per source."""
    runs = select(Run.id, Run.started_at, Run.status).order_by(Run.id.desc())
    if limit:
        runs = runs.limit(limit)
    rows = list(session.execute(runs))
    ids = [r[0] for r in rows]
    agg: dict[int, dict[str, Any]] = {i: {"fetched": 0, "new": 0, "dup": 0, "src": Counter()} for i in ids}
    if ids:
        for run_id, source, counts in session.execute(select(SourceRun.run_id, SourceRun.source, SourceRun.counts)
                                                      .where(SourceRun.run_id.in_(ids))):
            c = counts or {}
            a = agg[run_id]
            a["fetched"] += int(c.get("fetched") or 0)
            a["new"] += int(c.get("new") or 0)
            a["dup"] += sum(int(c.get(k) or 0) for k in DUPLICATE_KEYS)
            a["src"][source] += int(c.get("new") or 0)
    return [RunYield(run_id=i, started_at=as_utc(started), status=status,  # type: ignore[arg-type]
                     fetched=agg[i]["fetched"], new=agg[i]["new"], duplicates=agg[i]["dup"],
                     by_source=dict(sorted(agg[i]["src"].items())))
            for i, started, status in reversed(rows)]
