"""Backup and restore on both back-ends: a round trip with attachments, checked; damaged, foreign, non-empty refused."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from pgschema import private_schema
from sqlalchemy import text

from livereview.errors import InputFileError, StoreError
from livereview.flows.init_store import init_store
from livereview.store.backup import (
    MANIFEST,
    nightly_name,
    prune_backups,
    read_manifest,
    restore_backup,
    write_backup,
)
from livereview.store.db import HEAD_REVISION, make_engine

POSTGRES_URL = os.environ.get("LIVEREVIEW_TEST_POSTGRES_URL", "")


def _counts(engine) -> dict[str, int]:
    from sqlalchemy import inspect

    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                for t in inspect(conn).get_table_names()}


@pytest.fixture
def filled(engine, protocol, tmp_path):
    """A store holding the seed corpus and a decision, and a data dir with two attachments."""
    init_store(engine, protocol)
    with engine.begin() as conn:
        conn.execute(text("UPDATE works SET title = 'Homework ''quoted'' \u00e9 tab\there' WHERE id = "
                          "(SELECT min(id) FROM works)"))
    data = tmp_path / "data"
    (data / "attachments" / "12").mkdir(parents=True)
    (data / "attachments" / "12" / "paper.pdf").write_bytes(b"%PDF-1.4 fake but bytes\x00\xff")
    (data / "attachments" / "note.txt").write_text("full text notes")
    return engine, data


@pytest.fixture
def empty_store(engine, tmp_path, new_engine):
    """A second, empty store on the same back-end as ``engine``."""
    if engine.dialect.name == "sqlite":
        yield new_engine(f"sqlite:///{tmp_path / 'restored' / 'store.db'}")
        return
    with private_schema(POSTGRES_URL, prefix="restore") as url:
        eng = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        yield eng
        eng.dispose()


def test_a_backup_restores_into_an_empty_store_with_its_attachments(filled, empty_store, tmp_path):
    engine, data = filled
    before = _counts(engine)
    report = write_backup(engine, data, tmp_path / "b" / "store.tar.gz")
    assert report.counts == before and report.attachments == 2 and report.revision == HEAD_REVISION
    assert not list((tmp_path / "b").glob("*.partial"))
    with tarfile.open(report.path) as tar:
        names = set(tar.getnames())
    member = "store.sqlite" if engine.dialect.name == "sqlite" else "store.pgdump"
    assert names == {MANIFEST, member, "attachments/12/paper.pdf", "attachments/note.txt"}

    target = tmp_path / "restored-data"
    restored = restore_backup(empty_store, target, report.path)
    assert restored.counts == before
    assert _counts(empty_store) == before
    with empty_store.connect() as conn:
        titles = {r[0] for r in conn.execute(text("SELECT title FROM works"))}
        assert "Homework 'quoted' \u00e9 tab\there" in titles
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        # sequences carried over: a new row does not collide with a restored one
        conn.execute(text("INSERT INTO audit_log (at, actor, action, entity, details) VALUES "
                          "(CURRENT_TIMESTAMP, 'test', 'restored', 'store', '{}')"))
        conn.commit()
    assert (target / "attachments" / "12" / "paper.pdf").read_bytes() == b"%PDF-1.4 fake but bytes\x00\xff"
    assert (target / "attachments" / "note.txt").read_text() == "full text notes"


def test_restore_refuses_a_store_that_is_not_empty(filled, tmp_path):
    engine, data = filled
    report = write_backup(engine, data, tmp_path / "store.tar.gz")
    before = _counts(engine)
    with pytest.raises(StoreError, match="not empty"):
        restore_backup(engine, tmp_path / "other", report.path)
    assert _counts(engine) == before


def _damage(path: Path, how: str) -> None:
    raw = path.read_bytes()
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "flipped":
        mid = len(raw) // 2
        path.write_bytes(raw[:mid] + bytes([raw[mid] ^ 0xFF]) + raw[mid + 1:])
    elif how == "not-a-backup":
        path.write_text("hello, not a backup\n")
    else:  # a well-formed archive with its database changed, or its manifest garbled
        with tarfile.open(path) as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
        if how == "member-changed":
            db = next(n for n in members if n.startswith("store."))
            members[db] = members[db][:-100] + b"\0" * 100
        else:
            members[MANIFEST] = b"{not json"
        with tarfile.open(path, "w:gz") as tar:
            for name, body in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))


@pytest.mark.parametrize("how", ["truncated", "flipped", "not-a-backup", "member-changed", "manifest-garbled"])
def test_a_damaged_backup_is_refused_in_one_line_and_writes_nothing(filled, empty_store, tmp_path, how):
    engine, data = filled
    path = write_backup(engine, data, tmp_path / "store.tar.gz").path
    _damage(path, how)
    target = tmp_path / "restored-data"
    with pytest.raises(InputFileError) as caught:
        restore_backup(empty_store, target, path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert "damaged" in message or "not a livereview backup" in message
    if empty_store.dialect.name == "sqlite":
        assert not Path(empty_store.url.database).exists()
    else:
        assert _counts(empty_store) == {}
    assert not (target / "attachments").exists()


def test_a_backup_of_one_back_end_is_refused_by_the_other(filled, tmp_path, new_engine):
    engine, data = filled
    path = write_backup(engine, data, tmp_path / "store.tar.gz").path
    manifest = read_manifest(path)
    assert manifest["backend"] == engine.dialect.name
    if engine.dialect.name == "postgresql":
        other = new_engine(f"sqlite:///{tmp_path / 'other.db'}")
        with pytest.raises(StoreError, match="a backup of a postgresql store"):
            restore_backup(other, tmp_path / "x", path)


def test_a_postgresql_backup_without_pg_dump_says_so_in_one_line(engine, tmp_path, monkeypatch):
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_dump is PostgreSQL's")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(StoreError, match="pg_dump not found on PATH: install the PostgreSQL client tools"):
        write_backup(engine, tmp_path, tmp_path / "store.tar.gz")
    assert not (tmp_path / "store.tar.gz").exists()


def test_prune_keeps_the_newest_nightly_backups_only(tmp_path):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, 2, 30, tzinfo=UTC)
    names = [nightly_name(start + timedelta(days=d)) for d in range(5)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "mine.tar.gz").write_bytes(b"kept: not a nightly backup")
    deleted = prune_backups(tmp_path, 3)
    assert [p.name for p in deleted] == names[:2]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names[2:], "mine.tar.gz"])
    with pytest.raises(StoreError):
        prune_backups(tmp_path, 0)
