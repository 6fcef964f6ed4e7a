"""What the deduplication did, put before people: records it joined to known works, works it merged, and the
near misses it left apart — with the three corrections a person can make (merge a pair, say a pair is two
works, split a joined record off or undo a merge).

The web app's duplicates page and the CLI read and write through here; every change is one transaction of the
caller's and is audited. A pair answered "not a duplicate" keeps its row (status ``distinct``), so it is never
proposed again; decisions never move except through :func:`store.merge.merge_works` / ``undo_merge``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livereview.dedup.rules import RULES_BY_NAME
from livereview.records.model import Record
from livereview.store import screening
from livereview.store.audit import audit
from livereview.store.clock import utcnow
from livereview.store.fields import ID_FIELDS
from livereview.store.ingest import Provenance, canonical, create_work
from livereview.store.merge import merge_works
from livereview.store.models import DuplicatePair, Import, Run, SourceRecord, Work, WorkMerge

BatchKind = Literal["run", "import"]
Verdict = Literal["merge", "distinct"]

#: how the store names the joins it makes itself (the dedup rules explain their own: ``dedup.rules``)
STORE_RULES = {
    "identifier": "a shared identifier (DOI, PMID, PMCID or OpenAlex id)",
    "identifier-bridge": "the record's identifiers named both works: they are one",
    "manual": "merged by a person (CLI)",
    "reviewed": "merged by a person (duplicates page)",
    "split": "split off by a person: not a duplicate",
}


class DuplicateReviewError(ValueError):
    """A correction that cannot be made as asked (one line for the page or the CLI)."""


def explain_rule(name: str | None) -> str:
    """What a join rule means, in words a reviewer reads beside it."""
    if name is None:
        return "made the work"
    if name in STORE_RULES:
        return STORE_RULES[name]
    rule = RULES_BY_NAME.get(name)
    return rule.why if rule is not None else "no rule held: the evidence was too thin to join them"


@dataclass(frozen=True)
class Batch:
    """A run or an import, with what its deduplication did: records joined by a matching rule (not by an
    identifier), works merged, near misses still open."""

    kind: BatchKind
    id: int
    label: str
    at: datetime
    joined: int
    merged: int
    open_pairs: int


def _by_batch(session: Session, stmt_run: object, stmt_import: object) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = {}
    for kind, stmt in (("run", stmt_run), ("import", stmt_import)):
        for key, n in session.execute(stmt):  # type: ignore[call-overload]
            if key is not None:
                counts[(kind, key)] = n
    return counts


def _fuzzy_join():  # type: ignore[no-untyped-def]
    return SourceRecord.match_rule.is_not(None) & (SourceRecord.match_rule != "identifier")


def batches(session: Session) -> list[Batch]:
    """Every run and import whose deduplication did something a person may want to check, newest first."""
    joined = _by_batch(
        session,
        select(SourceRecord.run_id, func.count()).where(_fuzzy_join()).group_by(SourceRecord.run_id),
        select(SourceRecord.import_id, func.count()).where(_fuzzy_join()).group_by(SourceRecord.import_id))
    merged = _by_batch(
        session,
        select(WorkMerge.run_id, func.count()).group_by(WorkMerge.run_id),
        select(WorkMerge.import_id, func.count()).group_by(WorkMerge.import_id))
    pairs = _by_batch(
        session,
        select(DuplicatePair.run_id, func.count()).where(DuplicatePair.status == "open")
        .group_by(DuplicatePair.run_id),
        select(DuplicatePair.import_id, func.count()).where(DuplicatePair.status == "open")
        .group_by(DuplicatePair.import_id))
    keys = set(joined) | set(merged) | set(pairs)
    out: list[Batch] = []
    run_ids = [k[1] for k in keys if k[0] == "run"]
    import_ids = [k[1] for k in keys if k[0] == "import"]
    for run in session.scalars(select(Run).where(Run.id.in_(run_ids))) if run_ids else ():
        key = ("run", run.id)
        out.append(Batch("run", run.id, f"run #{run.id} ({run.flow})", run.started_at, joined.get(key, 0),
                         merged.get(key, 0), pairs.get(key, 0)))
    for imp in session.scalars(select(Import).where(Import.id.in_(import_ids))) if import_ids else ():
        key = ("import", imp.id)
        out.append(Batch("import", imp.id, f"import #{imp.id} ({PurePath(imp.path).name}, {imp.source})",
                         imp.imported_at, joined.get(key, 0), merged.get(key, 0), pairs.get(key, 0)))
    out.sort(key=lambda b: (b.at, b.kind, b.id), reverse=True)
    return out


def _in_batch(column_run: object, column_import: object, kind: BatchKind, batch_id: int) -> object:
    return (column_run if kind == "run" else column_import) == batch_id  # type: ignore[operator]


@dataclass(frozen=True)
class Joined:
    """A record the matcher joined to a work that existed (or was made earlier in the same batch)."""

    record: SourceRecord
    work: Work


def joined_records(session: Session, kind: BatchKind, batch_id: int, *, limit: int = 500) -> list[Joined]:
    """The batch's records joined by a matching rule (identifier matches are not in doubt), with their work."""
    stmt = (select(SourceRecord, Work).join(Work, Work.id == SourceRecord.work_id)
            .where(_fuzzy_join(), _in_batch(SourceRecord.run_id, SourceRecord.import_id, kind, batch_id))
            .order_by(SourceRecord.id).limit(limit))
    return [Joined(sr, work) for sr, work in session.execute(stmt)]


