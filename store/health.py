"""Source health: the one reading of ``source_runs`` that ``livereview status``, the digest and the dashboard share.

Before, the status command and the digest each computed health with their own rules and could
disagree (the command compared the latest failed and succeeded *stream*; the digest counted failed
*runs*). The rules, once:

* a source's outcome in a monitor run is ``failed`` when any of its streams (queries) in that run
  failed — a window is then missing — else ``succeeded`` when any stream succeeded, else
  ``skipped`` (or ``running`` while a stream still runs);
* ``failures`` is the number of the source's most recent finished runs that failed in a row;
* ``state``: ``never run`` (no source run), ``running`` (its latest run is still running),
  ``failing`` (failures > 0), ``skipped`` (its latest run only skipped), else ``ok``;
* ``last_success`` / ``last_error``: the latest succeeded stream's end, the latest failed stream's
  error and time;
* ``records``: records the source returned (``counts["fetched"]``, or the source records stored when
  a run carries no such count) — over the period when one is given, else in its latest run.

Everything comes from four grouped queries, whatever the number of runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livereview.store.clock import as_utc
from livereview.store.models import SourceRecord, SourceRun


@dataclass(frozen=True)
class SourceHealth:
    source: str
    state: str                 # ok | failing | skipped | never run | running
    last_success: datetime | None
    records: int
    last_error: str | None
    last_error_at: datetime | None
    failures: int = 0          # consecutive failed runs
    last_run_id: int | None = None

    @property
    def failing(self) -> bool:
        return self.state == "failing"


def _utc(value: datetime) -> datetime:
    return as_utc(value).astimezone(UTC)  # type: ignore[union-attr]


def run_outcomes(session: Session, sources: Sequence[str] | None = None) -> dict[str, list[tuple[int, str]]]:
    """Per source, ``(run_id, outcome)`` newest run first (outcome: failed | succeeded | skipped | running)."""
    stmt = select(SourceRun.source, SourceRun.run_id, SourceRun.status, func.count()).group_by(
        SourceRun.source, SourceRun.run_id, SourceRun.status)
    if sources is not None:
        stmt = stmt.where(SourceRun.source.in_(list(sources)))
    statuses: dict[tuple[str, int], set[str]] = defaultdict(set)
    for src, run_id, status, _n in session.execute(stmt):
        statuses[(src, run_id)].add(status)
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (src, run_id), seen in statuses.items():
        if "running" in seen:
            outcome = "running"
        elif "failed" in seen:
            outcome = "failed"
        elif "succeeded" in seen:
            outcome = "succeeded"
        else:
            outcome = "skipped"
        out[src].append((run_id, outcome))
    for runs in out.values():
        runs.sort(reverse=True)
    return out


def _streak(outcomes: list[tuple[int, str]]) -> int:
    n = 0
    for _run_id, outcome in outcomes:
        if outcome == "running":
            continue
        if outcome != "failed":
            break
        n += 1
    return n


def consecutive_failures(session: Session, source: str) -> int:
    """How many of this source's most recent runs failed in a row (for the 'failing twice' alert)."""
    return _streak(run_outcomes(session, [source]).get(source, []))


def source_health(session: Session, sources: Sequence[str] = (), *, since: datetime | None = None,
                  until: datetime | None = None) -> list[SourceHealth]:
    """Health of ``sources`` (in that order) and of every other source that ever ran (alphabetically after)."""
    ran = list(session.scalars(select(SourceRun.source).distinct().order_by(SourceRun.source)))
    names = list(dict.fromkeys([*sources, *ran]))
    outcomes = run_outcomes(session)
    last_success = dict(session.execute(select(SourceRun.source, func.max(SourceRun.finished_at)).where(
        SourceRun.status == "succeeded").group_by(SourceRun.source)).all())
    failed_ids = [i for i in session.scalars(select(func.max(SourceRun.id)).where(SourceRun.status == "failed")
                                             .group_by(SourceRun.source))]
    last_failed = {sr.source: sr for sr in session.scalars(select(SourceRun).where(SourceRun.id.in_(failed_ids)))}
    latest_ids = [i for i in session.scalars(select(func.max(SourceRun.id)).group_by(SourceRun.source))]
    latest = {sr.source: sr for sr in session.scalars(select(SourceRun).where(SourceRun.id.in_(latest_ids)))}

    # the source runs whose records count: those in the period, else each source's latest run
    if since is not None or until is not None:
        stmt = select(SourceRun)
        if since is not None:
            stmt = stmt.where(SourceRun.started_at >= _utc(since))
        if until is not None:
            stmt = stmt.where(SourceRun.started_at < _utc(until))
    else:
        last_run = {src: runs[0][0] for src, runs in outcomes.items() if runs}
        stmt = select(SourceRun).where(SourceRun.run_id.in_(set(last_run.values()) or {-1}))
    counted: dict[str, list[SourceRun]] = defaultdict(list)
    for sr in session.scalars(stmt):
        if since is None and until is None and outcomes.get(sr.source, [(None, "")])[0][0] != sr.run_id:
            continue
        counted[sr.source].append(sr)
    uncounted = [sr.id for runs in counted.values() for sr in runs if "fetched" not in (sr.counts or {})]
    stored = dict(session.execute(select(SourceRecord.source_run_id, func.count()).where(
        SourceRecord.source_run_id.in_(uncounted)).group_by(SourceRecord.source_run_id)).all()) if uncounted else {}

    out = []
    for name in names:
        runs = counted.get(name, [])
        if any("fetched" in (r.counts or {}) for r in runs):
            records = sum(int((r.counts or {}).get("fetched") or 0) for r in runs)
        else:
            records = sum(stored.get(r.id, 0) for r in runs)
        history = outcomes.get(name, [])
        failures = _streak(history)
        if not history:
            state = "never run"
        elif history[0][1] == "running":
            state = "running"
        elif failures:
            state = "failing"
        elif history[0][1] == "skipped":
            state = "skipped"
        else:
            state = "ok"
        bad = last_failed.get(name)
        error = bad.error if bad else None
        newest = latest.get(name)
        if state == "skipped" and newest is not None:
            error = newest.error or "; ".join(newest.warnings or []) or None
        out.append(SourceHealth(
            source=name, state=state, last_success=as_utc(last_success.get(name)), records=records, last_error=error,
            last_error_at=as_utc(bad.finished_at or bad.started_at) if bad else None, failures=failures,
            last_run_id=history[0][0] if history else None))
    return out
