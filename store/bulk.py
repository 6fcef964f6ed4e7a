"""The bulk writer behind :func:`store.ingest.ingest_records`: new works and source records buffered and written
together, one multi-row statement per table (PostgreSQL ``COPY``, SQLite ``executemany``), instead of one ORM
insert per row; and, on SQLite, the report indexes set aside while a large ingest writes. It decides nothing:
what is written was decided by :func:`store.ingest.decide`.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from livereview.store.clock import utcnow
from livereview.store.models import DuplicatePair, Notice, SourceRecord, Work, WorkLink

#: work ids taken from PostgreSQL's sequence at a time
ID_BLOCK = 2000
#: SQLite: rows written before a large ingest sets aside the indexes it does not look up by (see
#: :meth:`BulkWriter.defer_indexes`)
DEFER_INDEXES_AFTER = 10000
#: indexes for the web app and reports, not for the ingest's own lookups: a large ingest on SQLite drops them
#: and builds them again before it ends (in its transaction), which costs less than updating them row by row
DEFERRABLE_INDEXES = (
    "ix_works_status", "ix_works_status_created", "ix_works_created_at", "ix_works_updated_at", "ix_works_year",
    "ix_works_relevance_created", "ix_source_records_fetched_at", "ix_source_records_run_id",
    "ix_source_records_source_run_id", "ix_source_records_import_id", "ix_source_records_source_work",
)
#: values per ``IN (…)`` on SQLite, which caps a statement's parameters
_IN_BATCH = 500


class WorkIds:
    """Primary keys for works written in bulk, taken before the INSERT so rows can refer to them.

    PostgreSQL: a block from the table's own sequence (other writers draw from it too). SQLite: the next
    after the largest id; the import holds the write lock (``BEGIN IMMEDIATE``), so nobody else inserts.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._block: deque[int] = deque()
        self._next: int | None = None

    def take(self) -> int:
        if self.postgres:
            if not self._block:
                self._block.extend(self.session.scalars(text(
                    "SELECT nextval(pg_get_serial_sequence('works', 'id')) FROM generate_series(1, :n)"),
                    {"n": ID_BLOCK}))
            return self._block.popleft()
        if self._next is None:
            self._next = (self.session.scalar(select(func.max(Work.id))) or 0) + 1
        value, self._next = self._next, self._next + 1
        return value

    def others_inserted(self) -> None:
        """Works were inserted the ordinary way (autoincrement): look again for the largest id."""
        self._next = None


class JSONText(str):
    """A JSON column's value already serialised, written as it is by :meth:`_BulkIngest.insert_rows`: a record's
    canonical JSON (made for its content hash; serialising every record twice was a tenth of an import) or a
    list column serialised once per distinct list."""


