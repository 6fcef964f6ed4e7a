"""Runs, per-source results, watermarks and the run lock.

Watermarks follow dlt's incremental model: one cursor per stream (source + query), holding the
end of the last *committed* window and any source state (feed ETags). A stream's next window
starts at its watermark minus the overlap, and the watermark only moves forward, in the same
transaction that stores the window's records — so a killed run loses nothing committed and the
next run catches up.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from livereview.errors import RunLockedError
from livereview.store.clock import as_utc, utcnow
from livereview.store.db import reading, transaction
from livereview.store.models import Lock, ProtocolVersion, Run, SourceRun, Watermark

RUN_STATUSES = ("running", "succeeded", "partial", "failed")
LOCK_STALE_AFTER = timedelta(hours=6)
#: the one lock every long writer of works takes (monitor runs, imports): two at once would race on the same DOIs
WRITER_LOCK = "monitor"


# -- protocol versions --------------------------------------------------------------------------------------------
def register_protocol(session: Session, review_id: str, version: str, sha256: str, content: str,
                      path: str | None) -> ProtocolVersion:
    """Record this protocol text; the same version with different text is refused (bump the version)."""
    from livereview.errors import ProtocolError

    existing = session.scalars(select(ProtocolVersion).where(
        ProtocolVersion.review_id == review_id, ProtocolVersion.version == version)).first()
    if existing is not None:
        if existing.sha256 != sha256:
            raise ProtocolError(path or review_id, f"version {version} was already used with different content; "
                                "bump review.version so runs stay attributable", field="review.version")
        return existing
    pv = ProtocolVersion(review_id=review_id, version=version, sha256=sha256, content=content, path=path)
    session.add(pv)
    session.flush()
    return pv


# -- runs ---------------------------------------------------------------------------------------------------------
def start_run(session: Session, flow: str, protocol_version_id: int | None, parameters: dict[str, Any],
              prefect_flow_run_id: str | None = None) -> Run:
    run = Run(flow=flow, status="running", protocol_version_id=protocol_version_id, parameters=parameters,
              host=socket.gethostname(), pid=os.getpid(), prefect_flow_run_id=prefect_flow_run_id)
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run_id: int, status: str, summary: dict[str, Any], error: str | None = None) -> None:
    if status not in RUN_STATUSES:
        raise ValueError(status)
    run = session.get(Run, run_id)
    assert run is not None
    run.status, run.summary, run.error, run.finished_at = status, summary, error, utcnow()


def record_measurement(session: Session, flow: str, review_id: str, version: str, sha256: str, content: str,
                       path: str | None, parameters: dict[str, Any], summary: dict[str, Any]) -> int:
    """A measurement of a protocol version (a search validation, a volume estimate), stored as a finished run of
    that version so later ones can be compared with it; returns the run's id."""
    pv = register_protocol(session, review_id, version, sha256, content, path)
    run = start_run(session, flow, pv.id, parameters)
    finish_run(session, run.id, "succeeded", summary)
    return run.id


def abandon_stale_runs(session: Session) -> int:
    """Runs left 'running' by a killed process are marked failed (their uncommitted work never happened)."""
    n = 0
    for run in session.scalars(select(Run).where(Run.status == "running")):
        if not _alive(run.host, run.pid, as_utc(run.started_at)):
            run.status, run.finished_at = "failed", utcnow()
            run.error = "interrupted: the process ended before the run finished"
            for sr in run.source_runs:
                if sr.status == "running":
                    sr.status, sr.error, sr.finished_at = "failed", "interrupted", utcnow()
            n += 1
    return n


# -- watermarks ---------------------------------------------------------------------------------------------------
def get_watermark(session: Session, stream: str) -> Watermark | None:
    return session.get(Watermark, stream)


def advance_watermark(session: Session, stream: str, source: str, window_end: date, state: dict[str, Any],
                      run_id: int | None) -> Watermark:
    """Move the stream's cursor to ``window_end`` (never backwards) and keep the source state."""
    wm = session.get(Watermark, stream)
    if wm is None:
        wm = Watermark(stream=stream, source=source, last_window_end=window_end, state=state, run_id=run_id)
        session.add(wm)
    else:
        if window_end > wm.last_window_end:
            wm.last_window_end = window_end
        wm.state = {**(wm.state or {}), **state}
        wm.run_id = run_id
    session.flush()
    return wm


def next_window_start(watermark: Watermark | None, *, floor: date, overlap_days: int,
                      since: date | None = None) -> date:
    """Where a stream's next window starts: ``since`` if forced, the watermark minus the overlap, else the floor."""
    if since is not None:
        return max(since, floor)
    if watermark is None:
        return floor
    return max(floor, watermark.last_window_end - timedelta(days=overlap_days))


