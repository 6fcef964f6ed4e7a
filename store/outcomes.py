"""What was decided about each work, as exports carry it: the final decision, its stage and reason, every
reviewer's current vote and note, the resolutions, and the hashes of the attached PDFs.

Blinding (web/review.py) reaches the exports too. The votes, notes and resolutions of a record are written for
``all`` (the CLI, run by whoever holds the store itself); for ``unblinded`` (an admin in the web app) on every
record that no longer takes votes (decided, or in conflict) — admins are no exception to blinding while votes are
collected; for ``closed`` (a reviewer) on included and excluded records only. The final decision is a closed
record's alone, so it never tells anything early.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.store import screening
from livereview.store.attachments import pdf_hashes
from livereview.store.models import Decision

#: who reads the votes: ``all`` (the CLI), ``unblinded`` (a web admin: records no longer taking votes) or
#: ``closed`` (a reviewer: included and excluded records only)
VoteAccess = Literal["all", "unblinded", "closed"]
#: the export columns this module fills, in order (CSV and ASReview CSV; RIS and BibTeX carry them as notes)
OUTCOME_COLUMNS: tuple[str, ...] = ("final_decision", "decision_stage", "decision_reason", "votes", "resolutions",
                                    "pdf_sha256")
_STAGE_OF_STATUS = {screening.QUEUED: screening.TITLE_ABSTRACT, screening.SCREENING: screening.TITLE_ABSTRACT,
                    screening.CONFLICT: screening.TITLE_ABSTRACT, screening.AWAITING_FULL_TEXT: screening.FULL_TEXT,
                    screening.FULL_TEXT_SCREENING: screening.FULL_TEXT,
                    screening.FULL_TEXT_CONFLICT: screening.FULL_TEXT}


@dataclass
class Outcome:
    """One work's decisions as an export writes them."""

    final_decision: str = ""          # include | exclude for a closed record, else empty
    decision_stage: str = ""          # the stage that closed it, or the stage it waits at
    decision_reason: str = ""
    votes: list[str] = field(default_factory=list)
    resolutions: list[str] = field(default_factory=list)
    pdf_sha256: list[str] = field(default_factory=list)

    def cells(self) -> dict[str, str]:
        return {"final_decision": self.final_decision, "decision_stage": self.decision_stage,
                "decision_reason": self.decision_reason, "votes": " | ".join(self.votes),
                "resolutions": " | ".join(self.resolutions), "pdf_sha256": "; ".join(self.pdf_sha256)}


def _ballot(d: Decision) -> screening.Ballot:
    return screening.Ballot(d.reviewer, d.stage, d.decision, d.is_final, d.decided_at, d.id)


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _say(d: Decision, *, who: str) -> str:
    words = [d.stage, who, d.decision]
    if d.reason:
        words.append(d.reason)
    line = " ".join(words)
    return line + (f' "{_one_line(d.note)}"' if d.note else "")


def _live(decisions: Sequence[Decision], stage: str) -> list[Decision]:
    """A stage's decisions since the last reopen (the set-aside ones are history, not the outcome)."""
    at = [d for d in decisions if d.stage == stage]
    kept = {b.seq for b in screening.since_reopen([_ballot(d) for d in at])}
    return [d for d in at if d.id in kept]


def outcome_of(status: str, decisions: Sequence[Decision], *, show_votes: bool) -> Outcome:
    """The outcome of one work from its status and decisions (ordered by id)."""
    out = Outcome()
    closed = status in screening.FINAL_STATUSES
    live = {stage: _live(decisions, stage) for stage in screening.STAGES}
    if closed:
        stage = screening.FULL_TEXT if any(d.decision != screening.WITHDRAWN for d in live[screening.FULL_TEXT]) \
            else screening.TITLE_ABSTRACT
        out.final_decision = "include" if status == screening.INCLUDED else "exclude"
        out.decision_stage = stage
        if status == screening.EXCLUDED:
            out.decision_reason = _reason(live[stage])
    else:
        out.decision_stage = _STAGE_OF_STATUS.get(status, "")
    if show_votes or closed:
        for stage in screening.STAGES:
            current = screening.current_ballots([_ballot(d) for d in live[stage]])
            ids = {b.seq for b in current.values()}
            out.votes += [_say(d, who=d.reviewer) for d in live[stage] if d.id in ids]
            out.resolutions += [_say(d, who=f"{d.reviewer} ({d.origin})") for d in live[stage]
                                if d.is_final and d.decision in ("include", "exclude")]
    return out


def _reason(decisions: Sequence[Decision]) -> str:
    """The closing stage's exclusion reason: the last final decision's, else the one most current votes gave."""
    finals = [d for d in decisions if d.is_final and d.decision == "exclude"]
    if finals:
        return finals[-1].reason or ""
    current = screening.current_ballots([_ballot(d) for d in decisions])
    ids = {b.seq for b in current.values()}
    tally = Counter(d.reason for d in decisions if d.id in ids and d.decision == "exclude" and d.reason)
    return tally.most_common(1)[0][0] if tally else ""


def outcomes(session: Session, statuses: dict[int, str], *, access: VoteAccess = "all") -> dict[int, Outcome]:
    """The outcome of each work in ``statuses`` (work id -> its status), in one read of decisions and PDFs."""
    by_work: dict[int, list[Decision]] = defaultdict(list)
    ids = list(statuses)
    for chunk in _chunks(ids, 5000):
        for d in session.scalars(select(Decision).where(Decision.work_id.in_(chunk)).order_by(Decision.id)):
            by_work[d.work_id].append(d)
    hashes = pdf_hashes(session)
    out: dict[int, Outcome] = {}
    for wid, status in statuses.items():
        show = access == "all" or (access == "unblinded" and status not in screening.PENDING_STATUSES)
        o = outcome_of(status, by_work.get(wid, []), show_votes=show)
        o.pdf_sha256 = hashes.get(wid, [])
        out[wid] = o
    return out


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
