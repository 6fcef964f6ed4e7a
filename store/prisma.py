"""PRISMA 2020 flow counts for an updated (living) review, computed from the store, as of any date.

The template is the one for updated reviews with searches of databases, registers and other sources
(Page et al. 2021, BMJ 372:n71). How each box is read from the store:

* **Previous studies**: the seed corpus (works of origin ``seed``: the previous version's included
  studies); their *reports* add every other version (preprint/published) linked to them. When the counts are
  for a version after a released one (:class:`PreviousVersion`, ``livereview release``), the previous studies are
  that version's included studies, every work it had settled (included or excluded) is *previous* too, and what
  it already counted (its works' records and the concept filter's drops before its cut-off) is not counted
  again; works it left open (awaiting screening or assessment) carry over with their records.
* **Identification via databases and registers**: source records fetched by monitor runs, per
  source, and from file imports, per database label (every record but the seed corpus's own) —
  counted once per (source, record id) — plus the records a source returned that the protocol's
  concept filter dropped before storing
  (``counts["filtered_out"]``: *marked ineligible by automation tools*). File imports that carry a
  prior decision (``import --decision``) are the previous version's screening, not new records.
  Labels of registers (``clinicaltrials``, ``ictrp``, ``register…``) are listed as registers.
* **Removed before screening**: *duplicates* = records beyond the first of each work, and every
  record of a work already in the previous version (seed or prior-screened imports); *automation* as
  above; *other reasons* = works that are another version of a study already held, or a
  retraction/correction notice rather than a study.
* **Screening** follows each work's decisions up to ``as_of`` with the same rules as the screening
  status (:func:`store.screening.derive_status`): title/abstract exclude → *records excluded*;
  include (or any full-text vote) → *reports sought*; a full-text vote marked ``report_retrieved =
  False`` → *not retrieved*; full-text include / exclude → *assessed*, excluded counted per protocol
  exclusion reason (the final decision's reason, else the reason most reviewers gave).
* A living review always has work in progress: **awaiting screening** and **awaiting full-text
  assessment** are shown, and the template's arithmetic holds with them taken out.
* **Other methods**: what the monthly citation chase found (source ``citation-chase``) and file imports
  labelled ``citation…``, ``hand…``, ``website…``, ``organisation…`` or ``other…`` (works not also
  found by a database), from *reports sought* on.

Merges are applied as the store knows them today (a duplicate found later is a duplicate in every
past diagram too); records, decisions and filter counts are taken up to ``as_of``.

How it is computed: :func:`load_facts` reads the store once; a :class:`Tally` replays its dated events
(records found, records filtered out, decisions) in time order, placing each work in the boxes it has
reached (:func:`work_boxes`, built from steps named after the boxes); the diagram at any moment is read
off the tally. So :func:`prisma_series` gives the diagram on every day of the review in one pass — the
dashboard's and the digest's growth series and headline numbers are these counts, and :data:`LABELS`
says in the words every page prints what each headline number counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livereview.records.vocabulary import FULL_TEXT, TITLE_ABSTRACT, display_name
from livereview.store import screening
from livereview.store.cache import cached
from livereview.store.clock import as_utc, utcnow
from livereview.store.models import Decision, Import, SourceRecord, SourceRun, Work, WorkMerge

OTHER_METHOD_PREFIXES = ("citation", "hand", "website", "organisation", "organization", "other")
REGISTER_PREFIXES = ("clinicaltrials", "ictrp", "register", "prospero")
NO_REASON = "no reason recorded"
OTHER_REASON = "other"


#: what each headline number counts, in the words every page prints beside it (dashboard, PRISMA page, digest)
LABELS: dict[str, str] = {
    "identified": "records identified from databases and registers since the previous version, "
                  "before deduplication",
    "after_deduplication": "new works: records left after removing duplicates and records marked ineligible "
                           "by automation tools",
    "records_screened": "records screened: a title/abstract decision (include or exclude) reached",
    "awaiting_screening": "records awaiting a title/abstract decision",
    "total_studies": "studies included in the review: the previous version's plus the new ones",
    "new_studies": "new studies included since the previous version",
    "previous_studies": "studies included in the previous version",
}


def is_other_method(label: str) -> bool:
    return label.lower().startswith(OTHER_METHOD_PREFIXES)


def is_register(label: str) -> bool:
    return label.lower().startswith(REGISTER_PREFIXES)


@dataclass
class Arm:
    """From *reports sought* on: the same boxes for both arms."""

    reports_sought: int = 0
    reports_not_retrieved: int = 0
    awaiting_assessment: int = 0
    reports_assessed: int = 0
    reports_excluded: int = 0
    excluded_by_reason: dict[str, int] = field(default_factory=dict)
    included: int = 0


@dataclass
class PrismaCounts:
    as_of: datetime
    previous_studies: int = 0
    previous_reports: int = 0
    databases: dict[str, int] = field(default_factory=dict)      # per source / database label
    registers: dict[str, int] = field(default_factory=dict)
    identified: int = 0
    duplicates_removed: int = 0
    removed_by_automation: int = 0
    removed_other: int = 0
    removed_other_by_kind: dict[str, int] = field(default_factory=dict)   # version | notice
    awaiting_screening: int = 0
    records_screened: int = 0
    records_excluded: int = 0
    db: Arm = field(default_factory=Arm)
    other_identified: dict[str, int] = field(default_factory=dict)
    other: Arm = field(default_factory=Arm)
    new_studies: int = 0
    new_reports: int = 0
    total_studies: int = 0
    total_reports: int = 0

    @property
    def day(self) -> date:
        """The last day the counts include (``as_of`` is the exclusive end: midnight after it, or now)."""
        return (self.as_of - timedelta(microseconds=1)).date()

    @property
    def after_deduplication(self) -> int:
        """Records left after *records removed before screening* minus the other reasons: the new works."""
        return self.identified - self.duplicates_removed - self.removed_by_automation

    def problems(self) -> list[str]:
        """The template's arithmetic, checked: empty when every box adds up."""
        out = []

        def check(name: str, got: int, want: int) -> None:
            if got != want:
                out.append(f"{name}: {got} != {want}")

        check("identified", self.identified, sum(self.databases.values()) + sum(self.registers.values()))
        check("records screened", self.records_screened, self.identified - self.duplicates_removed
              - self.removed_by_automation - self.removed_other - self.awaiting_screening)
        check("removed for other reasons", self.removed_other, sum(self.removed_other_by_kind.values()))
        check("reports sought", self.db.reports_sought, self.records_screened - self.records_excluded)
        for name, arm in (("databases", self.db), ("other methods", self.other)):
            check(f"{name}: reports assessed", arm.reports_assessed,
                  arm.reports_sought - arm.reports_not_retrieved - arm.awaiting_assessment)
            check(f"{name}: included", arm.included, arm.reports_assessed - arm.reports_excluded)
            check(f"{name}: reasons", arm.reports_excluded, sum(arm.excluded_by_reason.values()))
        check("new studies", self.new_studies, self.db.included + self.other.included)
        check("total studies", self.total_studies, self.previous_studies + self.new_studies)
        check("total reports", self.total_reports, self.previous_reports + self.new_reports)
        return out

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PrismaCounts:
        """The counts :meth:`as_dict` wrote (a released version's frozen diagram), read back."""
        d = dict(d)
        d["as_of"] = datetime.fromisoformat(d["as_of"])
        d["db"], d["other"] = Arm(**d["db"]), Arm(**d["other"])
        return cls(**d)

    def rows(self) -> list[tuple[str, str, int]]:
        """(section, box, n) in the diagram's reading order: the CSV download and the text view."""
        rows: list[tuple[str, str, int]] = [
            ("previous", "Studies included in previous version of review", self.previous_studies),
            ("previous", "Reports of studies included in previous version of review", self.previous_reports),
        ]
        rows += [("identification", f"Records identified from databases: {display_name(k)}", v)
                 for k, v in self.databases.items()]
        rows += [("identification", f"Records identified from registers: {display_name(k)}", v)
                 for k, v in self.registers.items()]
        rows += [
            ("identification", "Records identified (total)", self.identified),
            ("identification", "Duplicate records removed", self.duplicates_removed),
            ("identification", "Records marked as ineligible by automation tools", self.removed_by_automation),
            ("identification", "Records removed for other reasons", self.removed_other),
        ]
        rows += [("identification", f"Records removed for other reasons: {k}", v)
                 for k, v in self.removed_other_by_kind.items()]
        rows += [("screening", "Records awaiting screening", self.awaiting_screening),
                 ("screening", "Records screened", self.records_screened),
                 ("screening", "Records excluded", self.records_excluded)]
        for section, arm in (("screening", self.db), ("other methods", self.other)):
            rows += [(section, "Reports sought for retrieval", arm.reports_sought),
                     (section, "Reports not retrieved", arm.reports_not_retrieved),
                     (section, "Reports awaiting full-text assessment", arm.awaiting_assessment),
                     (section, "Reports assessed for eligibility", arm.reports_assessed),
                     (section, "Reports excluded", arm.reports_excluded)]
            rows += [(section, f"Reports excluded: {k}", v) for k, v in arm.excluded_by_reason.items()]
            rows += [(section, "Studies included", arm.included)]
            if section == "screening":
                rows += [("other methods", f"Records identified from: {display_name(k)}", v)
                         for k, v in self.other_identified.items()]
        rows += [("included", "New studies included in review", self.new_studies),
                 ("included", "Reports of new included studies", self.new_reports),
                 ("included", "Total studies included in review", self.total_studies),
                 ("included", "Reports of total included studies", self.total_reports)]
        return rows


