"""Volume estimates (``livereview protocol estimate``), kept so the digest can set the last one beside the yield.

Each estimate is a ``runs`` row with ``flow = "protocol-estimate"``, the protocol version it measured and the
estimate's JSON (issue 19 shape) as its summary; nothing else reads or writes these rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.store.models import ProtocolVersion, Run
from livereview.store.runs import record_measurement

ESTIMATE_FLOW = "protocol-estimate"


def record_estimate(session: Session, review_id: str, version: str, sha256: str, content: str, path: str | None,
                    summary: dict[str, Any]) -> int:
    """Store one estimate as a finished run of the protocol version it measured; returns its id."""
    return record_measurement(session, ESTIMATE_FLOW, review_id, version, sha256, content, path,
                              {"sources": sorted(summary.get("sources", {}))}, summary)


def latest_estimate(session: Session, review_id: str) -> tuple[str, datetime, dict[str, Any]] | None:
    """(protocol version, when, estimate JSON) of the newest estimate of this review, or None."""
    row = session.execute(select(ProtocolVersion.version, Run.finished_at, Run.summary).join(
        Run, Run.protocol_version_id == ProtocolVersion.id).where(
        Run.flow == ESTIMATE_FLOW, ProtocolVersion.review_id == review_id).order_by(Run.id.desc()).limit(1)).first()
    if row is None or not row[2]:
        return None
    return row[0], row[1], dict(row[2])
