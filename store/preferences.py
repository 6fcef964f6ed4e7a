"""Per-account settings the web app remembers across sessions and browsers (the record lists' page size)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from livereview.store.models import UserPreference


def page_size(session: Session, user_id: int, *, allowed: tuple[int, ...], default: int) -> int:
    """The page size ``user_id`` chose last (``default`` until they choose, or if the choice is no longer offered)."""
    pref = session.get(UserPreference, user_id)
    return pref.page_size if pref is not None and pref.page_size in allowed else default


def remember_page_size(session: Session, user_id: int, size: int) -> None:
    """Store ``user_id``'s page size (in the caller's transaction); the caller checks it is one offered."""
    pref = session.get(UserPreference, user_id)
    if pref is None:
        session.add(UserPreference(user_id=user_id, page_size=size))
    else:
        pref.page_size = size
