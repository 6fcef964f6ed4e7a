"""Backups of a whole store: a consistent copy taken while others write, and a checked restore into an empty store.

A backup is one gzip-compressed tar file (the layout a later reader of it can rely on)::

    store.sqlite            SQLite: a copy made with SQLite's online backup API (one read snapshot)
    store.pgdump            PostgreSQL: ``pg_dump --format=custom`` of the store's schema
    attachments/...         the data dir's ``attachments`` folder, as it is (absent when there is none)
    manifest.json           format, back-end, schema revision, row counts per table, SHA-256 of every member

The row counts are taken in the same snapshot the copy is (SQLite: counted in the copy; PostgreSQL: an exported
snapshot ``pg_dump --snapshot`` shares), so a restore can check that it holds exactly what was backed up. A
restore refuses a store that already holds tables, checks every member's SHA-256, and only then writes: SQLite
checks the copy (``PRAGMA integrity_check``, foreign keys, counts) before copying it in; PostgreSQL restores in
one transaction that ends with the count check, so a failed restore leaves the store empty. The file itself is
written under a temporary name and renamed when complete: a backup interrupted half-way is never mistaken for
one.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from livereview import __version__
from livereview.errors import InputFileError, StoreError
from livereview.store.db import describe

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "store.sqlite"
PG_MEMBER = "store.pgdump"
ATTACHMENTS = "attachments"
#: nightly backups are named so that their names sort by time (prune keeps the newest)
NIGHTLY_PREFIX = "livereview-"
NIGHTLY_SUFFIX = ".tar.gz"


@dataclass
class BackupReport:
    """What a backup holds (or a restore wrote): shown by the CLI and the nightly flow."""

    path: Path
    backend: str
    revision: str | None
    counts: dict[str, int]
    attachments: int = 0
    size: int = 0
    created: str = ""

    def lines(self) -> list[str]:
        rows = sum(v for k, v in self.counts.items() if k != "alembic_version")
        main = ", ".join(f"{t} {self.counts[t]}" for t in ("works", "source_records", "decisions") if t in self.counts)
        return [f"backup    {self.path} ({self.size:,} bytes, {self.backend}, schema {self.revision})",
                f"rows      {rows:,} in {len(self.counts)} tables ({main})",
                f"files     {self.attachments} attachments"]


# -- writing ------------------------------------------------------------------------------------------------------

def write_backup(engine: Engine, data_dir: Path, dest: Path) -> BackupReport:
    """Write a consistent backup of the store (and the data dir's attachments) to ``dest``, replacing it whole."""
    dest = dest.expanduser()
    if dest.is_dir():
        raise StoreError(f"{dest}: is a folder; give the backup file's name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="livereview-backup-", dir=dest.parent) as tmp:
        if engine.dialect.name == "sqlite":
            member, counts = SQLITE_MEMBER, _sqlite_copy(engine, Path(tmp) / SQLITE_MEMBER)
        elif engine.dialect.name == "postgresql":
            member, counts = PG_MEMBER, _pg_dump(engine, Path(tmp) / PG_MEMBER)
        else:
            raise StoreError(f"{describe(engine)}: backups support SQLite and PostgreSQL stores only")
        manifest = {"format": FORMAT, "livereview": __version__, "backend": engine.dialect.name,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "revision": counts.pop("\0revision", None), "database": member, "counts": counts, "sha256": {}}
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                _add(tar, Path(tmp) / member, member, manifest)
                attachments = data_dir / ATTACHMENTS
                n_files = 0
                if attachments.is_dir():
                    for path in sorted(attachments.rglob("*")):
                        if path.is_file() and not path.is_symlink():
                            _add(tar, path, f"{ATTACHMENTS}/{path.relative_to(attachments).as_posix()}", manifest)
                            n_files += 1
                manifest["attachments"] = n_files
                body = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(body), int(datetime.now(UTC).timestamp())
                tar.addfile(info, io.BytesIO(body))
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)
    return _report(dest, manifest)


def _add(tar: tarfile.TarFile, path: Path, name: str, manifest: dict) -> None:
    manifest["sha256"][name] = _sha256(path)
    tar.add(path, arcname=name, recursive=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_copy(engine: Engine, out: Path) -> dict[str, int]:
    """SQLite's online backup API in one step: one read snapshot, while the web app and a run go on writing (WAL)."""
    source = Path(str(engine.url.database)).expanduser()
    if not source.is_file():
        raise StoreError(f"{source}: no database here; run `livereview init`")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)) as src, \
            closing(sqlite3.connect(out)) as dst:
        src.execute("PRAGMA busy_timeout=60000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    with closing(sqlite3.connect(out)) as copy:
        counts = _sqlite_counts(copy)
        counts["\0revision"] = _sqlite_revision(copy)  # type: ignore[assignment]
    return counts


_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _count_sql(table: str, schema: str | None = None) -> str:
    """``SELECT count(*)`` of a table whose name is a plain identifier (checked: names also come from a manifest)."""
    if not _TABLE.match(table) or (schema is not None and not _TABLE.match(schema)):
        raise StoreError(f"{schema + '.' if schema else ''}{table}: not a table name this store uses")
    where = f'"{schema}"."{table}"' if schema else f'"{table}"'
    return f"SELECT count(*) FROM {where}"  # noqa: S608 - both identifiers checked above


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: conn.execute(_count_sql(t)).fetchone()[0] for t in tables if _TABLE.match(t)}


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _pg_tools(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise StoreError(f"{name} not found on PATH: install the PostgreSQL client tools (the server's major "
                         f"version or newer; Debian: apt install postgresql-client) to back up or restore a "
                         f"PostgreSQL store")
    return path


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The store's URL as libpq reads it (no driver suffix) and an environment carrying the password, never argv."""
    url = engine.url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if engine.url.password:
        env["PGPASSWORD"] = str(engine.url.password)
    return url.render_as_string(hide_password=False), env


def _pg_dump(engine: Engine, out: Path) -> dict[str, int]:
    """``pg_dump -Fc`` of the store's schema in a snapshot exported from a transaction that counts the rows too."""
    tool = _pg_tools("pg_dump")
    url, env = _libpq(engine)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        counts = _pg_counts(conn, schema)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            if "alembic_version" in counts else None
        res = subprocess.run([tool, "--format=custom", f"--snapshot={snapshot}", f"--schema={schema}",
                              "--no-owner", "--no-privileges", f"--file={out}", f"--dbname={url}"],
                             env=env, capture_output=True, text=True)
    if res.returncode:
        raise StoreError(f"{describe(engine)}: pg_dump failed: {_first_line(res.stderr)}")
    counts["\0revision"] = revision  # type: ignore[assignment]
    return counts


def _pg_counts(conn, schema: str) -> dict[str, int]:  # noqa: ANN001
    tables = sorted(inspect(conn).get_table_names(schema=schema))
    return {t: conn.execute(text(_count_sql(t, schema))).scalar_one() for t in tables}


def _first_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[0] if lines else "no message"


# -- reading and checking ---------------------------------------------------------------------------------------------

def read_manifest(path: Path) -> dict:
    """The backup's manifest, every member's SHA-256 checked; a damaged or foreign file is refused in one line."""
    with _open(path) as tar:
        manifest = _manifest(path, tar)
        for name, want in manifest["sha256"].items():
            if _member_sha(path, tar, name) != want:
                raise InputFileError(str(path), f"damaged backup: {name} does not match its checksum")
    return manifest


@dataclass
class _Opened:
    tar: tarfile.TarFile

    def __enter__(self) -> tarfile.TarFile:
        return self.tar

    def __exit__(self, *exc: object) -> None:
        self.tar.close()


_DAMAGE = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError, ValueError, KeyError,
           TypeError)


