"""Versions of the review: ``livereview release`` freezes what a reader of the next version sees, and it never
changes after.

A release holds the included studies, their reconciled extraction (``store.extraction``), their resolved QATSDD
appraisals (``store.appraisal``), the PRISMA 2020 counts *since the previous version* (``store.prisma`` with
:class:`~livereview.store.prisma.PreviousVersion`: version N+1's "studies included in previous version" is version
N's total), the slice of the PRISMA-S search log between the two cut-offs (``store.searchlog``), the protocol
versions in force, the retractions and corrections among the includes, the synthesis theme tags of the includes
and the living-review rules. It is stored twice, both write-once (migration 0014's triggers refuse UPDATE and
DELETE): as one JSON snapshot the report is rendered from (its SHA-256 beside it), and as rows
(``release_works``: each included work, new or not, and each work screened out by then, which the next
version's PRISMA does not count again).

Version 1.0 is *the published review*: ``livereview init`` records it (:func:`record_baseline`) from the seed
corpus and any import carrying the previous screening's decisions; its cut-off is the end of the protocol's
``review.baseline_date`` (the published review's search date; else when the seed was loaded), so version 2.0's
diagram is the same as the dashboard's. Every later version needs the one before it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from livereview.errors import ConfigError, ReleaseError
from livereview.protocols.model import Protocol
from livereview.records.vocabulary import FULL_TEXT
from livereview.store import appraisal, extraction, screening
from livereview.store.audit import audit
from livereview.store.clock import as_utc, utcnow
from livereview.store.models import (
    Decision,
    Import,
    Notice,
    ProtocolVersion,
    Release,
    ReleaseWork,
    Run,
    ThemeTag,
    Work,
)
from livereview.store.prisma import PreviousVersion, end_of_day, prisma_counts
from livereview.store.searchlog import SearchLogEntry, search_log

#: a version number: two or three dot-separated numbers ("1.0", "2.0", "2.1.1")
VERSION_RE = re.compile(r"^(0|[1-9][0-9]{0,3})(\.(0|[1-9][0-9]{0,3})){1,2}$")
BASELINE = "1.0"
#: keys of an extraction row that say where it comes from, not what the study reports (not evidence-table columns)
META = ("work_id", "provenance", "review_version", "reconciled_by", "note")
INCLUDED, EXCLUDED = "included", "excluded"
#: works a version has done with besides its includes: screened out, or removed before screening (another version
#: of a study, a notice); the next version's PRISMA does not count them again (``release_works`` role "excluded")
SETTLED = (screening.EXCLUDED, screening.VERSION, screening.NOTICE)
#: what a release refuses to leave open unless told to (``--allow-open``), in the words its refusal prints
OPEN_KINDS = {"conflicts": "screening conflict", "extractions": "unreconciled extraction",
              "appraisals": "unresolved appraisal"}


def parse_version(text: str) -> tuple[int, ...]:
    """``"2.1"`` -> ``(2, 1, 0)``; anything that is not a version number is a usage error naming it."""
    if not VERSION_RE.match(text or ""):
        raise ConfigError(f"{text!r} is not a version number (like 1.1 or 2.0)")
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


@dataclass(frozen=True)
class Trigger:
    """A living-review rule that calls for a new version, and since when it has."""

    kind: str            # includes | domain | retraction | stop
    message: str         # no record-level data: the public dashboard shows it
    since: datetime
    work_id: int | None = None   # the study that fired it first (domain, retraction)


# -- reading what is there ----------------------------------------------------------------------------------------
def releases(session: Session) -> list[Release]:
    """Every released version, oldest first."""
    return list(session.scalars(select(Release).order_by(Release.id)))


def latest_release(session: Session) -> Release | None:
    return session.scalars(select(Release).order_by(Release.id.desc()).limit(1)).first()


def get_release(session: Session, version: str) -> Release:
    """A released version by its number; an unknown one is refused naming the versions there are."""
    parse_version(version)
    rel = session.scalars(select(Release).where(Release.version == version)).first()
    if rel is None:
        known = ", ".join(r.version for r in releases(session)) or "none (run `livereview init`)"
        raise ReleaseError(f"no version {version} of the review; released versions: {known}")
    return rel


def release_ids(session: Session, release: Release, role: str = INCLUDED) -> set[int]:
    return set(session.scalars(select(ReleaseWork.work_id).where(ReleaseWork.release_id == release.id,
                                                                 ReleaseWork.role == role)))


def included_works(session: Session) -> list[Work]:
    """The included studies now: canonical works whose screening status is *included*."""
    return list(session.scalars(select(Work).where(Work.status == screening.INCLUDED,
                                                   Work.merged_into_id.is_(None)).order_by(Work.id)))


def open_items(session: Session, included: set[int]) -> dict[str, list[int]]:
    """What a release must not leave open: screening conflicts anywhere, unreconciled extractions and unresolved
    appraisals among the includes (work ids, ascending)."""
    conflicts = session.scalars(select(Work.id).where(Work.status.in_(screening.CONFLICT_STATUSES),
                                                      Work.merged_into_id.is_(None)).order_by(Work.id))
    return {"conflicts": list(conflicts),
            "extractions": sorted(set(extraction.open_extractions(session)) & included),
            "appraisals": sorted(set(appraisal.open_appraisals(session)) & included)}


def describe_open(items: dict[str, list[int]]) -> str:
    """``3 open: 2 screening conflicts (works 12, 15), 1 unreconciled extraction (work 40)``."""
    parts = []
    for key, ids in items.items():
        if ids:
            shown = ", ".join(str(i) for i in ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
            parts.append(f"{len(ids)} {OPEN_KINDS[key]}{'s' if len(ids) != 1 else ''} "
                         f"(work{'s' if len(ids) != 1 else ''} {shown})")
    return f"{sum(len(v) for v in items.values())} open: " + ", ".join(parts)


def _inclusion_times(session: Session, ids: Iterable[int]) -> dict[int, datetime]:
    """When each work was included: its latest full-text decision (the one that settled it)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = session.execute(select(Decision.work_id, func.max(Decision.decided_at))
                           .where(Decision.work_id.in_(ids), Decision.stage == FULL_TEXT)
                           .group_by(Decision.work_id))
    return {w: as_utc(at) for w, at in rows if at is not None}  # type: ignore[misc]


