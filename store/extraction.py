"""Data extraction of the included studies (issue 21): two extractors, blind to each other, then a cross-check.

**The rule** (written once, here). Every included work is extracted by two people independently: each submits a
full set of values for the protocol's ``[extraction]`` fields (``submit_extraction``); neither sees the other's
values until both have submitted (:func:`visible_extractions`). A checker, not one of the two extractors, then
compares the two field by field and records the final values with a note (``reconcile``): that row is the work's
*reconciled* extraction. A work
is *open* (:func:`open_extractions`) until it has one. The 50 studies of the published review come with their
Table 2/3 rows as reconciled values of version 1.0 (``load_baseline``, called by ``init``; provenance "published
review, Table 2" or "Table 3"). Rows are never updated: a newer reconciliation supersedes an older one.

Every row stores the field definitions in force when it was written, so values written under an older protocol
read back with their old labels and choices after the protocol changes its fields. Every submission is audited
with its values.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.protocols.extraction import Extraction, field_from_definition
from livereview.protocols.model import Protocol
from livereview.store.audit import audit
from livereview.store.models import ExtractionRecord, SourceRecord, Work
from livereview.store.screening import INCLUDED

EXTRACTION = "extraction"
RECONCILED = "reconciled"
#: the review version the published paper's rows are loaded as
BASELINE_VERSION = "1.0"


class ExtractionError(ValueError):
    """A submission the rules refuse (not included, not an extractor, a value outside its field): nothing stored."""


@dataclass(frozen=True)
class ExtractionState:
    """Where one included work stands: who extracted, and whether it is reconciled."""

    work_id: int
    extractors: list[str]
    reconciled: ExtractionRecord | None

    @property
    def stage(self) -> str:
        if self.reconciled is not None:
            return "reconciled"
        return "cross-check" if len(self.extractors) >= 2 else f"extraction ({len(self.extractors)} of 2)"


def extraction_spec(protocol: Protocol) -> Extraction:
    """The protocol's ``[extraction]``; a protocol without one cannot take extractions."""
    if protocol.extraction is None:
        raise ExtractionError(f"{protocol.path or 'the protocol'}: no [extraction] section")
    return protocol.extraction


def included_work_ids(session: Session) -> list[int]:
    """Included works (not merged away), oldest first: the studies that are extracted and appraised."""
    return list(session.scalars(select(Work.id).where(Work.status == INCLUDED, Work.merged_into_id.is_(None))
                                .order_by(Work.id)))


def _require_included(session: Session, work_id: int) -> Work:
    work = session.get(Work, work_id)
    if work is None or work.status != INCLUDED or work.merged_into_id is not None:
        raise ExtractionError(f"work {work_id} is not an included study")
    return work


def extractions(session: Session, work_id: int) -> dict[str, ExtractionRecord]:
    """Each extractor's latest submission for a work."""
    rows = session.scalars(select(ExtractionRecord).where(ExtractionRecord.work_id == work_id,
                                                          ExtractionRecord.kind == EXTRACTION)
                           .order_by(ExtractionRecord.id))
    return {r.actor: r for r in rows}


def reconciled(session: Session, work_id: int) -> ExtractionRecord | None:
    """The work's latest reconciled values (a cross-check, or the published review's row)."""
    return session.scalars(select(ExtractionRecord).where(ExtractionRecord.work_id == work_id,
                                                          ExtractionRecord.kind == RECONCILED)
                           .order_by(ExtractionRecord.id.desc())).first()


def state(session: Session, work_id: int) -> ExtractionState:
    return ExtractionState(work_id, sorted(extractions(session, work_id)), reconciled(session, work_id))


def visible_extractions(session: Session, work_id: int, viewer: str) -> dict[str, ExtractionRecord]:
    """What ``viewer`` may see of the extractions: their own always, the other's only once both are in."""
    rows = extractions(session, work_id)
    if len(rows) >= 2:
        return rows
    return {k: v for k, v in rows.items() if k == viewer}