def _open(path: Path) -> _Opened:
    if not path.is_file():
        raise InputFileError(str(path), "no such backup file")
    try:
        return _Opened(tarfile.open(path, "r:gz"))
    except _DAMAGE as exc:
        raise InputFileError(str(path), f"not a livereview backup or damaged ({_why(exc)})") from exc


def _why(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _manifest(path: Path, tar: tarfile.TarFile) -> dict:
    try:
        member = tar.extractfile(MANIFEST)
        manifest = json.loads(member.read()) if member else None
        assert isinstance(manifest, dict)
        if manifest.get("format") != FORMAT:
            raise InputFileError(str(path), f"backup format {manifest.get('format')!r} is not one this version "
                                 f"reads ({FORMAT})")
        if manifest["database"] not in manifest["sha256"] or not isinstance(manifest["counts"], dict):
            raise KeyError("database")
        return manifest
    except (AssertionError, *_DAMAGE, OSError) as exc:
        raise InputFileError(str(path), f"damaged backup: no readable manifest ({_why(exc)})") from exc


def _member_sha(path: Path, tar: tarfile.TarFile, name: str) -> str:
    try:
        fh = tar.extractfile(name)
        if fh is None:
            raise KeyError(name)
        digest = hashlib.sha256()
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
        return digest.hexdigest()
    except (*_DAMAGE, OSError) as exc:
        raise InputFileError(str(path), f"damaged backup: {name}: {_why(exc)}") from exc


def _report(path: Path, manifest: dict) -> BackupReport:
    return BackupReport(path=path, backend=manifest["backend"], revision=manifest.get("revision"),
                        counts=dict(manifest["counts"]), attachments=int(manifest.get("attachments", 0)),
                        size=path.stat().st_size if path.is_file() else 0, created=manifest.get("created", ""))


# -- restoring ----------------------------------------------------------------------------------------------------

def restore_backup(engine: Engine, data_dir: Path, source: Path) -> BackupReport:
    """Restore ``source`` into the empty store of ``engine`` (and its attachments into ``data_dir``), checked."""
    source = source.expanduser()
    manifest = read_manifest(source)
    if manifest["backend"] != engine.dialect.name:
        raise StoreError(f"{source}: a backup of a {manifest['backend']} store; restore it into a "
                         f"{manifest['backend']} store (LIVEREVIEW_DATABASE_URL), not {engine.dialect.name}")
    _require_empty(engine)
    attachments = data_dir / ATTACHMENTS
    if manifest.get("attachments") and attachments.is_dir() and any(attachments.iterdir()):
        raise StoreError(f"{attachments}: not empty; restore into a data dir without attachments")
    with _open(source) as tar, tempfile.TemporaryDirectory(prefix="livereview-restore-") as tmp:
        try:
            tar.extract(manifest["database"], tmp, filter="data")
        except (*_DAMAGE, OSError) as exc:
            raise InputFileError(str(source), f"damaged backup: {_why(exc)}") from exc
        copy = Path(tmp) / manifest["database"]
        if engine.dialect.name == "sqlite":
            _sqlite_restore(engine, source, copy, manifest)
        else:
            _pg_restore(engine, source, copy, manifest)
        if manifest.get("attachments"):
            members = [m for m in tar.getmembers() if m.name.startswith(ATTACHMENTS + "/")]
            tar.extractall(data_dir, members=members, filter="data")
    return _report(source, manifest)


def _require_empty(engine: Engine) -> None:
    if engine.dialect.name == "sqlite" and not Path(str(engine.url.database)).expanduser().is_file():
        return  # a new SQLite file (made, with its folder, when the copy is written)
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
    if tables:
        raise StoreError(f"{describe(engine)}: not empty ({len(tables)} tables); restore into an empty store "
                         "(a new SQLite file, or an empty PostgreSQL database or schema)")


def _check_counts(where: str, got: dict[str, int], want: dict[str, int]) -> None:
    if got != want:
        diff = [f"{t} {got.get(t, 'missing')} (backed up {want.get(t, 'none')})"
                for t in sorted(set(got) | set(want)) if got.get(t) != want.get(t)]
        raise StoreError(f"{where}: restored copy does not match the backup's counts: {', '.join(diff[:4])}")


def _sqlite_restore(engine: Engine, source: Path, copy: Path, manifest: dict) -> None:
    """Check the extracted copy (integrity, foreign keys, counts), then copy it into the store with the backup API."""
    with closing(sqlite3.connect(copy)) as conn:
        try:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
            counts = _sqlite_counts(conn)
        except sqlite3.DatabaseError as exc:
            raise InputFileError(str(source), f"damaged backup: the database copy: {_why(exc)}") from exc
        if problems != ["ok"]:
            raise InputFileError(str(source), f"damaged backup: the database copy: {problems[0]}")
        if orphans:
            raise InputFileError(str(source), f"damaged backup: {len(orphans)} rows break foreign keys "
                                 f"(first in {orphans[0][0]})")
        _check_counts(str(source), counts, manifest["counts"])
        target = Path(str(engine.url.database)).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        engine.dispose()
        with closing(sqlite3.connect(target, timeout=60)) as dst:
            conn.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
    with engine.connect() as live:
        _check_counts(describe(engine), {t: live.execute(text(_count_sql(t))).scalar_one()
                                         for t in manifest["counts"]}, manifest["counts"])


_COPY_START = re.compile(r"^COPY .* FROM stdin;$")


def _pg_restore(engine: Engine, source: Path, dump: Path, manifest: dict) -> None:
    """pg_restore's script, moved into the target schema, run by psql in one transaction ending with the counts."""
    pg_restore, psql = _pg_tools("pg_restore"), _pg_tools("psql")
    url, env = _libpq(engine)
    with engine.connect() as conn:
        target = conn.execute(text("SELECT current_schema()")).scalar()
    if target is None:
        raise StoreError(f"{describe(engine)}: its search_path names no existing schema to restore into")
    listing = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, text=True)
    if listing.returncode:
        raise InputFileError(str(source), f"damaged backup: pg_restore: {_first_line(listing.stderr)}")
    schemas = {m.group(1) for m in re.finditer(r"^\d+; \d+ \d+ SCHEMA - (\S+) ", listing.stdout, re.M)}
    origin = _origin_schema(listing.stdout, schemas)
    with tempfile.TemporaryFile("w+") as dump_errors, tempfile.TemporaryFile("w+") as errors, \
            subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
                             stdout=subprocess.PIPE, stderr=dump_errors, text=True) as script, \
            subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", f"--dbname={url}"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, env=env,
                             text=True) as runner:
        assert script.stdout is not None and runner.stdin is not None
        try:
            for line in _moved(script.stdout, origin, target):
                runner.stdin.write(line)
            runner.stdin.write(_count_check(target, manifest["counts"]))
            runner.stdin.close()
        except BrokenPipeError:
            pass
        script.wait()
        runner.wait()
        dump_errors.seek(0)
        errors.seek(0)
        dump_err, failed = dump_errors.read(), errors.read()
    if script.returncode:
        raise InputFileError(str(source), f"damaged backup: pg_restore: {_first_line(dump_err)}")
    if runner.returncode:
        raise StoreError(f"{describe(engine)}: restore refused, nothing written: {_first_line(failed)}")


