"""Screening rules the web app enforces on top of the store's decisions (the outcome rule itself:
:mod:`livereview.store.screening`).

* A reviewer votes once at a stage while it collects votes. A second plain vote is refused (409): changing a
  decision is its own action ("Change my decision"), recorded as a withdrawal plus a new vote, both audited.
  An undo withdraws the vote while nothing else happened to the record since (a slip of the finger).
* Blinding: while a record collects votes at its stage, a reviewer who has no vote there sees nothing about
  anyone's votes on it, at any stage — not a vote, a name, a reason, a count, nor the ``screening`` status (which
  would say someone voted): they see "to screen". Admins are no exception (an admin who votes is a reviewer).
  Once every required vote is in, the stage is decided or in conflict, nobody can vote there any more, and the
  votes are shown.
* A conflict is resolved by an admin, or by a reviewer who did not vote at that stage, with a note:
  a *final* decision (``is_final``), which the store's status derivation honours.
* An admin reopens a decided stage with a reason (audited): the votes at that stage are set aside, and
  the reviewers vote again.
* Exclusion reasons come from the protocol; at full text one is required, and a report that could
  not be retrieved is recorded as such (PRISMA's "reports not retrieved").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.protocols.model import Protocol
from livereview.store import screening as sc
from livereview.store.accounts import User
from livereview.store.audit import audit
from livereview.store.models import Decision, Work
from livereview.web.errors import BadRequest, Conflict, Forbidden
from livereview.web.queue import stage_of

NOT_RETRIEVED = "not-retrieved"
CONFLICTS = {sc.TITLE_ABSTRACT: sc.CONFLICT, sc.FULL_TEXT: sc.FULL_TEXT_CONFLICT}
#: what a reviewer who has not voted at the stage sees instead of a status that would tell them someone voted
BLIND_STATUS = {sc.QUEUED: sc.QUEUED, sc.SCREENING: sc.QUEUED, sc.AWAITING_FULL_TEXT: sc.AWAITING_FULL_TEXT,
                sc.FULL_TEXT_SCREENING: sc.AWAITING_FULL_TEXT}
STATUS_LABELS = {sc.QUEUED: "to screen", sc.AWAITING_FULL_TEXT: "full text to screen"}
VOTE_WORDS = {"include": "Included", "exclude": "Excluded", "maybe": "Maybe"}


@dataclass(frozen=True)
class StageView:
    """What one user may see and do at one stage of one work."""

    stage: str
    open: bool                      # the work waits at this stage (collecting votes, or in conflict)
    conflict: bool
    mine: Decision | None           # my current (non-withdrawn) vote
    others: list[Decision]          # everyone else's current votes and final decisions; empty when blinded
    blinded: bool
    can_vote: bool                  # a first vote
    can_change: bool                # "Change my decision"
    can_resolve: bool
    can_reopen: bool
    finals: list[Decision]


def since_reopen(decisions: Iterable[Decision], stage: str) -> list[Decision]:
    """A stage's decisions in order, without those an admin's reopen set aside."""
    rows = sorted((d for d in decisions if d.stage == stage), key=lambda d: d.id)
    for i in range(len(rows) - 1, -1, -1):
        if rows[i].decision == sc.REOPENED:
            return rows[i + 1:]
    return rows


def current_votes(decisions: list[Decision], stage: str) -> dict[str, Decision]:
    """Each reviewer's latest non-final vote at ``stage`` (withdrawn votes dropped, a reopen honoured)."""
    latest: dict[str, Decision] = {}
    for d in since_reopen(decisions, stage):
        if not d.is_final:
            latest[d.reviewer] = d
    return {r: d for r, d in latest.items() if d.decision != sc.WITHDRAWN}


def decided_stage(work: Work, decisions: list[Decision]) -> str | None:
    """The stage whose outcome closed the work (an admin reopens that one), or None while it is open."""
    if work.status in (sc.INCLUDED, sc.EXCLUDED):
        return sc.FULL_TEXT if since_reopen(decisions, sc.FULL_TEXT) else sc.TITLE_ABSTRACT
    if work.status == sc.AWAITING_FULL_TEXT and not since_reopen(decisions, sc.FULL_TEXT):
        return sc.TITLE_ABSTRACT if since_reopen(decisions, sc.TITLE_ABSTRACT) else None
    return None


def blind_to_record(work: Work, decisions: list[Decision], user: User) -> bool:
    """The record still takes votes at its stage and ``user`` has none there: they see nobody's vote on it,
    at any stage (the title/abstract votes would colour a full-text reading too)."""
    stage = stage_of(work.status)
    return (work.merged_into_id is None and work.status in sc.PENDING_STATUSES and stage is not None
            and user.name not in current_votes(decisions, stage))