def submit_extraction(session: Session, protocol: Protocol, work_id: int, actor: str,
                      values: dict[str, Any]) -> ExtractionRecord:
    """One extractor's values for an included work (checked against the fields; refused: nothing stored).

    Each work takes two extractors; an extractor may correct their own values until the other has submitted too
    (after that, the cross-check decides). With ``extraction.extractors`` set, only they may extract.
    """
    spec = extraction_spec(protocol)
    _require_included(session, work_id)
    if spec.extractors and actor not in spec.extractors:
        raise ExtractionError(f"{actor} is not an extractor (extraction.extractors: {', '.join(spec.extractors)})")
    if reconciled(session, work_id) is not None:
        raise ExtractionError(f"work {work_id} is already reconciled")
    current = extractions(session, work_id)
    if actor not in current and len(current) >= 2:
        raise ExtractionError(f"work {work_id} already has two extractions ({', '.join(sorted(current))})")
    if actor in current and len(current) >= 2:
        raise ExtractionError(f"work {work_id}: both extractions are in; changes go through the cross-check")
    try:
        checked = spec.check(values)
    except ValueError as exc:
        raise ExtractionError(str(exc)) from None
    row = ExtractionRecord(work_id=work_id, kind=EXTRACTION, actor=actor, values=checked,
                           fields=spec.definitions(), notes={}, provenance="extraction",
                           protocol_version=protocol.review.version)
    session.add(row)
    session.flush()
    audit(session, actor, "extraction-submitted", "work", work_id, extraction_id=row.id, values=checked)
    return row


def differences(a: dict[str, Any], b: dict[str, Any], names: list[str]) -> list[str]:
    """The fields on which two sets of values disagree (the cross-check's list)."""
    return [n for n in names if (a.get(n) or None) != (b.get(n) or None)]


def reconcile(session: Session, protocol: Protocol, work_id: int, actor: str, values: dict[str, Any], *,
              notes: dict[str, str] | None = None, note: str | None = None) -> ExtractionRecord:
    """The checker's final values after comparing the two extractions (both must be in), with their notes.

    The checker is someone other than the two extractors (the paper: two authors extracted, two others
    cross-checked against the original texts); with ``extraction.checkers`` set, one of them.
    """
    spec = extraction_spec(protocol)
    _require_included(session, work_id)
    current = extractions(session, work_id)
    if len(current) < 2:
        raise ExtractionError(f"work {work_id}: the cross-check needs two extractions ({len(current)} in)")
    if actor in current:
        raise ExtractionError(f"{actor} extracted work {work_id}: the cross-check is someone else's")
    if spec.checkers and actor not in spec.checkers:
        raise ExtractionError(f"{actor} is not a checker (extraction.checkers: {', '.join(spec.checkers)})")
    try:
        checked = spec.check(values)
    except ValueError as exc:
        raise ExtractionError(str(exc)) from None
    clean_notes = {k: v.strip() for k, v in (notes or {}).items() if v and v.strip()}
    unknown = [k for k in clean_notes if k not in spec.fields]
    if unknown:
        raise ExtractionError(f"{unknown[0]}: not an extraction field of this protocol")
    row = ExtractionRecord(work_id=work_id, kind=RECONCILED, actor=actor, values=checked,
                           fields=spec.definitions(), notes=clean_notes, note=(note or "").strip() or None,
                           provenance="cross-check", protocol_version=protocol.review.version)
    session.add(row)
    session.flush()
    names = list(spec.fields)
    a, b = (current[k] for k in sorted(current)[:2])
    audit(session, actor, "extraction-reconciled", "work", work_id, extraction_id=row.id, values=checked,
          notes=clean_notes, note=row.note, disagreed=differences(a.values, b.values, names),
          extractions=[a.id, b.id])
    return row


def _domain(work: Work, values: dict[str, Any]) -> str | None:
    return values.get("domain") or work.domain


def reconciled_rows(session: Session, protocol: Protocol) -> list[dict[str, Any]]:
    """One dict per included work: the final value of every extraction field, plus work_id, domain, provenance.

    Fields are the protocol's current ones in order, then any field an older protocol had that this one no
    longer does (its value still read). A work not yet reconciled has every field None and provenance None
    (:func:`open_extractions` lists them). Extra keys: ``review_version`` ("1.0" for the published review's rows),
    ``reconciled_by``, ``note``.
    """
    names = list(protocol.extraction.fields) if protocol.extraction else []
    out = []
    for work_id in included_work_ids(session):
        work = session.get(Work, work_id)
        final = reconciled(session, work_id)
        values = dict(final.values) if final else {}
        row: dict[str, Any] = {"work_id": work_id}
        for name in names:
            row[name] = values.get(name)
        for name in (final.fields if final else {}):
            if name not in row:
                row[name] = values.get(name)
        row["domain"] = _domain(work, values)  # type: ignore[arg-type]
        row["provenance"] = final.provenance if final else None
        row["review_version"] = final.review_version if final else None
        row["reconciled_by"] = final.actor if final else None
        row["note"] = final.note if final else None
        out.append(row)
    return out


