"""PRISMA 2020 flow counts for an updated (living) review, computed from the store, as of any date.

The template is the one for updated reviews with searches of databases, registers and other sources
(Page et al. 2021, BMJ 372:n71). How each box is read from the store:

* **Previous studies**: the seed corpus (works of origin ``seed``: the previous version's included
  studies); their *reports* add every other version (preprint/published) linked to them.
* **Identification via databases and registers**: source records fetched by monitor runs, per
  source, and from file imports, per database label — counted once per (source, record id) — plus
  the records a source returned that the protocol's concept filter dropped before storing
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
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livereview.store import screening
from livereview.store.cache import cached
from livereview.store.clock import as_utc, utcnow
from livereview.store.models import Decision, Import, SourceRecord, SourceRun, Work, WorkMerge

OTHER_METHOD_PREFIXES = ("citation", "hand", "website", "organisation", "organization", "other")
REGISTER_PREFIXES = ("clinicaltrials", "ictrp", "register", "prospero")
NO_REASON = "no reason recorded"
OTHER_REASON = "other"


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

    def rows(self) -> list[tuple[str, str, int]]:
        """(section, box, n) in the diagram's reading order: the CSV download and the text view."""
        rows: list[tuple[str, str, int]] = [
            ("previous", "Studies included in previous version of review", self.previous_studies),
            ("previous", "Reports of studies included in previous version of review", self.previous_reports),
        ]
        rows += [("identification", f"Records identified from databases: {k}", v) for k, v in self.databases.items()]
        rows += [("identification", f"Records identified from registers: {k}", v) for k, v in self.registers.items()]
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
                rows += [("other methods", f"Records identified from: {k}", v)
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


def prisma_counts(session: Session, reasons: Sequence[str], *, as_of: datetime | date | None = None,
                  reviewers_required: int = 2) -> PrismaCounts:
    """Every box of the diagram as of ``as_of`` (default: now); ``reasons`` are the protocol's exclusion ids."""
    bound = _bound(as_of)
    out = PrismaCounts(as_of=bound)

    # works: identity (merges as known today), kind, origin
    parent: dict[int, int | None] = {}
    version_of: dict[int, int] = {}
    kind: dict[int, str] = {}
    origin: dict[int, str] = {}
    first_import: dict[int, int | None] = {}
    for wid, merged_into, vof, status, orig, imp in session.execute(select(
            Work.id, Work.merged_into_id, Work.version_of_id, Work.status, Work.origin, Work.first_import_id)):
        parent[wid] = merged_into
        if vof is not None:
            version_of[wid] = vof
        if status == screening.NOTICE:
            kind[wid] = "notice"
        origin[wid] = orig
        first_import[wid] = imp

    canon: dict[int, int] = {}

    def canonical(wid: int) -> int:
        if wid in canon:
            return canon[wid]
        seen, w = [], wid
        while parent.get(w) is not None and w not in seen:
            seen.append(w)
            w = parent[w]  # type: ignore[assignment]
        for s in seen:
            canon[s] = w
        canon[wid] = w
        return w

    imports = {i.id: i for i in session.scalars(select(Import))}
    prior_imports = {i for i, imp in imports.items() if imp.decision}
    seed = {w for w, o in origin.items() if o == "seed" and parent[w] is None}
    previous_set = seed | {w for w, imp in first_import.items() if imp in prior_imports and parent[w] is None}

    # previous version
    out.previous_studies = len(seed)
    out.previous_reports = len(seed) + sum(1 for w, v in version_of.items()
                                           if parent[w] is None and canonical(v) in seed)

    # identification: distinct (source, record id) per arm
    db_records: dict[str, set[str]] = defaultdict(set)
    other_records: dict[str, set[str]] = defaultdict(set)
    db_works: Counter[int] = Counter()
    other_works: set[int] = set()
    seen_keys: set[tuple[str, str]] = set()
    rows = session.execute(select(SourceRecord.source, SourceRecord.source_id, SourceRecord.work_id,
                                  SourceRecord.run_id, SourceRecord.import_id)
                           .where(SourceRecord.fetched_at < bound).order_by(SourceRecord.id))
    for source, source_id, wid, run_id, import_id in rows:
        if run_id is None and import_id is None:
            continue                           # the seed corpus: the previous version
        if import_id in prior_imports:
            continue                           # the previous version's screening, imported with its decisions
        label = imports[import_id].source if import_id is not None and run_id is None else source
        key = (label, source_id)
        if key in seen_keys:
            continue
        seen_keys.add(key)
        w = canonical(wid)
        if is_other_method(label):             # file imports so labelled, and the monthly citation chase
            other_records[label].add(source_id)
            other_works.add(w)
        else:
            db_records[label].add(source_id)
            db_works[w] += 1
    filtered = Counter()
    for src, counts in session.execute(select(SourceRun.source, SourceRun.counts).where(
            SourceRun.started_at < bound)):
        n = int((counts or {}).get("filtered_out") or 0)
        if n:
            filtered[src] += n
    for label in sorted(set(db_records) | {f for f in filtered if not is_other_method(f)}):
        n = len(db_records.get(label, ())) + filtered.get(label, 0)
        (out.registers if is_register(label) else out.databases)[label] = n
    out.identified = sum(out.databases.values()) + sum(out.registers.values())
    out.removed_by_automation = sum(n for label, n in filtered.items() if not is_other_method(label))
    stored = sum(db_works.values())
    new_db_works = {w for w in db_works if w not in previous_set}
    out.duplicates_removed = stored - len(new_db_works)
    others_kind: Counter[str] = Counter()

    # decisions up to as_of, by canonical work
    ballots: dict[int, list[tuple[screening.Ballot, str | None, bool | None]]] = defaultdict(list)
    for d in session.execute(select(Decision.id, Decision.work_id, Decision.reviewer, Decision.stage,
                                    Decision.decision, Decision.is_final, Decision.decided_at, Decision.reason,
                                    Decision.report_retrieved).where(Decision.decided_at < bound)):
        ballots[canonical(d.work_id)].append(
            (screening.Ballot(d.reviewer, d.stage, d.decision, d.is_final, as_utc(d.decided_at), d.id),  # type: ignore[arg-type]
             d.reason, d.report_retrieved))

    def follow(w: int, arm: Arm) -> str:
        """Place one work that reached 'reports sought' in its arm; returns its outcome."""
        arm.reports_sought += 1
        ft = [b for b in ballots.get(w, []) if b[0].stage == "full-text"]
        said = [b for b in ft if b[0].decision != screening.WITHDRAWN]
        latest = max(said, key=lambda b: (b[0].decided_at, b[0].seq)) if said else None
        outcome = screening._stage_outcome([b for b, _, _ in ft], reviewers_required)
        if latest is not None and latest[2] is False and outcome != "include":
            arm.reports_not_retrieved += 1
            return "not-retrieved"
        if outcome == "include":
            arm.reports_assessed += 1
            arm.included += 1
            return "include"
        if outcome == "exclude":
            arm.reports_assessed += 1
            arm.reports_excluded += 1
            r = _reason([(b, reason) for b, reason, _ in ft], reasons)
            arm.excluded_by_reason[r] = arm.excluded_by_reason.get(r, 0) + 1
            return "exclude"
        arm.awaiting_assessment += 1
        return "awaiting"

    included: set[int] = set()
    for w in sorted(new_db_works):
        votes = ballots.get(w, [])
        if not votes and (w in version_of or kind.get(w) == "notice"):
            others_kind["other version of a study already held" if w in version_of else
                        "retraction or correction notice"] += 1
            continue
        ta = screening._stage_outcome([b for b, _, _ in votes if b.stage == "title-abstract"], reviewers_required)
        has_ft = screening._stage_outcome([b for b, _, _ in votes if b.stage == "full-text"],
                                          reviewers_required) is not None
        if has_ft or ta == "include":
            out.records_screened += 1
            if follow(w, out.db) == "include":
                included.add(w)
        elif ta == "exclude":
            out.records_screened += 1
            out.records_excluded += 1
        else:
            out.awaiting_screening += 1
    out.removed_other = sum(others_kind.values())
    out.removed_other_by_kind = dict(sorted(others_kind.items()))

    # other methods: works no database found, straight to reports sought
    out.other_identified = {k: len(v) for k, v in sorted(other_records.items())}
    for w in sorted(other_works - set(db_works) - previous_set):
        if follow(w, out.other) == "include":
            included.add(w)

    for arm in (out.db, out.other):
        arm.excluded_by_reason = {k: arm.excluded_by_reason[k] for k in
                                  [*reasons, OTHER_REASON, NO_REASON] if k in arm.excluded_by_reason}
    out.new_studies = len(included)
    out.new_reports = len(included) + sum(1 for w, v in version_of.items()
                                          if parent[w] is None and canonical(v) in included)
    out.total_studies = out.previous_studies + out.new_studies
    out.total_reports = out.previous_reports + out.new_reports
    return out


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
