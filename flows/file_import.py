"""``livereview import``: a reference file (database export or saved API response) into the store.

The file is read once: its bytes give the SHA-256 (the same file imported again under the same label is
recognised and changes nothing) and the text the records are parsed from (by a child process when the file is
large: :mod:`flows.reading`). Records stream from the reader into the store in chunks, inside one transaction:
a bad record anywhere in the file rolls back everything, so nothing is half-written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from livereview.connectors.files import FORMATS, open_records
from livereview.dedup import MatchIndex
from livereview.dedup.prep import Prepared
from livereview.errors import ConfigError, InputFileError
from livereview.flows.reading import read_prepared
from livereview.protocols.model import Protocol
from livereview.records.model import Record
from livereview.store.audit import audit
from livereview.store.db import reading, refresh_statistics, transaction
from livereview.store.ingest import PriorDecision, Provenance, ingest_records
from livereview.store.matching import matcher_for
from livereview.store.models import Import
from livereview.store.runs import WRITER_LOCK, acquire_lock_waiting, register_protocol, release_lock

#: how long an import waits for another writer (a monitor run, another import) before giving up
DEFAULT_LOCK_WAIT = 3600.0


@dataclass
class ImportReport:
    path: str
    source: str
    format: str
    records: int
    counts: dict[str, int] = field(default_factory=dict)
    import_id: int | None = None
    already_imported: bool = False
    dry_run: bool = False


def parse_file(path: Path, *, fmt: str, source: str) -> tuple[str, list[Record]]:
    """Detect (if ``auto``) and parse, reading the file once; raises InputFileError with the file named."""
    fmt, records = open_records(path, fmt=fmt, source=source, data=_read_bytes(path))
    return fmt, list(records)


def read_file_prepared(path: Path, *, fmt: str, source: str) -> tuple[str, Iterator[tuple[Record, Prepared]]]:
    """The file's format and its records with their match keys (:func:`dedup.prepare`) as they are read, on a
    second core when the file is large (:mod:`flows.reading`). Close the iterator if it is not read to the end."""
    return read_prepared(path, _read_bytes(path), fmt=fmt, source=source)


def _read_bytes(path: Path) -> bytes:
    """The one read of the file."""
    if not path.is_file():
        raise InputFileError(str(path), "no such file")
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputFileError(str(path), f"cannot read the file: {err.strerror or err}") from err


def manual_database_for(protocol: Protocol, source: str, database: str | None) -> str | None:
    """Which ``[manual.*]`` database an export answers: ``--database`` if given (must exist), else the label if it
    names one.

    Raises :class:`ConfigError` for an unknown ``--database`` so a typo is not recorded as an answer.
    """
    if database is not None:
        if database not in protocol.manual:
            raise ConfigError(f"--database {database}: no such manual database in the protocol "
                              f"(known: {', '.join(protocol.manual) or 'none'})")
        return database
    return source if source in protocol.manual else None


def import_file(engine: Engine, protocol: Protocol, path: Path, *, source: str, fmt: str = "auto",
                prior: PriorDecision | None = None, dry_run: bool = False,
                actor: str = "livereview import", query: str | None = None, database: str | None = None,
                lock_wait: float = DEFAULT_LOCK_WAIT, on_wait: Callable[[str], None] | None = None,
                display_path: str | None = None) -> ImportReport:
    """Parse the whole file, then store it in one transaction while holding the store's writer lock.

    Another writer (a monitor run, a second import) is waited for (``on_wait`` is told once), so two imports
    at once run one after the other instead of failing on SQLite's lock or PostgreSQL's unique constraints.
    ``query`` is the search as run (PRISMA-S search log); ``database`` the protocol's manual database the file
    answers (the label, when it names one). Without ``query``, that database's protocol query is recorded.
    ``display_path`` is the file's name as recorded and reported when ``path`` is a temporary copy (a web upload).
    """
    manual = manual_database_for(protocol, source, database)
    if query is None and manual is not None:
        query = protocol.manual[manual].query
    data = _read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    with reading(engine) as s:  # the same file under the same label again: nothing to parse, nothing changes
        previous = s.scalars(select(Import).where(Import.sha256 == digest, Import.source == source)).first()
        if previous is not None:
            return ImportReport(display_path or str(path), source, previous.format,
                                int(previous.counts.get("records", 0)), dict(previous.counts), previous.id,
                                already_imported=True, dry_run=dry_run)
    # a large file is parsed by a child process from here on, while this one waits for the lock, loads the
    # store's match index, and then matches and writes the records handed over
    fmt, pairs = read_prepared(path, data, fmt=fmt, source=source)
    del data  # the reader holds what it needs (the bytes, for a RIS export decoded line by line as it is read)
    report = ImportReport(display_path or str(path), source, fmt, 0, dry_run=dry_run)
    with closing(pairs):
        acquire_lock_waiting(engine, WRITER_LOCK, f"import of {path.name} (source {source})",
                             wait_seconds=lock_wait, on_wait=on_wait)
        try:
            _store(engine, protocol, path, digest, fmt, pairs, report, prior=prior, actor=actor, query=query,
                   manual=manual)
        except _DryRunDone:
            report.import_id = None
        finally:
            release_lock(engine, WRITER_LOCK)
    if report.import_id is not None:
        refresh_statistics(engine)
    return report


def summary(rep: ImportReport) -> str:
    """The one-line report of an import, the CLI's and the web upload's."""
    if rep.already_imported:
        return f"{rep.path}: already imported as import #{rep.import_id} (source {rep.source}); nothing changed"
    head = "dry run, nothing written" if rep.dry_run else f"import #{rep.import_id}"
    counts = ", ".join(f"{k} {v}" for k, v in rep.counts.items() if v and k != "records")
    return f"{rep.path}: {rep.records} records ({rep.format}) — {head}: {counts}"


#: how long a web upload waits for another writer before it is refused (the browser waits meanwhile)
WEB_LOCK_WAIT = 60.0


@dataclass(frozen=True)
class UploadImporter:
    """What the web app runs for an export an admin uploads (``create_app(importer=UploadImporter())``; the web
    layer may not import flows): the CLI's import, its refusals (:class:`InputFileError` and the rest, raised) and
    its summary line, with a shorter wait for the writer lock. ``formats`` are the ones ``--format`` accepts."""

    formats: tuple[str, ...] = ("auto", *FORMATS)

    def __call__(self, engine: Engine, protocol: Protocol, path: Path, *, source: str, fmt: str,
                 query: str | None, actor: str, display_path: str) -> str:
        return summary(import_file(engine, protocol, path, source=source, fmt=fmt, query=query, actor=actor,
                                   lock_wait=WEB_LOCK_WAIT, display_path=display_path))


class _DryRunDone(Exception):
    """Raised inside the transaction to roll back a dry run after counting."""


def _primed(pairs: Iterable[tuple[Record, Prepared]], matcher: MatchIndex) -> Iterator[Record]:
    """The records, each one's match keys handed to the matcher first (worked out by the reader)."""
    for record, prepared in pairs:
        matcher.prime(record, prepared)
        yield record


