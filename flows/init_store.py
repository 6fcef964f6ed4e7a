"""``livereview init``: create or migrate the store, record the protocol version, load the seed corpus.

Idempotent: a second run migrates nothing, registers the same protocol version and finds every
seed record already stored (same source, id and content), so nothing changes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from livereview.errors import InputFileError
from livereview.protocols.model import Protocol
from livereview.records.model import Record
from livereview.records.normalise import clean_text, normalise_doi, normalise_pmid, parse_year, split_name
from livereview.records.vocabulary import FULL_TEXT
from livereview.store.appraisal import load_baseline_appraisals
from livereview.store.db import migrate, refresh_statistics, transaction
from livereview.store.extraction import load_baseline
from livereview.store.fields import ID_FIELDS
from livereview.store.ingest import (
    PriorDecision,
    Provenance,
    canonical,
    fill_missing,
    ingest_records,
    works_by_identifiers,
)
from livereview.store.models import SourceRecord, Work
from livereview.store.releases import record_baseline
from livereview.store.runs import register_protocol

SEED_REVIEWER = "seed review team"
CONTAINER_TYPES = {"journal": "journal-article", "book": "book", "book-chapter": "book-chapter"}


@dataclass
class InitReport:
    revision_before: str | None
    revision_after: str
    protocol_version_id: int
    seed: dict[str, int]
    #: the published review's extraction rows (loaded / unchanged / unmatched) and baseline appraisals marked
    extraction: dict[str, int] = field(default_factory=dict)
    baseline_recorded: bool = False   # version 1.0, the published review, recorded by this run


def read_seed_corpus(path: Path, review_id: str) -> list[tuple[Record, str | None]]:
    """The seed corpus CSV as records (source ``seed:<review>``), each with its domain."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(str(path), f"cannot read seed corpus: {exc}") from exc
    required = {"seed_id", "authors", "year", "title", "container", "doi", "domain", "decision"}
    if not rows or not required <= set(rows[0]):
        raise InputFileError(str(path), f"seed corpus needs columns {', '.join(sorted(required))}")
    out = []
    for i, row in enumerate(rows, start=2):
        if not row["seed_id"] or row["decision"] != "included":
            raise InputFileError(str(path), "every seed row needs a seed_id and decision 'included'", line=i)
        ctype = CONTAINER_TYPES.get(row.get("container_type") or "", "")
        rec = Record(
            source=f"seed:{review_id}", source_id=row["seed_id"], title=clean_text(row["title"]),
            authors=[a for a in (split_name(x) for x in row["authors"].split(";")) if a],
            year=parse_year(row["year"]), journal=clean_text(row["container"]), volume=clean_text(row.get("volume")),
            issue=clean_text(row.get("issue")), pages=clean_text(row.get("pages")), doi=normalise_doi(row["doi"]),
            pmid=normalise_pmid(row.get("pmid")),
            publication_types=[t for t in (ctype, clean_text(row.get("publication_type"))) if t],
            language="eng", raw=",".join(row.values()), raw_format="seed-csv",
        )
        out.append((rec, row["domain"] or None))
    return out


def init_store(engine: Engine, protocol: Protocol) -> InitReport:
    before, after = migrate(engine)
    with transaction(engine) as s:
        pv = register_protocol(s, protocol.review.id, protocol.review.version, protocol.sha256 or "",
                               protocol.text or "", protocol.path)
        counts: dict[str, int] = {}
        path = protocol.seed_corpus_path
        if path is not None:
            prior = PriorDecision("include", FULL_TEXT, SEED_REVIEWER)
            for rec, domain in read_seed_corpus(path, protocol.review.id):
                same_row = _earlier_version_of_row(s, rec)
                prov = Provenance(origin="seed", actor="livereview init", prior=prior, domain=domain,
                                  reviewers_required=protocol.review.reviewers_by_stage)
                rep = ingest_records(s, [rec], prov, matcher=same_row)
                for k, v in rep.counts.items():
                    counts[k] = counts.get(k, 0) + v
        # the published review's Tables 2/3 as version 1.0 of the extraction (issue 21), and its appraisals
        extraction = load_baseline(s, protocol)
        if extraction:
            extraction["appraisals marked"] = load_baseline_appraisals(s)
        report = InitReport(before, after, pv.id, counts, extraction, record_baseline(s, protocol))
    refresh_statistics(engine)
    return report


@dataclass(frozen=True)
class _Match:
    key: int
    kind: str = "duplicate"
    rule: str = "same-seed-row"
    score: float = 1.0


class _SameSeedRow:
    """Ingest's matcher for one corrected seed row: the work an earlier version of the row created."""

    def __init__(self, work_id: int) -> None:
        self.work_id = work_id

    def match(self, record: Record) -> _Match:
        return _Match(self.work_id)

    def add(self, key: object, record: Record) -> None:
        return None

    def remove(self, key: object) -> None:
        return None


def _earlier_version_of_row(session: Session, rec: Record) -> _SameSeedRow | None:
    """A seed row corrected since the last ``init`` stays the work it was, not a second one.

    Applies when the row's identifiers point at no work (a DOI was added, or it has none) and the work an
    earlier version of the same row created has the same title or a DOI the row now fills in. A row that now
    names another work (S10 in 1.1.0: a different title, its wrong DOI removed) is added as a new work, so no
    decision moves silently; the team excludes the old one.
    """
    ids = {name: getattr(rec, name) for name in ID_FIELDS if getattr(rec, name)}
    if ids and works_by_identifiers(session, ids):
        return None
    prior = session.scalars(select(SourceRecord.work_id).where(SourceRecord.source == rec.source,
                                                               SourceRecord.source_id == rec.source_id)).first()
    work = canonical(session, session.get(Work, prior)) if prior is not None else None  # type: ignore[arg-type]
    if work is None:
        return None
    same_title = (work.title or "").strip().lower() == (rec.title or "").strip().lower()
    if not same_title and not (ids and not any(getattr(work, n) for n in ids)):
        return None
    fill_missing(session, work, rec)
    return _SameSeedRow(work.id)
