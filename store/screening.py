"""Screening decisions and the status they imply.

A work's status is *derived* from its decisions (and its merge/notice state) by
:func:`derive_status`; ``works.status`` caches it and is refreshed in the same transaction
as every decision, so the two never disagree. Decisions are never updated or deleted: a
reviewer's later vote supersedes their earlier one at the same stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.store.audit import audit
from livereview.store.clock import as_utc, utcnow
from livereview.store.models import Decision, Work

Stage = Literal["title-abstract", "full-text"]
Vote = Literal["include", "exclude", "maybe"]

STAGES: tuple[str, ...] = ("title-abstract", "full-text")
VOTES: tuple[str, ...] = ("include", "exclude", "maybe")
#: a reviewer takes back their vote at a stage (the web app's undo): they count as not having voted
WITHDRAWN = "withdrawn"

# every status a work can have
QUEUED = "queued"                      # new candidate, nobody has screened it
SCREENING = "screening"                # title/abstract votes started, not enough yet
CONFLICT = "conflict"                  # title/abstract reviewers disagree
AWAITING_FULL_TEXT = "awaiting-full-text"
FULL_TEXT_SCREENING = "full-text-screening"
FULL_TEXT_CONFLICT = "full-text-conflict"
INCLUDED = "included"
EXCLUDED = "excluded"
DUPLICATE = "duplicate"                # merged into another work
VERSION = "version"                    # another version (published/preprint) of a work screened once, there
NOTICE = "notice"                      # a retraction / correction notice, not a study

STATUSES = (QUEUED, SCREENING, CONFLICT, AWAITING_FULL_TEXT, FULL_TEXT_SCREENING, FULL_TEXT_CONFLICT, INCLUDED,
            EXCLUDED, DUPLICATE, VERSION, NOTICE)
#: statuses still waiting for the team (the triage queue)
OPEN_STATUSES = (QUEUED, SCREENING, CONFLICT, AWAITING_FULL_TEXT, FULL_TEXT_SCREENING, FULL_TEXT_CONFLICT)
FINAL_STATUSES = (INCLUDED, EXCLUDED)


@dataclass(frozen=True)
class Ballot:
    """The fields of a decision that status derivation needs (decoupled from the ORM for testing)."""

    reviewer: str
    stage: str
    decision: str
    is_final: bool
    decided_at: datetime
    seq: int = 0


def _stage_outcome(votes: Sequence[Ballot], required: int) -> str | None:
    """include / exclude / conflict / pending, or None when nobody voted at this stage."""
    if not votes:
        return None
    finals = [v for v in votes if v.is_final]
    if finals:
        last = max(finals, key=lambda v: (v.decided_at, v.seq))
        return last.decision if last.decision in ("include", "exclude") else "pending"
    latest: dict[str, Ballot] = {}
    for v in sorted(votes, key=lambda v: (v.decided_at, v.seq)):
        latest[v.reviewer] = v
    latest = {r: v for r, v in latest.items() if v.decision != WITHDRAWN}
    if not latest:
        return None
    decided = {v.decision for v in latest.values()}
    if {"include", "exclude"} <= decided:
        return "conflict"
    if "maybe" in decided or len(latest) < required:
        return "pending"
    return decided.pop()


def derive_status(votes: Iterable[Ballot], *, reviewers_required: int = 2, merged: bool = False,
                  version: bool = False, notice: bool = False) -> str:
    """The status implied by a work's decisions; pure, so it is tested exhaustively without a database."""
    if merged:
        return DUPLICATE
    votes = list(votes)
    ft = _stage_outcome([v for v in votes if v.stage == "full-text"], reviewers_required)
    if ft == "include":
        return INCLUDED
    if ft == "exclude":
        return EXCLUDED
    if ft == "conflict":
        return FULL_TEXT_CONFLICT
    if ft == "pending":
        return FULL_TEXT_SCREENING
    ta = _stage_outcome([v for v in votes if v.stage == "title-abstract"], reviewers_required)
    if ta == "include":
        return AWAITING_FULL_TEXT
    if ta == "exclude":
        return EXCLUDED
    if ta == "conflict":
        return CONFLICT
    if ta == "pending":
        return SCREENING
    if version:
        return VERSION
    if notice:
        return NOTICE
    return QUEUED


def _votes(decisions: Iterable[Decision]) -> list[Ballot]:
    # as_utc: SQLite hands back naive datetimes, a decision made in this session is aware
    return [Ballot(d.reviewer, d.stage, d.decision, d.is_final, as_utc(d.decided_at), d.id or 0)  # type: ignore[arg-type]
            for d in decisions]


def refresh_status(session: Session, work: Work, *, reviewers_required: int = 2) -> str:
    """Recompute and store ``work.status`` from its decisions."""
    decisions = session.scalars(select(Decision).where(Decision.work_id == work.id)).all()
    work.status = derive_status(
        _votes(decisions), reviewers_required=reviewers_required, merged=work.merged_into_id is not None,
        version=work.version_of_id is not None, notice=work.status == NOTICE)
    return work.status


def record_decision(session: Session, work: Work, *, reviewer: str, stage: str, decision: str,
                    reason: str | None = None, note: str | None = None, is_final: bool = False,
                    origin: str = "web", reviewers_required: int = 2,
                    decided_at: datetime | None = None, report_retrieved: bool | None = None) -> Decision:
    """Add a decision, refresh the work's status and audit it — all in the caller's transaction."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")
    if decision not in VOTES and not (decision == WITHDRAWN and not is_final):
        raise ValueError(f"decision must be one of {', '.join(VOTES)}, not {decision!r}")
    if not reviewer.strip():
        raise ValueError("a decision needs a reviewer")
    d = Decision(work_id=work.id, reviewer=reviewer, stage=stage, decision=decision, reason=reason, note=note,
                 is_final=is_final, origin=origin, decided_at=decided_at or utcnow(),
                 report_retrieved=report_retrieved if stage == "full-text" else None)
    session.add(d)
    session.flush()
    before = work.status
    after = refresh_status(session, work, reviewers_required=reviewers_required)
    audit(session, reviewer, "decision", "work", work.id, stage=stage, decision=decision, reason=reason,
          is_final=is_final, origin=origin, status_before=before, status_after=after,
          **({"report_retrieved": report_retrieved} if stage == "full-text" and report_retrieved is not None else {}))
    return d
