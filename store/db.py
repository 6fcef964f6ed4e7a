"""Engines, transactions and migrations.

SQLite is the embedded default (WAL journal, foreign keys on, a busy timeout so a second writer
waits instead of failing); PostgreSQL via ``LIVEREVIEW_DATABASE_URL``.

Concurrency (issue 24, the web app under load): the pool holds :data:`POOL_SIZE` + :data:`POOL_OVERFLOW`
connections, as many as the web app's thread pool has threads, and a thread that still finds none waits at most
:data:`POOL_TIMEOUT` seconds (then the request fails, nothing stored). On SQLite the writers of one process take
turns on a lock of their own before ``BEGIN IMMEDIATE``: a waiting writer wakes the moment the lock is free
(SQLite's busy handler would sleep up to 100 ms between tries), waits at most :data:`WRITE_WAIT` seconds, and
never upgrades a read lock into a deadlock. Another process (a CLI import) is still waited for by the busy
timeout. The schema is owned by
Alembic: :func:`migrate` upgrades any database to the latest revision, so ``init`` run twice
changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from livereview.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(str(resources.files("livereview.store") / "migrations"))
#: the newest migration, which every command but ``init`` requires the store to be at. Named here so that a
#: command need not load Alembic (a third of a second on every start) to know it; ``tests/store/test_db.py``
#: fails when a migration is added and this is not moved on.
HEAD_REVISION = "0011_search_index"

#: pooled connections kept, and the extra ones opened under load: together the web app's thread-pool size
#: (anyio's default 40), so no request thread waits for a connection another thread merely holds
POOL_SIZE = 10
POOL_OVERFLOW = 30
#: seconds a thread waits for a pooled connection before its request fails (503, nothing stored)
POOL_TIMEOUT = 15
#: seconds a SQLite writer waits for the other writers of its process before it gives up (nothing stored)
WRITE_WAIT = 30.0


class StoreBusy(StoreError):
    """The store could not take a write in time (other writers held it): nothing was written; try again."""


_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock:
    """The lock this process's writers to one SQLite file take turns on."""
    key = str(engine.url.database or "")
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.RLock())


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the file's folder is created and WAL + foreign keys switched on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"LIVEREVIEW_DATABASE_URL: not a database URL ({exc})") from exc
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 60}, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                               pool_timeout=POOL_TIMEOUT)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        # pysqlite's own implicit BEGIN is off; SQLAlchemy's begin emits BEGIN, or BEGIN IMMEDIATE for writers
        # (transaction()), so a writer takes the write lock up front and waits for another instead of failing
        # half-way with "database is locked" when it first writes.
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record) -> None:  # noqa: ANN001
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:  # noqa: ANN001
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sqlite_write") else "BEGIN")

        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                         pool_timeout=POOL_TIMEOUT)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll back everything on any exception.

    On SQLite the process's writers take turns (see the module's docstring); after :data:`WRITE_WAIT` seconds
    of waiting, :class:`StoreBusy` (nothing written)."""
    if engine.dialect.name != "sqlite":
        with session_factory(engine)() as session, session.begin():
            yield session
        return
    lock = _writer_lock(engine)
    if not lock.acquire(timeout=WRITE_WAIT):
        raise StoreBusy(f"{describe(engine)}: busy: other writers held the store for {WRITE_WAIT:.0f} s; "
                        "nothing was written, try again")
    try:
        with session_factory(engine.execution_options(sqlite_write=True))() as session, session.begin():
            yield session
    finally:
        lock.release()


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read-only session (never takes the SQLite write lock)."""
    with session_factory(engine)() as session:
        yield session
        session.rollback()


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return HEAD_REVISION


def current_revision(engine: Engine) -> str | None:
    """The revision Alembic recorded in the store, None for a store it never migrated (what Alembic's own
    ``MigrationContext.get_current_revision`` reads, without loading Alembic)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _sqlite_file(engine: Engine) -> Path | None:
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:":
        return None
    return Path(db).expanduser()


def describe(engine: Engine) -> str:
    """The store as a user names it: the SQLite file's path, or the URL without its password."""
    path = _sqlite_file(engine)
    return str(path) if path is not None else engine.url.render_as_string(hide_password=True)


