"""PDFs attached to works: checked to be a PDF by their bytes, stored once by SHA-256, never run or shown inline.

A file is refused, with one line and nothing stored, when it is empty, over the size cap, does not start with
the PDF signature ``%PDF-``, or is truncated (no ``%%EOF`` at its end, no ``startxref`` pointing inside it).
Accepted files go to ``<folder>/<first two hex digits>/<sha256>.pdf`` (written to a temporary name, then renamed,
so a crash never leaves half a file under a hash); the same bytes attached twice are one file. The attachment row
(who, when, which file, which work) follows merges (:mod:`livereview.store.merge`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.errors import LiveReviewError
from livereview.store.audit import audit
from livereview.store.models import Attachment, Work

PDF_MAGIC = b"%PDF-"
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class AttachmentRefused(LiveReviewError):
    """A file that is not accepted as a PDF attachment (one line: what is wrong)."""

    exit_code = 3


def check_pdf(data: bytes, *, filename: str, max_bytes: int) -> None:
    """Refuse ``data`` unless it is a whole PDF within the cap (judged by its bytes, never by its name)."""
    name = display_name(filename)
    if not data:
        raise AttachmentRefused(f"{name}: the file is empty")
    if len(data) > max_bytes:
        cap = round(max_bytes / 1048576, 2)
        raise AttachmentRefused(f"{name}: {len(data) / 1048576:.1f} MB is over the {cap:g} MB limit")
    if not data.startswith(PDF_MAGIC):
        raise AttachmentRefused(f"{name}: not a PDF (it does not start with %PDF-)")
    tail = data[-2048:]
    if b"%%EOF" not in tail:
        raise AttachmentRefused(f"{name}: truncated PDF (no %%EOF at its end)")
    m = _STARTXREF.search(tail)
    if m is None or int(m.group(1)) >= len(data):
        raise AttachmentRefused(f"{name}: damaged or truncated PDF (its cross-reference offset is missing or points "
                                "outside the file)")


def display_name(filename: str) -> str:
    """The uploaded name as shown and sent back: the last path part, no control characters, at most 200 characters."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    return (base or "attachment.pdf")[:200]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pdf_path(folder: Path, sha256: str) -> Path:
    """Where the file of a hash lives (the hash is checked: never a path built from user text)."""
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return folder / sha256[:2] / f"{sha256}.pdf"


def store_file(folder: Path, data: bytes) -> tuple[str, bool]:
    """Write ``data`` under its hash unless that file exists; returns (sha256, whether a new file was written)."""
    digest = sha256_of(data)
    path = pdf_path(folder, digest)
    if path.is_file() and path.stat().st_size == len(data):
        return digest, False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest, True


def attachments_of(session: Session, work_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.work_id == work_id)
                                .order_by(Attachment.attached_at, Attachment.id)))


def attach_pdf(session: Session, work: Work, data: bytes, *, filename: str, actor: str, folder: Path,
               max_bytes: int) -> tuple[Attachment, bool]:
    """Check and keep a PDF for ``work`` (audited); returns the attachment and whether it is new. The same bytes
    already attached to the work are not attached again (the existing row is returned)."""
    check_pdf(data, filename=filename, max_bytes=max_bytes)
    digest = sha256_of(data)
    existing = session.scalars(select(Attachment).where(Attachment.work_id == work.id,
                                                        Attachment.sha256 == digest)).first()
    if existing is not None:
        return existing, False
    _, new_file = store_file(folder, data)
    row = Attachment(work_id=work.id, sha256=digest, filename=display_name(filename), size=len(data),
                     attached_by=actor)
    session.add(row)
    session.flush()
    audit(session, actor, "pdf-attached", "work", work.id, attachment_id=row.id, sha256=digest,
          filename=row.filename, size=len(data), new_file=new_file)
    return row, True


def pdf_hashes(session: Session) -> dict[int, list[str]]:
    """work id -> the SHA-256 of each PDF attached to it, in the order attached (for exports)."""
    out: dict[int, list[str]] = {}
    for wid, digest in session.execute(select(Attachment.work_id, Attachment.sha256)
                                       .order_by(Attachment.attached_at, Attachment.id)):
        if digest not in out.setdefault(wid, []):
            out[wid].append(digest)
    return out