# -- the snapshot -------------------------------------------------------------------------------------------------
def _work_row(w: Work, new: bool) -> dict[str, Any]:
    return {"work_id": w.id, "title": w.title, "authors": list(w.authors or []), "year": w.year,
            "journal": w.journal, "doi": w.doi, "pmid": w.pmid, "domain": w.domain, "new": new,
            "retracted": bool(w.is_retracted), "corrected": bool(w.has_correction)}


def _entry_json(e: SearchLogEntry) -> dict[str, Any]:
    d = asdict(e)
    d["date"] = e.date.isoformat()
    d["window_start"] = e.window_start.isoformat() if e.window_start else None
    d["window_end"] = e.window_end.isoformat() if e.window_end else None
    return d


def entry_from_json(d: dict[str, Any]) -> SearchLogEntry:
    """A frozen search-log entry, read back for the report (reports.searchlog renders entries)."""
    d = dict(d)
    d["date"] = datetime.fromisoformat(d["date"])
    for k in ("window_start", "window_end"):
        d[k] = date.fromisoformat(d[k]) if d[k] else None
    return SearchLogEntry(**d)


def _protocol_versions(session: Session, protocol: Protocol, start: datetime | None,
                       end: datetime) -> list[dict[str, Any]]:
    """The protocol versions in force between the cut-offs: those the runs and imports recorded, and the current."""
    ids: set[int] = set()
    runs = select(Run.protocol_version_id).where(Run.started_at < end)
    imps = select(Import.protocol_version_id).where(Import.imported_at < end)
    if start is not None:
        runs, imps = runs.where(Run.started_at >= start), imps.where(Import.imported_at >= start)
    ids |= {i for i in session.scalars(runs) if i is not None}
    ids |= {i for i in session.scalars(imps) if i is not None}
    current = session.scalars(select(ProtocolVersion.id).where(
        ProtocolVersion.review_id == protocol.review.id, ProtocolVersion.version == protocol.review.version)).first()
    if current is not None:
        ids.add(current)
    rows = session.scalars(select(ProtocolVersion).where(ProtocolVersion.id.in_(ids)).order_by(ProtocolVersion.id))
    return [{"version": pv.version, "sha256": pv.sha256, "loaded_at": as_utc(pv.loaded_at).isoformat()}  # type: ignore[union-attr]
            for pv in rows]