def end_of_day(day: date) -> datetime:
    """``as_of`` for a date: everything up to the end of that day (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _bound(as_of: datetime | date | None) -> datetime:
    if as_of is None:
        return utcnow() + timedelta(seconds=1)
    if not isinstance(as_of, datetime):
        return end_of_day(as_of)
    return as_utc(as_of).astimezone(UTC)  # type: ignore[union-attr]


def _reason(ballots: list[tuple[screening.Ballot, str | None]], known: Sequence[str]) -> str:
    """The exclusion reason of a full-text exclusion: the final decision's, else the one most reviewers gave."""
    finals = [(b, r) for b, r in ballots if b.is_final]
    if finals:
        reasons = [max(finals, key=lambda br: (br[0].decided_at, br[0].seq))[1]]
    else:
        latest: dict[str, tuple[screening.Ballot, str | None]] = {}
        for b, r in sorted(ballots, key=lambda br: (br[0].decided_at, br[0].seq)):
            latest[b.reviewer] = (b, r)
        reasons = [r for b, r in latest.values() if b.decision == "exclude"]
    if not reasons or all(r is None or not r.strip() for r in reasons):
        return NO_REASON
    tally = Counter(r if r in known else OTHER_REASON for r in reasons if r and r.strip())
    order = {k: i for i, k in enumerate(known)}
    return min(tally, key=lambda k: (-tally[k], order.get(k, len(order))))