def _origin_schema(listing: str, schemas: set[str]) -> str:
    if len(schemas) == 1:
        return next(iter(schemas))
    found = set(re.findall(r"^\d+; \d+ \d+ TABLE (\S+) ", listing, re.M))
    return next(iter(found)) if len(found) == 1 else "public"


def _moved(lines: Iterator[str], origin: str, target: str) -> Iterator[str]:
    """The script with the dumped schema renamed to the target's (statements only; COPY data passes untouched)."""
    name = re.compile(r'(?<![\w"])(?:"' + re.escape(origin) + '"|' + re.escape(origin) + r")\.")
    quoted = '"' + target.replace('"', '""') + '".'
    in_data = False
    for line in lines:
        if in_data:
            in_data = line != "\\.\n"
            yield line
            continue
        if re.match(r"^(CREATE|ALTER|COMMENT ON) SCHEMA ", line):
            continue  # the target schema exists already (empty)
        moved = name.sub(lambda _m: quoted, line)
        in_data = bool(_COPY_START.match(moved.rstrip("\n")))
        yield moved


def _count_check(schema: str, counts: dict[str, int]) -> str:
    """A last statement that aborts the restore's transaction when any table's rows differ from the backup's."""
    checks = "\n".join(
        f"  IF ({_count_sql(t, schema)}) <> {int(n)} THEN RAISE EXCEPTION 'table {t}: % rows, backed up {int(n)}', "
        f"({_count_sql(t, schema)}); END IF;" for t, n in sorted(counts.items()))
    return f"\nDO $livereview$\nBEGIN\n{checks}\nEND\n$livereview$;\n"


# -- keeping N copies ---------------------------------------------------------------------------------------------

def nightly_name(now: datetime | None = None) -> str:
    """``livereview-20260101T023000Z.tar.gz``: names that sort by time."""
    return f"{NIGHTLY_PREFIX}{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}{NIGHTLY_SUFFIX}"


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest nightly backups in ``folder`` (other files untouched); returns the deleted."""
    if keep < 1:
        raise StoreError(f"keep {keep}: keep at least one backup")
    found = sorted(p for p in folder.glob(f"{NIGHTLY_PREFIX}*{NIGHTLY_SUFFIX}") if p.is_file())
    old = found[:-keep]
    for path in old:
        path.unlink()
    return old
