"""`livereview demo`: everything offline, in a store of its own; the real store is never touched."""

import email
import email.policy
import json
import os
import re
import socket
import subprocess
import sys
from importlib import resources

import pytest
from sqlalchemy import func, select

from livereview.store.clock import as_utc
from livereview.store.db import make_engine, reading
from livereview.store.models import Decision, Run, Work


def key(title):
    """A title as compared across sources: markup, case and punctuation aside."""
    return re.sub(r"[^a-z0-9]+", "", re.sub(r"<[^>]+>", "", title).casefold())


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "livereview.cli", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


@pytest.mark.slow
def test_the_demo_builds_weeks_of_real_runs_a_team_and_a_digest_that_links_into_the_app(tmp_path):
    real = tmp_path / "real"
    env = {"LIVEREVIEW_DATA_DIR": str(real)}
    res = run("demo", "--no-serve", "--data-dir", str(tmp_path / "demo"), "--weeks", "3", "--port", "8123", env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Traceback" not in res.stderr
    logins = {m[0]: m[2] for m in re.findall(r"^login +(\w+) / (\S+) +\((admin|reviewer)\)", res.stdout, re.M)}
    assert logins == {"admin": "admin", "ann": "reviewer", "ben": "reviewer", "cara": "reviewer"}
    assert f"source {tmp_path / 'demo' / 'demo.env'}" in res.stdout           # how to run other commands on it
    shell = (tmp_path / "demo" / "demo.env").read_text()
    assert "export LIVEREVIEW_BASE_URL='http://127.0.0.1:8123'" in shell
    assert f"export LIVEREVIEW_DATABASE_URL='sqlite:///{tmp_path / 'demo' / 'livereview.db'}'" in shell
    assert not real.exists()                                  # the real store was never touched
    eml = next((tmp_path / "demo" / "outbox").glob("*.eml"))
    html = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default).get_body(("html",)).get_content()
    assert 'href="http://127.0.0.1:8123/queue?mine=1"' in html and 'href="http://127.0.0.1:8123/works/' in html
    engine = make_engine(f"sqlite:///{tmp_path / 'demo' / 'livereview.db'}")
    try:
        with reading(engine) as s:
            runs = list(s.scalars(select(Run).order_by(Run.id)))
            assert [r.status for r in runs] == ["succeeded"] * 4
            days = [as_utc(r.started_at).date() for r in runs]    # weekly, each stored on its own (simulated) day
            assert [(b - a).days for a, b in zip(days, days[1:])] in ([7, 7, 7], [7, 7, 6])
            titles = set(s.scalars(select(Work.title).where(Work.origin == "search")))
            assert len(titles) >= 20
            real_titles = {key(p["title"]) for p in json.loads((resources.files("livereview.demo") / "data" /
                                                                "papers.json").read_text("utf-8"))}
            assert {key(t) for t in titles} <= real_titles           # every record is a real one
            created = {as_utc(c).date() for c in s.scalars(select(Work.created_at).where(Work.origin == "search"))}
            assert created <= set(days) and len(created) >= 3        # found on the days of the runs that found them
            voters = set(s.scalars(select(Decision.reviewer).distinct()))
            assert {"ann", "ben", "cara"} <= voters
            statuses = set(s.scalars(select(Work.status).where(Work.origin == "search")))
            assert {"queued", "excluded"} <= statuses and len(statuses) >= 3      # a review in progress
            assert s.scalar(select(func.count()).select_from(Decision).where(Decision.reviewer == "admin",
                                                                             Decision.is_final.is_(True)))
    finally:
        engine.dispose()


def test_the_demo_refuses_the_real_data_folder(tmp_path):
    real = tmp_path / "real"
    res = run("demo", "--no-serve", "--data-dir", str(real), env={"LIVEREVIEW_DATA_DIR": str(real)})
    assert res.returncode == 2 and "real livereview store" in res.stderr


def test_the_demo_checks_its_port_before_building_anything(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = run("demo", "--data-dir", str(tmp_path / "demo"), "--port", str(port),
                  env={"LIVEREVIEW_DATA_DIR": str(tmp_path / "real")})
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and f"port {port} on 127.0.0.1 is in use" in res.stderr
    assert not (tmp_path / "demo" / "livereview.db").exists() and res.stdout == ""