def _store(engine: Engine, protocol: Protocol, path: Path, digest: str, fmt: str,
           pairs: Iterable[tuple[Record, Prepared]],
           report: ImportReport, *, prior: PriorDecision | None, actor: str, query: str | None = None,
           manual: str | None = None) -> None:
    source = report.source
    with transaction(engine) as s:
        previous = s.scalars(select(Import).where(Import.sha256 == digest, Import.source == source)).first()
        if previous is not None:
            report.already_imported, report.import_id, report.counts = True, previous.id, dict(previous.counts)
            return
        pv = register_protocol(s, protocol.review.id, protocol.review.version, protocol.sha256 or "",
                               protocol.text or "", protocol.path)
        imp = Import(path=report.path, sha256=digest, source=source, format=fmt, protocol_version_id=pv.id,
                     decision=prior.__dict__ if prior else None, query=query,
                     manual_query=manual)
        s.add(imp)
        s.flush()
        prov = Provenance(origin="import", import_id=imp.id, actor=actor, prior=prior,
                          reviewers_required=protocol.review.reviewers_by_stage)
        matcher = matcher_for(s)
        result = ingest_records(s, _primed(pairs, matcher), prov, matcher=matcher)
        imp.counts = result.as_dict()
        report.counts, report.import_id, report.records = imp.counts, imp.id, imp.counts["records"]
        audit(s, actor, "import", "import", imp.id, path=report.path, source=source, format=fmt, counts=imp.counts,
              manual_query=manual)
        if report.dry_run:
            raise _DryRunDone
