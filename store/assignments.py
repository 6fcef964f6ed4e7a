"""Records an admin hands to a reviewer (teams that split the work): the queue's "assigned to me" filter.

An assignment is a pointer, not a vote: it changes no status and blinds nobody. A record can be assigned to as
many reviewers as its stage needs votes. Every batch is one transaction and one audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from livereview.store.audit import audit
from livereview.store.models import Assignment, Work


def assign(session: Session, work_ids: Iterable[int], reviewer: str, *, actor: str) -> list[int]:
    """Assign ``work_ids`` to ``reviewer``; the ids newly assigned (those already theirs are skipped)."""
    ids = sorted(set(work_ids))
    if not ids:
        return []
    known = set(session.scalars(select(Work.id).where(Work.id.in_(ids))))
    missing = [i for i in ids if i not in known]
    if missing:
        raise ValueError(f"no record {missing[0]}")
    have = set(session.scalars(select(Assignment.work_id).where(Assignment.reviewer == reviewer,
                                                                Assignment.work_id.in_(ids))))
    new = [i for i in ids if i not in have]
    for wid in new:
        session.add(Assignment(work_id=wid, reviewer=reviewer, assigned_by=actor))
    if new:
        audit(session, actor, "assigned", "user", None, reviewer=reviewer, works=new)
    return new


def unassign(session: Session, work_ids: Iterable[int], reviewer: str, *, actor: str) -> int:
    ids = sorted(set(work_ids))
    if not ids:
        return 0
    n = session.execute(delete(Assignment).where(Assignment.reviewer == reviewer, Assignment.work_id.in_(ids)))
    count = int(n.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit(session, actor, "unassigned", "user", None, reviewer=reviewer, works=ids)
    return count


def assigned_to(reviewer: str) -> Any:
    """SQL condition on ``Work``: assigned to ``reviewer`` (an IN over their assignments, index ``reviewer``)."""
    return Work.id.in_(select(Assignment.work_id).where(Assignment.reviewer == reviewer))


def assigned_fewer_than(n: int) -> Any:
    """SQL condition on ``Work``: fewer than ``n`` reviewers are assigned to it (room for one more)."""
    count = select(func.count()).where(Assignment.work_id == Work.id).scalar_subquery()
    return count < n


def assignees(session: Session, work_ids: Iterable[int]) -> dict[int, list[str]]:
    """Who each of ``work_ids`` is assigned to."""
    ids = sorted(set(work_ids))
    out: dict[int, list[str]] = {}
    if ids:
        for wid, name in session.execute(select(Assignment.work_id, Assignment.reviewer)
                                         .where(Assignment.work_id.in_(ids)).order_by(Assignment.reviewer)):
            out.setdefault(wid, []).append(name)
    return out
