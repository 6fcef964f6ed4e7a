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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.records.model import Record
from livereview.records.vocabulary import (
    NOTICE_FOR_PUBLICATION_TYPE,
    NOTICE_FOR_RELATION,
    NOTICE_IN_RELATION,
    NoticeKind,
    Stage,
)
from livereview.store import screening
from livereview.store.audit import audit
from livereview.store.bulk import DEFER_INDEXES_AFTER, BulkWriter, JSONText
from livereview.store.clock import utcnow
from livereview.store.db import analyze
from livereview.store.fields import FILLABLE, ID_FIELDS, LIST_FIELDS
from livereview.store.merge import merge_works, survivor
from livereview.store.models import DuplicatePair, Notice, SourceRecord, Work, WorkLink

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
    stage: Stage        # records.vocabulary.STAGES
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
    reviewers_required: int | Mapping[str, int] = 2   # votes per stage (store/screening.py)


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
    if work.merged_into_id is None:
        return work
    return session.get(Work, survivor(work.id, lambda wid: getattr(session.get(Work, wid), "merged_into_id", None)))


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


# -- the decision ---------------------------------------------------------------------------------------------
class Lookup(Protocol):
    """What deciding about a record needs to know of the store. Two implementations: :class:`StoreLookup` asks
    the store for each record (the record-at-a-time path), :class:`_BulkIngest` answers from what it prefetched
    for the chunk and what it has written since."""

    def stored(self, rec: Record, source_id: str, chash: str) -> int | None:
        """The work this very record (source, id, content, query) was stored under before, if it was."""

    def works(self, ids: dict[str, str]) -> list[Any]:
        """The surviving works any of these identifiers belong to, oldest first."""

    def survivor(self, wid: int) -> Any | None:
        """Work ``wid``, or the work it was merged into."""

    def id_taken(self, name: str, value: str, by_other_than: int | None) -> bool:
        """Whether a work other than ``by_other_than`` holds this identifier in its column."""


class StoreLookup:
    """:class:`Lookup` by queries, one record at a time, in the caller's session."""

    def __init__(self, session: Session, query_name: str) -> None:
        self.session, self.query_name = session, query_name

    def stored(self, rec: Record, source_id: str, chash: str) -> int | None:
        return self.session.scalars(select(SourceRecord.work_id).where(
            SourceRecord.source == rec.source, SourceRecord.source_id == source_id,
            SourceRecord.content_hash == chash, SourceRecord.query_name == self.query_name)).first()

    def works(self, ids: dict[str, str]) -> list[Any]:
        return works_by_identifiers(self.session, ids)

    def survivor(self, wid: int) -> Any | None:
        work = self.session.get(Work, wid)
        return canonical(self.session, work) if work is not None else None

    def id_taken(self, name: str, value: str, by_other_than: int | None) -> bool:
        return _id_taken(self.session, name, value, by_other_than)


@dataclass(frozen=True)
class Matches:
    """What a record was found to be in the store: a report of ``work`` (matched by ``rule``), or another version
    of ``version_of``, or a notice (erratum, retraction) about ``notice_for``; or nothing known (all None)."""

    work: Any | None = None
    rule: str | None = None
    version_of: Any | None = None
    notice_for: Any | None = None
    #: for a record that matched nothing: the closest stored work no rule linked (``dedup.NearMiss``; its
    #: ``key`` followed to the surviving work) and the pair's score, for people to decide
    near_miss: tuple[Any, str, float] | None = None


def find_matches(rec: Record, works: Sequence[Any], lookup: Lookup, matcher: FuzzyMatcher | None) -> Matches:
    """The record's work by identifier (``works``: what its identifiers name, oldest first), else what the fuzzy
    matcher says it is: a duplicate, another version, or a notice of a stored work (followed to its survivor)."""
    if works:
        return Matches(works[0], "identifier")
    m = matcher.match(rec) if matcher is not None else None
    candidate = lookup.survivor(m.key) if m is not None and isinstance(m.key, int) else None
    if candidate is None:
        near = getattr(matcher, "near_miss", None) if m is None else None
        other = lookup.survivor(near.key) if near is not None and isinstance(near.key, int) else None
        return Matches(near_miss=(other, near.rule, near.score) if other is not None else None)
    if m.kind == "version":
        return Matches(version_of=candidate)
    if m.kind == "notice":
        return Matches(notice_for=candidate)
    return Matches(candidate, m.rule)


