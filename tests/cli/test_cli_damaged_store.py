"""A store that is not a database, or a damaged SQLite file: every command exits 5 with one line naming the file."""

import os
import sqlite3
import subprocess
import sys

import pytest


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "livereview.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def one_line_exit_5(res, path, problem):
    assert res.returncode == 5, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ") and str(path) in lines[0] and problem in lines[0], lines[0]
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("command", [("init",), ("status",), ("export",), ("digest",)])
def test_a_file_that_is_not_a_database_exits_5_naming_it(tmp_path, command):
    store = tmp_path / "livereview.db"
    store.write_text("these are my notes, not a database\n" * 200)
    env = {"LIVEREVIEW_DATABASE_URL": f"sqlite:///{store}", "LIVEREVIEW_DATA_DIR": str(tmp_path)}
    one_line_exit_5(run(*command, env=env), store, "file is not a database")
    assert store.read_text().startswith("these are my notes")  # nothing written over it


@pytest.fixture
def damaged(tmp_path):
    """A store initialised for real, then with its table pages overwritten (a disk or copy gone wrong)."""
    store = tmp_path / "livereview.db"
    env = {"LIVEREVIEW_DATABASE_URL": f"sqlite:///{store}", "LIVEREVIEW_DATA_DIR": str(tmp_path)}
    assert run("init", env=env).returncode == 0
    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(store.read_bytes())
    for start in range(page * 2, len(data), page):
        data[start:start + 64] = b"\xa5" * 64
    store.write_bytes(bytes(data))
    return store, env


def test_init_on_a_damaged_store_refuses_instead_of_reporting_success(damaged):
    store, env = damaged
    res = run("init", env=env)
    one_line_exit_5(res, store, "damaged")
    assert "schema" not in res.stdout


@pytest.mark.parametrize("command", [("status",), ("export", "--format", "ris")])
def test_other_commands_on_a_damaged_store_exit_5_with_one_line(damaged, command):
    store, env = damaged
    res = run(*command, env=env)
    assert res.returncode == 5, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(store) in lines[0], res.stderr
