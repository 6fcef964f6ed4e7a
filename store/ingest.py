"""Store records: match each against the store, link or create its work, classify what it was.

This is the one door through which records enter the store, whether they come from a monitor
run, a file import or the seed corpus. For every record it

1. skips it if this exact record (source, id, content, query) is already stored — a rerun of
   the same window changes nothing;
2. finds its work by identifier (DOI, PMID, PMCID, OpenAlex id — on works and on every source
   record ever stored), else by the fuzzy matcher when one is given;
3. links it (filling fields the work lacked: a metadata update), or creates a new queued work;
4. turns retraction / correction information into flags and notices for the digest;
5. classifies it: new, in-corpus, already-queued, update, version, notice, unchanged.

It works inside the caller's transaction: a batch is stored completely or not at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.model import Record
from records.vocabulary import NOTICE_FOR_PUBLICATION_TYPE, NOTICE_FOR_RELATION, NOTICE_IN_RELATION, NoticeKind
from store import screening
from store.audit import audit
from store.fields import FILLABLE, ID_FIELDS, LIST_FIELDS
from store.merge import merge_works
from store.models import Notice, SourceRecord, Work, WorkLink

CLASSIFICATIONS = ("new", "in-corpus", "already-queued", "update", "version", "notice", "unchanged")


class FuzzyMatcher(Protocol):
    """What ingest needs from the duplicate detector (``dedup.MatchIndex`` implements it)."""

    def match(self, record: Record) -> Any: ...  # -> .key, .kind ("duplicate" | "version" | "notice"), .rule, .score

    def add(self, key: Any, record: Record) -> None: ...

    def remove(self, key: Any) -> None: ...


@dataclass(frozen=True)
class PriorDecision:
    """A decision carried in with an import (e.g. the team's 2023 screening)."""

    decision: str       # include | exclude
    stage: str          # title-abstract | full-text
    reviewer: str
    reason: str | None = None


@dataclass
class Provenance:
    origin: str                      # search | import | seed
    run_id: int | None = None
    source_run_id: int | None = None
    import_id: int | None = None
    query_name: str = ""
    actor: str = "livereview"
    prior: PriorDecision | None = None
    domain: str | None = None
    reviewers_required: int = 2


@dataclass
class IngestReport:
    counts: Counter[str] = field(default_factory=Counter)
    new_work_ids: list[int] = field(default_factory=list)
    notice_ids: list[int] = field(default_factory=list)
    classifications: list[tuple[str, int | None]] = field(default_factory=list)  # per input record

    def as_dict(self) -> dict[str, int]:
        return {k: self.counts.get(k, 0) for k in CLASSIFICATIONS} | {"records": sum(self.counts.values())}


# -- lookups ----------------------------------------------------------------------------------------------------
def canonical(session: Session, work: Work) -> Work:
    """Follow merges to the surviving work."""
    seen = set()
    while work.merged_into_id is not None and work.id not in seen:
        seen.add(work.id)
        work = session.get(Work, work.merged_into_id)  # type: ignore[assignment]
    return work


def works_by_identifiers(session: Session, ids: dict[str, str]) -> list[Work]:
    """Every distinct (canonical) work any of these identifiers belongs to, on works or stored source records."""
    found: dict[int, Work] = {}
    for name in ID_FIELDS:
        value = ids.get(name)
        if not value:
            continue
        candidates = list(session.scalars(select(Work).where(getattr(Work, name) == value)))
        wids = session.scalars(select(SourceRecord.work_id).where(getattr(SourceRecord, name) == value)
                               .distinct()).all()
        candidates += [w for w in (session.get(Work, wid) for wid in wids) if w is not None]
        for work in candidates:
            work = canonical(session, work)
            found.setdefault(work.id, work)
    return [found[k] for k in sorted(found)]


def find_by_identifiers(session: Session, ids: dict[str, str]) -> Work | None:
    """The work these identifiers belong to (the oldest, if they point at several)."""
    works = works_by_identifiers(session, ids)
    return works[0] if works else None


def _record_ids(rec: Record) -> dict[str, str]:
    return {name: getattr(rec, name) for name in ID_FIELDS if getattr(rec, name)}


def _id_taken(session: Session, name: str, value: str, by_other_than: int | None) -> bool:
    col = getattr(Work, name)
    other = session.scalars(select(Work.id).where(col == value)).first()
    return other is not None and other != by_other_than


def _notice_kind(rec: Record) -> str | None:
    """If the record is itself a retraction/correction notice, which kind."""
    for rel in rec.relations:
        if rel.kind in NOTICE_FOR_RELATION:
            return NOTICE_FOR_RELATION[rel.kind]
    for pt in rec.publication_types:
        kind = NOTICE_FOR_PUBLICATION_TYPE.get(pt.lower())
        if kind:
            return kind
    return None


# -- work construction and merging ----------------------------------------------------------------------------
def _new_work(session: Session, rec: Record, prov: Provenance, status: str) -> Work:
    work = Work(
        title=rec.title, abstract=rec.abstract, authors=list(rec.authors), year=rec.year, journal=rec.journal,
        volume=rec.volume, issue=rec.issue, pages=rec.pages, issn=list(rec.issn), language=rec.language,
        publication_types=list(rec.publication_types), keywords=list(rec.keywords), url=rec.url,
        is_retracted=rec.is_retracted, is_preprint=_is_preprint(rec), domain=prov.domain, origin=prov.origin,
        status=status, first_run_id=prov.run_id, first_import_id=prov.import_id,
    )
    for name in ID_FIELDS:
        value = getattr(rec, name)
        if value and not _id_taken(session, name, value, None):
            setattr(work, name, value)
    session.add(work)
    session.flush()
    return work


def _is_preprint(rec: Record) -> bool:
    return any(pt.lower() in ("preprint", "posted-content") for pt in rec.publication_types)


def fill_missing(session: Session, work: Work, rec: Record) -> list[str]:
    """Copy into the work what it lacked and the record has; returns the names of the fields filled."""
    filled: list[str] = []
    for name in FILLABLE:
        value = getattr(rec, name)
        if value not in (None, "") and getattr(work, name) in (None, ""):
            setattr(work, name, value)
            filled.append(name)
    for name in LIST_FIELDS:
        current = list(getattr(work, name) or [])
        if name == "authors":
            if not current and rec.authors:
                work.authors = list(rec.authors)
                filled.append(name)
            continue
        extra = [v for v in getattr(rec, name) if v not in current]
        if extra:
            setattr(work, name, current + extra)
            if name != "keywords":
                filled.append(name)
    for name in ID_FIELDS:
        value = getattr(rec, name)
        if value and not getattr(work, name) and not _id_taken(session, name, value, work.id):
            setattr(work, name, value)
            filled.append(name)
    return filled


def _flag_notice(session: Session, work: Work, kind: str, evidence: str, prov: Provenance, source: str) -> int | None:
    """Set the work's flag and add a notice once (unique on work, kind, evidence)."""
    if kind == NoticeKind.RETRACTION:
        work.is_retracted = True
    elif kind == NoticeKind.CORRECTION:
        work.has_correction = True
    exists = session.scalars(select(Notice.id).where(
        Notice.work_id == work.id, Notice.kind == kind, Notice.evidence == evidence[:400])).first()
    if exists:
        return None
    notice = Notice(work_id=work.id, kind=kind, evidence=evidence[:400], source=source, run_id=prov.run_id,
                    import_id=prov.import_id)
    session.add(notice)
    session.flush()
    audit(session, prov.actor, f"notice:{kind}", "work", work.id, evidence=evidence, source=source)
    return notice.id


def _apply_relations(session: Session, work: Work, rec: Record, prov: Provenance, report: IngestReport) -> bool:
    """Links, retraction/correction flags and notices; True when a notice about a known work was raised."""
    raised = False
    names_its_retraction = any(NOTICE_IN_RELATION.get(rel.kind) == NoticeKind.RETRACTION for rel in rec.relations)
    if rec.is_retracted and not work.is_retracted and not names_its_retraction:  # else the relation's notice says it
        nid = _flag_notice(session, work, NoticeKind.RETRACTION, f"{rec.source}: record marked retracted", prov,
                           rec.source)
        raised = raised or nid is not None
        if nid:
            report.notice_ids.append(nid)
    for rel in rec.relations:
        target = find_by_identifiers(session, {"doi" if rel.id_type == "doi" else
                                               "pmid" if rel.id_type == "pmid" else rel.id_type: rel.target})
        link_exists = session.scalars(select(WorkLink.id).where(
            WorkLink.work_id == work.id, WorkLink.kind == rel.kind, WorkLink.target_type == rel.id_type,
            WorkLink.target == rel.target)).first()
        if not link_exists:
            session.add(WorkLink(work_id=work.id, kind=rel.kind, target_type=rel.id_type, target=rel.target,
                                 target_work_id=target.id if target else None, source=rec.source))
        if rel.kind in NOTICE_IN_RELATION:  # this work has a retraction / erratum
            nid = _flag_notice(session, work, NOTICE_IN_RELATION[rel.kind],
                               f"{rec.source}: {rel.kind} {rel.id_type} {rel.target}", prov, rec.source)
        elif rel.kind in NOTICE_FOR_RELATION and target is not None and target.id != work.id:
            nid = _flag_notice(session, target, NOTICE_FOR_RELATION[rel.kind],
                               f"{rec.source}: notice {rec.doi or rec.pmid or rec.source_id} ({rel.kind})",
                               prov, rec.source)
        else:
            nid = None
        if nid:
            report.notice_ids.append(nid)
            raised = True
    return raised


# -- the front door -------------------------------------------------------------------------------------------
def ingest_records(session: Session, records: Sequence[Record] | Iterable[Record], prov: Provenance, *,
                   matcher: FuzzyMatcher | None = None) -> IngestReport:
    """Store ``records`` in the caller's transaction; see the module docstring for what happens to each."""
    report = IngestReport()
    for rec in records:
        cls, work_id = _ingest_one(session, rec, prov, matcher, report)
        report.counts[cls] += 1
        report.classifications.append((cls, work_id))
    session.flush()
    return report


def _ingest_one(session: Session, rec: Record, prov: Provenance, matcher: FuzzyMatcher | None,
                report: IngestReport) -> tuple[str, int | None]:
    source_id = rec.stable_id()
    chash = rec.content_hash()
    seen = session.scalars(select(SourceRecord.work_id).where(
        SourceRecord.source == rec.source, SourceRecord.source_id == source_id,
        SourceRecord.content_hash == chash, SourceRecord.query_name == prov.query_name)).first()
    if seen is not None:
        return "unchanged", seen

    matched = works_by_identifiers(session, _record_ids(rec))
    work = matched[0] if matched else None
    rule = "identifier" if work else None
    for other in matched[1:]:  # the record's identifiers join works stored apart: they are one work
        merge_works(session, work, other, rule="identifier-bridge", actor=prov.actor,
                    reviewers_required=prov.reviewers_required)
        if matcher is not None:
            matcher.remove(other.id)
    version_of: Work | None = None
    notice_for: Work | None = None
    if work is None and matcher is not None:
        m = matcher.match(rec)
        if m is not None:
            candidate = session.get(Work, m.key)
            if candidate is not None:
                candidate = canonical(session, candidate)
                if m.kind == "version":
                    version_of = candidate
                elif m.kind == "notice":  # an erratum / retraction notice of a stored work
                    notice_for = candidate
                else:
                    work, rule = candidate, m.rule

    notice_kind = _notice_kind(rec) or (NoticeKind.CORRECTION if notice_for is not None else None)
    if work is None:
        status = screening.QUEUED
        if version_of is not None:
            status = screening.VERSION
        elif notice_kind:
            status = screening.NOTICE
        work = _new_work(session, rec, prov, status)
        if notice_for is not None:
            session.add(WorkLink(work_id=work.id, kind="notice-for", target_type="work", target=str(notice_for.id),
                                 target_work_id=notice_for.id, source=rec.source))
            nid = _flag_notice(session, notice_for, notice_kind or NoticeKind.CORRECTION,
                               f"{rec.source}: notice {rec.doi or rec.pmid or source_id} matched by title", prov,
                               rec.source)
            if nid:
                report.notice_ids.append(nid)
        if version_of is not None:
            work.version_of_id = version_of.id
            session.add(WorkLink(work_id=work.id, kind="version-of", target_type="work", target=str(version_of.id),
                                 target_work_id=version_of.id, source=rec.source))
            _flag_notice(session, version_of, "version", f"{rec.source}: other version work {work.id}", prov,
                         rec.source)
        cls = "version" if version_of is not None else ("notice" if notice_kind else "new")
        if cls == "new":
            report.new_work_ids.append(work.id)
        filled: list[str] = []
    else:
        filled = fill_missing(session, work, rec)
        cls = "update" if filled else ("in-corpus" if work.status in screening.FINAL_STATUSES or
                                        work.origin == "seed" else "already-queued")

    _store_source_record(session, rec, work, prov, source_id, chash, cls)
    raised = _apply_relations(session, work, rec, prov, report)
    if raised and cls in ("in-corpus", "already-queued", "update"):
        cls = "notice"
    if matcher is not None and cls in ("new", "version", "notice") and work.status != screening.NOTICE:
        matcher.add(work.id, rec)
    if prov.prior is not None:
        _apply_prior(session, work, prov)
    if cls == "update":
        audit(session, prov.actor, "metadata-update", "work", work.id, fields=filled, source=rec.source,
              rule=rule)
    return cls, work.id


def _store_source_record(session: Session, rec: Record, work: Work, prov: Provenance, source_id: str, chash: str,
                         cls: str) -> None:
    session.add(SourceRecord(
        work_id=work.id, source=rec.source, source_id=source_id[:300], query_name=prov.query_name,
        content_hash=chash, doi=rec.doi, pmid=rec.pmid, pmcid=rec.pmcid, openalex_id=rec.openalex_id,
        title=rec.title, year=rec.year, classification=cls, record=rec.to_json_dict(), raw=rec.raw,
        raw_format=rec.raw_format, run_id=prov.run_id, source_run_id=prov.source_run_id, import_id=prov.import_id,
    ))
    session.flush()


def _apply_prior(session: Session, work: Work, prov: Provenance) -> None:
    prior = prov.prior
    assert prior is not None
    already = any(d.reviewer == prior.reviewer and d.stage == prior.stage and d.decision == prior.decision
                  and d.is_final for d in work.decisions)
    if already:
        return
    screening.record_decision(session, work, reviewer=prior.reviewer, stage=prior.stage, decision=prior.decision,
                              reason=prior.reason, is_final=True, origin=prov.origin,
                              reviewers_required=prov.reviewers_required)
    session.refresh(work, ["decisions"])
