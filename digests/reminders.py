"""Reminders the digest carries besides candidates and notices: manual exports due, search recall lowered, a new
version of the review due (the protocol's [living] rules)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from livereview.protocols.model import Protocol
from livereview.store.manual import manual_exports_due
from livereview.store.releases import fired_triggers
from livereview.store.validation import recall_drops


def reminders(session: Session, protocol: Protocol, now: datetime) -> list[str]:
    """One line each: a manual database whose export is due, a source whose recall fell with a protocol change."""
    out: list[str] = []
    due = manual_exports_due(session, {k: m.refresh_days for k, m in protocol.manual.items()}, now)
    for status in due:
        if not status.due:
            continue
        db = protocol.manual[status.name]
        when = f"last imported {status.last_import:%Y-%m-%d}" if status.last_import else "never imported"
        how = ("export it and run `livereview import FILE --source " + status.name + "`") if db.exportable else \
            "search it by hand (no export; see the protocol note) and import what you save"
        out.append(f"Manual search due: {db.label} ({when}; every {status.refresh_days} days): {how}.")
    for drop in recall_drops(session, protocol.review.id, protocol.review.version):
        out.append(f"Search recall fell on {drop.source}: {drop.recall:.0%} of the known included studies under "
                   f"protocol {drop.version}, {drop.previous_recall:.0%} under {drop.previous_version} "
                   "(see `livereview validate-search`).")
    for trigger in fired_triggers(session, protocol, now=now):
        out.append(f"A new version of the review is due (since {trigger.since:%Y-%m-%d}): {trigger.message}; "
                   "release it with `livereview release VERSION`.")
    return out
