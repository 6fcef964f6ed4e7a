"""Web accounts in the store: users, sessions (only a token hash is kept), disabling ends sessions; audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from livereview.store.accounts import (
    AccountError,
    WebSession,
    add_user,
    close_session,
    disable_user,
    open_session,
    require_user,
    session_user,
    set_password,
)
from livereview.store.clock import utcnow
from livereview.store.db import reading, transaction
from livereview.store.models import AuditEntry


def test_a_session_is_found_by_its_token_and_only_its_hash_is_stored(engine):
    with transaction(engine) as s:
        user = add_user(s, "ann", "hash-1")
        open_session(s, user, "secret-token", hours=1, address="127.0.0.1")
    with reading(engine) as s:
        assert session_user(s, "secret-token")[1].name == "ann"
        assert session_user(s, "other-token") is None
        stored = s.scalars(select(WebSession.token_hash)).one()
        assert stored != "secret-token" and len(stored) == 64


def test_disabling_a_user_ends_every_session_and_is_audited(engine):
    with transaction(engine) as s:
        user = add_user(s, "ann", "hash-1")
        open_session(s, user, "t1", hours=1, address=None)
        open_session(s, user, "t2", hours=1, address=None)
    with transaction(engine) as s:
        assert disable_user(s, require_user(s, "ann"), actor="lead") == 2
    with reading(engine) as s:
        assert session_user(s, "t1") is None and session_user(s, "t2") is None
        actions = [(a.actor, a.action) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [("cli", "user-added"), ("ann", "login"), ("ann", "login"), ("lead", "user-disabled")]


def test_a_new_password_ends_the_other_sessions_and_expired_or_closed_sessions_are_dead(engine):
    with transaction(engine) as s:
        user = add_user(s, "ann", "hash-1")
        keep = open_session(s, user, "keep", hours=1, address=None)
        open_session(s, user, "other", hours=1, address=None)
        old = open_session(s, user, "old", hours=1, address=None)
        old.expires_at = utcnow() - timedelta(seconds=1)
        set_password(s, user, "hash-2", keep_session=keep.id)
    with reading(engine) as s:
        assert session_user(s, "keep") is not None
        assert session_user(s, "other") is None and session_user(s, "old") is None
    with transaction(engine) as s:
        close_session(s, "keep")
    with reading(engine) as s:
        assert session_user(s, "keep") is None


@pytest.mark.parametrize("name", ["", "a b", "-x", "x" * 101, "ann<script>"])
def test_user_names_are_plain(engine, name):
    with transaction(engine) as s, pytest.raises(AccountError):
        add_user(s, name, "h")


def test_a_name_is_unique(engine):
    with transaction(engine) as s:
        add_user(s, "ann", "h")
    with transaction(engine) as s, pytest.raises(AccountError, match="already exists"):
        add_user(s, "ann", "h")