def _themes(session: Session, protocol: Protocol, ids: set[int]) -> list[dict[str, Any]]:
    labels = {t.id: t.label for t in protocol.synthesis.themes}
    rows = session.scalars(select(ThemeTag).where(ThemeTag.work_id.in_(ids)).order_by(ThemeTag.theme, ThemeTag.work_id))
    return [{"work_id": t.work_id, "theme": t.theme, "label": labels.get(t.theme, t.theme),
             "changes_conclusion": t.changes_conclusion, "note": t.note, "reviewer": t.reviewer} for t in rows]


def _extraction_fields(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The evidence table's columns in the order the rows give them, ``domain`` first."""
    fields: list[str] = ["domain"]
    for row in rows:
        for k in row:
            if k not in fields and k not in META:
                fields.append(k)
    return fields


def _field_labels(protocol: Protocol) -> dict[str, str]:
    """Each extraction field's label as the protocol in force words it (the report's column heads)."""
    return {name: f.label for name, f in protocol.extraction.fields.items()} if protocol.extraction else {}


def _canonical_json(snapshot: dict[str, Any]) -> bytes:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def build_snapshot(session: Session, protocol: Protocol, version: str, *, actor: str, allow_open: bool = False,
                   baseline: bool = False, now: datetime | None = None) -> tuple[dict[str, Any], set[int]]:
    """Everything version ``version`` will show, as of now (refusals first: see the module and ``docs/cli.md``).
    Returns the snapshot and the works screened out by then (the rows beside the included ones)."""
    key = parse_version(version)
    if session.scalars(select(Release.id).where(Release.version == version)).first() is not None:
        raise ReleaseError(f"version {version} is already released: a released version never changes; "
                           "choose the next number")
    prev = latest_release(session)
    if prev is None and not baseline:
        raise ReleaseError(f"no version {BASELINE} (the published review) to update: run `livereview init` first")
    if prev is not None and key <= parse_version(prev.version):
        raise ReleaseError(f"version {version} does not come after the latest version, {prev.version}")
    cutoff = now or utcnow()
    reasons = [r for r, _ in protocol.exclusion_reasons]
    if baseline:
        works = [w for w in included_works(session) if w.origin == "seed" or _prior_import(session, w)]
        settled = set(session.scalars(select(Work.id).join(Import, Import.id == Work.first_import_id).where(
            Work.status == screening.EXCLUDED, Work.merged_into_id.is_(None), Import.decision.is_not(None))))
        if protocol.review.baseline_date is not None:   # the published review's search date
            cutoff = end_of_day(protocol.review.baseline_date)
        else:
            seeded = session.scalar(select(func.min(Work.created_at)).where(Work.origin == "seed"))
            cutoff = as_utc(seeded) or cutoff  # type: ignore[assignment]
        previous_ids: set[int] = set()
    else:
        works = included_works(session)
        settled = set(session.scalars(select(Work.id).where(Work.status.in_(SETTLED),
                                                            Work.merged_into_id.is_(None))))
        previous_ids = release_ids(session, prev)  # type: ignore[arg-type]
    ids = {w.id for w in works}
    items = open_items(session, ids) if not baseline else {k: [] for k in OPEN_KINDS}
    if any(items.values()) and not allow_open:
        raise ReleaseError(f"version {version} not released: {describe_open(items)}; settle them, or rerun with "
                           "--allow-open to record them as open in the report")
    rows = [r for r in extraction.reconciled_rows(session, protocol) if r.get("work_id") in ids]
    appraisals = {str(w): a for w, a in appraisal.resolved_appraisals(session).items() if w in ids}
    prev_cutoff = as_utc(prev.cutoff) if prev is not None else None
    if baseline:
        prisma: dict[str, Any] = {}
        prisma_rows: list[list[Any]] = []
        problems: list[str] = []
        log: list[SearchLogEntry] = []
    else:
        since = PreviousVersion(frozenset(previous_ids), frozenset(release_ids(session, prev, EXCLUDED)),  # type: ignore[arg-type]
                                prev_cutoff)  # type: ignore[arg-type]
        counts = prisma_counts(session, reasons, as_of=cutoff, reviewers_required=protocol.review.reviewers_by_stage,
                               since=since)
        prisma, prisma_rows, problems = counts.as_dict(), [list(r) for r in counts.rows()], counts.problems()
        log = [e for e in search_log(session, since=prev_cutoff.date())  # type: ignore[union-attr]
               if prev_cutoff <= e.date < cutoff]  # type: ignore[operator]
    new_ids = ids - previous_ids if not baseline else set()
    notices = session.execute(select(Notice).where(Notice.work_id.in_(ids)).order_by(Notice.detected_at)).scalars()
    snapshot: dict[str, Any] = {
        "version": version, "previous": prev.version if prev is not None else None,
        "review": {"id": protocol.review.id, "title": protocol.review.title,
                   "registration": protocol.review.registration},
        "released_at": utcnow().isoformat(), "released_by": actor, "cutoff": cutoff.isoformat(),
        "previous_cutoff": prev_cutoff.isoformat() if prev_cutoff else None,
        "included_total": len(ids), "included_new": len(new_ids),
        "removed": sorted(previous_ids - ids),
        "included": [_work_row(w, w.id in new_ids) for w in works],
        "extraction": {"fields": _extraction_fields(rows), "rows": rows, "labels": _field_labels(protocol)},
        "appraisals": appraisals,
        "prisma": prisma, "prisma_rows": prisma_rows, "prisma_problems": problems,
        "exclusion_reasons": [list(r) for r in protocol.exclusion_reasons],
        "manual_names": {name: m.label for name, m in protocol.manual.items()},
        "search_log": [_entry_json(e) for e in log],
        "protocol_versions": _protocol_versions(session, protocol, prev_cutoff, cutoff),
        "notices": [{"work_id": n.work_id, "kind": n.kind, "evidence": n.evidence, "source": n.source,
                     "detected_at": as_utc(n.detected_at).isoformat(),  # type: ignore[union-attr]
                     "new": prev_cutoff is None or as_utc(n.detected_at) >= prev_cutoff}  # type: ignore[operator]
                    for n in notices],
        "themes": _themes(session, protocol, ids),
        "theme_labels": [[t.id, t.label] for t in protocol.synthesis.themes],   # in the protocol's order
        "living": protocol.living.model_dump(mode="json"),
        "triggers": [{"kind": t.kind, "message": t.message, "since": t.since.isoformat(), "work_id": t.work_id}
                     for t in fired_triggers(session, protocol, now=cutoff)] if not baseline else [],
        "open": items,
    }
    snapshot = json.loads(_canonical_json(snapshot))   # exactly what is stored, whichever back-end reads it
    return snapshot, settled


def _prior_import(session: Session, w: Work) -> bool:
    if w.first_import_id is None:
        return False
    imp = session.get(Import, w.first_import_id)
    return imp is not None and bool(imp.decision)


def release(session: Session, protocol: Protocol, version: str, *, actor: str, allow_open: bool = False,
            dry_run: bool = False, baseline: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Freeze version ``version`` (in the caller's transaction): the snapshot and its rows, audited. With
    ``dry_run`` nothing is written and the snapshot it would freeze is returned."""
    snapshot, settled = build_snapshot(session, protocol, version, actor=actor, allow_open=allow_open,
                                       baseline=baseline, now=now)
    if dry_run:
        return snapshot
    rel = Release(version=version, previous_version=snapshot["previous"], released_by=actor,
                  released_at=datetime.fromisoformat(snapshot["released_at"]),
                  cutoff=datetime.fromisoformat(snapshot["cutoff"]), included_total=snapshot["included_total"],
                  included_new=snapshot["included_new"], open_items=sum(len(v) for v in snapshot["open"].values()),
                  sha256=hashlib.sha256(_canonical_json(snapshot)).hexdigest(), snapshot=snapshot)
    session.add(rel)
    session.flush()
    rows = [{"release_id": rel.id, "work_id": r["work_id"], "role": INCLUDED, "is_new": r["new"],
             "domain": r["domain"]} for r in snapshot["included"]]
    rows += [{"release_id": rel.id, "work_id": w, "role": EXCLUDED, "is_new": False, "domain": None}
             for w in sorted(settled)]
    if rows:
        session.execute(insert(ReleaseWork), rows)
    audit(session, actor, "release", "release", rel.id, version=version, previous=snapshot["previous"],
          included_total=snapshot["included_total"], included_new=snapshot["included_new"], sha256=rel.sha256,
          open=snapshot["open"])
    return snapshot


def record_baseline(session: Session, protocol: Protocol) -> bool:
    """Version 1.0, *the published review*, once (``livereview init``): False when it is already there or there
    is no seed corpus to make it from."""
    if session.scalars(select(Release.id).limit(1)).first() is not None:
        return False
    if session.scalars(select(Work.id).where(Work.origin == "seed").limit(1)).first() is None:
        return False
    release(session, protocol, BASELINE, actor="livereview init", baseline=True, allow_open=True)
    return True


def summary(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What ``release --json`` prints: the version, the one before, the totals and the PRISMA counts."""
    return {"version": snapshot["version"], "previous": snapshot["previous"],
            "included_total": snapshot["included_total"], "included_new": snapshot["included_new"],
            "released_at": snapshot["released_at"], "cutoff": snapshot["cutoff"],
            "open": snapshot["open"], "prisma": snapshot["prisma"],
            "protocol_versions": [p["version"] for p in snapshot["protocol_versions"]]}


def verify(rel: Release) -> bool:
    """The stored snapshot is the one frozen: its SHA-256 still matches."""
    return hashlib.sha256(_canonical_json(rel.snapshot)).hexdigest() == rel.sha256


# -- what changed between two versions ----------------------------------------------------------------------------
def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Studies added and removed, extraction values and appraisals changed for studies in both, PRISMA boxes
    that differ, new notices and protocol versions."""
    o_inc = {r["work_id"]: r for r in old["included"]}
    n_inc = {r["work_id"]: r for r in new["included"]}
    o_ext = {r["work_id"]: r for r in old["extraction"]["rows"]}
    n_ext = {r["work_id"]: r for r in new["extraction"]["rows"]}
    changed: list[dict[str, Any]] = []
    for w in sorted(set(o_ext) & set(n_ext)):
        for k in sorted(set(o_ext[w]) | set(n_ext[w])):
            if k in META:
                continue
            if o_ext[w].get(k) != n_ext[w].get(k):
                changed.append({"work_id": w, "field": k, "old": o_ext[w].get(k), "new": n_ext[w].get(k)})
    appraisals = []
    for w in sorted(set(old["appraisals"]) | set(new["appraisals"]), key=int):
        a, b = old["appraisals"].get(w), new["appraisals"].get(w)
        if (a or {}).get("status") != (b or {}).get("status") or (a or {}).get("percent") != (b or {}).get("percent"):
            appraisals.append({"work_id": int(w), "old": a and a.get("percent", a.get("status")),
                               "new": b and b.get("percent", b.get("status"))})
    # 1.0 (the published review) has no diagram of ours: its counts are the paper's own figure
    o_rows = {(r[0], r[1]): r[2] for r in old.get("prisma_rows", [])}
    prisma = [{"box": box, "old": o_rows.get((sec, box)), "new": n} for sec, box, n in new.get("prisma_rows", [])
              if old.get("prisma_rows") and o_rows.get((sec, box)) != n]
    o_notices = {(n["work_id"], n["kind"], n["evidence"]) for n in old["notices"]}
    return {
        "old": old["version"], "new": new["version"],
        "included_total": [old["included_total"], new["included_total"]],
        "added": [n_inc[w] for w in sorted(set(n_inc) - set(o_inc))],
        "removed": [o_inc[w] for w in sorted(set(o_inc) - set(n_inc))],
        "extraction_changed": changed, "appraisals_changed": appraisals, "prisma": prisma,
        "prisma_from_published": not old.get("prisma_rows"),
        "notices": [n for n in new["notices"] if (n["work_id"], n["kind"], n["evidence"]) not in o_notices],
        "protocol_versions": [p["version"] for p in new["protocol_versions"]
                              if p["version"] not in {q["version"] for q in old["protocol_versions"]}],
    }


# -- the living-review rules --------------------------------------------------------------------------------------
def fired_triggers(session: Session, protocol: Protocol, *, now: datetime | None = None) -> list[Trigger]:
    """The protocol's ``[living]`` rules that call for a new version now, each with the moment it fired:
    N new includes since the latest version, a new include in a named domain, a retraction among the includes,
    the living mode's end date passed."""
    rules = protocol.living
    now = now or utcnow()
    latest = latest_release(session)
    out: list[Trigger] = []
    if rules.stop_after is not None and now.date() > rules.stop_after:
        out.append(Trigger("stop", f"the living mode ended on {rules.stop_after.isoformat()}: release a last "
                           "version and stop the searches, or renew the protocol",
                           datetime.combine(rules.stop_after, datetime.min.time(), tzinfo=UTC)))
    if latest is None:
        return out
    works = {w.id: w for w in included_works(session)}
    new = set(works) - release_ids(session, latest)
    times = sorted((t, w) for w, t in _inclusion_times(session, new).items() if t < now)
    if len(times) >= rules.new_version_includes:
        out.append(Trigger("includes", f"{len(times)} studies included since version {latest.version} "
                           f"(the protocol calls for a new version at {rules.new_version_includes})",
                           times[rules.new_version_includes - 1][0]))
    for domain in rules.new_version_domains:
        hits = [(t, w) for t, w in times if works[w].domain == domain]
        if hits:
            out.append(Trigger("domain", f"{len(hits)} new {domain} stud{'ies' if len(hits) != 1 else 'y'} "
                               f"included since version {latest.version}", hits[0][0], hits[0][1]))
    if rules.new_version_on_retraction:
        cutoff = as_utc(latest.cutoff)
        hits = [(as_utc(n.detected_at), n.work_id) for n in session.scalars(
            select(Notice).where(Notice.kind == "retraction", Notice.work_id.in_(list(works))))]
        hits = sorted((t, w) for t, w in hits if t is not None and cutoff is not None and cutoff <= t < now)
        if hits:
            out.append(Trigger("retraction", f"{len(hits)} included stud{'ies' if len(hits) != 1 else 'y'} "
                               f"retracted since version {latest.version}", hits[0][0],  # type: ignore[arg-type]
                               hits[0][1]))
    return sorted(out, key=lambda t: t.since)


# -- synthesis themes ---------------------------------------------------------------------------------------------
def tag_theme(session: Session, protocol: Protocol, work_id: int, theme: str, *, changes_conclusion: bool,
              note: str | None, reviewer: str) -> ThemeTag:
    """Put one of the protocol's synthesis themes on an included study (again: the tag is replaced), audited."""
    themes = {t.id for t in protocol.synthesis.themes}
    if theme not in themes:
        raise ReleaseError(f"unknown theme {theme!r}; the protocol's themes are {', '.join(sorted(themes)) or 'none'}")
    work = session.get(Work, work_id)
    if work is None or work.merged_into_id is not None or work.status != screening.INCLUDED:
        raise ReleaseError(f"work {work_id} is not an included study: themes go on includes")
    if changes_conclusion and not (note or "").strip():
        raise ReleaseError("a study that changes a theme's conclusion needs a --note saying how")
    tag = session.scalars(select(ThemeTag).where(ThemeTag.work_id == work_id, ThemeTag.theme == theme)).first()
    before = None
    if tag is None:
        tag = ThemeTag(work_id=work_id, theme=theme)
        session.add(tag)
    else:
        before = {"changes_conclusion": tag.changes_conclusion, "note": tag.note, "reviewer": tag.reviewer}
    tag.changes_conclusion, tag.note, tag.reviewer, tag.tagged_at = changes_conclusion, note, reviewer, utcnow()
    session.flush()
    audit(session, reviewer, "theme-tag", "work", work_id, theme=theme, changes_conclusion=changes_conclusion,
          note=note, before=before)
    return tag