# -- what the counts read, loaded once ---------------------------------------------------------------------------
#: a screening decision as the counts need it: the ballot, its exclusion reason, whether the report was retrieved
VoteRow = tuple[screening.Ballot, str | None, bool | None]
_RECORD, _FILTERED, _DECISION = 0, 1, 2


@dataclass(frozen=True)
class PreviousVersion:
    """The released version an update is counted from (``store.releases``): its included studies, the works it
    had screened out, and its cut-off (records and filter drops before it were that version's)."""

    included: frozenset[int]
    settled: frozenset[int]
    cutoff: datetime


@dataclass
class StoreFacts:
    """The works as the store knows them today (merges, versions, notices, the previous version) and every
    dated event the boxes count — records found, records a concept filter dropped, decisions — in time order."""

    canonical: dict[int, int]
    seed: set[int]
    previous: set[int]                 # the previous version: seed and works first brought by a prior-screened import
    versions: Counter[int]             # canonical study -> active works that are another version of it
    is_version: set[int]
    is_notice: set[int]
    events: list[tuple[datetime, int, int, tuple[Any, ...]]]   # (when as naive UTC, kind, row id, payload)
    previous_included: set[int] | None = None   # a released previous version's includes (else: the seed)


def _canonical_map(parent: dict[int, int | None]) -> dict[int, int]:
    """Every work -> the work it was merged into, following chains (merges as known today)."""
    canon: dict[int, int] = {}
    for wid in parent:
        seen, w = [], wid
        while parent.get(w) is not None and w not in seen and w not in canon:
            seen.append(w)
            w = parent[w]  # type: ignore[assignment]
        w = canon.get(w, w)
        for s in [*seen, wid]:
            canon[s] = w
    return canon