@dataclass(frozen=True)
class Decision:
    """What happens to a record, decided by :func:`decide` before anything is written."""

    classification: str      # new | version | notice, or for a record of a known work: in-corpus | already-queued
    status: str | None       # the new work's screening status; None: the record joins the matched work
    notice_kind: str | None  # the record is a notice of this kind (a notice-for link and a flag on notice_for)

    @property
    def creates(self) -> bool:
        return self.status is not None

    @property
    def indexed(self) -> bool:
        """Whether the fuzzy matcher learns the new work (a notice is not something later records duplicate)."""
        return self.status in (screening.QUEUED, screening.VERSION)

    def settle(self, filled: Sequence[str], notice_raised: bool = False) -> str:
        """The classification once the record's fields were copied into its work (``filled``: what the work
        lacked) and its relations applied (``notice_raised``: a retraction or erratum of a known work)."""
        if self.creates:
            return self.classification
        if notice_raised:
            return "notice"
        return "update" if filled else self.classification


def decide(rec: Record, matches: Matches) -> Decision:
    """The one place that decides what a record is (pure: no store, no side effects).

    A record of a known work is ``in-corpus`` when that work was screened to the end or is a seed study, else
    ``already-queued``; otherwise it makes a new work: a ``version`` of another (status version), a ``notice``
    (a retraction or correction notice by its own relations or publication types, or matched to its article by
    the fuzzy matcher: a correction unless it says otherwise), or ``new`` and queued for screening.
    """
    work = matches.work
    if work is not None:
        known = work.status in screening.FINAL_STATUSES or work.origin == "seed"
        return Decision("in-corpus" if known else "already-queued", None, None)
    notice_kind = _notice_kind(rec) or (NoticeKind.CORRECTION if matches.notice_for is not None else None)
    if matches.version_of is not None:
        return Decision("version", screening.VERSION, notice_kind)
    if notice_kind:
        return Decision("notice", screening.NOTICE, notice_kind)
    return Decision("new", screening.QUEUED, None)


# -- work construction and merging ----------------------------------------------------------------------------
def create_work(session: Session, rec: Record, prov: Provenance, status: str) -> Work:
    """A new work from ``rec`` (identifiers another work holds are left off: the dedup stage meets both)."""
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


def fill_missing(session: Session, work: Work, rec: Record, *,
                 id_taken: Callable[[str, str, int | None], bool] | None = None) -> list[str]:
    """Copy into the work what it lacked and the record has; returns the names of the fields filled.

    ``id_taken(name, value, work_id)`` says whether another work holds the identifier (default: ask the store).
    """
    taken = id_taken or (lambda name, value, wid: _id_taken(session, name, value, wid))
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
        if value and not getattr(work, name) and not taken(name, value, work.id):
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
#: records looked up and written together: one query per identifier type and one multi-row INSERT per table
CHUNK = 2000
#: rows written before an ingest first refreshes the planner's statistics (then again each time they double)
ANALYZE_AFTER = 5000


def ingest_records(session: Session, records: Sequence[Record] | Iterable[Record], prov: Provenance, *,
                   matcher: FuzzyMatcher | None = None) -> IngestReport:
    """Store ``records`` in the caller's transaction; see the module docstring for what happens to each.

    ``records`` may be a generator (a file read as it streams): it is consumed in chunks. Each chunk's
    lookups (records already stored, works holding its identifiers) are one query per kind, and its new
    works and source records are written with multi-row INSERTs; a record that needs more (identifiers
    joining two works, relations, retraction flags, a version or notice match, a prior decision) takes the
    one-at-a-time path after the chunk's pending rows are written, so it sees exactly what it would have seen.
    """
    report = IngestReport()
    if prov.prior is not None:  # every record gets a decision: the record-at-a-time path
        for rec in records:
            cls, work_id = _ingest_one(session, rec, prov, matcher, report)
            report.counts[cls] += 1
            report.classifications.append((cls, work_id))
        session.flush()
        return report
    bulk = _BulkIngest(session, prov, matcher, report)
    for chunk in _chunks(records, CHUNK):
        bulk.ingest_chunk(chunk)
    bulk.rows.restore_indexes()
    session.flush()
    return report


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


