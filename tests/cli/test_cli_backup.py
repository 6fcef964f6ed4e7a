"""``livereview backup`` / ``restore`` through the command: a round trip, one-line refusals, and a backup taken while
a 20,000-record import writes in another process restoring to a consistent store on both back-ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_runner import run_cli
from pgschema import driver_url, private_schema
from sqlalchemy import text

from livereview.store.backup import read_manifest
from livereview.store.db import make_engine

POSTGRES_URL = os.environ.get("LIVEREVIEW_TEST_POSTGRES_URL", "")
#: records the import writes while the backup runs; `BACKUP_TEST_RECORDS=100000` for the issue's full-size check
IMPORT_RECORDS = int(os.environ.get("BACKUP_TEST_RECORDS", "20000"))


def _env(tmp_path: Path, url: str, name: str) -> dict[str, str]:
    return {"LIVEREVIEW_DATABASE_URL": url, "LIVEREVIEW_DATA_DIR": str(tmp_path / name)}


def _init(url: str) -> None:
    """``livereview init``'s work, in this process with its engine disposed (the command leaves it to exit)."""
    from livereview.flows.init_store import init_store
    from livereview.protocols.model import load_protocol
    from livereview.settings import BUNDLED_PROTOCOL

    engine = make_engine(url)
    try:
        init_store(engine, load_protocol(BUNDLED_PROTOCOL))
    finally:
        engine.dispose()


def _empty_url(engine_url: str, tmp_path: Path, stack) -> str:  # noqa: ANN001
    if engine_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'store.db'}"
    return driver_url(stack.enter_context(private_schema(POSTGRES_URL, prefix="restore")))


def test_backup_and_restore_through_the_command(database_url, tmp_path):
    from contextlib import ExitStack

    env = _env(tmp_path, database_url, "data")
    _init(database_url)
    (tmp_path / "data" / "attachments").mkdir(parents=True)
    (tmp_path / "data" / "attachments" / "a.pdf").write_bytes(b"%PDF")
    out = run_cli("backup", str(tmp_path / "b.tar.gz"), env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "ok" and "1 attachments" in out.stdout and "works 50" in out.stdout

    with ExitStack() as stack:
        target = _env(tmp_path, _empty_url(database_url, tmp_path, stack), "restored-data")
        res = run_cli("restore", str(tmp_path / "b.tar.gz"), env=target)
        assert res.returncode == 0, res.stderr
        assert "works 50" in res.stdout and res.stdout.splitlines()[-1] == "ok"
        assert (tmp_path / "restored-data" / "attachments" / "a.pdf").read_bytes() == b"%PDF"
        status = subprocess.run([sys.executable, "-m", "livereview.cli", "status"], env={**os.environ, **target},
                                capture_output=True, text=True, timeout=120)
        assert status.returncode == 0, status.stderr

        again = run_cli("restore", str(tmp_path / "b.tar.gz"), env=target)  # the store is no longer empty
        assert again.returncode == 5 and len(again.stderr.splitlines()) == 1 and "not empty" in again.stderr

    damaged = tmp_path / "damaged.tar.gz"
    raw = (tmp_path / "b.tar.gz").read_bytes()
    damaged.write_bytes(raw[: len(raw) * 2 // 3])
    res = run_cli("restore", str(damaged), env=_env(tmp_path, f"sqlite:///{tmp_path / 'x' / 'x.db'}", "x"))
    assert res.returncode == 3 and res.stdout == ""
    assert res.stderr.startswith(f"error: {damaged}: ") and len(res.stderr.splitlines()) == 1, res.stderr
    assert not (tmp_path / "x" / "x.db").exists()


def _records_csv(path: Path, rows: int) -> Path:
    """Distinct Scopus-style records: every one a new work."""
    lines = ["Authors,Title,Year,Source title,Volume,Page start,DOI,Abstract"]
    for n in range(rows):
        lines.append(f'"Kim, J.; Ortiz, M.","Between-session practice {n} in counselling, arm {n * 7919 % 100003}",'
                     f'{1996 + n % 30},Journal of Practice {n % 50},{n % 40},{n},10.5555/backup.{n},'
                     f'"Homework adherence and outcome, sample {n}."')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _count(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608 - test's own name
    finally:
        engine.dispose()


def _import_writing(url: str, wal_before: int) -> bool:
    """The import's transaction holds written, uncommitted rows: SQLite's WAL grew by a megabyte (spilled pages), or
    PostgreSQL shows a writer's lock on this store's ``works``."""
    if url.startswith("sqlite"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and wal.stat().st_size > wal_before + (1 << 20)
    schema = url.rsplit("search_path%3D", 1)[1]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relname = 'works' "
                "AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"), {"schema": schema}).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_backup_taken_during_a_large_import_restores_to_a_consistent_store(database_url, tmp_path):
    from contextlib import ExitStack

    env = _env(tmp_path, database_url, "data")
    _init(database_url)
    before = _count(database_url, "works")
    source = _records_csv(tmp_path / "big.csv", IMPORT_RECORDS)
    wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
    wal_before = wal.stat().st_size if database_url.startswith("sqlite") and wal.exists() else 0
    started = time.monotonic()
    importer = subprocess.Popen([sys.executable, "-m", "livereview.cli", "import", str(source), "--source", "scopus"],
                                env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not _import_writing(database_url, wal_before):  # the import's one transaction has written rows
            assert importer.poll() is None, importer.communicate()
            time.sleep(0.1)
        backup_at = time.monotonic() - started
        res = run_cli("backup", str(tmp_path / "during.tar.gz"), env=env)
        backup_took = time.monotonic() - started - backup_at
        assert res.returncode == 0, res.stderr
        still_importing = importer.poll() is None
        out, err = importer.communicate(timeout=900)
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
    import_took = time.monotonic() - started
    assert importer.returncode == 0, err
    assert still_importing, "the import finished before the backup did; the test proved nothing"
    after = _count(database_url, "works")
    counts = read_manifest(tmp_path / "during.tar.gz")["counts"]
    assert after - before == IMPORT_RECORDS
    assert counts["works"] in (before, after)  # the import is one transaction: all of it or none, never a part

    with ExitStack() as stack:
        url = _empty_url(database_url, tmp_path, stack)
        res = run_cli("restore", str(tmp_path / "during.tar.gz"), env=_env(tmp_path, url, "restored"))
        assert res.returncode == 0, res.stderr
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                # consistent: what the counts say, and no work without its source record or record without its work
                assert conn.execute(text("SELECT count(*) FROM works")).scalar_one() == counts["works"]
                assert conn.execute(text(
                    "SELECT count(*) FROM source_records r LEFT JOIN works w ON w.id = r.work_id "
                    "WHERE w.id IS NULL")).scalar_one() == 0
                assert conn.execute(text(
                    "SELECT count(*) FROM works w WHERE NOT EXISTS "
                    "(SELECT 1 FROM source_records r WHERE r.work_id = w.id)")).scalar_one() == 0
        finally:
            engine.dispose()
    print(f"\n[{database_url.split(':')[0]}] import of {IMPORT_RECORDS} records: {import_took:.1f} s; backup started "
          f"{backup_at:.1f} s in, took {backup_took:.1f} s; backup holds {counts['works'] - before} of the "
          f"{after - before} imported works ({counts['works']} works, {counts['source_records']} source records); "
          f"backup file {(tmp_path / 'during.tar.gz').stat().st_size:,} bytes")
