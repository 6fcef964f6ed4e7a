"""Merging duplicate works, reversibly, without ever losing a decision.

A merge re-points the merged work's source records, decisions, links and notices to the kept
work, moves identifiers the kept work lacks, fills its empty fields, and marks the merged work
``duplicate``. Everything moved is written down in ``work_merges.moved`` so :func:`undo_merge`
puts it all back. Both run in the caller's transaction and are audited.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from livereview.store import screening
from livereview.store.audit import audit
from livereview.store.clock import utcnow
from livereview.store.fields import FILLABLE, ID_FIELDS
from livereview.store.models import (
    Assignment,
    Attachment,
    Comment,
    Decision,
    Mention,
    Notice,
    SourceRecord,
    Work,
    WorkLink,
    WorkMerge,
    WorkTag,
)

#: what the people around a record left on it (issue 20) follows it into the kept work, and back on undo
_PEOPLE_ROWS = ((Comment, "comments"), (Mention, "mentions"))


def survivor(wid: int, merged_into: Callable[[int], int | None]) -> int:
    """Follow merges from work ``wid`` to the work that survived them; ``merged_into(id)`` says where a work went
    (None: nowhere). The one loop for every lookup (the ORM, an ingest's prefetched map, its own merges); a cycle
    in the links, which a merge never makes, stops instead of looping."""
    seen: set[int] = set()
    while (up := merged_into(wid)) is not None and wid not in seen:
        seen.add(wid)
        wid = up
    return wid


def merge_works(session: Session, kept: Work, merged: Work, *, rule: str, actor: str, score: float | None = None,
                reviewers_required: screening.Required = 2, run_id: int | None = None,
                import_id: int | None = None) -> WorkMerge:
    if kept.id == merged.id:
        raise ValueError("cannot merge a work into itself")
    if merged.merged_into_id is not None:
        raise ValueError(f"work {merged.id} is already merged into {merged.merged_into_id}")
    moved: dict[str, object] = {}
    moved["source_records"] = list(session.scalars(select(SourceRecord.id).where(SourceRecord.work_id == merged.id)))
    moved["decisions"] = list(session.scalars(select(Decision.id).where(Decision.work_id == merged.id)))
    moved["links"] = list(session.scalars(select(WorkLink.id).where(WorkLink.work_id == merged.id)))
    moved["notices"] = list(session.scalars(select(Notice.id).where(Notice.work_id == merged.id)))
    # attached PDFs follow the record they were attached to (an unmerge sends them back)
    moved["attachments"] = list(session.scalars(select(Attachment.id).where(Attachment.work_id == merged.id)))
    for table, ids in ((SourceRecord, moved["source_records"]), (Decision, moved["decisions"]),
                       (WorkLink, moved["links"]), (Notice, moved["notices"]), (Attachment, moved["attachments"])):
        if ids:
            session.execute(update(table).where(table.id.in_(ids)).values(work_id=kept.id))
    _move_people(session, kept.id, merged.id, moved)
    ids_moved: dict[str, str] = {}
    for name in ID_FIELDS:
        value = getattr(merged, name)
        if value and not getattr(kept, name):
            setattr(merged, name, None)
            session.flush()
            setattr(kept, name, value)
            ids_moved[name] = value
    moved["identifiers"] = ids_moved
    filled: list[str] = []
    for name in FILLABLE:
        if getattr(kept, name) in (None, "") and getattr(merged, name) not in (None, ""):
            setattr(kept, name, getattr(merged, name))
            filled.append(name)
    moved["filled"] = filled
    moved["merged_status"] = merged.status
    merged.merged_into_id = kept.id
    merged.status = screening.DUPLICATE
    if merged.is_retracted:
        kept.is_retracted = True
    session.flush()
    screening.refresh_status(session, kept, reviewers_required=reviewers_required)
    m = WorkMerge(kept_id=kept.id, merged_id=merged.id, rule=rule, score=score, moved=moved, actor=actor,
                  run_id=run_id, import_id=import_id)
    session.add(m)
    session.flush()
    audit(session, actor, "merge", "work", kept.id, merged_id=merged.id, rule=rule, score=score,
          decisions_moved=len(moved["decisions"]))  # type: ignore[arg-type]
    return m


def undo_merge(session: Session, merge_id: int, *, actor: str,
               reviewers_required: screening.Required = 2) -> WorkMerge:
    m = session.get(WorkMerge, merge_id)
    if m is None or m.undone_at is not None:
        raise ValueError(f"merge {merge_id} does not exist or was already undone")
    kept, merged = session.get(Work, m.kept_id), session.get(Work, m.merged_id)
    assert kept is not None and merged is not None
    mv = m.moved
    for table, key in ((SourceRecord, "source_records"), (Decision, "decisions"), (WorkLink, "links"),
                       (Notice, "notices"), (Attachment, "attachments")):
        if mv.get(key):
            session.execute(update(table).where(table.id.in_(mv[key])).values(work_id=merged.id))
    for table, key in _PEOPLE_ROWS:
        if mv.get(key):
            session.execute(update(table).where(table.id.in_(mv[key])).values(work_id=merged.id))
    if mv.get("assignments"):
        session.execute(update(Assignment).where(Assignment.id.in_(mv["assignments"])).values(work_id=merged.id))
    if mv.get("tags"):
        session.execute(update(WorkTag).where(WorkTag.work_id == kept.id, WorkTag.tag_id.in_(mv["tags"]))
                        .values(work_id=merged.id))
    for name, value in (mv.get("identifiers") or {}).items():
        setattr(kept, name, None)
        session.flush()
        setattr(merged, name, value)
    for name in mv.get("filled") or []:
        setattr(kept, name, None)
    merged.merged_into_id = None
    merged.status = mv.get("merged_status") or screening.QUEUED
    session.flush()
    screening.refresh_status(session, kept, reviewers_required=reviewers_required)
    screening.refresh_status(session, merged, reviewers_required=reviewers_required)
    m.undone_at = utcnow()
    audit(session, actor, "merge-undone", "work", kept.id, merged_id=merged.id, merge_id=m.id)
    return m


def _move_people(session: Session, kept_id: int, merged_id: int, moved: dict[str, object]) -> None:
    """Comments, mentions, tags and assignments of the merged work go to the kept one (a tag or an assignment the
    kept work has already stays behind: one of each is enough), written down in ``moved`` for the undo."""
    for table, key in _PEOPLE_ROWS:
        ids = list(session.scalars(select(table.id).where(table.work_id == merged_id)))
        moved[key] = ids
        if ids:
            session.execute(update(table).where(table.id.in_(ids)).values(work_id=kept_id))
    have = set(session.scalars(select(Assignment.reviewer).where(Assignment.work_id == kept_id)))
    ids = [a.id for a in session.scalars(select(Assignment).where(Assignment.work_id == merged_id))
           if a.reviewer not in have]
    moved["assignments"] = ids
    if ids:
        session.execute(update(Assignment).where(Assignment.id.in_(ids)).values(work_id=kept_id))
    on_kept = set(session.scalars(select(WorkTag.tag_id).where(WorkTag.work_id == kept_id)))
    tags = [t for t in session.scalars(select(WorkTag.tag_id).where(WorkTag.work_id == merged_id)) if t not in on_kept]
    moved["tags"] = tags
    if tags:
        session.execute(update(WorkTag).where(WorkTag.work_id == merged_id, WorkTag.tag_id.in_(tags))
                        .values(work_id=kept_id))