def load_facts(session: Session, bound: datetime, since: PreviousVersion | None = None) -> StoreFacts:
    """One read of everything the counts need up to ``bound`` (records, filter counts and decisions before it);
    ``since``: a released previous version (see the module's *Previous studies*)."""
    parent: dict[int, int | None] = {}
    version_of: dict[int, int] = {}
    notices: set[int] = set()
    origin: dict[int, str] = {}
    first_import: dict[int, int | None] = {}
    for wid, merged_into, vof, status, orig, imp in session.execute(select(
            Work.id, Work.merged_into_id, Work.version_of_id, Work.status, Work.origin, Work.first_import_id)):
        parent[wid] = merged_into
        if vof is not None:
            version_of[wid] = vof
        if status == screening.NOTICE:
            notices.add(wid)
        origin[wid] = orig
        first_import[wid] = imp
    canon = _canonical_map(parent)
    labels = {i: source for i, source in session.execute(select(Import.id, Import.source))}
    prior = {i for i, decision in session.execute(select(Import.id, Import.decision)) if decision}
    seed = {w for w, o in origin.items() if o == "seed" and parent[w] is None}
    previous = seed | {w for w, imp in first_import.items() if imp in prior and parent[w] is None}
    versions: Counter[int] = Counter(canon[v] for w, v in version_of.items() if parent[w] is None and v in canon)
    previous_included, cutoff = None, None
    if since is not None:
        previous_included = {canon.get(w, w) for w in since.included}
        previous = previous | previous_included | {canon.get(w, w) for w in since.settled}
        cutoff = _utc(since.cutoff)
    events: list[tuple[datetime, int, int, tuple[Any, ...]]] = []
    for rid, source, source_id, wid, run_id, import_id, at in session.execute(select(
            SourceRecord.id, SourceRecord.source, SourceRecord.source_id, SourceRecord.work_id, SourceRecord.run_id,
            SourceRecord.import_id, SourceRecord.fetched_at).where(SourceRecord.fetched_at < bound)):
        if run_id is None and import_id is None and origin.get(wid) == "seed":
            continue                           # the seed corpus: the previous version
        if import_id in prior:
            continue                           # the previous version's screening, imported with its decisions
        if cutoff is not None and _utc(at) < cutoff and canon.get(wid, wid) in previous:
            continue                           # counted by the released previous version
        label = labels[import_id] if import_id is not None and run_id is None else source
        events.append((_utc(at), _RECORD, rid, (label, source_id, canon.get(wid, wid))))
    for sid, source, counts, at in session.execute(select(SourceRun.id, SourceRun.source, SourceRun.counts,
                                                          SourceRun.started_at).where(SourceRun.started_at < bound)):
        n = int((counts or {}).get("filtered_out") or 0)
        if n and (cutoff is None or _utc(at) >= cutoff):
            events.append((_utc(at), _FILTERED, sid, (source, n)))
    for d in session.execute(select(Decision.id, Decision.work_id, Decision.reviewer, Decision.stage,
                                    Decision.decision, Decision.is_final, Decision.decided_at, Decision.reason,
                                    Decision.report_retrieved).where(Decision.decided_at < bound)):
        at = _utc(d.decided_at)
        vote = (screening.Ballot(d.reviewer, d.stage, d.decision, d.is_final, at, d.id), d.reason, d.report_retrieved)
        events.append((at, _DECISION, d.id, (canon.get(d.work_id, d.work_id), vote)))
    events.sort()   # by time, then kind and row id (unique: the payloads are never compared)
    return StoreFacts(canon, seed, previous, versions, set(version_of), notices, events, previous_included)


def _utc(value: datetime) -> datetime:
    """Naive UTC, cheaply: SQLite hands back naive UTC already (most rows), PostgreSQL aware values."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


# -- the boxes a single work passes through -----------------------------------------------------------------------
def _outcome(votes: Sequence[VoteRow], stage: str, required: int) -> str | None:
    """The screening rules' outcome of one stage (store.screening, the one place they live)."""
    return screening._stage_outcome([b for b, _, _ in votes if b.stage == stage], required)


def records_removed_for_other_reasons(w: int, votes: Sequence[VoteRow], facts: StoreFacts) -> str | None:
    """*Records removed for other reasons*: another version of a study already held, or a notice, nobody screened."""
    if votes:
        return None
    if w in facts.is_version:
        return "other version of a study already held"
    if w in facts.is_notice:
        return "retraction or correction notice"
    return None