# -- source runs --------------------------------------------------------------------------------------------------
def start_source_run(session: Session, run_id: int, source: str, query_name: str, stream: str,
                     window_start: date | None, window_end: date | None, query_sent: str | None) -> SourceRun:
    sr = SourceRun(run_id=run_id, source=source, query_name=query_name, stream=stream, window_start=window_start,
                   window_end=window_end, query_sent=query_sent, status="running")
    session.add(sr)
    session.flush()
    return sr


def last_runs(session: Session, limit: int = 10) -> list[Run]:
    return list(session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))


# -- the run lock -------------------------------------------------------------------------------------------------
def _alive(host: str | None, pid: int | None, since: datetime | None) -> bool:
    """Is the holder still running? Same host: ask the OS. Other host: trust it until it is stale."""
    if host == socket.gethostname() and pid:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return since is not None and utcnow() - since < LOCK_STALE_AFTER


def acquire_lock(engine: Engine, name: str, holder: str) -> None:
    """Take the named lock or raise :class:`RunLockedError` naming who holds it. A dead holder's lock is taken over."""
    host, pid, now = socket.gethostname(), os.getpid(), utcnow()
    for _ in range(2):
        try:
            with transaction(engine) as s:
                lock = s.get(Lock, name, with_for_update=True)
                if lock is None:
                    s.add(Lock(name=name, holder=holder, host=host, pid=pid, acquired_at=now, heartbeat_at=now))
                    return
                if lock.holder and _alive(lock.host, lock.pid, as_utc(lock.heartbeat_at)) and not (
                        lock.host == host and lock.pid == pid):
                    raise RunLockedError(f"another run holds the '{name}' lock ({lock.holder}, pid {lock.pid} on "
                                         f"{lock.host} since {lock.acquired_at:%Y-%m-%d %H:%M} UTC); try again later")
                # compare-and-set so two takers of a stale lock cannot both win
                res = s.execute(update(Lock).where(Lock.name == name, Lock.holder.is_(lock.holder) if lock.holder
                                                   is None else Lock.holder == lock.holder,
                                                   Lock.pid.is_(lock.pid) if lock.pid is None else Lock.pid == lock.pid)
                                .values(holder=holder, host=host, pid=pid, acquired_at=now, heartbeat_at=now))
                if res.rowcount != 1:
                    raise RunLockedError(f"another run took the '{name}' lock just now; try again later")
                return
        except IntegrityError:  # two first-time takers raced on the insert: retry once, the loser sees the winner
            continue
    raise RunLockedError(f"could not take the '{name}' lock")


def release_lock(engine: Engine, name: str) -> None:
    with transaction(engine) as s:
        s.execute(update(Lock).where(Lock.name == name, Lock.pid == os.getpid(), Lock.host == socket.gethostname())
                  .values(holder=None, pid=None, host=None, acquired_at=None, heartbeat_at=None))


def lock_holder(engine: Engine, name: str) -> str | None:
    """Who holds the lock, read without taking the store's write lock; None when it is free (or its holder died)."""
    with reading(engine) as s:
        lock = s.get(Lock, name)
        if lock is None or not lock.holder or (lock.host == socket.gethostname() and lock.pid == os.getpid()):
            return None
        if not _alive(lock.host, lock.pid, as_utc(lock.heartbeat_at)):
            return None
        since = f" since {lock.acquired_at:%Y-%m-%d %H:%M} UTC" if lock.acquired_at else ""
        return f"{lock.holder}, pid {lock.pid} on {lock.host}{since}"


def acquire_lock_waiting(engine: Engine, name: str, holder: str, *, wait_seconds: float,
                         on_wait: Callable[[str], None] | None = None, poll_seconds: float = 1.0) -> None:
    """Take the lock, waiting up to ``wait_seconds`` for its holder to finish; say once that it waits.

    The holder is looked up with a read (SQLite readers never wait for a writer), so a second writer waits
    here, politely, instead of in SQLite's busy handler (which ends in "database is locked") or racing the
    first on PostgreSQL (which ends in a unique violation).
    """
    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        busy = lock_holder(engine, name)
        if busy is None:
            try:
                acquire_lock(engine, name, holder)
                return
            except RunLockedError as exc:
                busy = str(exc)
            except DBAPIError as exc:  # another writer's transaction kept SQLite's write lock past the busy timeout
                if "locked" not in str(exc.orig).lower():
                    raise
                busy = "another writer's transaction"
        if time.monotonic() >= deadline:
            raise RunLockedError(f"gave up after waiting {wait_seconds:g} s for the store's '{name}' lock, held by "
                                 f"{busy}; try again later")
        if not told and on_wait is not None:
            on_wait(f"waiting for the store's '{name}' lock, held by {busy} …")
            told = True
        time.sleep(poll_seconds)