#: the columns the import's lookups filter on: all the in-import ANALYZE needs statistics of
_LOOKUP_COLUMNS = {"works": ("id", *ID_FIELDS, "merged_into_id"),
                   "source_records": ("source", "source_id", "query_name", "content_hash", *ID_FIELDS)}


class _BulkIngest:
    """:func:`ingest_records` for a stream of records: the same :func:`decide` as :func:`_ingest_one`, its
    :class:`Lookup` answered from per-chunk prefetches, its rows written by a :class:`~store.bulk.BulkWriter`."""

    def __init__(self, session: Session, prov: Provenance, matcher: FuzzyMatcher | None,
                 report: IngestReport) -> None:
        self.session, self.prov, self.matcher, self.report = session, prov, matcher, report
        self.rows = BulkWriter(session)                 # what this ingest writes, buffered
        self.touched: list[int] = []                  # works the record-at-a-time path may change
        self.now = utcnow()
        self.analyzed_at = 0
        self.pending_flags: list[tuple[int, str, str, str]] = []  # (article, kind, evidence, source) of notices
        # source -> {(source_id, content hash): work id}: the chunk's stored records, or for a source the store
        # held no records of when this ingest began (a new import label), every record this ingest stored
        self.seen: dict[str, dict[tuple[str, str], int]] = {}
        self.fresh: dict[str, bool] = {}                 # source -> no stored records of it (and this query)
        self.merged_away: dict[int, int] = {}            # works this ingest merged into another (bridges)
        self.refs: dict[tuple[str, str], set[int]] = {}  # identifier -> works holding it (column or record)
        self.taken: dict[tuple[str, str], int] = {}      # identifier -> the work whose column holds it
        self.parent: dict[int, int | None] = {}          # work id -> merged_into_id
        self.loaded: list[Work] = []                     # works the chunk's identifiers name (kept in the session)
        self.bridged: list[int] = []                     # works the current record's identifiers join

    # -- lookups ------------------------------------------------------------------------------------------
    def prefetch(self, chunk: Sequence[tuple[Record, str]]) -> None:
        """What the store holds about this chunk: its stored source records and the works of its identifiers.

        Called with nothing pending (every earlier row written), so the store is the whole truth.
        """
        self.refs.clear()
        self.taken.clear()
        self.parent.clear()
        s, query_name = self.session, self.prov.query_name
        s.flush()  # the lookups below go to the connection (no ORM round per query): write the session's changes
        conn = s.connection()
        if self.rows.written >= self.analyzed_at * 2 + ANALYZE_AFTER:
            # the planner's statistics still describe the tables before this import (a new store's: 50 seed
            # works, every PMID null, so "pmid IN (…)" looks like the whole table): with thousands of rows
            # written in this transaction it would scan them for every lookup, and the import would grow with
            # the square of its size. ANALYZE sees our own rows; on SQLite it samples to stay cheap, a few
            # milliseconds a table
            analyze(conn, _LOOKUP_COLUMNS, sample_rows=1000)
            self.analyzed_at = self.rows.written
        if self.rows.deferred is None and self.rows.written >= DEFER_INDEXES_AFTER and not self.rows.ids.postgres:
            self.rows.defer_indexes(conn)
        by_source: dict[str, set[str]] = {}
        for rec, sid in chunk:
            by_source.setdefault(rec.source, set()).add(sid)
        for source, sids in by_source.items():
            if source not in self.fresh:
                self.fresh[source] = conn.execute(select(SourceRecord.id).where(
                    SourceRecord.source == source, SourceRecord.query_name == query_name).limit(1)).first() is None
            seen = self.seen.setdefault(source, {})
            if self.fresh[source]:
                continue  # every stored record of this source is one this ingest stored: ``seen`` holds them all
            seen.clear()
            # the source leads the unique index (source, source_id, content_hash, query_name): without it in the
            # WHERE every chunk would scan the whole table
            for part in self.rows.batches(sorted(sids)):
                for sid, chash, wid in conn.execute(select(
                        SourceRecord.source_id, SourceRecord.content_hash, SourceRecord.work_id)
                        .where(SourceRecord.source == source, self.rows.among(SourceRecord.source_id, part),
                               SourceRecord.query_name == query_name)):
                    seen[(sid, chash)] = wid
        for name in ID_FIELDS:
            values = sorted({v for rec, _ in chunk if (v := getattr(rec, name))})
            work_col, record_col = getattr(Work, name), getattr(SourceRecord, name)
            for part in self.rows.batches(values):
                for wid, value, merged_into in conn.execute(
                        select(Work.id, work_col, Work.merged_into_id).where(self.rows.among(work_col, part))):
                    self.taken[(name, value)] = wid
                    self.refs.setdefault((name, value), set()).add(wid)
                    self.parent[wid] = merged_into
                for wid, value in conn.execute(
                        select(SourceRecord.work_id, record_col).where(self.rows.among(record_col, part)).distinct()):
                    self.refs.setdefault((name, value), set()).add(wid)
        unknown = {w for ws in self.refs.values() for w in ws if w not in self.parent}
        while unknown:
            for part in self.rows.batches(sorted(unknown)):
                for wid, merged_into in conn.execute(
                        select(Work.id, Work.merged_into_id).where(self.rows.among(Work.id, part))):
                    self.parent[wid] = merged_into
            unknown = {p for p in self.parent.values() if p is not None and p not in self.parent}
        # the works these records will join, loaded in a few queries instead of one each
        self.loaded = []
        wanted = sorted({c for ws in self.refs.values() for w in ws
                         if (c := self.canonical_id(w)) not in self.rows.known})
        for part in self.rows.batches(wanted):
            self.loaded.extend(s.scalars(select(Work).where(self.rows.among(Work.id, part))))

    # -- the Lookup, answered from the prefetch -----------------------------------------------------------------
    def stored(self, rec: Record, source_id: str, chash: str) -> int | None:
        seen = self.seen[rec.source].get((source_id, chash))
        return survivor(seen, self.merged_away.get) if seen is not None else None  # merged by this ingest

    def matched_ids(self, ids: dict[str, str]) -> list[int]:
        return sorted({self.canonical_id(w) for name, value in ids.items() for w in self.refs.get((name, value), ())})

    def works(self, ids: dict[str, str]) -> list[Any]:
        return [w for wid in self.matched_ids(ids) if (w := self.work(wid)) is not None]

    def survivor(self, wid: int) -> Any | None:
        work = self.work(self.canonical_id(wid))
        if work is not None and work.merged_into_id is not None:  # merged after the prefetch: the store knows
            work = canonical(self.session, work)
        return work

    def canonical_id(self, wid: int) -> int:
        return survivor(wid, self.parent.get)

    def id_taken(self, name: str, value: str, by_other_than: int | None) -> bool:
        other = self.taken.get((name, value))
        return other is not None and other != by_other_than

    def work(self, wid: int) -> Any:
        return self.rows.known.get(wid) or self.session.get(Work, wid)

    # -- the chunk ------------------------------------------------------------------------------------------
    def ingest_chunk(self, records: Sequence[Record]) -> None:
        chunk = [(rec, rec.stable_id()) for rec in records]
        self.now = utcnow()  # one time for the chunk's new rows (written together; converted once)
        self.prefetch(chunk)
        for rec, source_id in chunk:
            self.bridged, self.touched = [], []
            outcome = self.ingest_fast(rec, source_id)
            if outcome is None:  # needs the store as it stands: write what is pending, take the full path
                self.flush_pending()
                outcome = _ingest_one(self.session, rec, self.prov, self.matcher, self.report)
                self.rows.ids.others_inserted()
                for wid in (*self.touched, *self.bridged, outcome[1]):
                    self.rows.known.pop(wid, None)  # the ORM object is the truth about it from now on
                self.after_full_path(rec, source_id, outcome)
            cls, work_id = outcome
            self.report.counts[cls] += 1
            self.report.classifications.append((cls, work_id))
        self.flush_pending()

    def after_full_path(self, rec: Record, source_id: str, outcome: tuple[str, int | None]) -> None:
        """Bring the chunk's lookups up to date with what :func:`_ingest_one` just wrote: its source record, the
        identifiers of its work, and the works an identifier bridge merged into it."""
        cls, work_id = outcome
        if work_id is None:
            return
        if cls != "unchanged":
            self.seen.setdefault(rec.source, {})[(source_id, rec.content_hash())] = work_id
        for merged in self.bridged:
            if merged != work_id:
                self.parent[merged] = work_id
                self.merged_away[merged] = work_id
        for name, value in _record_ids(rec).items():
            self.refs.setdefault((name, value), set()).add(work_id)
        work = self.session.get(Work, work_id)
        if work is not None:
            self.loaded.append(work)
            for name in ID_FIELDS:
                value = getattr(work, name)
                if value:
                    self.taken[(name, value)] = work_id
            self.parent.setdefault(work_id, work.merged_into_id)

    def ingest_fast(self, rec: Record, source_id: str) -> tuple[str, int | None] | None:
        """:func:`_ingest_one` for the common record (new, or one more report of one work); None otherwise.

        The same :func:`decide`, asked with the same :class:`Lookup` questions, answered from the chunk's
        prefetch; the rows are buffered for :meth:`flush_pending` instead of written one by one."""
        if rec.relations or rec.is_retracted:
            return None
        view_json = rec.canonical_json()
        chash = rec.content_hash(view_json)
        seen = self.stored(rec, source_id, chash)
        if seen is not None:
            return "unchanged", seen
        ids = _record_ids(rec)
        matched = self.matched_ids(ids)
        if len(matched) > 1:
            self.bridged = matched
            return None  # an identifier bridge: merge_works
        works = [self.work(w) for w in matched]
        if None in works:
            return None
        matches = find_matches(rec, works, self, self.matcher)
        self.touched.extend(w.id for w in (matches.version_of, matches.notice_for) if w is not None)
        if matches.rule not in (None, "identifier"):
            self.touched.append(matches.work.id)
        decision = decide(rec, matches)
        if decision.creates:
            work = self.new_work(rec, decision.status)
            if decision.classification == "new":
                self.report.new_work_ids.append(work.id)
                if matches.near_miss is not None:
                    self.rows.pending_pairs.append(near_miss_row(work.id, matches.near_miss, self.prov, self.now))
            if matches.version_of is not None:
                self.link_version(rec, work, matches.version_of)
            if matches.notice_for is not None:
                self.link_notice(rec, source_id, work, matches.notice_for, decision.notice_kind)
            filled: list[str] = []
        else:
            work = matches.work
            keywords = list(work.keywords or [])
            filled = fill_missing(self.session, work, rec, id_taken=self.id_taken)
            # keywords gained are kept without making the record an update: written like the filled fields
            changed = [*filled, "keywords"] if list(work.keywords or []) != keywords else filled
            self.rows.filled(work.id, changed)
            for name in filled:
                if name in ID_FIELDS:
                    self.taken[(name, getattr(work, name))] = work.id
        cls = decision.settle(filled)
        self.rows.pending_sources.append(dict(
            work_id=work.id, source=rec.source, source_id=source_id[:300], query_name=self.prov.query_name,
            content_hash=chash, doi=rec.doi, pmid=rec.pmid, pmcid=rec.pmcid, openalex_id=rec.openalex_id,
            title=rec.title, year=rec.year, classification=cls, record=JSONText(view_json), raw=rec.raw,
            raw_format=rec.raw_format, run_id=self.prov.run_id, source_run_id=self.prov.source_run_id,
            import_id=self.prov.import_id, fetched_at=self.now,
            match_rule=None if decision.creates else matches.rule))
        self.seen[rec.source][(source_id, chash)] = work.id
        for name, value in ids.items():
            self.refs.setdefault((name, value), set()).add(work.id)
        if self.matcher is not None and decision.indexed:
            self.matcher.add(work.id, rec)
        if cls == "update":
            audit(self.session, self.prov.actor, "metadata-update", "work", work.id, fields=filled, source=rec.source,
                  rule=matches.rule)
        return cls, work.id

    def new_work(self, rec: Record, status: str) -> Any:
        """:func:`create_work` without a round trip: the work's row (with its id) as a plain object, written by
        :meth:`flush_pending` (an ORM object per row costs more than the rest of its ingest)."""
        now = self.now
        prov = self.prov
        work = SimpleNamespace(
            id=self.rows.ids.take(), title=rec.title, abstract=rec.abstract, authors=list(rec.authors), year=rec.year,
            journal=rec.journal, volume=rec.volume, issue=rec.issue, pages=rec.pages, issn=list(rec.issn),
            language=rec.language, publication_types=list(rec.publication_types), keywords=list(rec.keywords),
            url=rec.url, is_retracted=rec.is_retracted, has_correction=False, is_preprint=_is_preprint(rec),
            domain=prov.domain, origin=prov.origin, status=status, merged_into_id=None, version_of_id=None,
            first_run_id=prov.run_id, first_import_id=prov.import_id, created_at=now, updated_at=now,
            doi=None, pmid=None, pmcid=None, openalex_id=None,
        )
        for name in ID_FIELDS:
            value = getattr(rec, name)
            if value and (name, value) not in self.taken:
                setattr(work, name, value)
                self.taken[(name, value)] = work.id
        self.rows.add_work(work)
        return work

    def link_version(self, rec: Record, work: Any, version_of: Any) -> None:
        """:func:`_ingest_one`'s version link, buffered: the version-of link and the "version" notice on the
        other version (its evidence names the new work, so it cannot exist yet)."""
        work.version_of_id = version_of.id
        now = utcnow()
        self.rows.pending_links.append(dict(work_id=work.id, kind="version-of", target_type="work",
                                       target=str(version_of.id), target_work_id=version_of.id, source=rec.source,
                                       created_at=now))
        evidence = f"{rec.source}: other version work {work.id}"
        self.rows.pending_notices.append(dict(work_id=version_of.id, kind="version", evidence=evidence[:400],
                                         source=rec.source, run_id=self.prov.run_id, import_id=self.prov.import_id,
                                         detected_at=now, digest_id=None))
        audit(self.session, self.prov.actor, "notice:version", "work", version_of.id, evidence=evidence,
              source=rec.source)

    def link_notice(self, rec: Record, source_id: str, work: Any, notice_for: Any, kind: str) -> None:
        """:func:`_ingest_one`'s notice link, buffered: the notice-for link now, the article's flag and notice
        (which may exist already, and whose id the report lists) when the pending rows are written."""
        self.rows.pending_links.append(dict(work_id=work.id, kind="notice-for", target_type="work",
                                       target=str(notice_for.id), target_work_id=notice_for.id, source=rec.source,
                                       created_at=utcnow()))
        self.pending_flags.append((notice_for.id, kind,
                                   f"{rec.source}: notice {rec.doi or rec.pmid or source_id} matched by title",
                                   rec.source))

    def flush_pending(self) -> None:
        """Write what is pending (see :meth:`BulkWriter.flush`), then the flags and notices on articles that
        notices matched, through the ORM (a notice may exist already; the report lists the ids of new ones)."""
        self.rows.flush()
        for target_id, kind, evidence, source in self.pending_flags:
            self.rows.known.pop(target_id, None)  # its flag is set on the ORM object: that is the truth now
            target = self.session.get(Work, target_id)
            if target is not None:
                nid = _flag_notice(self.session, target, kind, evidence, self.prov, source)
                if nid:
                    self.report.notice_ids.append(nid)
        self.pending_flags.clear()


