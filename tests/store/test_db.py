import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from livereview.errors import ConfigError, StoreError
from livereview.store.audit import audit
from livereview.store.db import (
    current_revision,
    head_revision,
    make_engine,
    migrate,
    require_current_schema,
    transaction,
)


def test_migrating_twice_changes_nothing(database_url, new_engine):
    eng = new_engine(database_url)
    assert migrate(eng) == (None, head_revision())
    assert migrate(eng) == (head_revision(), head_revision())
    assert current_revision(eng) == head_revision()


def test_the_named_head_is_alembics_head():
    """Commands check the store against HEAD_REVISION without loading Alembic: a new migration must move it."""
    from alembic.script import ScriptDirectory

    from livereview.store.db import HEAD_REVISION, MIGRATIONS

    assert ScriptDirectory(str(MIGRATIONS)).get_current_head() == HEAD_REVISION


def test_commands_refuse_an_uninitialised_database(database_url, new_engine):
    with pytest.raises(StoreError, match="livereview init"):
        require_current_schema(new_engine(database_url))


def test_a_bad_database_url_is_a_config_error():
    with pytest.raises(ConfigError, match="LIVEREVIEW_DATABASE_URL"):
        make_engine("not a url")


def test_sqlite_uses_wal_and_foreign_keys(tmp_path, new_engine):
    eng = new_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_audit_log_is_append_only(engine):
    with transaction(engine) as s:
        audit(s, "ann", "test", "work", 1, note="x")
    for stmt in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), transaction(engine) as s:
            s.execute(text(stmt))
    with transaction(engine) as s:
        assert s.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["ann"]


def test_a_failed_transaction_writes_nothing(engine):
    with pytest.raises(RuntimeError), transaction(engine) as s:
        audit(s, "ann", "test", "work", 1)
        s.flush()
        raise RuntimeError("boom")
    with transaction(engine) as s:
        assert s.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0


def test_sqlite_gets_planner_statistics_so_the_queue_reads_the_relevance_index(tmp_path):
    """Without statistics SQLite filters the queue by status and sorts every open work; with them it reads the
    index in the queue's order (the web app, imports, init and trainings refresh them)."""
    from sqlalchemy import insert, text

    from livereview.store.db import refresh_statistics
    from livereview.store.models import Work

    eng = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    migrate(eng)
    with eng.begin() as conn:
        conn.execute(insert(Work), [{"title": f"t{i}", "origin": "search", "status": "queued" if i % 4 else "excluded",
                                     "relevance": (i % 97) / 97} for i in range(3000)])
    query = ("EXPLAIN QUERY PLAN SELECT id FROM works WHERE status IN ('queued', 'screening', 'conflict') "
             "ORDER BY relevance DESC, created_at DESC, id DESC LIMIT 26")
    with eng.connect() as conn:
        before = " ".join(str(row[-1]) for row in conn.execute(text(query)))
    refresh_statistics(eng)
    with eng.connect() as conn:
        after = " ".join(str(row[-1]) for row in conn.execute(text(query)))
    assert "ix_works_relevance_created" not in before
    assert "ix_works_relevance_created" in after and "TEMP B-TREE" not in after
    eng.dispose()


def test_a_store_holding_a_doubled_slash_doi_is_rewritten_to_the_one_spelling(tmp_path):
    """Migration 0007: DOIs written before the normaliser knew APA's ``10.1037//`` take the single slash, unless
    another work already holds that spelling."""
    from alembic import command

    from livereview.store.db import _alembic_config

    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(_alembic_config(eng), "0006_works_relevance")
    now = "2026-01-01 00:00:00"
    with eng.begin() as c:
        for i, doi in enumerate(["10.1037//0022-006x.59.3.467", "10.1037//0022-006x.1.1", "10.1037/0022-006x.1.1"]):
            c.execute(text("INSERT INTO works (id, status, origin, doi, authors, issn, publication_types, keywords, "
                           "is_retracted, has_correction, is_preprint, created_at, updated_at, relevance) VALUES "
                           "(:i, 'queued', 'search', :d, '[]', '[]', '[]', '[]', 0, 0, 0, :n, :n, -1)"),
                      {"i": i + 1, "d": doi, "n": now})
    migrate(eng)
    with eng.connect() as c:
        dois = [r[0] for r in c.execute(text("SELECT doi FROM works ORDER BY id"))]
    eng.dispose()
    assert dois == ["10.1037/0022-006x.59.3.467", "10.1037//0022-006x.1.1", "10.1037/0022-006x.1.1"]
