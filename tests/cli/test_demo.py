"""`livereview demo`: everything offline, in a store of its own; the real store is never touched."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from livereview.store.db import make_engine, reading
from livereview.store.models import Decision, Run, Work


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "livereview.cli", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


@pytest.mark.slow
def test_the_demo_fills_its_own_store_writes_a_digest_and_makes_a_login(tmp_path):
    real = tmp_path / "real"
    env = {"LIVEREVIEW_DATA_DIR": str(real)}
    res = run("demo", "--no-serve", "--data-dir", str(tmp_path / "demo"), "--papers", "20", env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "login        demo / " in res.stdout and "Traceback" not in res.stderr
    assert not real.exists()                                  # the real store was never touched
    assert list((tmp_path / "demo" / "outbox").glob("*.eml"))
    engine = make_engine(f"sqlite:///{tmp_path / 'demo' / 'livereview.db'}")
    try:
        with reading(engine) as s:
            runs = list(s.scalars(select(Run)))
            assert [r.status for r in runs] == ["succeeded", "succeeded"]
            assert (s.scalar(select(func.count()).select_from(Work).where(Work.origin == "search")) or 0) >= 20
            assert (s.scalar(select(func.count()).select_from(Decision).where(Decision.reviewer == "demo")) or 0) > 0
    finally:
        engine.dispose()


def test_the_demo_refuses_the_real_data_folder(tmp_path):
    real = tmp_path / "real"
    res = run("demo", "--no-serve", "--data-dir", str(real), env={"LIVEREVIEW_DATA_DIR": str(real)})
    assert res.returncode == 2 and "real livereview store" in res.stderr
