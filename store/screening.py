"""Screening decisions, the one rule that turns votes into an outcome, and the status it implies.

**The screening rule** (the one place it is written; README "Screening rules" repeats it for users).
Each stage (title/abstract, then full text) needs ``n`` independent votes, ``n`` set per stage in the protocol
(``review.reviewers_title_abstract`` / ``review.reviewers_full_text``, default ``review.reviewers_per_record``).
A reviewer's *current* vote at a stage is their latest one there; a withdrawn vote (undo) counts as none, and an
admin's *reopen* sets aside every vote at that stage made before it.

* Fewer than ``n`` current votes: the stage is **pending** (``screening`` / ``full-text-screening``), in the
  "needs my decision" list of every reviewer who has not voted there. Disagreement among the votes so far is
  *not* a conflict yet: a conflict is declared only when all ``n`` votes are in, so that nobody who still has to
  vote can learn, even from a badge, that others disagree.
* All ``n`` (or more) votes in, at title/abstract: *maybe counts as "not exclude"* (as Cochrane teams do):
  no exclude → **include** (on to full text, ``awaiting-full-text``); all exclude → **excluded**; excludes mixed
  with includes or maybes → **conflict**.
* All ``n`` votes in, at full text: all include → **included**; all exclude → **excluded**; anything else (a
  disagreement, or any maybe: full text is where "maybe" must be settled) → **full-text-conflict**.
* A conflict is settled by a *final* decision (include / exclude with a note) by an admin or by a reviewer who did
  not vote at that stage; the last final decision at a stage decides it.
* Blinding follows from this: while a stage is pending, nobody who has not voted there may see anything about the
  votes (web/review.py enforces it); once a stage is in conflict or decided, nobody can vote there any more.

Every combination of votes therefore ends in a pending status (someone still has to vote), a conflict (the
conflict list, resolved by an admin) or a final status — tests/store/test_screening_rules.py checks all of them.

A work's status is *derived* from its decisions (and its merge/notice state) by :func:`derive_status`;
``works.status`` caches it and is refreshed in the same transaction as every decision, so the two never disagree.
Decisions are never updated or deleted: a reviewer's later vote supersedes their earlier one at the same stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.records.vocabulary import FULL_TEXT, STAGES, TITLE_ABSTRACT, Stage
from livereview.store.audit import audit
from livereview.store.clock import as_utc, utcnow
from livereview.store.models import Decision, Work

__all__ = ["FULL_TEXT", "STAGES", "TITLE_ABSTRACT", "Stage"]

Vote = Literal["include", "exclude", "maybe"]
Outcome = Literal["include", "exclude", "conflict", "pending"]

VOTES: tuple[str, ...] = ("include", "exclude", "maybe")
#: a reviewer takes back their vote at a stage (the web app's undo): they count as not having voted
WITHDRAWN = "withdrawn"
#: an admin reopens a decided stage (a final row with this decision): the votes before it are set aside
REOPENED = "reopened"
#: the number of votes each stage needs: one number for both stages, or one per stage
Required = int | Mapping[str, int]

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
#: statuses still collecting votes: whoever has not voted at the stage must stay blind to the votes so far
PENDING_STATUSES = (QUEUED, SCREENING, AWAITING_FULL_TEXT, FULL_TEXT_SCREENING)
CONFLICT_STATUSES = (CONFLICT, FULL_TEXT_CONFLICT)

#: for every status a vote can lead to: the list that shows it and who moves it on (no record is left unseen)
NEXT_STEP: dict[str, tuple[str, str]] = {
    QUEUED: ("queue · needs my decision", "any reviewer votes"),
    SCREENING: ("queue · needs my decision (of those who have not voted)", "a reviewer who has not voted votes"),
    CONFLICT: ("queue · conflict", "an admin, or a reviewer who did not vote, resolves"),
    AWAITING_FULL_TEXT: ("queue · full text · needs my decision", "any reviewer votes on the full text"),
    FULL_TEXT_SCREENING: ("queue · full text · needs my decision (of those who have not voted)",
                          "a reviewer who has not voted on the full text votes"),
    FULL_TEXT_CONFLICT: ("queue · full-text-conflict", "an admin, or a reviewer who did not vote, resolves"),
    INCLUDED: ("included (PRISMA, exports)", "an admin may reopen it, with a reason"),
    EXCLUDED: ("excluded (PRISMA, exports)", "an admin may reopen it, with a reason"),
}


def required_at(required: Required, stage: str) -> int:
    """How many independent votes ``stage`` needs."""
    return required if isinstance(required, int) else int(required[stage])


@dataclass(frozen=True)
class Ballot:
    """The fields of a decision that status derivation needs (decoupled from the ORM for testing)."""

    reviewer: str
    stage: str
    decision: str
    is_final: bool
    decided_at: datetime
    seq: int = 0


def since_reopen(ballots: Sequence[Ballot]) -> list[Ballot]:
    """One stage's ballots in order, without those an admin's reopen set aside (and without the reopen)."""
    ordered = sorted(ballots, key=lambda v: (v.decided_at, v.seq))
    for i in range(len(ordered) - 1, -1, -1):
        if ordered[i].decision == REOPENED:
            return ordered[i + 1:]
    return ordered


def current_ballots(ballots: Sequence[Ballot]) -> dict[str, Ballot]:
    """Each reviewer's current vote at one stage: latest non-final, withdrawn dropped, reopen honoured."""
    latest: dict[str, Ballot] = {}
    for v in since_reopen(ballots):
        if not v.is_final:
            latest[v.reviewer] = v
    return {r: v for r, v in latest.items() if v.decision != WITHDRAWN}


