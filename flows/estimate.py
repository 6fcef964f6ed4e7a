"""How much a search would bring, measured before it runs: count-only requests per source and named query.

For every source and query the protocol runs (and every reported sub-query), two counts: the backfill window
(date floor to today: what a first run fetches) and the last four weeks (what a weekly run brings). The weekly
figure is set beside the team's ``review.weekly_capacity``; a first run whose backfill exceeds the capacity by
more than ``review.volume_factor`` stops before fetching (see :func:`volume_check`). Counts are one request each
(PubMed ``esearch retmax=0``, Europe PMC ``hitCount`` of a 1-record page, OpenAlex ``meta.count`` with
``per_page=1``, Crossref ``total-results`` with ``rows=0``); feeds have no count and are left out.

Counts before the client-side concept filter (Crossref tables of contents) are an upper bound of what is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from livereview.connectors.base import Window
from livereview.connectors.registry import connector_for
from livereview.errors import SourceError
from livereview.protocols.model import Protocol
from livereview.protocols.queries import openalex_languages, source_queries
from livereview.settings import Settings

#: the recent window: four weeks, so a weekly figure averages out one quiet or busy week
RECENT_DAYS = 28
#: sources that can answer a count (feeds cannot: a feed is its latest entries, not a searchable index)
COUNTABLE = ("pubmed", "europepmc", "openalex", "crossref")


@dataclass
class QueryEstimate:
    backfill: int | None = None
    recent: int | None = None
    subquery: bool = False

    @property
    def per_week(self) -> float | None:
        return None if self.recent is None else round(self.recent * 7 / RECENT_DAYS, 1)


@dataclass
class SourceEstimate:
    queries: dict[str, QueryEstimate] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Estimate:
    capacity_per_week: int | None
    volume_factor: float
    sources: dict[str, SourceEstimate]
    backfill_window: Window
    recent_window: Window

    @property
    def per_week_total(self) -> float:
        """Expected records per week over every fetched query (sub-queries are within them, not added)."""
        return round(sum(q.per_week or 0 for s in self.sources.values() for q in s.queries.values()
                         if not q.subquery), 1)

    @property
    def backfill_total(self) -> int:
        return sum(q.backfill or 0 for s in self.sources.values() for q in s.queries.values() if not q.subquery)

    def as_json(self) -> dict[str, Any]:
        """The shape of issue 19: capacity, weekly total, and per source and query the two figures."""
        out: dict[str, Any] = {"capacity_per_week": self.capacity_per_week, "per_week_total": self.per_week_total,
                               "sources": {}}
        for name, src in self.sources.items():
            entry: dict[str, Any] = {"queries": {q: {"backfill": e.backfill, "per_week": e.per_week}
                                                 for q, e in src.queries.items()}}
            if src.error:
                entry["error"] = src.error
            out["sources"][name] = entry
        return out


def estimate(settings: Settings, protocol: Protocol, *, sources: list[str] | None = None,
             today: date | None = None, connectors: dict[str, Any] | None = None) -> Estimate:
    """Count every (source, query) over the backfill window and the last four weeks; no record is fetched.

    A source that fails (unreachable, no key) is reported with its error and no figures, never as zero.
    ``connectors`` lets a caller hand in ready connectors (tests point them at a loopback stand-in).
    """
    today = today or date.today()
    backfill = Window(protocol.review.date_floor, today)
    recent = Window(today - timedelta(days=RECENT_DAYS - 1), today)
    wanted = [s for s in (sources or protocol.enabled_sources) if s in COUNTABLE]
    out: dict[str, SourceEstimate] = {}
    for source in wanted:
        cfg = protocol.source(source)
        est = SourceEstimate()
        out[source] = est
        try:
            connector = (connectors or {}).get(source) or connector_for(
                source, settings, types=cfg.types, languages=openalex_languages(protocol))
            for q in count_queries(protocol, source):
                sub = q[0] in protocol.search.queries and bool(protocol.search.queries[q[0]].subquery_of)
                est.queries[q[0]] = QueryEstimate(connector.count(q[1], backfill), connector.count(q[1], recent),
                                                  subquery=sub)
        except SourceError as exc:
            est.error = str(exc)
            est.queries = {}
    return Estimate(protocol.review.weekly_capacity, protocol.review.volume_factor, out, backfill, recent)


def count_queries(protocol: Protocol, source: str) -> list[tuple[str, str]]:
    """(name, text) of every query counted for a source: the fetched ones, then the reported sub-queries."""
    fetched = [(q.name, q.text) for q in source_queries(protocol, source)]
    names = {n for n, _ in fetched}
    subs = [n for n, nq in protocol.search.queries.items() if nq.subquery_of]
    if any(n in names for n in protocol.base_queries):  # sources with per-query strings (not a Crossref TOC)
        from livereview.protocols.queries import GENERATORS

        gen = GENERATORS.get(source)
        cfg = protocol.source(source)
        if gen is not None:
            fetched += [(n, cfg.overrides.get(n) or gen(protocol, n)) for n in subs]
    return fetched


def volume_check(est: Estimate) -> str | None:
    """The one-line reason a first (backfill) run must not start, or None when the volume is acceptable.

    The backfill arrives at once: it may bring at most ``volume_factor`` weeks of the team's capacity.
    """
    if est.capacity_per_week is None:
        return None
    limit = est.capacity_per_week * est.volume_factor
    if est.backfill_total > limit:
        return (f"first run would bring about {est.backfill_total} records (backfill {est.backfill_window}), over "
                f"{est.volume_factor:g} x the capacity of {est.capacity_per_week}/week = {limit:g}; expected "
                f"{est.per_week_total}/week afterwards. Narrow the protocol or rerun with --accept-volume")
    return None