def records_screened(votes: Sequence[VoteRow], required: int) -> str:
    """*Records screened* → *records excluded*, or on to *reports sought*; or still awaiting screening."""
    if _outcome(votes, FULL_TEXT, required) is not None or _outcome(votes, TITLE_ABSTRACT, required) == "include":
        return "sought"
    if _outcome(votes, TITLE_ABSTRACT, required) == "exclude":
        return "excluded"
    return "awaiting"


def reports_assessed_for_eligibility(votes: Sequence[VoteRow], required: int, reasons: Sequence[str]) -> str:
    """From *reports sought*: not retrieved, included, excluded (``exclude:<reason>``) or awaiting assessment."""
    ft = [v for v in votes if v[0].stage == FULL_TEXT]
    said = [v for v in ft if v[0].decision != screening.WITHDRAWN]
    latest = max(said, key=lambda v: (v[0].decided_at, v[0].seq)) if said else None
    outcome = _outcome(ft, FULL_TEXT, required)
    if latest is not None and latest[2] is False and outcome != "include":
        return "not-retrieved"
    if outcome == "include":
        return "include"
    if outcome == "exclude":
        return "exclude:" + _reason([(b, reason) for b, reason, _ in ft], reasons)
    return "awaiting"


def _arm_path(arm: str, votes: Sequence[VoteRow], w: int, facts: StoreFacts, required: int,
              reasons: Sequence[str]) -> Counter[str]:
    """The boxes one work fills from *reports sought for retrieval* on, in one arm (``db`` or ``other``)."""
    boxes = Counter({f"{arm}.sought": 1})
    result = reports_assessed_for_eligibility(votes, required, reasons)
    if result == "not-retrieved":
        boxes[f"{arm}.not_retrieved"] += 1
    elif result == "awaiting":
        boxes[f"{arm}.awaiting"] += 1
    else:
        boxes[f"{arm}.assessed"] += 1
        if result == "include":
            boxes.update({f"{arm}.included": 1, "new_studies": 1, "new_reports": 1 + facts.versions[w]})
        else:
            boxes.update({f"{arm}.excluded": 1, f"{arm}.reason:{result.removeprefix('exclude:')}": 1})
    return boxes


def work_boxes(w: int, *, in_db: bool, in_other: bool, votes: Sequence[VoteRow], facts: StoreFacts, required: int,
               reasons: Sequence[str]) -> Counter[str]:
    """Every box one (canonical) work counts in, given what was known of it at the time."""
    if w in facts.previous:
        return Counter()
    if in_db:
        kind = records_removed_for_other_reasons(w, votes, facts)
        if kind is not None:
            return Counter({"removed_other:" + kind: 1})
        screened = records_screened(votes, required)
        if screened == "awaiting":
            return Counter({"awaiting_screening": 1})
        if screened == "excluded":
            return Counter({"screened": 1, "excluded": 1})
        return Counter({"screened": 1}) + _arm_path("db", votes, w, facts, required, reasons)
    if in_other:   # found by other methods only: straight to reports sought
        return _arm_path("other", votes, w, facts, required, reasons)
    return Counter()


