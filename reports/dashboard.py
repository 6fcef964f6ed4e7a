"""What the dashboard shows, read from the store in a few grouped queries, and cached until the store changes.

Yield per source and per query block counts canonical works (source records move with merges, so a
record's ``work_id`` is always its surviving work). "Only this source/query" counts works no other
source/query found: what that source or expansion block buys the review.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livereview.protocols.model import Protocol
from livereview.reports.growth import Growth, RunYield, growth, run_yields
from livereview.reports.recount import Recount, recount_elsewhere
from livereview.store import screening
from livereview.store.cache import cached
from livereview.store.clock import as_utc, utcnow
from livereview.store.health import SourceHealth, source_health
from livereview.store.manual import ManualStatus, manual_exports_due
from livereview.store.models import (
    Import,
    Notice,
    ProtocolVersion,
    Release,
    Run,
    SourceRecord,
    SourceRun,
    ThemeTag,
    Watermark,
    Work,
)
from livereview.store.prisma import store_version
from livereview.store.releases import fired_triggers

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
    manual: list[ManualStatus] = field(default_factory=list)    # databases searched by hand: last import, due


def _yields(session: Session, column: Any) -> tuple[list[Yield], int, int]:
    """Per value of ``column`` (source or query name) over search/import records; plus single-value works.

    Grouped in the database: one row per value comes back, whatever the store's size.
    """
    # imports carrying decisions are the previous version's screening (JSON null and SQL NULL both mean none)
    prior = [i for i, d in session.execute(select(Import.id, Import.decision)) if d] or [-1]
    scope = ((SourceRecord.run_id.is_not(None)) | (SourceRecord.import_id.is_not(None)),
             SourceRecord.import_id.is_(None) | SourceRecord.import_id.not_in(prior))
    records: Counter[str] = Counter()
    new: Counter[str] = Counter()
    for name, cls, n in session.execute(select(column, SourceRecord.classification, func.count()).where(*scope)
                                        .group_by(column, SourceRecord.classification)):
        records[name or "core"] += n
        if cls == "new":
            new[name or "core"] += n
    works: Counter[str] = Counter({name or "core": n for name, n in session.execute(
        select(column, func.count(func.distinct(SourceRecord.work_id))).where(*scope).group_by(column))})
    alone = (select(SourceRecord.work_id, func.min(column).label("name")).where(*scope)
             .group_by(SourceRecord.work_id).having(func.count(func.distinct(column)) == 1).subquery())
    only: Counter[str] = Counter({name or "core": n for name, n in session.execute(
        select(alone.c.name, func.count()).group_by(alone.c.name))})
    found = session.scalar(select(func.count(func.distinct(SourceRecord.work_id))).where(*scope)) or 0
    out = [Yield(name, records[name], works[name], only[name], new[name]) for name in sorted(records)]
    return out, sum(only.values()), found


def collect(session: Session, *, enabled_sources: list[str], run_limit: int = 200,
            manual_refresh: Mapping[str, int] | None = None, reviewers_required: int = 2,
            baseline: date | None = None, living: Protocol | None = None) -> Dashboard:
    """Everything the dashboard shows (one read); ``manual_refresh``: the manual databases' refresh days;
    ``baseline``: the protocol's ``review.baseline_date`` (growth starts there); ``living``: the protocol whose
    ``[living]`` rules say when a new version of the review is due (a notice per rule fired, since when).

    The headline numbers are the growth series' last point: the PRISMA diagram's counts as of now
    (:mod:`store.prisma`), so the dashboard, the PRISMA page and the digest show the same numbers."""
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
    if living is not None:
        for t in fired_triggers(session, living):
            notices.append(DashNotice("new-version-due", f"a new version of the review is due: {t.message}",
                                      None, t.since, True))
    notices.sort(key=lambda n: (not n.urgent, -(n.at.timestamp() if n.at else 0)))
    recent = [{"id": r.id, "started_at": as_utc(r.started_at), "status": r.status, "error": r.error,
               "totals": (r.summary or {}).get("totals", {})}
              for r in session.scalars(select(Run).order_by(Run.id.desc()).limit(10))]
    return Dashboard(
        growth=growth(session, baseline=baseline, reviewers_required=reviewers_required),
        runs=run_yields(session, run_limit), sources=sources, queries=queries,
        single_source_works=single, works_found=found, health=health,
        watermarks=[(w.stream, w.last_window_end) for w in session.scalars(select(Watermark).order_by(
            Watermark.stream))],
        notices=notices, recent_runs=recent,
        manual=manual_exports_due(session, manual_refresh or {}, utcnow()),
        status_counts=dict(session.execute(select(Work.status, func.count()).group_by(Work.status)).all()))


def dashboard_version(session: Session) -> tuple[Any, ...]:
    """What the dashboard reads changes only when one of these does (see :func:`store.prisma.store_version`)."""
    row = session.execute(select(
        select(func.max(Run.finished_at)).scalar_subquery(), select(func.max(SourceRun.finished_at)).scalar_subquery(),
        select(func.max(Notice.id)).scalar_subquery(), select(func.max(ProtocolVersion.id)).scalar_subquery(),
        select(func.max(Watermark.updated_at)).scalar_subquery(), select(func.max(Release.id)).scalar_subquery(),
        select(func.max(ThemeTag.id)).scalar_subquery())).one()
    return store_version(session) + tuple(row) + (datetime.now().date(),)


def cached_dashboard(session: Session, *, enabled_sources: list[str],
                     reviewers_required: int = 2) -> tuple[Dashboard, tuple[Any, ...]]:
    version = dashboard_version(session)
    url = str(session.bind.url) if session.bind is not None else ""  # type: ignore[union-attr]
    return cached(("dashboard", url, tuple(enabled_sources), reviewers_required, version),
                  lambda: collect(session, enabled_sources=enabled_sources,
                                  reviewers_required=reviewers_required)), version


@dataclass
class _Entry:
    version: tuple[Any, ...]
    value: Any
    at: datetime
    done: float = 0.0        # time.monotonic() when it was computed


#: seconds a page's background recount waits after the previous one: under a stream of votes the dashboard
#: follows within this plus one recount, instead of recounting back to back (issue 24)
REFRESH_GAP = 10.0


class StaleWhileRevalidate:
    """Serve the last computed value at once; when the store has changed, recompute it in the background.

    A page view must not wait seconds for a recount after every screening vote. The first request of a key
    computes in the request; later ones get the previous value (flagged stale, with the time it was computed)
    while one background thread per key recomputes it with its own store session — or, given a :class:`Recount`,
    has it recomputed in a separate, lower-priority process (:mod:`livereview.reports.recount`): a recount is
    seconds of Python on a big store, and in the web process it would take the interpreter (the GIL) from the
    requests; the thread only waits for that process. ``gap``: a
    recount starts no sooner than this many seconds after the previous one of the same key was computed.
    """

    def __init__(self, max_entries: int = 64, *, gap: float = 0.0) -> None:
        self._entries: dict[Any, _Entry] = {}
        self._running: set[Any] = set()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.gap = gap

    def get(self, key: Any, version: tuple[Any, ...], make: Any, *,
            job: Recount | None = None) -> tuple[Any, bool, datetime, tuple[Any, ...]]:
        """(value, stale, computed at, the version it was computed for)."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            entry = self._store(key, version, make())
            return entry.value, False, entry.at, entry.version
        if entry.version == version:
            return entry.value, False, entry.at, entry.version
        with self._lock:
            start = key not in self._running
            if start:
                self._running.add(key)
        if start:
            threading.Thread(target=self._refresh, args=(key, version, make, job, entry.done + self.gap),
                             name="dashboard-refresh", daemon=True).start()
        return entry.value, True, entry.at, entry.version

    def _store(self, key: Any, version: tuple[Any, ...], value: Any) -> _Entry:
        import time

        entry = _Entry(version, value, datetime.now().astimezone(), time.monotonic())
        with self._lock:
            if key not in self._entries and len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = entry
        return entry

    def _refresh(self, key: Any, version: tuple[Any, ...], make: Any, job: Recount | None, not_before: float) -> None:
        import time

        try:
            time.sleep(max(0.0, not_before - time.monotonic()))
            value = make() if job is None else recount_elsewhere(job)
            self._store(key, version, value)
        except Exception:  # noqa: BLE001 - the old value stays; the next request tries again
            logging.getLogger(__name__).exception("dashboard: background recompute of %s failed", key)
        finally:
            with self._lock:
                self._running.discard(key)

    def wait(self, timeout: float = 60.0) -> None:
        """Until no recompute runs (tests, benchmarks)."""
        import time

        deadline = time.monotonic() + timeout
        while self._running and time.monotonic() < deadline:
            time.sleep(0.02)


PAGES = StaleWhileRevalidate(gap=REFRESH_GAP)
