"""`livereview run` without a Prefect server (a local one-off run): queue, rerun, fail quietly, and survive kill -9
(a real process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from cli_runner import run_cli
from replay_server import homework_paper
from sqlalchemy import create_engine, func, select, text

from livereview.store.models import SourceRecord, Watermark, Work

pytestmark = pytest.mark.slow
TODAY = date.today()


@pytest.fixture
def cli_env(replay, replay_protocol_path, tmp_path):
    env = {**os.environ, **replay.env(),
           "LIVEREVIEW_DATA_DIR": str(tmp_path / "data"),
           "LIVEREVIEW_PROTOCOL": str(replay_protocol_path),
           "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_API_URL": "",
           "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("LIVEREVIEW_DATABASE_URL", None)
    return env


def cli(env, *args):
    return run_cli(*args, env=env)  # in this process; the kill -9 test starts a real one


def db(env):
    return create_engine(f"sqlite:///{env['LIVEREVIEW_DATA_DIR']}/livereview.db")


def snapshot(env):
    eng = db(env)
    try:
        with eng.connect() as c:
            return {
                "works": c.scalar(select(func.count()).select_from(Work)),
                "queued": c.scalar(select(func.count()).select_from(Work).where(Work.status == "queued")),
                "records": c.scalar(select(func.count()).select_from(SourceRecord)),
                "dup_dois": c.scalar(text("SELECT count(*) FROM (SELECT doi FROM works WHERE doi IS NOT NULL "
                                          "GROUP BY doi HAVING count(*) > 1) d")),
                "watermarks": {w.stream: w.last_window_end for w in c.execute(select(Watermark))},
            }
    finally:
        eng.dispose()


def test_run_queues_new_records_then_a_second_run_adds_nothing(cli_env, replay):
    replay.replay.add(*(homework_paper(n, TODAY - timedelta(days=n)) for n in range(1, 4)))
    assert cli(cli_env, "init").returncode == 0
    first = cli(cli_env, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "succeeded" in first.stdout and "pubmed:coaching" in first.stdout
    after_first = snapshot(cli_env)
    assert after_first["queued"] == 3 and after_first["works"] == 53
    second = cli(cli_env, "run")
    assert second.returncode == 0, second.stderr
    assert snapshot(cli_env) | {"watermarks": None} == after_first | {"watermarks": None}
    status = cli(cli_env, "status")
    assert status.returncode == 0 and "pubmed:coaching" in status.stdout and "queued" in status.stdout


def test_a_failing_source_exits_4_and_names_the_source(cli_env, replay):
    replay.replay.add(homework_paper(1, TODAY))
    replay.replay.html_error("europepmc", times=1000)
    assert cli(cli_env, "init").returncode == 0
    res = cli(cli_env, "run", "--source", "europepmc", "--source", "pubmed", "--no-alert")
    assert res.returncode == 4, res.stdout + res.stderr
    assert "partial" in res.stdout
    assert "[1] europepmc: answered with an HTML page instead of JSON" in res.stdout
    assert any(line.startswith("europepmc:coaching") and "failed [1]" in line for line in res.stdout.splitlines())
    assert "Traceback" not in res.stdout + res.stderr
    assert "HTML page" not in res.stderr  # said once, under the table
    log = (Path(cli_env["LIVEREVIEW_DATA_DIR"]) / "livereview.log").read_text()
    assert "europepmc:coaching failed: europepmc: answered with an HTML page" in log  # the log file keeps it


def test_kill_9_mid_run_loses_nothing_committed_and_the_next_run_catches_up(cli_env, replay, tmp_path):
    replay.replay.add(*(homework_paper(n, TODAY - timedelta(days=n)) for n in range(1, 6)))
    assert cli(cli_env, "init").returncode == 0
    replay.replay.stall["crossref"] = 60          # PubMed and Europe PMC finish, then Crossref hangs
    log = (tmp_path / "killed-run.log").open("wb")
    # --accept-volume: this test is about kill -9, not the first-run volume check (which would count first)
    proc = subprocess.Popen([sys.executable, "-m", "livereview.cli", "run", "--no-alert", "--accept-volume"],
                            env=cli_env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            if replay.replay.requests["crossref"] > 0:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the run never reached Crossref")
        mid = snapshot(cli_env)
        assert mid["watermarks"].get("pubmed:coaching") == TODAY    # committed before the kill
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
    assert proc.returncode == -signal.SIGKILL
    killed = snapshot(cli_env)
    assert killed["queued"] == 5 and "crossref:toc" not in killed["watermarks"]
    replay.replay.stall.clear()
    again = cli(cli_env, "run", "--no-alert")
    assert again.returncode == 0, again.stdout + again.stderr
    final = snapshot(cli_env)
    assert final["queued"] == 5 and final["dup_dois"] == 0
    assert final["watermarks"]["crossref:toc"] == TODAY
    eng = db(cli_env)
    with eng.connect() as c:
        runs = c.execute(text("SELECT status, error FROM runs ORDER BY id")).all()
        assert runs[0][0] == "failed" and "interrupted" in runs[0][1]
        assert runs[-1][0] == "succeeded"
        dup_records = c.scalar(text("SELECT count(*) FROM (SELECT source, source_id, content_hash, query_name "
                                    "FROM source_records GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d"))
        assert dup_records == 0
    eng.dispose()


def test_two_runs_started_two_seconds_apart_the_loser_exits_6_with_one_line(cli_env, replay):
    assert cli(cli_env, "init").returncode == 0
    replay.replay.add(homework_paper(1, TODAY - timedelta(days=2)))
    replay.replay.stall["pubmed"] = 3     # the winner holds the lock for a while (three seconds a request)
    args = [sys.executable, "-m", "livereview.cli", "run", "--source", "pubmed", "--no-alert"]
    first = subprocess.Popen(args, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    second = subprocess.Popen(args, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [(p.returncode, out, err) for p in (second, first) for out, err in [p.communicate(timeout=400)]]
    # whichever got Prefect started first wins: one succeeds with its own table, the other exits 6 and says why
    (won, won_out, won_err), (lost, lost_out, lost_err) = sorted(results, key=lambda r: r[0])
    assert won == 0 and won_out.startswith("run #1  succeeded"), won_err
    assert lost == 6, (lost_out, lost_err)
    assert lost_out == ""                             # never the other run's table
    lines = lost_err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: another run holds the 'monitor' lock"), lost_err