class BulkWriter:
    """Rows an ingest decided to write, kept until :meth:`flush` writes them together.

    ``known`` holds the rows of the works this ingest created (written or not) as plain objects, which the
    ingest reads and fills like ORM objects; ``dirty`` the fields a later record filled on works already written.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids = WorkIds(session)
        self.postgres = self.ids.postgres
        self.known: dict[int, Any] = {}
        self.pending_works: list[int] = []
        self.pending_works_set: set[int] = set()
        self.dirty: dict[int, set[str]] = {}
        self.pending_sources: list[dict[str, Any]] = []
        self.pending_links: list[dict[str, Any]] = []
        self.pending_notices: list[dict[str, Any]] = []
        self.pending_pairs: list[dict[str, Any]] = []   # near misses of new works (store.ingest.near_miss_row)
        self.written = 0      # rows written (when to refresh the planner's statistics)
        self.works_written = 0
        self.deferred: list[tuple[str, str]] | None = None  # (name, CREATE statement) of indexes set aside

    def add_work(self, work: Any) -> None:
        """A new work's row (its id taken from :attr:`ids`), written by the next :meth:`flush`."""
        self.known[work.id] = work
        self.pending_works.append(work.id)
        self.pending_works_set.add(work.id)

    def filled(self, wid: int, names: Sequence[str]) -> None:
        """Fields a record filled on work ``wid``: written by the next :meth:`flush` if the row was written."""
        if names and wid in self.known and wid not in self.pending_works_set:
            self.dirty.setdefault(wid, set()).update(names)

    def flush(self) -> None:
        """Write what is pending: new works, fields filled on works written earlier, source records, links and
        notices, one multi-row statement (executemany or COPY) per table and shape."""
        conn = self.session.connection()
        if self.pending_works:
            self.works_written += len(self.pending_works)
            self.insert_rows(conn, Work.__table__, [vars(self.known[wid]) for wid in self.pending_works])
            self.pending_works.clear()
            self.pending_works_set.clear()
        if self.dirty:
            by_fields: dict[frozenset[str], list[dict[str, Any]]] = {}
            now = utcnow()
            for wid, names in self.dirty.items():
                row = self.known.get(wid)
                if row is None:
                    continue
                by_fields.setdefault(frozenset(names), []).append(
                    {"_id": wid, "updated_at": now, **{n: getattr(row, n) for n in names}})
            table = Work.__table__
            for names, rows in by_fields.items():
                conn.execute(table.update().where(table.c.id == bindparam("_id"))
                             .values({n: bindparam(n) for n in (*sorted(names), "updated_at")}), rows)
            self.dirty.clear()
        for table, rows in ((SourceRecord.__table__, self.pending_sources), (WorkLink.__table__, self.pending_links),
                            (Notice.__table__, self.pending_notices), (DuplicatePair.__table__, self.pending_pairs)):
            if rows:
                self.insert_rows(conn, table, rows)
                rows.clear()

    def insert_rows(self, conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
        """Rows (dicts with the same keys) into ``table``, through the driver: PostgreSQL ``COPY``, SQLite
        ``executemany``. Values are converted by the columns' own SQLAlchemy bind processors (JSON, booleans,
        dates) exactly as an ORM insert would; only the per-statement overhead is gone, which was a third of a
        large import's time."""
        self.written += len(rows)
        dialect = conn.dialect
        names = [c.name for c in table.columns if c.name in rows[0]]
        take = itemgetter(*names)
        values = [list(take(row)) for row in rows]
        for i, name in enumerate(names):  # column by column: most columns need no conversion at all
            column_type = table.c[name].type
            proc = column_type._cached_bind_processor(dialect)
            if proc is None:
                continue
            if isinstance(column_type, JSON):  # lists of strings (authors, keywords): serialised here, as the
                proc = _json_text              # type would, but without the driver's wrapper per value
            converted: dict[Any, Any] = {}  # a chunk's rows share timestamps, flags, keyword lists: convert once
            for value in values:
                v = value[i]
                if v is None or type(v) is JSONText:
                    continue
                try:
                    key = tuple(v) if type(v) is list else v  # (a list of strings keys by its tuple)
                    out = converted.get(key)
                except TypeError:  # unhashable: a list of dicts
                    value[i] = proc(v)
                    continue
                value[i] = out if out is not None else converted.setdefault(key, proc(v))
        driver = conn.connection.driver_connection
        columns = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
        if self.ids.postgres:
            with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            driver.executemany(str(table.insert().compile(dialect=dialect, column_keys=names)), values)

    def defer_indexes(self, conn: Any) -> None:
        """SQLite, once a large ingest is most of the store: drop :data:`DEFERRABLE_INDEXES` for the rest of it.

        Updating a dozen indexes row by row was a third of a large import's writes; :meth:`restore_indexes`
        builds them again from the table, sorted, at the end. Both happen inside the ingest's transaction: a
        failure rolls the drop back with everything else, and readers (WAL) see the indexes throughout. Not on
        PostgreSQL, where dropping an index locks its table against the web app's readers.
        """
        self.deferred = []
        total = conn.execute(select(func.count()).select_from(Work)).scalar_one()
        if total > 2 * self.works_written:
            return  # most of the store was there before: rebuilding its indexes would cost more than it saves
        self.deferred = [(name, sql) for name, sql in conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN :names ORDER BY name")
            .bindparams(bindparam("names", DEFERRABLE_INDEXES, expanding=True)))]
        for name, _ in self.deferred:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')

    def restore_indexes(self) -> None:
        """Build the indexes :meth:`defer_indexes` dropped, as they were."""
        if self.deferred:
            conn = self.session.connection()
            for _, sql in self.deferred:
                conn.exec_driver_sql(sql)
        self.deferred = None

    def among(self, column: Any, values: Sequence[Any]) -> Any:
        """``column IN values``; on PostgreSQL ``column = ANY(array)``: one parameter instead of one per value,
        which the driver would otherwise splice into the statement's text (a tenth of the lookups' time)."""
        if self.postgres:
            return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return column.in_(values)

    def batches(self, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
        """SQLite caps a statement's parameters: batches of ``_IN_BATCH``; PostgreSQL takes an array whole."""
        return iter((values,) if self.postgres else _batches(values))


def _json_text(value: Any) -> JSONText:
    """A JSON column's value as the JSON type serialises it (``json.dumps``), ready for the driver."""
    return JSONText(json.dumps(value))


def _batches(values: Sequence[Any], size: int = _IN_BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


