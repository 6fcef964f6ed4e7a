"""The connector contract: what every source module offers the flows, and nothing about the store.

A connector module exposes

* ``parse(payload: bytes, *, source=...) -> list[Record]`` — pure, no HTTP; also used by
  ``livereview import --format <kind>`` for saved responses;
* a class with ``name``, ``__init__(settings, *, client=None)`` and
  ``search(query: str, window: Window, *, state: dict | None = None) -> SearchResult``
  which pages to the end and returns every record of the window (or raises a
  :class:`~livereview.errors.SourceError`; never a partial batch dressed as complete).

The flow owns windows and watermarks; a connector just answers "what does this query give in
this window". ``SearchResult.state`` carries per-source cursor state a source needs between runs
(feeds' ETag / Last-Modified); the flow stores it with the watermark after committing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from livereview.connectors.http import ClientStats
from livereview.records.model import Record


@dataclass(frozen=True)
class Window:
    """A closed date range ``[start, end]`` (both inclusive) on the source's *index/creation* date."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def split(self, parts: int = 2) -> list[Window]:
        """Cut into ``parts`` consecutive windows (used to get under a source's result cap)."""
        if self.days < 2:
            return [self]
        parts = min(parts, self.days)
        step = self.days / parts
        out: list[Window] = []
        start = self.start
        for i in range(1, parts + 1):
            end = self.start + timedelta(days=round(step * i) - 1) if i < parts else self.end
            out.append(Window(start, end))
            start = end + timedelta(days=1)
        return out

    def slices(self, days: int) -> Iterator[Window]:
        """Consecutive windows of at most ``days`` days covering this one (backfill commit granularity)."""
        start = self.start
        while start <= self.end:
            end = min(self.end, start + timedelta(days=days - 1))
            yield Window(start, end)
            start = end + timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass
class SearchResult:
    """All records a query gave for a window, and how they were obtained."""

    source: str
    records: list[Record] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)      # the exact query strings / URLs sent (secrets redacted)
    total_reported: int | None = None                     # what the source said it had, when it says
    warnings: list[str] = field(default_factory=list)     # trusted-but-odd things (malformed feed, skipped record)
    dropped: int = 0                                      # items not made records (no title and no identifier)
    state: dict[str, Any] = field(default_factory=dict)   # cursor state to keep until the next run
    stats: ClientStats | None = None


class Connector(Protocol):
    name: str
    #: whether the protocol's ``sources.<name>.types`` can be applied at the source (passed as ``types=``)
    filters_types: bool

    def search(self, query: str, window: Window, *, state: dict[str, Any] | None = None) -> SearchResult: ...
