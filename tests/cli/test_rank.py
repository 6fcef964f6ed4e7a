"""``livereview rank``: retrain on the store and save the scores; ``--if-needed`` does nothing when nothing changed."""

import os
import subprocess
import sys


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "livereview.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=180)


def test_rank_trains_then_reports_up_to_date_until_something_changes(tmp_path):
    env = {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}
    assert run("rank", env=env).returncode == 5, "no store yet: store error"
    assert run("init", env=env).returncode == 0
    first = run("rank", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("ranking #1: similarity on 50 included and 0 excluded, 0 open works scored")
    again = run("rank", "--if-needed", env=env)
    assert again.returncode == 0 and "up to date" in again.stdout
