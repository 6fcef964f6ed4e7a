"""The PRISMA-S search log: every search as run — database and platform, the exact query sent, date, window,
limits and filters, records found, after deduplication, new — per monitor run and source query, and every
file import with its database label, date and the query the team recorded with it (``import --query``).

Limits and filters come from the protocol version each run recorded, so an old entry shows the
protocol as it was then, not as it is now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.protocols.model import Protocol, parse_protocol
from livereview.store.clock import as_utc
from livereview.store.models import Import, ProtocolVersion, Run, SourceRun

PLATFORMS = {
    "pubmed": "PubMed (NCBI E-utilities API)",
    "europepmc": "Europe PMC (REST API)",
    "crossref": "Crossref (REST API)",
    "openalex": "OpenAlex (API)",
    "feeds": "Journal table-of-contents feeds (RSS/Atom)",
}
#: source-run counts that are "found again": removed as duplicates
DUPLICATE_KEYS = ("already-queued", "in-corpus", "update", "unchanged")
DEDUP_METHOD = ("Records are deduplicated automatically on arrival: by identifier (DOI, PMID, PMCID, OpenAlex id, "
                "on works and on every record stored before), then by fuzzy matching of title, authors, year and "
                "venue (dedup/ rules); merges are audited and can be undone.")


@dataclass(frozen=True)
class SearchLogEntry:
    kind: str                  # search | import
    run_id: int | None
    import_id: int | None
    date: datetime
    database: str
    platform: str
    query_name: str
    query: str | None
    window_start: date | None
    window_end: date | None
    limits: str
    status: str
    found: int
    after_dedup: int
    new: int
    protocol_version: str | None
    error: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "run": self.run_id or "", "import": self.import_id or "",
            "date": self.date.strftime("%Y-%m-%d %H:%M UTC"), "database": self.database, "platform": self.platform,
            "query_name": self.query_name, "query": self.query or "",
            "window_start": self.window_start.isoformat() if self.window_start else "",
            "window_end": self.window_end.isoformat() if self.window_end else "",
            "limits": self.limits, "status": self.status, "found": self.found, "after_dedup": self.after_dedup,
            "new": self.new, "protocol_version": self.protocol_version or "",
        }


COLUMNS = ("kind", "run", "import", "date", "database", "platform", "query_name", "query", "window_start",
           "window_end", "limits", "status", "found", "after_dedup", "new", "protocol_version")


def limits_for(protocol: Protocol | None, source: str) -> str:
    """The limits and filters a source's searches ran with, in words, from the protocol version of the run."""
    if protocol is None:
        return "protocol version not recorded"
    parts = [*provenance_notes(protocol, source), f"languages: {', '.join(protocol.review.languages)}",
             f"date floor {protocol.review.date_floor.isoformat()}"]
    try:
        cfg = protocol.source(source)
    except (KeyError, ValueError):
        return "; ".join(parts)
    if cfg.fields_searched:
        parts.append(f"fields: {cfg.fields_searched}")
    elif cfg.field:
        parts.append(f"fields: {cfg.field}")
    if cfg.unverified:   # PRISMA-S: what the protocol could not confirm about the source is said with the search
        parts.append("unverified: " + "; ".join(cfg.unverified))
    if cfg.scope:
        parts.append(f"scope: {cfg.scope}")
    if cfg.types:
        parts.append(f"types: {', '.join(cfg.types)}")
    if cfg.filter_client_side or source == "feeds":
        parts.append("results re-checked against the protocol's concepts")
    parts.append(f"window by index/creation date, {cfg.overlap_days}-day overlap")
    return "; ".join(parts)


def provenance_notes(protocol: Protocol | None, source: str) -> list[str]:
    """PRISMA-S: where the strings come from (``review.search_provenance``, first sentence) and the logged
    deviations from the paper's methods that concern this source."""
    if protocol is None:
        return []
    out = []
    if protocol.review.search_provenance:
        first = protocol.review.search_provenance.strip().split(". ")[0].rstrip(".")
        out.append(f"search strings: {first}")
    out += [f"deviation: {d.what}" for d in protocol.deviations if d.source == source]
    return out