# -- the running tally: events in time order, the diagram read off at any moment --------------------------------
class Tally:
    """The diagram's boxes as the events up to now fill them; :meth:`counts` reads a :class:`PrismaCounts` off."""

    def __init__(self, facts: StoreFacts, reasons: Sequence[str], required: int) -> None:
        self.facts, self.reasons, self.required = facts, list(reasons), required
        self.keys: set[tuple[str, str]] = set()
        self.db_records: Counter[str] = Counter()
        self.other_records: Counter[str] = Counter()
        self.filtered: Counter[str] = Counter()
        self.db_works: Counter[int] = Counter()
        self.db_keys = 0                  # database records counted (after the once-per-record rule)
        self.new_db_works = 0             # works they belong to, outside the previous version
        self.other_works: set[int] = set()
        self.votes: dict[int, list[VoteRow]] = defaultdict(list)
        self.boxes: dict[int, Counter[str]] = {}
        self.totals: Counter[str] = Counter()
        self.dirty: set[int] = set()      # works an event touched since the diagram was last read

    def apply(self, kind: int, payload: tuple[Any, ...]) -> None:
        """One event; the works it touches are placed again when the diagram is next read (:meth:`counts`)."""
        if kind == _RECORD:
            label, source_id, w = payload
            if (label, source_id) in self.keys:
                return
            self.keys.add((label, source_id))
            if is_other_method(label):      # file imports so labelled, and the monthly citation chase
                self.other_records[label] += 1
                self.other_works.add(w)
            else:
                self.db_records[label] += 1
                if not self.db_works[w] and w not in self.facts.previous:
                    self.new_db_works += 1
                self.db_works[w] += 1
                self.db_keys += 1
        elif kind == _FILTERED:
            label, n = payload
            self.filtered[label] += n
            return
        else:
            w, vote = payload
            self.votes[w].append(vote)
        self.dirty.add(w)

    def _place(self, w: int) -> None:
        new = work_boxes(w, in_db=self.db_works[w] > 0, in_other=w in self.other_works, votes=self.votes.get(w, []),
                         facts=self.facts, required=self.required, reasons=self.reasons)
        totals = self.totals
        for key, n in self.boxes.get(w, {}).items():
            totals[key] -= n
        for key, n in new.items():
            totals[key] += n
        self.boxes[w] = new

    def counts(self, as_of: datetime) -> PrismaCounts:
        for w in self.dirty:
            self._place(w)
        self.dirty.clear()
        out = PrismaCounts(as_of=as_of)
        previous_studies(out, self.facts)
        records_identified(out, self)
        records_removed_before_screening(out, self)
        screening_boxes(out, self.totals)
        out.other_identified = dict(sorted(self.other_records.items()))
        for arm, name in ((out.db, "db"), (out.other, "other")):
            reports_boxes(arm, name, self.totals, self.reasons)
        studies_included(out, self.totals)
        return out


def previous_studies(out: PrismaCounts, facts: StoreFacts) -> None:
    """*Studies included in previous version* and their *reports* (every other version linked to them)."""
    studies = facts.seed if facts.previous_included is None else facts.previous_included
    out.previous_studies = len(studies)
    out.previous_reports = len(studies) + sum(facts.versions[s] for s in studies)


def records_identified(out: PrismaCounts, tally: Tally) -> None:
    """*Records identified from databases / registers*: distinct records per label, plus those filtered out."""
    for label in sorted(set(tally.db_records) | {f for f in tally.filtered if not is_other_method(f)}):
        n = tally.db_records.get(label, 0) + tally.filtered.get(label, 0)
        (out.registers if is_register(label) else out.databases)[label] = n
    out.identified = sum(out.databases.values()) + sum(out.registers.values())


def records_removed_before_screening(out: PrismaCounts, tally: Tally) -> None:
    """*Duplicates*, *marked ineligible by automation tools* and *removed for other reasons*."""
    out.removed_by_automation = sum(n for label, n in tally.filtered.items() if not is_other_method(label))
    out.duplicates_removed = tally.db_keys - tally.new_db_works
    by_kind = {k.removeprefix("removed_other:"): n for k, n in tally.totals.items()
               if k.startswith("removed_other:") and n}
    out.removed_other_by_kind = dict(sorted(by_kind.items()))
    out.removed_other = sum(by_kind.values())


def screening_boxes(out: PrismaCounts, totals: Counter[str]) -> None:
    """*Records screened*, *records excluded*, and the living review's *awaiting screening*."""
    out.records_screened, out.records_excluded = totals["screened"], totals["excluded"]
    out.awaiting_screening = totals["awaiting_screening"]


def reports_boxes(arm: Arm, name: str, totals: Counter[str], reasons: Sequence[str]) -> None:
    """*Reports sought*, *not retrieved*, *assessed for eligibility*, *excluded* (per reason), *included*."""
    arm.reports_sought, arm.reports_not_retrieved = totals[f"{name}.sought"], totals[f"{name}.not_retrieved"]
    arm.awaiting_assessment, arm.reports_assessed = totals[f"{name}.awaiting"], totals[f"{name}.assessed"]
    arm.reports_excluded, arm.included = totals[f"{name}.excluded"], totals[f"{name}.included"]
    prefix = f"{name}.reason:"
    arm.excluded_by_reason = {k: totals[prefix + k] for k in [*reasons, OTHER_REASON, NO_REASON]
                              if totals[prefix + k]}


