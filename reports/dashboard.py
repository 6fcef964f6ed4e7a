"""What the dashboard shows, read from the store in a few grouped queries, and cached until the store changes.

Yield per source and per query block counts canonical works (source records move with merges, so a
record's ``work_id`` is always its surviving work). "Only this source/query" counts works no other
source/query found: what that source or expansion block buys the review.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.growth import Growth, RunYield, growth, run_yields
from store import screening
from store.clock import as_utc
from store.health import SourceHealth, source_health
from store.models import Import, Notice, ProtocolVersion, Run, SourceRecord, SourceRun, Watermark, Work
from store.prisma import store_version

SERIOUS = ("retraction", "correction", "expression-of-concern")


@dataclass(frozen=True)
class Yield:
    name: str
    records: int          # records stored from it
    works: int            # distinct works it found
    only: int             # works nothing else found
    new: int              # records that were new works when found


@dataclass(frozen=True)
class DashNotice:
    kind: str             # retraction | correction | … | failing-source | protocol
    text: str             # no record-level data: safe for the public view
    detail: str | None    # record-level (a title): shown to signed-in users only
    at: datetime | None
    urgent: bool


@dataclass
class Dashboard:
    growth: Growth
    runs: list[RunYield]
    sources: list[Yield]
    queries: list[Yield]
    single_source_works: int
    works_found: int
    health: list[SourceHealth]
    watermarks: list[tuple[str, Any]]
    notices: list[DashNotice]
    status_counts: dict[str, int]
    recent_runs: list[dict[str, Any]] = field(default_factory=list)


def _yields(session: Session, column: Any) -> tuple[list[Yield], int, int]:
    """Per value of ``column`` (source or query name) over search/import records; plus single-value works."""
    # imports carrying decisions are the previous version's screening (JSON null and SQL NULL both mean none)
    prior = [i for i, d in session.execute(select(Import.id, Import.decision)) if d] or [-1]
    rows = session.execute(select(SourceRecord.work_id, column, SourceRecord.classification, func.count())
                           .where((SourceRecord.run_id.is_not(None)) | (SourceRecord.import_id.is_not(None)))
                           .where(SourceRecord.import_id.is_(None) | SourceRecord.import_id.not_in(prior))
                           .group_by(SourceRecord.work_id, column, SourceRecord.classification))
    by_work: dict[int, set[str]] = defaultdict(set)
    records: Counter[str] = Counter()
    new: Counter[str] = Counter()
    for wid, name, cls, n in rows:
        name = name or "core"
        by_work[wid].add(name)
        records[name] += n
        if cls == "new":
            new[name] += n
    works: Counter[str] = Counter()
    only: Counter[str] = Counter()
    for names in by_work.values():
        for name in names:
            works[name] += 1
        if len(names) == 1:
            only[next(iter(names))] += 1
    out = [Yield(name, records[name], works[name], only[name], new[name]) for name in sorted(records)]
    return out, sum(only.values()), len(by_work)


def collect(session: Session, *, enabled_sources: list[str], run_limit: int = 200) -> Dashboard:
    """Everything the dashboard shows (one read)."""
    sources, single, found = _yields(session, SourceRecord.source)
    queries, _, _ = _yields(session, SourceRecord.query_name)
    health = source_health(session, enabled_sources)
    notices: list[DashNotice] = []
    for n, title, status in session.execute(
            select(Notice, Work.title, Work.status).join(Work, Work.id == Notice.work_id)
            .where(Notice.kind.in_(SERIOUS)).order_by(Notice.detected_at.desc()).limit(50)):
        about_included = status == screening.INCLUDED
        what = "an included study" if about_included else "a study in the corpus"
        notices.append(DashNotice(n.kind, f"{n.kind.replace('-', ' ')} of {what} ({n.source})", title,
                                  as_utc(n.detected_at), about_included))
    for h in health:
        if h.failing:
            notices.append(DashNotice("failing-source", f"{h.source} failing, {h.failures} run"
                                      f"{'s' if h.failures != 1 else ''} in a row", h.last_error, h.last_error_at,
                                      True))
    versions = list(session.execute(select(ProtocolVersion.review_id, ProtocolVersion.version,
                                           ProtocolVersion.loaded_at).order_by(ProtocolVersion.id)))
    for (_, old, _), (_, new_v, at) in zip(versions, versions[1:], strict=False):
        notices.append(DashNotice("protocol", f"protocol changed: version {old} → {new_v}", None, as_utc(at), False))
    notices.sort(key=lambda n: (not n.urgent, -(n.at.timestamp() if n.at else 0)))
    recent = [{"id": r.id, "started_at": as_utc(r.started_at), "status": r.status, "error": r.error,
               "totals": (r.summary or {}).get("totals", {})}
              for r in session.scalars(select(Run).order_by(Run.id.desc()).limit(10))]
    return Dashboard(
        growth=growth(session), runs=run_yields(session, run_limit), sources=sources, queries=queries,
        single_source_works=single, works_found=found, health=health,
        watermarks=[(w.stream, w.last_window_end) for w in session.scalars(select(Watermark).order_by(
            Watermark.stream))],
        notices=notices, recent_runs=recent,
        status_counts=dict(session.execute(select(Work.status, func.count()).group_by(Work.status)).all()))


def dashboard_version(session: Session) -> tuple[Any, ...]:
    """What the dashboard reads changes only when one of these does (see :func:`store.prisma.store_version`)."""
    return store_version(session) + (
        session.scalar(select(func.max(Run.finished_at))), session.scalar(select(func.max(SourceRun.finished_at))),
        session.scalar(select(func.max(Notice.id))), session.scalar(select(func.max(ProtocolVersion.id))),
        session.scalar(select(func.max(Watermark.updated_at))), datetime.now().date())


_cache: dict[Any, Any] = {}
_lock = threading.Lock()


def cached(key: tuple[Any, ...], make: Any) -> Any:
    """A small process cache: ``key`` carries the store fingerprint, so a changed store misses."""
    with _lock:
        if key in _cache:
            return _cache[key]
    value = make()
    with _lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = value
    return value


def cached_dashboard(session: Session, *, enabled_sources: list[str]) -> tuple[Dashboard, tuple[Any, ...]]:
    version = dashboard_version(session)
    url = str(session.bind.url) if session.bind is not None else ""  # type: ignore[union-attr]
    return cached(("dashboard", url, tuple(enabled_sources), version),
                  lambda: collect(session, enabled_sources=enabled_sources)), version