def open_extractions(session: Session) -> list[int]:
    """Included works whose extraction is not reconciled yet (what a release must refuse or list as open)."""
    done = set(session.scalars(select(ExtractionRecord.work_id).where(ExtractionRecord.kind == RECONCILED)))
    return [w for w in included_work_ids(session) if w not in done]


def field_label(row: ExtractionRecord, name: str) -> str:
    """A field's label as defined when the row was written (older protocols' fields keep theirs)."""
    definition = row.fields.get(name)
    return field_from_definition(definition).label if definition else name


# -- the published review's rows (version 1.0) ---------------------------------------------------------------------

def baseline_path(protocol: Protocol) -> Path | None:
    """The protocol's ``extraction.baseline`` CSV, beside the protocol file."""
    if protocol.extraction is None or not protocol.extraction.baseline:
        return None
    base = Path(protocol.path).parent if protocol.path else Path.cwd()
    return base / protocol.extraction.baseline


def read_baseline(path: Path, spec: Extraction) -> list[tuple[str, str, dict[str, Any]]]:
    """(seed id, provenance, checked values) per CSV row; InputFileError-style ExtractionError naming the line."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for line, row in enumerate(rows, start=2):
        seed_id = (row.pop("seed_id", "") or "").strip()
        provenance = (row.pop("provenance", "") or "").strip()
        if not seed_id or not provenance:
            raise ExtractionError(f"{path}:{line}: seed_id and provenance are required")
        values: dict[str, Any] = {}
        for name, raw in row.items():
            if name not in spec.fields:
                raise ExtractionError(f"{path}: column {name!r} is not an extraction field")
            raw = (raw or "").strip()
            field = spec.fields[name]
            values[name] = [v.strip() for v in raw.split(";") if v.strip()] if field.type == "multi" else raw
        try:
            out.append((seed_id, provenance, spec.check(values)))
        except ValueError as exc:
            raise ExtractionError(f"{path}:{line}: {exc}") from None
    return out


def load_baseline(session: Session, protocol: Protocol, path: Path | None = None,
                  actor: str = "livereview init") -> dict[str, int]:
    """The published review's extraction rows as reconciled version-1.0 values, linked to the seed works.

    Idempotent: a work that already has a baseline row with the same values is left alone; a corrected CSV row
    adds a newer baseline row (the older stays, audited). Returns counts: loaded, unchanged, unmatched.
    """
    if protocol.extraction is None:
        return {}
    path = path or baseline_path(protocol)
    if path is None:
        return {}
    spec = protocol.extraction
    source = f"seed:{protocol.review.id}"
    counts = {"loaded": 0, "unchanged": 0, "unmatched": 0}
    for seed_id, provenance, values in read_baseline(path, spec):
        work_id = session.scalars(select(SourceRecord.work_id).where(SourceRecord.source == source,
                                                                     SourceRecord.source_id == seed_id)).first()
        work = session.get(Work, work_id) if work_id is not None else None
        while work is not None and work.merged_into_id is not None:
            work = session.get(Work, work.merged_into_id)
        if work is None:
            counts["unmatched"] += 1
            continue
        last = session.scalars(select(ExtractionRecord).where(
            ExtractionRecord.work_id == work.id, ExtractionRecord.review_version == BASELINE_VERSION)
            .order_by(ExtractionRecord.id.desc())).first()
        if last is not None and last.values == values and last.provenance == provenance:
            counts["unchanged"] += 1
            continue
        row = ExtractionRecord(work_id=work.id, kind=RECONCILED, actor=actor, values=values,
                               fields=spec.definitions(), notes={}, provenance=provenance,
                               review_version=BASELINE_VERSION, protocol_version=protocol.review.version,
                               note=f"{seed_id}, transcribed from the published review")
        session.add(row)
        session.flush()
        audit(session, actor, "extraction-baseline", "work", work.id, extraction_id=row.id, seed_id=seed_id,
              provenance=provenance, values=values)
        counts["loaded"] += 1
    return counts
