"""Web accounts: users (reviewers and admins) and their login sessions.

Passwords arrive here already hashed (the web layer owns the KDF); a session row holds only the
SHA-256 of its random token, so a database dump cannot be replayed as a cookie. Disabling a user
ends every session of theirs in the same transaction, and the web app checks ``is_active`` on each
request as well. Every change is audited.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from livereview.store.audit import audit
from livereview.store.clock import as_utc, utcnow
from livereview.store.models import Base

ROLES = ("reviewer", "admin")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)   # also the reviewer name on decisions
    password_hash: Mapped[str] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column()

    @property
    def role(self) -> str:
        return "admin" if self.is_admin else "reviewer"


class WebSession(Base):
    """One login. The cookie carries the token (signed); the row carries its hash, expiry and end."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    address: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[User] = relationship()


class AccountError(ValueError):
    """A user name that is taken, malformed or unknown (the CLI and web turn it into one line)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise AccountError(f"user name {name!r}: use 1-100 letters, digits, '.', '_', '@' or '-', "
                           "starting with a letter or digit")
    return name


def get_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def require_user(session: Session, name: str) -> User:
    user = get_user(session, name)
    if user is None:
        raise AccountError(f"no user {name!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def add_user(session: Session, name: str, password_hash: str, *, admin: bool = False, actor: str = "cli") -> User:
    check_name(name)
    if get_user(session, name) is not None:
        raise AccountError(f"user {name!r} already exists")
    user = User(name=name, password_hash=password_hash, is_admin=admin, is_active=True)
    session.add(user)
    session.flush()
    audit(session, actor, "user-added", "user", user.id, name=name, role=user.role)
    return user


def end_sessions(session: Session, user: User, *, keep: int | None = None) -> int:
    """End every open session of ``user`` (except session ``keep``); returns how many."""
    stmt = update(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    return session.execute(stmt.values(ended_at=utcnow())).rowcount or 0


def disable_user(session: Session, user: User, *, actor: str = "cli") -> int:
    """Disable ``user`` and end their sessions at once; returns the number of sessions ended."""
    ended = end_sessions(session, user)
    if user.is_active:
        user.is_active = False
        user.disabled_at = utcnow()
        audit(session, actor, "user-disabled", "user", user.id, name=user.name, sessions_ended=ended)
    return ended


def enable_user(session: Session, user: User, *, actor: str = "cli") -> None:
    if not user.is_active:
        user.is_active = True
        user.disabled_at = None
        audit(session, actor, "user-enabled", "user", user.id, name=user.name)


def set_password(session: Session, user: User, password_hash: str, *, actor: str = "cli",
                 keep_session: int | None = None) -> int:
    """Change the password and end the user's other sessions; returns how many ended."""
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    ended = end_sessions(session, user, keep=keep_session)
    audit(session, actor, "password-changed", "user", user.id, name=user.name, sessions_ended=ended)
    return ended


def open_session(session: Session, user: User, token: str, *, hours: float, address: str | None) -> WebSession:
    ws = WebSession(token_hash=token_hash(token), user_id=user.id, expires_at=utcnow() + timedelta(hours=hours),
                    address=(address or "")[:100] or None)
    session.add(ws)
    session.flush()
    audit(session, user.name, "login", "user", user.id, address=address)
    return ws


def session_user(session: Session, token: str) -> tuple[WebSession, User] | None:
    """The live session for ``token`` and its active user, or None (unknown, ended, expired or user disabled)."""
    row = session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_hash(token))).first()
    if row is None:
        return None
    ws, user = row
    if ws.ended_at is not None or not user.is_active or as_utc(ws.expires_at) <= utcnow():
        return None
    return ws, user


def close_session(session: Session, token: str) -> None:
    ws = session.scalars(select(WebSession).where(WebSession.token_hash == token_hash(token))).first()
    if ws is not None and ws.ended_at is None:
        ws.ended_at = utcnow()
        user = session.get(User, ws.user_id)
        audit(session, user.name if user else "?", "logout", "user", ws.user_id)
