"""prefect.yaml deployed to a real Prefect server on loopback; a real process worker runs the monitor."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from replay_server import homework_paper
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(env, *args, cwd=ROOT, timeout=300):
    res = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"
    return res


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


def test_deploy_from_prefect_yaml_and_a_process_worker_lands_a_monitor_run(tmp_path, replay, replay_protocol_path):
    replay.replay.add(*(homework_paper(n, date.today() - timedelta(days=n)) for n in range(1, 4)))
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, **replay.env(),
           "LIVEREVIEW_DATA_DIR": str(tmp_path / "data"),
           "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("LIVEREVIEW_DATABASE_URL", None)
    _run(env, sys.executable, "-m", "livereview.cli", "init", "--protocol", str(replay_protocol_path))

    logs = [(tmp_path / name).open("wb") for name in ("server.log", "worker.log")]
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=logs[0], stderr=subprocess.STDOUT, start_new_session=True)
    worker = None
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                if requests.get(f"{api}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            time.sleep(1)
        else:
            pytest.fail("the Prefect server did not come up")

        _run(env, PREFECT, "work-pool", "create", "livereview", "--type", "process")
        deployed = _run(env, PREFECT, "--no-prompt", "deploy", "--all")
        assert "weekly-monitor" in deployed.stdout and "weekly-digest" in deployed.stdout
        assert "monthly-chase" in deployed.stdout
        worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "livereview"], env=env, cwd=tmp_path,
                                  stdout=logs[1], stderr=subprocess.STDOUT, start_new_session=True)
        _run(env, PREFECT, "deployment", "run", "monitor/weekly-monitor",
             "--param", f"protocol_path={replay_protocol_path}")

        engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'livereview.db'}")
        try:
            deadline = time.time() + 300
            status = None
            while time.time() < deadline:
                with engine.connect() as c:
                    # flow = 'monitor': the scheduled run's first-run volume check keeps its estimate as a run too
                    row = c.execute(text("SELECT status, prefect_flow_run_id FROM runs WHERE flow = 'monitor' "
                                         "ORDER BY id DESC")).first()
                if row and row[0] != "running":
                    status = row
                    break
                time.sleep(2)
            assert status is not None, (tmp_path / "worker.log").read_text()[-4000:]
            assert status[0] == "succeeded" and status[1]          # the run knows its Prefect flow run
            with engine.connect() as c:
                queued = c.scalar(text("SELECT count(*) FROM works WHERE status = 'queued'"))
            assert queued == 3
            # the monthly chase as its deployment runs it: evidence watch and citation chase over the replay
            _run(env, PREFECT, "deployment", "run", "chase/monthly-chase",
                 "--param", f"protocol_path={replay_protocol_path}")
            deadline = time.time() + 300
            chase = None
            while time.time() < deadline:
                with engine.connect() as c:
                    chase = c.execute(text("SELECT status, prefect_flow_run_id FROM runs WHERE flow = 'chase' "
                                           "ORDER BY id DESC")).first()
                if chase and chase[0] != "running":
                    break
                time.sleep(2)
            assert chase is not None and chase[0] == "succeeded" and chase[1], \
                (tmp_path / "worker.log").read_text()[-4000:]
        finally:
            engine.dispose()
    finally:
        if worker is not None:
            _kill(worker)
        _kill(server)
        for log in logs:
            log.close()
