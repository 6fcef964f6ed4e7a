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

from store import screening
from store.clock import as_utc, utcnow
from store.models import Decision, Import, Run, SourceRecord, SourceRun, Work

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


def _day(value: datetime | None) -> date | None:
    return as_utc(value).astimezone(UTC).date() if value is not None else None  # type: ignore[union-attr]


def growth(session: Session, until: datetime | None = None, *, baseline: date = BASELINE) -> Growth:
    """The growth series up to ``until`` (default now), one point per day with a change, plus both ends."""
    end = as_utc(until or utcnow()).astimezone(UTC)  # type: ignore[union-attr]
    prior_imports = {i for i, d in session.execute(select(Import.id, Import.decision)) if d}
    previous: set[int] = set()
    previous_included = 0
    found: Counter[date] = Counter()
    for wid, created, orig, imp, status in session.execute(
            select(Work.id, Work.created_at, Work.origin, Work.first_import_id, Work.status)
            .where(Work.merged_into_id.is_(None))):
        if orig == "seed" or imp in prior_imports:
            previous.add(wid)
            previous_included += status == screening.INCLUDED and orig == "seed"
            continue
        if as_utc(created) < end:  # type: ignore[operator]
            found[max(baseline, _day(created))] += 1  # type: ignore[type-var]
    records: Counter[date] = Counter()
    for fetched, run_id, imp in session.execute(select(SourceRecord.fetched_at, SourceRecord.run_id,
                                                       SourceRecord.import_id)):
        if (run_id is None and imp is None) or imp in prior_imports or as_utc(fetched) >= end:  # type: ignore[operator]
            continue
        records[max(baseline, _day(fetched))] += 1  # type: ignore[type-var]
    screened: Counter[date] = Counter()
    included: Counter[date] = Counter()
    for wid, first, last, status in session.execute(
            select(Work.id, func.min(Decision.decided_at), func.max(Decision.decided_at), Work.status)
            .join(Decision, Decision.work_id == Work.id).where(Work.merged_into_id.is_(None))
            .group_by(Work.id, Work.status)):
        if wid in previous:
            continue
        if as_utc(first) < end:  # type: ignore[operator]
            screened[max(baseline, _day(first))] += 1  # type: ignore[type-var]
        if status == screening.INCLUDED and as_utc(last) < end:  # type: ignore[operator]
            included[max(baseline, _day(last))] += 1  # type: ignore[type-var]
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