def _ingest_one(session: Session, rec: Record, prov: Provenance, matcher: FuzzyMatcher | None,
                report: IngestReport) -> tuple[str, int | None]:
    """One record, through the ORM: every kind of record (relations, retraction flags, identifier bridges,
    prior decisions), each lookup a query. :func:`decide` decides; this writes."""
    lookup = StoreLookup(session, prov.query_name)
    source_id = rec.stable_id()
    chash = rec.content_hash()
    seen = lookup.stored(rec, source_id, chash)
    if seen is not None:
        return "unchanged", seen

    matched = lookup.works(_record_ids(rec))
    for other in matched[1:]:  # the record's identifiers join works stored apart: they are one work
        merge_works(session, matched[0], other, rule="identifier-bridge", actor=prov.actor,
                    reviewers_required=prov.reviewers_required, run_id=prov.run_id, import_id=prov.import_id)
        if matcher is not None:
            matcher.remove(other.id)
    matches = find_matches(rec, matched, lookup, matcher)
    decision = decide(rec, matches)
    if decision.creates:
        work = create_work(session, rec, prov, decision.status)
        notice_for, version_of = matches.notice_for, matches.version_of
        if notice_for is not None:
            session.add(WorkLink(work_id=work.id, kind="notice-for", target_type="work", target=str(notice_for.id),
                                 target_work_id=notice_for.id, source=rec.source))
            nid = _flag_notice(session, notice_for, decision.notice_kind,
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
        if decision.classification == "new":
            report.new_work_ids.append(work.id)
            if matches.near_miss is not None:
                session.add(DuplicatePair(**near_miss_row(work.id, matches.near_miss, prov, utcnow())))
        filled: list[str] = []
    else:
        work = matches.work
        filled = fill_missing(session, work, rec)

    _store_source_record(session, rec, work, prov, source_id, chash, decision.settle(filled),
                         None if decision.creates else matches.rule)
    raised = _apply_relations(session, work, rec, prov, report)
    cls = decision.settle(filled, notice_raised=raised)
    if matcher is not None and (decision.indexed or (cls == "notice" and work.status != screening.NOTICE)):
        matcher.add(work.id, rec)  # a new work, or a known one found to have a retraction or erratum
    if prov.prior is not None:
        _apply_prior(session, work, prov)
    if cls == "update":
        audit(session, prov.actor, "metadata-update", "work", work.id, fields=filled, source=rec.source,
              rule=matches.rule)
    return cls, work.id


def near_miss_row(work_id: int, near_miss: tuple[Any, str, float], prov: Provenance, now: Any) -> dict[str, Any]:
    """The open :class:`DuplicatePair` row for a new work and its near miss (see :attr:`Matches.near_miss`)."""
    other, rule, score = near_miss
    return dict(work_id=work_id, other_id=other.id, score=score, rule=rule, status="open", run_id=prov.run_id,
                import_id=prov.import_id, created_at=now, decided_by=None, decided_at=None)


def _store_source_record(session: Session, rec: Record, work: Work, prov: Provenance, source_id: str, chash: str,
                         cls: str, match_rule: str | None) -> None:
    session.add(SourceRecord(
        work_id=work.id, source=rec.source, source_id=source_id[:300], query_name=prov.query_name,
        content_hash=chash, doi=rec.doi, pmid=rec.pmid, pmcid=rec.pmcid, openalex_id=rec.openalex_id,
        title=rec.title, year=rec.year, classification=cls, record=rec.to_json_dict(), raw=rec.raw,
        raw_format=rec.raw_format, run_id=prov.run_id, source_run_id=prov.source_run_id, import_id=prov.import_id,
        match_rule=match_rule,
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
