"""Two writers at once: imports wait for each other (and for a monitor run) with one clear line, never a traceback."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, update

from livereview.store.db import make_engine, reading, transaction
from livereview.store.models import Lock, Work
from livereview.store.runs import WRITER_LOCK, acquire_lock

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def cli(*args, env):
    return subprocess.Popen([sys.executable, "-m", "livereview.cli", *args], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **env})


def finished(proc, timeout=180):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def initialised(database_url, tmp_path):
    env = {"LIVEREVIEW_DATABASE_URL": database_url, "LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}
    code, _, err = finished(cli("init", env=env))
    assert code == 0, err
    return env


def hold_lock_as_another_process(database_url):
    """The writer lock held by a live process of this host that is not the CLI under test (a sleeping child)."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    engine = make_engine(database_url)
    acquire_lock(engine, WRITER_LOCK, "monitor pid-run local")
    with transaction(engine) as s:
        s.execute(update(Lock).where(Lock.name == WRITER_LOCK).values(pid=sleeper.pid, host=socket.gethostname()))
    return engine, sleeper


def test_two_imports_started_together_both_succeed_one_after_the_other(database_url, tmp_path):
    env = initialised(database_url, tmp_path)
    files = [EXPORTS / "pubmed_export.nbib", EXPORTS / "zotero_library.csv", EXPORTS / "embase_export.ris",
             EXPORTS / "wos_tab_delimited_win_utf8.txt"]
    procs = [cli("import", str(f), "--source", f"team-{i}", env=env) for i, f in enumerate(files * 2)]
    results = [finished(p) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert "Traceback" not in err and "database is locked" not in err and "UniqueViolation" not in err
    engine = make_engine(database_url)
    with reading(engine) as s:
        assert s.scalar(select(func.count()).select_from(Lock).where(Lock.holder.is_not(None))) == 0
        assert s.scalar(select(func.count()).select_from(Work)) > 50
    engine.dispose()


def test_an_import_waits_for_the_writer_lock_saying_so_once_then_runs(database_url, tmp_path):
    env = initialised(database_url, tmp_path)
    engine, sleeper = hold_lock_as_another_process(database_url)
    try:
        proc = cli("import", str(EXPORTS / "pubmed_export.nbib"), "--source", "pm", env=env)
        time.sleep(4)
        assert proc.poll() is None  # still waiting
        with transaction(engine) as s:
            s.execute(update(Lock).where(Lock.name == WRITER_LOCK).values(holder=None, pid=None, host=None))
        code, out, err = finished(proc)
    finally:
        sleeper.kill()
        sleeper.wait()
        engine.dispose()
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("waiting for the store's 'monitor' lock, held by monitor"), err
    assert "import #" in out


def test_an_import_that_waits_too_long_exits_6_with_one_line(database_url, tmp_path):
    env = initialised(database_url, tmp_path)
    engine, sleeper = hold_lock_as_another_process(database_url)
    try:
        code, out, err = finished(cli("import", str(EXPORTS / "pubmed_export.nbib"), "--source", "pm", "--wait", "2",
                                      env=env))
    finally:
        sleeper.kill()
        sleeper.wait()
        engine.dispose()
    assert code == 6
    lines = err.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("error: gave up after waiting 2 s"), err
