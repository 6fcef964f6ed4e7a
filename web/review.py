"""Screening rules the web app enforces on top of the store's decisions.

* A reviewer votes at the stage the work waits at, once (a later vote supersedes, an undo withdraws),
  and only until the stage is resolved.
* Blinding: a reviewer sees the other reviewers' votes at a stage only after voting there; admins,
  and a reviewer who did not screen a work in conflict (a possible resolver), see them.
* A conflict is resolved by an admin, or by a reviewer who did not vote at that stage, with a note:
  a *final* decision (``is_final``), which the store's status derivation honours.
* Exclusion reasons come from the protocol; at full text one is required, and a report that could
  not be retrieved is recorded as such (PRISMA's "reports not retrieved").
"""

from __future__ import annotations

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
CONFLICTS = {"title-abstract": sc.CONFLICT, "full-text": sc.FULL_TEXT_CONFLICT}


@dataclass(frozen=True)
class StageView:
    """What one user may see and do at one stage of one work."""

    stage: str
    open: bool                      # the work waits at this stage
    conflict: bool
    mine: Decision | None           # my current (non-withdrawn) vote
    others: list[Decision]          # everyone's current votes and final decisions; empty when blinded
    blinded: bool
    can_vote: bool
    can_resolve: bool
    finals: list[Decision]


def current_votes(decisions: list[Decision], stage: str) -> dict[str, Decision]:
    """Each reviewer's latest non-final vote at ``stage`` (withdrawn votes dropped)."""
    latest: dict[str, Decision] = {}
    for d in sorted((d for d in decisions if d.stage == stage and not d.is_final), key=lambda d: d.id):
        latest[d.reviewer] = d
    return {r: d for r, d in latest.items() if d.decision != sc.WITHDRAWN}


def stage_view(work: Work, decisions: list[Decision], user: User, stage: str) -> StageView:
    if stage not in CONFLICTS:  # a form's stage is the user's text: an unknown one is a bad request, not a 500
        raise BadRequest(f"unknown stage {stage[:40]!r}")
    votes = current_votes(decisions, stage)
    mine = votes.get(user.name)
    finals = [d for d in decisions if d.stage == stage and d.is_final]
    open_ = stage_of(work.status) == stage and work.merged_into_id is None
    conflict = work.status == CONFLICTS[stage]
    voted_here = any(d.reviewer == user.name for d in decisions if d.stage == stage and not d.is_final)
    may_resolve = conflict and (user.is_admin or not voted_here)
    blinded = not (user.is_admin or mine is not None or may_resolve or not open_)
    others = [] if blinded else [d for r, d in sorted(votes.items()) if r != user.name] + finals
    return StageView(stage=stage, open=open_, conflict=conflict, mine=mine, others=others, blinded=blinded,
                     can_vote=open_ and (not conflict or mine is not None), can_resolve=may_resolve, finals=finals)


def work_decisions(session: Session, work_id: int) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.work_id == work_id).order_by(Decision.id)))


def _check_reason(protocol: Protocol, stage: str, decision: str, reason: str | None,
                  retrieved: bool | None) -> str | None:
    reasons = dict(protocol.exclusion_reasons)
    if decision != "exclude":
        return None
    if stage == "full-text" and retrieved is False:
        return NOT_RETRIEVED
    if reason and reason not in reasons:
        raise BadRequest(f"unknown exclusion reason {reason!r}")
    if stage == "full-text" and not reason:
        raise BadRequest("excluding at full text needs a reason from the protocol's exclusion criteria")
    return reason or None


def decide(session: Session, work: Work, user: User, protocol: Protocol, *, stage: str, decision: str,
           reason: str | None = None, note: str | None = None, retrieved: bool | None = None) -> Decision:
    """Record ``user``'s vote (or change it); refused when the stage is not open to them."""
    if stage not in sc.STAGES:
        raise BadRequest(f"unknown stage {stage!r}")
    if decision not in sc.VOTES:
        raise BadRequest(f"unknown decision {decision!r}")
    decisions = work_decisions(session, work.id)
    view = stage_view(work, decisions, user, stage)
    if not view.can_vote:
        raise Conflict(f"this record is not open for your {stage} decision (status {work.status})")
    if stage == "full-text":
        retrieved = True if retrieved is None else retrieved
        if retrieved is False:
            decision = "exclude"
    else:
        retrieved = None
    reason = _check_reason(protocol, stage, decision, reason, retrieved)
    before = view.mine
    d = sc.record_decision(session, work, reviewer=user.name, stage=stage, decision=decision, reason=reason,
                           note=note or None, origin="web", reviewers_required=protocol.review.reviewers_per_record,
                           report_retrieved=retrieved)
    if before is not None:
        audit(session, user.name, "decision-changed", "work", work.id, stage=stage,
              before={"decision": before.decision, "reason": before.reason, "decision_id": before.id},
              after={"decision": d.decision, "reason": d.reason, "decision_id": d.id})
    return d


def undo(session: Session, work: Work, user: User, protocol: Protocol, *, stage: str) -> Decision:
    """Withdraw ``user``'s current vote at ``stage`` while the stage is unresolved (audited, nothing deleted)."""
    decisions = work_decisions(session, work.id)
    view = stage_view(work, decisions, user, stage)
    if view.mine is None:
        raise Conflict("you have no decision to undo here")
    if not view.open:
        raise Conflict("this stage is resolved: ask an admin to change the outcome")
    d = sc.record_decision(session, work, reviewer=user.name, stage=stage, decision=sc.WITHDRAWN, origin="web",
                           reviewers_required=protocol.review.reviewers_per_record)
    audit(session, user.name, "decision-undone", "work", work.id, stage=stage,
          before={"decision": view.mine.decision, "reason": view.mine.reason, "decision_id": view.mine.id},
          after=None)
    return d


def resolve(session: Session, work: Work, user: User, protocol: Protocol, *, stage: str, decision: str,
            note: str, reason: str | None = None) -> Decision:
    """Settle a conflict with a final decision and a note (admin, or a reviewer who did not vote)."""
    if decision not in ("include", "exclude"):
        raise BadRequest("a conflict is resolved by include or exclude")
    if not note.strip():
        raise BadRequest("resolving a conflict needs a note saying why")
    decisions = work_decisions(session, work.id)
    view = stage_view(work, decisions, user, stage)
    if not view.conflict:
        raise Conflict("this record has no conflict at that stage")
    if not view.can_resolve:
        raise Forbidden("only an admin, or a reviewer who has not screened this record, resolves its conflict")
    reason = _check_reason(protocol, stage, decision, reason, True if stage == "full-text" else None)
    d = sc.record_decision(session, work, reviewer=user.name, stage=stage, decision=decision, reason=reason,
                           note=note.strip(), is_final=True, origin="web",
                           reviewers_required=protocol.review.reviewers_per_record,
                           report_retrieved=True if stage == "full-text" else None)
    audit(session, user.name, "conflict-resolved", "work", work.id, stage=stage, decision=decision, reason=reason,
          note=note.strip(), votes={r: v.decision for r, v in current_votes(decisions, stage).items()})
    return d
