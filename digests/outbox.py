"""The outbox: digests (and alerts) as files, written before anything claims they exist.

A digest's ``.eml`` is the message exactly as it will be sent; pending digests are delivered
from it, so it is written atomically (temporary file, fsync, rename) *before* the database row
that points at it is committed. After delivery the files move to ``sent/`` inside the outbox,
which then holds only what is still waiting.
"""

from __future__ import annotations

import email
import email.policy
import os
from email.message import EmailMessage
from pathlib import Path

SENT_DIR = "sent"


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so a reader sees the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent on the wire (CRLF line ends), the usual ``.eml`` form."""
    return msg.as_bytes(policy=email.policy.SMTP)


def write_digest(outbox: Path, stem: str, msg: EmailMessage, html: str) -> tuple[Path, Path]:
    """``<stem>.eml`` and ``<stem>.html`` in the outbox; returns their absolute paths."""
    outbox = outbox.expanduser().resolve()
    eml = write_atomic(outbox / f"{stem}.eml", message_bytes(msg))
    page = write_atomic(outbox / f"{stem}.html", html.encode("utf-8"))
    return eml, page


def read_message(path: Path) -> EmailMessage:
    """A stored ``.eml`` back as a message (raises ``OSError`` when it is gone)."""
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def sent_path(path: Path) -> Path:
    """Where a delivered file is kept: ``sent/`` beside it (unchanged if it is already there)."""
    return path if path.parent.name == SENT_DIR else path.parent / SENT_DIR / path.name


def move_to_sent(*paths: Path) -> None:
    """Best effort after delivery is recorded: a file left behind is tidiness lost, not a message doubled."""
    for p in paths:
        target = sent_path(p)
        if target == p or not p.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(p, target)
