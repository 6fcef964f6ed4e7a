"""The note shown for a few seconds after a vote ("Excluded #113, E2 — undo (u)").

The vote's id travels in the redirect's query string (``recorded=``); the page shows the note only when that
decision is the signed-in reviewer's own and still stands, so a shared or stale link shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request

from livereview.store.accounts import User
from livereview.store.models import Decision
from livereview.web.review import last_vote, recorded_message


@dataclass(frozen=True)
class Flash:
    message: str
    work_id: int


def recent_vote(request: Request, db: Session, user: User) -> Flash | None:
    raw = request.query_params.get("recorded", "")
    if not raw.isdigit():
        return None
    d = db.get(Decision, int(raw))
    if d is None or d.reviewer != user.name or d.is_final:
        return None
    last = last_vote(db, user)
    if last is None or last.id != d.id:   # undone, or superseded by a later vote
        return None
    return Flash(recorded_message(d, d.work_id), d.work_id)