def search_log(session: Session, *, since: date | None = None, until: date | None = None) -> list[SearchLogEntry]:
    """Every source query run and every file import, oldest first."""
    versions: dict[int, tuple[str, Protocol | None]] = {}

    def version(pv_id: int | None) -> tuple[str | None, Protocol | None]:
        if pv_id is None:
            return None, None
        if pv_id not in versions:
            pv = session.get(ProtocolVersion, pv_id)
            proto = None
            if pv is not None:
                try:
                    proto = parse_protocol(pv.content, pv.path or "<stored protocol>")
                except Exception:  # noqa: BLE001 - an old text the current schema refuses: still log the search
                    proto = None
            versions[pv_id] = (pv.version if pv else "?", proto)
        return versions[pv_id]

    out: list[SearchLogEntry] = []
    stmt = select(SourceRun, Run.protocol_version_id).join(Run, Run.id == SourceRun.run_id).order_by(SourceRun.id)
    for sr, pv_id in session.execute(stmt):
        when = as_utc(sr.started_at)
        assert when is not None
        if (since and when.date() < since) or (until and when.date() > until):
            continue
        c = sr.counts or {}
        found = int(c.get("fetched") or 0)
        new = int(c.get("new") or 0)
        dup = sum(int(c.get(k) or 0) for k in DUPLICATE_KEYS)
        after = max(0, found - int(c.get("filtered_out") or 0) - dup)
        vname, proto = version(pv_id)
        out.append(SearchLogEntry(
            kind="search", run_id=sr.run_id, import_id=None, date=when, database=sr.source,
            platform=PLATFORMS.get(sr.source, sr.source), query_name=sr.query_name, query=sr.query_sent,
            window_start=sr.window_start, window_end=sr.window_end, limits=limits_for(proto, sr.source),
            status=sr.status, found=found, after_dedup=after, new=new, protocol_version=vname, error=sr.error))
    for imp in session.scalars(select(Import).order_by(Import.id)):
        when = as_utc(imp.imported_at)
        assert when is not None
        if (since and when.date() < since) or (until and when.date() > until):
            continue
        c = imp.counts or {}
        found = int(c.get("records") or 0)
        dup = sum(int(c.get(k) or 0) for k in DUPLICATE_KEYS)
        vname, iproto = version(imp.protocol_version_id)
        prior = " (carries the previous version's screening decisions)" if imp.decision else ""
        prior += "".join(f"; {n}" for n in provenance_notes(iproto, imp.source))
        out.append(SearchLogEntry(
            kind="import", run_id=None, import_id=imp.id, date=when, database=imp.source,
            platform=f"file import ({imp.format})", query_name="", query=imp.query, window_start=None,
            window_end=None, limits=f"as exported from {imp.source}{prior}", status="imported", found=found,
            after_dedup=max(0, found - dup), new=int(c.get("new") or 0), protocol_version=vname))
    out.sort(key=lambda e: (e.date, e.kind, e.run_id or 0, e.import_id or 0))
    return out


@dataclass(frozen=True)
class QueryTotal:
    """One named query's searches added up over the log: the PRISMA-S per-domain yield (issue 19)."""

    query_name: str
    searches: int
    found: int
    after_dedup: int
    new: int


def totals_by_query(entries: Sequence[SearchLogEntry], names: Sequence[str]) -> list[QueryTotal]:
    """Per named query (the review's domains), the log's searches added up. A record both queries returned is in
    both lines (each search reports what it found): the PRISMA page's total counts it once."""
    out = []
    for name in names:
        mine = [e for e in entries if e.kind == "search" and e.query_name == name]
        out.append(QueryTotal(name, len(mine), sum(e.found for e in mine), sum(e.after_dedup for e in mine),
                              sum(e.new for e in mine)))
    return out
