"""The append-only audit log: who did what to which entity, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from livereview.store.models import AuditEntry


def audit(session: Session, actor: str, action: str, entity: str, entity_id: int | None,
          **details: Any) -> AuditEntry:
    entry = AuditEntry(actor=actor, action=action, entity=entity, entity_id=entity_id, details=details)
    session.add(entry)
    return entry