def combine(stage: str, votes: Sequence[str], required: int) -> Outcome:
    """THE rule: the outcome of one stage's current votes (see the module docstring)."""
    if len(votes) < required:
        return "pending"
    kinds = set(votes)
    if kinds == {"exclude"}:
        return "exclude"
    if stage == TITLE_ABSTRACT:
        return "conflict" if "exclude" in kinds else "include"   # maybe = not exclude
    return "include" if kinds == {"include"} else "conflict"     # full text: maybe must be settled


def _stage_outcome(votes: Sequence[Ballot], required: Required) -> str | None:
    """include / exclude / conflict / pending, or None when nobody voted at this stage (since any reopen)."""
    if not votes:
        return None
    live = since_reopen(votes)
    finals = [v for v in live if v.is_final]
    if finals:
        last = finals[-1]
        return last.decision if last.decision in ("include", "exclude") else "pending"
    current = current_ballots(live)
    if not current:
        return None
    return combine(votes[0].stage, [v.decision for v in current.values()], required_at(required, votes[0].stage))


def derive_status(votes: Iterable[Ballot], *, reviewers_required: Required = 2, merged: bool = False,
                  version: bool = False, notice: bool = False) -> str:
    """The status implied by a work's decisions; pure, so it is tested exhaustively without a database."""
    if merged:
        return DUPLICATE
    votes = list(votes)
    ft = _stage_outcome([v for v in votes if v.stage == FULL_TEXT], reviewers_required)
    if ft == "include":
        return INCLUDED
    if ft == "exclude":
        return EXCLUDED
    if ft == "conflict":
        return FULL_TEXT_CONFLICT
    if ft == "pending":
        return FULL_TEXT_SCREENING
    ta = _stage_outcome([v for v in votes if v.stage == TITLE_ABSTRACT], reviewers_required)
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


def ballots_of(decisions: Iterable[Decision]) -> list[Ballot]:
    """Stored decisions as the ballots the rule reads (for counts built on it: reviewer progress)."""
    return _votes(decisions)


def _votes(decisions: Iterable[Decision]) -> list[Ballot]:
    # as_utc: SQLite hands back naive datetimes, a decision made in this session is aware
    return [Ballot(d.reviewer, d.stage, d.decision, d.is_final, as_utc(d.decided_at), d.id or 0)  # type: ignore[arg-type]
            for d in decisions]


def refresh_status(session: Session, work: Work, *, reviewers_required: Required = 2) -> str:
    """Recompute and store ``work.status`` from its decisions."""
    decisions = session.scalars(select(Decision).where(Decision.work_id == work.id)).all()
    work.status = derive_status(
        _votes(decisions), reviewers_required=reviewers_required, merged=work.merged_into_id is not None,
        version=work.version_of_id is not None, notice=work.status == NOTICE)
    return work.status


def record_decision(session: Session, work: Work, *, reviewer: str, stage: str, decision: str,
                    reason: str | None = None, note: str | None = None, is_final: bool = False,
                    origin: str = "web", reviewers_required: Required = 2,
                    decided_at: datetime | None = None, report_retrieved: bool | None = None) -> Decision:
    """Add a decision, refresh the work's status and audit it — all in the caller's transaction."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")
    if decision not in VOTES and not (decision == WITHDRAWN and not is_final) and not (decision == REOPENED
                                                                                       and is_final):
        raise ValueError(f"decision must be one of {', '.join(VOTES)}, not {decision!r}")
    if not reviewer.strip():
        raise ValueError("a decision needs a reviewer")
    d = Decision(work_id=work.id, reviewer=reviewer, stage=stage, decision=decision, reason=reason, note=note,
                 is_final=is_final, origin=origin, decided_at=decided_at or utcnow(),
                 report_retrieved=report_retrieved if stage == FULL_TEXT else None)
    session.add(d)
    session.flush()
    before = work.status
    after = refresh_status(session, work, reviewers_required=reviewers_required)
    audit(session, reviewer, "decision", "work", work.id, stage=stage, decision=decision, reason=reason,
          is_final=is_final, origin=origin, status_before=before, status_after=after,
          **({"report_retrieved": report_retrieved} if stage == FULL_TEXT and report_retrieved is not None else {}))
    return d