def stage_view(work: Work, decisions: list[Decision], user: User, stage: str) -> StageView:
    if stage not in CONFLICTS:  # a form's stage is the user's text: an unknown one is a bad request, not a 500
        raise BadRequest(f"unknown stage {stage[:40]!r}")
    votes = current_votes(decisions, stage)
    mine = votes.get(user.name)
    finals = [d for d in since_reopen(decisions, stage) if d.is_final]
    open_ = stage_of(work.status) == stage and work.merged_into_id is None
    conflict = work.status == CONFLICTS[stage]
    collecting = open_ and not conflict
    blinded = blind_to_record(work, decisions, user)
    others = [] if blinded else [d for r, d in sorted(votes.items()) if r != user.name] + finals
    return StageView(stage=stage, open=open_, conflict=conflict, mine=mine, others=others, blinded=blinded,
                     can_vote=collecting and mine is None, can_change=collecting and mine is not None,
                     can_resolve=conflict and (user.is_admin or user.name not in votes),
                     can_reopen=user.is_admin and decided_stage(work, decisions) == stage, finals=finals)


def shown_status(work: Work, decisions: list[Decision], user: User) -> str:
    """The status ``user`` may see: ``screening`` only to those who voted at the stage (else it says someone did)."""
    return BLIND_STATUS[work.status] if blind_to_record(work, decisions, user) else work.status


def shown_statuses(session: Session, works: list[Work], user: User) -> dict[int, str]:
    """:func:`shown_status` for a page of works, in one query."""
    ids = [w.id for w in works if w.status in BLIND_STATUS]
    by_work: dict[int, list[Decision]] = defaultdict(list)
    if ids:
        for d in session.scalars(select(Decision).where(Decision.work_id.in_(ids))):
            by_work[d.work_id].append(d)
    return {w.id: shown_status(w, by_work.get(w.id, []), user) for w in works}


def work_decisions(session: Session, work_id: int) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.work_id == work_id).order_by(Decision.id)))


def _locked_decisions(session: Session, work: Work) -> list[Decision]:
    """The work's decisions, read after taking the work's row lock: two requests changing one record (a double
    submit of the same first vote, two resolvers) take turns, and the second sees the first's vote. PostgreSQL
    locks the row (``SELECT … FOR UPDATE``); SQLite's writers already take turns before ``BEGIN IMMEDIATE`` (the
    work was read inside this write transaction: no second read of it, one statement less under the lock)."""
    if session.get_bind().dialect.name != "sqlite":
        session.refresh(work, with_for_update=True)
    return work_decisions(session, work.id)


def _check_reason(protocol: Protocol, stage: str, decision: str, reason: str | None,
                  retrieved: bool | None) -> str | None:
    reasons = dict(protocol.exclusion_reasons)
    if decision != "exclude":
        return None
    if stage == sc.FULL_TEXT and retrieved is False:
        return NOT_RETRIEVED
    if reason and reason not in reasons:
        raise BadRequest(f"unknown exclusion reason {reason!r}")
    if stage == sc.FULL_TEXT and not reason:
        raise BadRequest("excluding at full text needs a reason from the protocol's exclusion criteria")
    return reason or None


def _stage_label(stage: str) -> str:
    return "title/abstract" if stage == sc.TITLE_ABSTRACT else "full text"


def decide(session: Session, work: Work, user: User, protocol: Protocol, *, stage: str, decision: str,
           reason: str | None = None, note: str | None = None, retrieved: bool | None = None,
           change: bool = False) -> Decision:
    """Record ``user``'s vote; a vote on a record they already decided is refused unless it is a change."""
    if stage not in sc.STAGES:
        raise BadRequest(f"unknown stage {stage!r}")
    if decision not in sc.VOTES:
        raise BadRequest(f"unknown decision {decision!r}")
    decisions = _locked_decisions(session, work)
    view = stage_view(work, decisions, user, stage)
    if view.mine is not None and not change:
        raise Conflict(f"you already decided record {work.id} at {_stage_label(stage)} ({view.mine.decision}); "
                       "to change it use \"Change my decision\"")
    if not (view.can_change if change else view.can_vote):
        raise Conflict(f"record {work.id} is not open for your {_stage_label(stage)} decision"
                       + (" (you have no decision there to change)" if change and view.can_vote else ""))
    if stage == sc.FULL_TEXT:
        retrieved = True if retrieved is None else retrieved
        if retrieved is False:
            decision = "exclude"
    else:
        retrieved = None
    reason = _check_reason(protocol, stage, decision, reason, retrieved)
    required = protocol.review.reviewers_by_stage
    before = view.mine
    if before is not None:   # a change: the old vote is withdrawn, then the new one recorded
        sc.record_decision(session, work, reviewer=user.name, stage=stage, decision=sc.WITHDRAWN, origin="web",
                           reviewers_required=required)
    d = sc.record_decision(session, work, reviewer=user.name, stage=stage, decision=decision, reason=reason,
                           note=note or None, origin="web", reviewers_required=required, report_retrieved=retrieved)
    if before is not None:
        audit(session, user.name, "decision-changed", "work", work.id, stage=stage,
              before={"decision": before.decision, "reason": before.reason, "decision_id": before.id},
              after={"decision": d.decision, "reason": d.reason, "decision_id": d.id})
    return d