def merges(session: Session, kind: BatchKind | None, batch_id: int | None) -> list[WorkMerge]:
    """Merges made by a batch (identifier bridges), or with ``kind=None`` the ones people made."""
    stmt = select(WorkMerge).order_by(WorkMerge.id.desc())
    if kind is None:
        stmt = stmt.where(WorkMerge.run_id.is_(None), WorkMerge.import_id.is_(None))
    else:
        stmt = stmt.where(_in_batch(WorkMerge.run_id, WorkMerge.import_id, kind, batch_id or 0))
    return list(session.scalars(stmt.limit(500)))


def pairs(session: Session, kind: BatchKind | None = None, batch_id: int | None = None, *,
          status: str | None = None) -> list[DuplicatePair]:
    """Pairs put before people (a batch's, or all), best score first."""
    stmt = select(DuplicatePair)
    if kind is not None:
        stmt = stmt.where(_in_batch(DuplicatePair.run_id, DuplicatePair.import_id, kind, batch_id or 0))
    if status is not None:
        stmt = stmt.where(DuplicatePair.status == status)
    return list(session.scalars(stmt.order_by(DuplicatePair.score.desc().nulls_last(), DuplicatePair.id).limit(500)))


def works_by_id(session: Session, ids: set[int]) -> dict[int, Work]:
    return {w.id: w for w in session.scalars(select(Work).where(Work.id.in_(ids)))} if ids else {}


def _locked(session: Session, model: type, key: int):  # type: ignore[no-untyped-def]
    """The row, locked against a second person answering at the same moment (PostgreSQL; SQLite writes one at a
    time anyway)."""
    return session.scalars(select(model).where(model.id == key).with_for_update()).first()


def decide_pair(session: Session, pair_id: int, verdict: Verdict, *, actor: str,
                reviewers_required: screening.Required = 2) -> DuplicatePair:
    """Answer an open pair: ``merge`` joins the newer work into the one it nearly matched (decisions move, and
    ``unmerge`` undoes it); ``distinct`` keeps them apart for good."""
    pair = _locked(session, DuplicatePair, pair_id)
    if pair is None:
        raise DuplicateReviewError(f"no duplicate pair {pair_id}")
    if pair.status != "open":
        raise DuplicateReviewError(f"pair {pair_id} was already answered ({pair.status}, by {pair.decided_by})")
    if verdict == "merge":
        newer, older = session.get(Work, pair.work_id), session.get(Work, pair.other_id)
        assert newer is not None and older is not None
        kept, merged = canonical(session, older), canonical(session, newer)
        if kept.id != merged.id:
            merge_works(session, kept, merged, rule="reviewed", actor=actor, score=pair.score,
                        reviewers_required=reviewers_required)
        pair.status = "merged"
    elif verdict == "distinct":
        pair.status = "distinct"
        audit(session, actor, "not-duplicate", "work", pair.work_id, other_id=pair.other_id, pair_id=pair.id)
    else:
        raise DuplicateReviewError(f"unknown answer {verdict!r}: merge or distinct")
    pair.decided_by, pair.decided_at = actor, utcnow()
    session.flush()
    return pair


def split_record(session: Session, source_record_id: int, *, actor: str,
                 reviewers_required: screening.Required = 2) -> Work:
    """Take a record the matcher joined to a work off it again: it becomes a work of its own (queued for
    screening), the pair is remembered as two works, and the decisions stay where people made them."""
    sr = _locked(session, SourceRecord, source_record_id)
    if sr is None:
        raise DuplicateReviewError(f"no source record {source_record_id}")
    if sr.match_rule in (None, "identifier"):
        raise DuplicateReviewError(f"record {source_record_id} was not joined by a matching rule "
                                   f"({'it made its work' if sr.match_rule is None else 'it shares an identifier'})")
    old = session.get(Work, sr.work_id)
    assert old is not None
    rec = Record.from_json_dict(sr.record)
    prov = Provenance(origin="import" if sr.import_id is not None else "search", run_id=sr.run_id,
                      source_run_id=sr.source_run_id, import_id=sr.import_id, query_name=sr.query_name,
                      actor=actor, domain=old.domain, reviewers_required=reviewers_required)
    # an identifier the join copied onto the old work goes with the record, unless another of its records has it
    others = list(session.scalars(select(SourceRecord).where(SourceRecord.work_id == old.id,
                                                             SourceRecord.id != sr.id)))
    for name in ID_FIELDS:
        value = getattr(rec, name)
        if value and getattr(old, name) == value and not any(getattr(o, name) == value for o in others):
            setattr(old, name, None)
    session.flush()
    new = create_work(session, rec, prov, screening.QUEUED)
    rule = sr.match_rule
    sr.work_id, sr.match_rule, sr.classification = new.id, None, "new"
    session.add(DuplicatePair(work_id=new.id, other_id=old.id, score=None, rule="split", status="distinct",
                              run_id=sr.run_id, import_id=sr.import_id, decided_by=actor, decided_at=utcnow()))
    session.flush()
    audit(session, actor, "split", "work", old.id, new_work_id=new.id, source_record_id=sr.id, rule=rule)
    return new

