"""Corpus growth since the previous version's search: the series the digest's chart and the dashboard draw.

Every point is the PRISMA diagram's count on that day (:func:`store.prisma.prisma_series`, one read and one
pass over the store's events), so the charts, the dashboard's headline numbers, the PRISMA page and the digest
never disagree: *records* = records identified from databases and registers before deduplication, *identified*
= the new works left after deduplication, *screened* = records screened (a title/abstract decision reached),
*included* = total studies included (the previous version's from the baseline on). The previous version sits
at :data:`BASELINE` as the starting level, not on the day ``livereview init`` happened to load it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.store.clock import as_utc, utcnow
from livereview.store.models import Run, SourceRun
from livereview.store.prisma import LABELS, end_of_day, load_facts, prisma_series

#: the previous version searched literature to 2023 (seed paper: "published between 1995 and 2023")
BASELINE = date(2023, 12, 31)


@dataclass(frozen=True)
class Growth:
    """Cumulative counts at the end of each day something changed, from the baseline to ``until``.

    The PRISMA boxes (:data:`store.prisma.LABELS` says what each counts): ``records`` = records identified,
    before deduplication; ``identified`` = new works after deduplication; ``screened`` = records screened;
    ``included`` = total studies included (``previous_included`` of them from the previous version).
    """

    days: list[date] = field(default_factory=list)
    identified: list[int] = field(default_factory=list)
    included: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    screened: list[int] = field(default_factory=list)
    baseline: date | None = None
    previous_included: int = 0
    awaiting_screening: int = 0          # at the last point

    labels = LABELS


def growth(session: Session, until: datetime | None = None, *, baseline: date | None = None,
           reviewers_required: int = 2, reasons: Sequence[str] = ()) -> Growth:
    """The growth series up to ``until`` (default now): one point per day on which a count changed, plus both
    ends. The last point is the PRISMA diagram as of ``until`` exactly. ``baseline``: the previous version's search
    date (the protocol's ``review.baseline_date``; :data:`BASELINE` when it sets none)."""
    baseline = baseline or BASELINE
    end = as_utc(until or utcnow()).astimezone(UTC)  # type: ignore[union-attr]
    facts = load_facts(session, end)
    facts_days = sorted({max(baseline, at.date()) for at, *_ in facts.events})
    days = [d for d in [baseline, *facts_days] if end_of_day(d) < end]
    days = sorted(set(days))
    bounds = [end_of_day(d) for d in days] + [end]
    series = prisma_series(session, reasons, bounds, reviewers_required=reviewers_required, facts=facts)
    g = Growth(baseline=baseline, previous_included=series[-1].previous_studies,
               awaiting_screening=series[-1].awaiting_screening)
    points = list(zip([*days, end.date()], series, strict=True))
    last: tuple[int, ...] | None = None
    for i, (day, c) in enumerate(points):
        values = (c.after_deduplication, c.total_studies, c.identified, c.records_screened)
        if values == last and 0 < i < len(points) - 1:
            continue                     # a day on which nothing this chart draws changed
        if g.days and g.days[-1] == day:   # today's end of day and ``until`` are the same day
            g.days.pop()
            for s in (g.identified, g.included, g.records, g.screened):
                s.pop()
        g.days.append(day)
        for s, v in zip((g.identified, g.included, g.records, g.screened), values, strict=True):
            s.append(v)
        last = values
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
