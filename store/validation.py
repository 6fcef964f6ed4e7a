"""Search validation results (``livereview validate-search``), kept per protocol version.

Each validation is a ``runs`` row with ``flow = "validate-search"``, the protocol version it measured and
``summary = {"recall": {source: {"found": n, "total": m}}, "misses": {...}}``. :func:`recall_drops` compares
the latest validation of the current protocol version with the latest of an earlier version, so the
digest can warn when a protocol change lowered recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.records.normalise import normalise_doi
from livereview.store.audit import audit
from livereview.store.models import ProtocolVersion, Run, Work
from livereview.store.runs import record_measurement

VALIDATE_FLOW = "validate-search"


@dataclass(frozen=True)
class RecallDrop:
    source: str
    version: str
    recall: float
    previous_version: str
    previous_recall: float


def record_validation(session: Session, review_id: str, version: str, sha256: str, content: str, path: str | None,
                      summary: dict[str, Any]) -> int:
    """Store one validation (recall per source and the misses) as a finished run; returns its id."""
    return record_measurement(session, VALIDATE_FLOW, review_id, version, sha256, content, path,
                              {"sources": sorted(summary.get("recall", {}))}, summary)


def _recall(entry: dict[str, Any]) -> float | None:
    total = entry.get("total") or 0
    return entry.get("found", 0) / total if total else None


def latest_recall(session: Session, review_id: str) -> list[tuple[str, dict[str, dict[str, int]]]]:
    """(protocol version, recall per source) of the latest validation of each version, newest version first."""
    rows = session.execute(select(ProtocolVersion.version, Run.summary).join(
        Run, Run.protocol_version_id == ProtocolVersion.id).where(
        Run.flow == VALIDATE_FLOW, ProtocolVersion.review_id == review_id).order_by(Run.id.desc())).all()
    seen: dict[str, dict[str, dict[str, int]]] = {}
    for version, summary in rows:
        if version not in seen:
            seen[version] = dict((summary or {}).get("recall", {}))
    return list(seen.items())


def recall_drops(session: Session, review_id: str, version: str) -> list[RecallDrop]:
    """Sources whose recall under ``version`` is lower than under the previously validated version."""
    history = latest_recall(session, review_id)
    current = dict(history).get(version)
    previous = next(((v, r) for v, r in history if v != version), None)
    if current is None or previous is None:
        return []
    out = []
    for source, entry in sorted(current.items()):
        now, before = _recall(entry), _recall(previous[1].get(source, {}))
        if now is not None and before is not None and now < before:
            out.append(RecallDrop(source, version, now, previous[0], before))
    return out


@dataclass(frozen=True)
class FilledIdentifier:
    """An identifier a source gave for an included work that lacked it, and whether it was written."""

    work_id: int
    field: str                 # pmid | doi
    value: str
    source: str
    problem: str | None = None   # why it was not written (the field is set, or another work holds the value)


def fill_identifiers(session: Session, learned: list[tuple[int, str, str, str]], actor: str) -> list[FilledIdentifier]:
    """Write PMIDs/DOIs the sources gave for includes that lacked them (``validate-search`` online): only into an
    empty field, never over one, and never a value another work holds (that work is a duplicate to merge, said as
    the problem); one audit entry per field written. ``learned`` is ``(work_id, field, value, source)``; the first
    value for a (work, field) wins, a different one from another source is reported, not written."""
    out: list[FilledIdentifier] = []
    done: dict[tuple[int, str], str] = {}
    for wid, name, raw, source in learned:
        value = normalise_doi(raw) if name == "doi" else str(raw).strip()
        if name not in ("pmid", "doi") or not value:
            continue
        if (wid, name) in done:
            if done[(wid, name)] != value:
                out.append(FilledIdentifier(wid, name, value, source, f"{source} disagrees with {done[(wid, name)]}"))
            continue
        done[(wid, name)] = value
        work = session.get(Work, wid)
        column = Work.pmid if name == "pmid" else Work.doi
        current = getattr(work, name) if work is not None else None
        holder = session.scalar(select(Work.id).where(column == value, Work.id != wid).limit(1))
        problem = ("work not found" if work is None else f"already {current}" if current
                   else f"held by work {holder} (a duplicate to merge?)" if holder is not None else None)
        if problem is None:
            setattr(work, name, value)
            audit(session, actor, "identifier-filled", "work", wid, field=name, value=value, source=source)
        out.append(FilledIdentifier(wid, name, value, source, problem))
    session.flush()
    return out