def studies_included(out: PrismaCounts, totals: Counter[str]) -> None:
    """*New studies included* and their reports; *total studies* = previous + new (and reports likewise)."""
    out.new_studies, out.new_reports = totals["new_studies"], totals["new_reports"]
    out.total_studies = out.previous_studies + out.new_studies
    out.total_reports = out.previous_reports + out.new_reports


def prisma_series(session: Session, reasons: Sequence[str], bounds: Sequence[datetime], *,
                  reviewers_required: int = 2, facts: StoreFacts | None = None,
                  since: PreviousVersion | None = None) -> list[PrismaCounts]:
    """The diagram at each of ``bounds`` (ascending), from one read and one pass over the events in time order:
    the dashboard's and the digest's growth series are these counts, day by day."""
    if not bounds:
        return []
    facts = facts or load_facts(session, bounds[-1], since)
    tally = Tally(facts, reasons, reviewers_required)
    out: list[PrismaCounts] = []
    events, i = facts.events, 0
    for bound in bounds:
        naive = _utc(bound)
        while i < len(events) and events[i][0] < naive:
            tally.apply(events[i][1], events[i][3])
            i += 1
        out.append(tally.counts(bound))
    return out


def prisma_counts(session: Session, reasons: Sequence[str], *, as_of: datetime | date | None = None,
                  reviewers_required: int = 2, since: PreviousVersion | None = None) -> PrismaCounts:
    """Every box of the diagram as of ``as_of`` (default: now); ``reasons`` are the protocol's exclusion ids;
    ``since``: count from a released version rather than from the seed corpus."""
    return prisma_series(session, reasons, [_bound(as_of)], reviewers_required=reviewers_required, since=since)[0]


# -- a cache for the web pages: the counts change only when records, decisions or merges do --------------------
def store_version(session: Session) -> tuple[Any, ...]:
    """A cheap fingerprint of everything the counts read: it changes whenever any of it does.

    Records, decisions, runs, imports and merges are insert-only (max id moves); a merge undone sets
    ``undone_at``; works change status with decisions and merges (``updated_at`` moves).
    """
    row = session.execute(select(
        select(func.max(SourceRecord.id)).scalar_subquery(), select(func.max(Decision.id)).scalar_subquery(),
        select(func.max(SourceRun.id)).scalar_subquery(), select(func.max(Import.id)).scalar_subquery(),
        select(func.max(WorkMerge.id)).scalar_subquery(), select(func.count(WorkMerge.undone_at)).scalar_subquery(),
        select(func.max(Work.id)).scalar_subquery(), select(func.max(Work.updated_at)).scalar_subquery(),
    )).one()   # one round trip; every max() reads an index (works.updated_at has one since 0003)
    return tuple(row)


def cached_prisma_counts(session: Session, reasons: Sequence[str], *, as_of: date | None = None,
                         reviewers_required: int = 2, version: tuple[Any, ...] | None = None) -> PrismaCounts:
    """:func:`prisma_counts` for a day (or now), reused until :func:`store_version` (or ``version``) changes."""
    key = (str(session.bind.url) if session.bind is not None else "", tuple(reasons), as_of,  # type: ignore[union-attr]
           reviewers_required, version if version is not None else store_version(session))
    return cached(("prisma", *key), lambda: prisma_counts(session, reasons, as_of=as_of,
                                                            reviewers_required=reviewers_required))


# -- PRISMA 2020 item 16b: the studies excluded at full text, each with its reason ------------------------------
def excluded_reports(session: Session, reasons: Sequence[str], *, as_of: datetime | date | None = None,
                     reviewers_required: screening.Required = 2) -> list[tuple[int, str]]:
    """``(work id, reason)`` of every report the diagram counts in *reports excluded* (both arms), by the same
    rules, so the table and the box never disagree; the reason is a protocol id, ``other`` or ``no reason
    recorded``, as in the diagram."""
    bound = _bound(as_of)
    facts = load_facts(session, bound)
    tally = Tally(facts, reasons, reviewers_required)
    naive = _utc(bound)
    for at, kind, _, payload in facts.events:
        if at >= naive:
            break
        tally.apply(kind, payload)
    tally.counts(bound)
    out: list[tuple[int, str]] = []
    for w, boxes in sorted(tally.boxes.items()):
        for key, n in boxes.items():
            arm, _, reason = key.partition(".reason:")
            if n > 0 and reason and arm in ("db", "other"):
                out.append((w, reason))
    return out