def store_problem(engine: Engine, exc: DBAPIError, doing: str) -> StoreError:
    """One line naming the store and what the driver said (``file is not a database``, ``disk image is malformed``)."""
    reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
    hint = ""
    if any(k in reason.lower() for k in ("not a database", "malformed", "corrupt", "disk image")):
        hint = " (a damaged or foreign file: restore it from a backup, or move it away and run `livereview init`)"
    return StoreError(f"{describe(engine)}: {doing}: {reason}{hint}")


def check_integrity(engine: Engine) -> None:
    """SQLite: ``PRAGMA quick_check`` must say ok; a damaged file is refused, never reported as initialised."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.execute(text("PRAGMA quick_check")).fetchall()]
    except DBAPIError as exc:
        raise store_problem(engine, exc, "integrity check failed") from exc
    if rows != ["ok"]:
        first = " ".join(str(rows[0]).split()) if rows else "no answer"
        more = f" (and {len(rows) - 1} more problems)" if len(rows) > 1 else ""
        raise StoreError(f"{describe(engine)}: damaged database: {first}{more}; restore it from a backup, or move "
                         "it away and run `livereview init`")


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to the latest schema (creating a SQLite file and its folder); returns (before, after) revisions.

    An existing SQLite file is checked first (``PRAGMA quick_check``): a damaged store is refused here.
    """
    path = _sqlite_file(engine)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size:
            check_integrity(engine)
    try:
        from alembic import command

        before = current_revision(engine)
        command.upgrade(_alembic_config(engine), "head")
    except DBAPIError as exc:
        raise store_problem(engine, exc, "cannot migrate") from exc
    return before, current_revision(engine)


def require_current_schema(engine: Engine) -> None:
    """Commands other than ``init`` refuse to run on an uninitialised or outdated database (creating nothing)."""
    path = _sqlite_file(engine)
    if path is not None and not path.is_file():
        raise StoreError(f"{path}: no database here; run `livereview init`")
    try:
        rev = current_revision(engine)
    except DBAPIError as exc:
        raise store_problem(engine, exc, "cannot open database") from exc
    if rev != head_revision():
        raise StoreError(f"{engine.url.render_as_string(hide_password=True)}: database not initialised or out of "
                         f"date (revision {rev or 'none'}); run `livereview init`")


#: the tables whose statistics steer the screening queue's plans (status filters against ordered index scans)
PLANNED_TABLES = ("works", "decisions", "source_records", "ranking_scores")


def refresh_statistics(engine: Engine, *, sample_rows: int | None = None) -> None:
    """Refresh SQLite's query-planner statistics after a batch of writes (PostgreSQL's autovacuum does its own).

    SQLite keeps none unless asked, and without them it filters the queue by status and sorts every open work
    (about 130 ms with 100,000 works) instead of reading the relevance index backwards (under 1 ms). Called
    when the web app starts and after each import, ``init`` and ranker training; ANALYZE of 100,000 works takes
    about 0.2 s. ``sample_rows``: read about that many rows of each index (see :func:`analyze`), for a refresh
    that must not hold the store's write lock long (after a training, while reviewers decide).
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        analyze(conn, PLANNED_TABLES, sample_rows=sample_rows)


def analyze(conn: Connection, tables: Sequence[str] | Mapping[str, Sequence[str]], *,
            sample_rows: int | None = None) -> None:
    """ANALYZE ``tables`` on ``conn``, inside its transaction (the statistics then count its own uncommitted rows).

    ``tables`` may map each table to the columns worth analysing (on PostgreSQL: the ones lookups filter on;
    the long texts and JSON are most of ANALYZE's work and no query plans by them). ``sample_rows``: on SQLite,
    read about that many rows of each index (``analysis_limit``) instead of all of them, and put the limit back
    afterwards for the pooled connection. PostgreSQL samples by itself.
    """
    if conn.dialect.name != "sqlite":
        columns = tables if isinstance(tables, Mapping) else {}
        conn.execute(text("ANALYZE " + ", ".join(
            f'"{t}"' + (" (" + ", ".join(f'"{c}"' for c in columns[t]) + ")" if columns.get(t) else "")
            for t in tables)))
        return
    if sample_rows is not None:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={int(sample_rows)}")
    for table in tables:
        conn.execute(text(f'ANALYZE "{table}"'))
    if sample_rows is not None:
        conn.exec_driver_sql("PRAGMA analysis_limit=0")
