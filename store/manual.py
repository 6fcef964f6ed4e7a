"""Databases searched by hand (the protocol's ``[manual.*]``): when each was last imported, and which are due.

``livereview import FILE --source NAME [--database NAME]`` records on the import which manual database the
file answers (``imports.manual_query``; by default the source label when it names a manual database).
The digest and the dashboard read :func:`last_manual_imports` / :func:`manual_exports_due`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from livereview.store.clock import as_utc
from livereview.store.models import Import


@dataclass(frozen=True)
class ManualStatus:
    name: str
    last_import: datetime | None
    refresh_days: int
    due: bool
    overdue_days: int           # 0 when not due; days since it became due otherwise


def last_manual_imports(session: Session, names: list[str]) -> dict[str, datetime | None]:
    """Last import (UTC) per manual database name: imports answering that query, or labelled with that name."""
    out: dict[str, datetime | None] = {}
    for name in names:
        last = session.scalar(select(func.max(Import.imported_at)).where(
            or_(Import.manual_query == name, Import.source == name)))
        out[name] = as_utc(last) if last else None
    return out


def manual_exports_due(session: Session, refresh_days: Mapping[str, int], now: datetime) -> list[ManualStatus]:
    """Each manual database with its last import and whether its refresh interval has passed (never = due)."""
    last = last_manual_imports(session, list(refresh_days))
    out = []
    for name, days in refresh_days.items():
        when = last[name]
        due_at = when + timedelta(days=days) if when else None
        due = due_at is None or now >= due_at
        overdue = (now - due_at).days if due_at and due else 0
        out.append(ManualStatus(name, when, days, due, overdue))
    return out