# -- per domain: the paper's two named queries (issue 19: "64 coaching, 1,273 therapy/counselling") --------------
#: said on every page that shows the domain columns
DOMAIN_NOTE = ("A record found by both queries counts in each domain's column, but once in the total; the domain "
               "columns therefore add up to more than the total by the records found by both.")


@dataclass
class DomainCounts:
    """One named query's column: what its searches identified and how far those works have come."""

    identified: int = 0            # database records the query's searches returned (once per source record)
    removed_by_automation: int = 0  # of them, dropped by the concept filter before storing
    works: int = 0                 # new works they belong to, after deduplication (outside the previous version)
    awaiting_screening: int = 0
    records_screened: int = 0
    records_excluded: int = 0
    reports_sought: int = 0
    reports_assessed: int = 0
    reports_excluded: int = 0
    included: int = 0


@dataclass
class DomainTable:
    """The domain columns and their total, where a work found by several queries counts once."""

    as_of: datetime
    domains: dict[str, DomainCounts]
    total: DomainCounts
    in_several: int = 0            # new works found by more than one of the queries

    def rows(self) -> list[tuple[str, str, int]]:
        """(domain or ``total``, box, n): the CSV download's extra section."""
        out = []
        for name, d in [*self.domains.items(), ("total", self.total)]:
            out += [(name, k, v) for k, v in asdict(d).items()]
        return out


def _domain_from_boxes(d: DomainCounts, boxes: Counter[str]) -> None:
    d.awaiting_screening, d.records_screened = boxes["awaiting_screening"], boxes["screened"]
    d.records_excluded, d.reports_sought = boxes["excluded"], boxes["db.sought"]
    d.reports_assessed, d.reports_excluded = boxes["db.assessed"], boxes["db.excluded"]
    d.included = boxes["db.included"]


def domain_counts(session: Session, reasons: Sequence[str], queries: Sequence[str], *,
                  as_of: datetime | date | None = None, reviewers_required: int = 2) -> DomainTable:
    """PRISMA counts per named query (the review's domains) as of ``as_of``, with the same box rules as the diagram.

    Each work is placed once (:class:`Tally`, as for the diagram); a domain's column adds up the boxes of the works
    its searches found. Records found by two queries are two source records of one (source, id): they count in
    both columns and once in the total (:data:`DOMAIN_NOTE`)."""
    bound = _bound(as_of)
    facts = load_facts(session, bound)
    tally = Tally(facts, reasons, reviewers_required)
    for _, kind, _, payload in facts.events:
        tally.apply(kind, payload)
    tally.counts(bound)           # places every work the events touched
    keys: dict[str, set[tuple[str, str]]] = {q: set() for q in queries}
    works: dict[str, set[int]] = {q: set() for q in queries}
    for wid, query, source, source_id in session.execute(select(
            SourceRecord.work_id, SourceRecord.query_name, SourceRecord.source, SourceRecord.source_id).where(
            SourceRecord.fetched_at < bound, SourceRecord.query_name.in_(list(queries)))):
        keys[query].add((source, source_id))
        w = facts.canonical.get(wid, wid)
        if w not in facts.previous:
            works[query].add(w)
    filtered: Counter[str] = Counter()
    for query, counts in session.execute(select(SourceRun.query_name, SourceRun.counts).where(
            SourceRun.started_at < bound, SourceRun.query_name.in_(list(queries)))):
        filtered[query] += int((counts or {}).get("filtered_out") or 0)

    def column(ks: set[tuple[str, str]], ws: set[int], dropped: int) -> DomainCounts:
        d = DomainCounts(identified=len(ks) + dropped, removed_by_automation=dropped, works=len(ws))
        boxes: Counter[str] = Counter()
        for w in ws:
            boxes.update(tally.boxes.get(w, Counter()))
        _domain_from_boxes(d, boxes)
        return d

    domains = {q: column(keys[q], works[q], filtered[q]) for q in queries}
    every_key = set().union(*keys.values()) if keys else set()
    every_work = set().union(*works.values()) if works else set()
    seen: Counter[int] = Counter(w for ws in works.values() for w in ws)
    return DomainTable(bound, domains, column(every_key, every_work, sum(filtered.values())),
                       in_several=sum(1 for n in seen.values() if n > 1))