def undo(session: Session, work: Work, user: User, protocol: Protocol, *, stage: str) -> Decision:
    """Withdraw ``user``'s current vote at ``stage``: while the stage collects votes, or when that vote was
    the last thing to happen to the record (a slip on the closing vote). Audited, nothing deleted."""
    decisions = _locked_decisions(session, work)
    view = stage_view(work, decisions, user, stage)
    if view.mine is None:
        raise Conflict("you have no decision to undo here")
    if not (view.can_change or (decisions and decisions[-1].id == view.mine.id and work.merged_into_id is None)):
        raise Conflict("this record has moved on since your vote: ask an admin to reopen it")
    d = sc.record_decision(session, work, reviewer=user.name, stage=stage, decision=sc.WITHDRAWN, origin="web",
                           reviewers_required=protocol.review.reviewers_by_stage)
    audit(session, user.name, "decision-undone", "work", work.id, stage=stage,
          before={"decision": view.mine.decision, "reason": view.mine.reason, "decision_id": view.mine.id},
          after=None)
    return d


def last_vote(session: Session, user: User) -> Decision | None:
    """``user``'s latest vote anywhere, if it still stands (the target of ``u``)."""
    d = session.scalars(select(Decision).where(Decision.reviewer == user.name, Decision.is_final.is_(False))
                        .order_by(Decision.id.desc()).limit(1)).first()
    return d if d is not None and d.decision != sc.WITHDRAWN else None


def undo_last(session: Session, user: User, protocol: Protocol) -> Decision:
    """Undo ``user``'s last vote, from any page (``u``)."""
    d = last_vote(session, user)
    if d is None:
        raise Conflict("you have no vote to undo")
    work = session.get(Work, d.work_id)
    assert work is not None
    return undo(session, work, user, protocol, stage=d.stage)


def resolve(session: Session, work: Work, user: User, protocol: Protocol, *, stage: str, decision: str,
            note: str, reason: str | None = None) -> Decision:
    """Settle a conflict with a final decision and a note (admin, or a reviewer who did not vote)."""
    if decision not in ("include", "exclude"):
        raise BadRequest("a conflict is resolved by include or exclude")
    if not note.strip():
        raise BadRequest("resolving a conflict needs a note saying why")
    decisions = _locked_decisions(session, work)
    view = stage_view(work, decisions, user, stage)
    if not view.conflict:
        raise Conflict("this record has no conflict at that stage")
    if not view.can_resolve:
        raise Forbidden("only an admin, or a reviewer who has not screened this record, resolves its conflict")
    reason = _check_reason(protocol, stage, decision, reason, True if stage == sc.FULL_TEXT else None)
    d = sc.record_decision(session, work, reviewer=user.name, stage=stage, decision=decision, reason=reason,
                           note=note.strip(), is_final=True, origin="web",
                           reviewers_required=protocol.review.reviewers_by_stage,
                           report_retrieved=True if stage == sc.FULL_TEXT else None)
    audit(session, user.name, "conflict-resolved", "work", work.id, stage=stage, decision=decision, reason=reason,
          note=note.strip(), votes={r: v.decision for r, v in current_votes(decisions, stage).items()})
    return d


def reopen(session: Session, work: Work, user: User, protocol: Protocol, *, reason: str) -> Decision:
    """An admin reopens the stage that closed the record: its votes are set aside (kept, audited)."""
    if not user.is_admin:
        raise Forbidden("only an admin reopens a decided record")
    if not reason.strip():
        raise BadRequest("reopening a record needs a reason")
    decisions = _locked_decisions(session, work)
    stage = decided_stage(work, decisions)
    if stage is None or work.merged_into_id is not None:
        raise Conflict(f"record {work.id} is not decided (status {work.status})")
    before = work.status
    set_aside = [d.id for d in since_reopen(decisions, stage)]
    d = sc.record_decision(session, work, reviewer=user.name, stage=stage, decision=sc.REOPENED,
                           note=reason.strip(), is_final=True, origin="web",
                           reviewers_required=protocol.review.reviewers_by_stage)
    audit(session, user.name, "record-reopened", "work", work.id, stage=stage, reason=reason.strip(),
          status_before=before, status_after=work.status, set_aside=set_aside)
    return d


def recorded_message(d: Decision, work_id: int) -> str:
    """What the flash after a vote says: "Excluded #113, E2"."""
    word = "Report not retrieved" if d.reason == NOT_RETRIEVED else VOTE_WORDS.get(d.decision, d.decision)
    return f"{word} #{work_id}" + (f", {d.reason}" if d.reason and d.reason != NOT_RETRIEVED else "")
