"""A comment thread per record, with @mentions that wait in the mentioned person's queue until they read it.

Who may read a thread is the web app's rule (web/people.py, blinding); the store keeps the thread, finds the
mentions (``@name`` of an existing, active user, not the author) and marks them read. Comments are never edited
or deleted: like decisions, they are the record of what the team said. Each comment is audited.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from livereview.store.accounts import User
from livereview.store.audit import audit
from livereview.store.clock import utcnow
from livereview.store.models import Comment, Mention, Work

MAX_BODY = 5000
#: ``@name``, not inside a word or an e-mail address; a name's trailing dots/dashes are sentence punctuation
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._@-]{0,99})")


class CommentError(ValueError):
    """An empty or too long comment, or one on a record that does not exist."""


def mentioned_names(body: str) -> list[str]:
    """The ``@names`` in ``body``, in order of first appearance, without trailing punctuation."""
    names: list[str] = []
    for m in MENTION_RE.finditer(body):
        name = m.group(1).rstrip(".-@")
        if name and name not in names:
            names.append(name)
    return names


def add_comment(session: Session, work_id: int, *, author: str, body: str) -> Comment:
    """Add a comment to a record's thread and a mention for each active user named in it (not the author)."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise CommentError("a comment needs some text")
    if len(body) > MAX_BODY:
        raise CommentError(f"a comment is at most {MAX_BODY} characters")
    if "\x00" in body:
        raise CommentError("a comment cannot hold NUL characters")
    if session.get(Work, work_id) is None:
        raise CommentError(f"no record {work_id}")
    comment = Comment(work_id=work_id, author=author, body=body)
    session.add(comment)
    session.flush()
    names = [n for n in mentioned_names(body) if n != author]
    known = set(session.scalars(select(User.name).where(User.name.in_(names), User.is_active.is_(True)))) \
        if names else set()
    mentioned = [n for n in names if n in known]
    for name in mentioned:
        session.add(Mention(comment_id=comment.id, work_id=work_id, user_name=name))
    audit(session, author, "comment", "work", work_id, comment_id=comment.id, mentions=mentioned, length=len(body))
    return comment


def thread(session: Session, work_id: int) -> list[Comment]:
    """A record's comments, oldest first."""
    return list(session.scalars(select(Comment).where(Comment.work_id == work_id).order_by(Comment.id)))


def mark_mentions_read(session: Session, work_id: int, user_name: str) -> int:
    """``user_name`` read the record's thread: their mentions there are read (how many were not)."""
    result = session.execute(update(Mention).where(Mention.work_id == work_id, Mention.user_name == user_name,
                                                   Mention.read_at.is_(None)).values(read_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def has_unread_mention(user_name: str) -> Any:
    """SQL condition on ``Work``: someone mentioned ``user_name`` in its thread and they have not read it yet.
    An IN over the user's few unread mentions (index ``user_name, read_at``), so a count starts from them rather
    than probing every work."""
    return Work.id.in_(select(Mention.work_id).where(Mention.user_name == user_name, Mention.read_at.is_(None)))
