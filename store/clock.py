"""Time, in one place: timezone-aware UTC everywhere in the store.

Every timestamp the store writes comes from :func:`utcnow` (column defaults included), so :func:`simulated` can
move the whole product to another moment: ``livereview demo`` replays several weeks of weekly runs, each stored on
the day it stands for. Nothing else may set the clock; production never does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)   # process-wide on purpose: the monitor's worker threads must see the same clock


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


@contextmanager
def simulated(at: datetime) -> Iterator[datetime]:
    """Inside the block the clock reads ``at`` and runs on from there (for the demo's history of runs)."""
    global _offset
    previous = _offset
    _offset = as_utc(at) - datetime.now(UTC)  # type: ignore[operator]
    try:
        yield at
    finally:
        _offset = previous


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; treat them as the UTC they were written as."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
