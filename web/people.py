"""People in the loop, the web side: who may read a record's thread (blinding), each reviewer's progress, and
the record's text marked with the protocol's terms and the reader's own highlight words.

**Comments and blinding.** A comment may give a vote away ("excluded: wrong population"). So a record's thread
follows the same rule as its votes (web/review.py): while the record collects votes at its stage and the reader
has no vote there, they see none of its comments but their own — admins are no exception, as for votes. A
mention of them waits, unseen, until they vote (the queue's "mentions" filter leaves such records out too); once
they have voted, or the stage is decided or in conflict, the whole thread is theirs. Anyone may add a comment.

**Progress** counts come from the screening rule itself (store/screening.py's current ballots; the queue's
"needs my decision"): decided this week (current votes cast since Monday 00:00 UTC), open (records waiting for
their vote) and conflicts (records in conflict at a stage where they voted). Only counts: never which way anyone
voted on any record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.store import screening as sc
from livereview.store.accounts import User
from livereview.store.assignments import assigned_to, assignees
from livereview.store.clock import as_utc, utcnow
from livereview.store.comments import thread
from livereview.store.highlights import word_spans, words_for
from livereview.store.models import Comment, Decision, Mention, Work
from livereview.store.tags import list_tags, tag_rows_for_works
from livereview.web.queue import ANY_STAGE, QueueFilter, queue_conditions, queue_count
from livereview.web.review import blind_to_record
from livereview.web.text import mark


def visible_thread(session: Session, work: Work, decisions: list[Decision], user: User) -> tuple[list[Comment], int]:
    """The comments ``user`` may read on ``work``, and how many are held back until they vote."""
    comments = thread(session, work.id)
    if not blind_to_record(work, decisions, user):
        return comments, 0
    own = [c for c in comments if c.author == user.name]
    return own, len(comments) - len(own)


def unread_mentions(session: Session, work_id: int, user: User) -> int:
    """How many of ``user``'s mentions on this record are unread."""
    return len(list(session.scalars(select(Mention.id).where(Mention.work_id == work_id,
                                                             Mention.user_name == user.name,
                                                             Mention.read_at.is_(None)))))


def queue_people(session: Session, works: list[Work], user: User) -> dict[str, object]:
    """What the queue shows of the people around its rows: tags, unread mentions of the reader (only on rows
    whose thread they may read: blinding), rows assigned to them, and their unread mentions in all."""
    ids = [w.id for w in works]
    mention_ids: set[int] = set()
    assigned: set[int] = set()
    if ids:
        mention_ids = set(session.scalars(select(Work.id).where(
            Work.id.in_(ids), *queue_conditions(QueueFilter(mentions=True), reviewer=user.name))))
        assigned = set(session.scalars(select(Work.id).where(Work.id.in_(ids), assigned_to(user.name))))
    n_mentions, _ = queue_count(session, QueueFilter(mentions=True), reviewer=user.name)
    return {"row_tags": tag_rows_for_works(session, ids), "mention_ids": mention_ids, "assigned_ids": assigned,
            "n_mentions": n_mentions}


def record_people(session: Session, work: Work, decisions: list[Decision], user: User) -> dict[str, object]:
    """What the record page shows of the people around a record: its tags (and the ones to add), its thread as
    this user may read it, whom it is assigned to, and, for admins, whom it can be assigned to."""
    comments, held_back = visible_thread(session, work, decisions, user)
    on = tag_rows_for_works(session, [work.id]).get(work.id, [])
    on_ids = {t.id for t in on}
    return {"work_tags": on, "other_tags": [t for t in list_tags(session) if t.id not in on_ids],
            "comments": comments, "held_back": held_back, "assignees": assignees(session, [work.id]).get(work.id, []),
            "unread": 0 if blind_to_record(work, decisions, user) else unread_mentions(session, work.id, user)}


def highlighted(session: Session, user: User, text: str | None, protocol_spans: list[tuple[int, int]]) -> Markup:
    """``text`` with the protocol's terms and ``user``'s own highlight words marked."""
    words = [w.word for w in words_for(session, user.name)]
    return mark_both(text, protocol_spans, word_spans(text, words))


@dataclass(frozen=True)
class Progress:
    """One reviewer's counts (no vote directions)."""

    reviewer: str
    decided_week: int
    open: int
    open_exact: bool
    conflicts: int


def week_start(now: datetime | None = None) -> datetime:
    """Monday 00:00 UTC of the current week."""
    now = as_utc(now) or utcnow()
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def reviewer_progress(session: Session, reviewers: list[str], *, now: datetime | None = None) -> list[Progress]:
    """Each reviewer's progress, from the screening rule's current ballots (withdrawn and reopened votes don't
    count) and the queue's own "needs my decision" condition."""
    since = week_start(now)
    decided: dict[str, set[tuple[int, str]]] = defaultdict(set)
    touched = select(Decision.work_id).where(Decision.decided_at >= since).distinct()
    by_work: dict[tuple[int, str], list[Decision]] = defaultdict(list)
    for d in session.scalars(select(Decision).where(Decision.work_id.in_(touched))):
        by_work[(d.work_id, d.stage)].append(d)
    for (wid, stage), rows in by_work.items():
        for name, ballot in sc.current_ballots(sc.ballots_of(rows)).items():
            if ballot.decided_at >= since and ballot.decision in sc.VOTES:
                decided[name].add((wid, stage))
    conflicts: dict[str, int] = defaultdict(int)
    conflict_stage = {sc.CONFLICT: sc.TITLE_ABSTRACT, sc.FULL_TEXT_CONFLICT: sc.FULL_TEXT}
    in_conflict = dict(session.execute(select(Work.id, Work.status).where(Work.status.in_(sc.CONFLICT_STATUSES))).all())
    rows_by_work: dict[int, list[Decision]] = defaultdict(list)
    if in_conflict:
        for d in session.scalars(select(Decision).where(Decision.work_id.in_(list(in_conflict)))):
            rows_by_work[d.work_id].append(d)
    for wid, status in in_conflict.items():
        stage = conflict_stage[status]
        for name in sc.current_ballots(sc.ballots_of(d for d in rows_by_work[wid] if d.stage == stage)):
            conflicts[name] += 1
    out = []
    for name in reviewers:
        n_open, exact = queue_count(session, QueueFilter(mine=True, stage=ANY_STAGE), reviewer=name)
        out.append(Progress(name, len(decided[name]), n_open, exact, conflicts[name]))
    return out


def mark_both(text: str | None, protocol_spans: list[tuple[int, int]], own_spans: list[tuple[int, int]]) -> Markup:
    """``text`` escaped with the protocol's terms marked (``mark.term``) and the reader's own words marked
    (``mark.mine``); where the two overlap the protocol's term wins."""
    if not own_spans:
        return mark(text, protocol_spans)
    if not text:
        return Markup("")
    tags = {"term": (Markup('<mark class="term">'), Markup("</mark>")),
            "mine": (Markup('<mark class="mine">'), Markup("</mark>"))}
    spans = sorted([(s, e, "term") for s, e in protocol_spans] + [(s, e, "mine") for s, e in own_spans],
                   key=lambda x: (x[0], x[2] != "term"))
    out: list[Markup] = []
    pos = 0
    for start, end, cls in spans:
        if start < pos or end > len(text) or start >= end:
            continue
        out += (escape(text[pos:start]), tags[cls][0], escape(text[start:end]), tags[cls][1])
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)
