import os
import socket
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import update

from livereview.errors import ProtocolError, RunLockedError
from livereview.store.db import transaction
from livereview.store.health import consecutive_failures
from livereview.store.models import Lock, Run
from livereview.store.runs import (
    abandon_stale_runs,
    acquire_lock,
    advance_watermark,
    finish_run,
    get_watermark,
    next_window_start,
    register_protocol,
    release_lock,
    start_run,
    start_source_run,
)


def test_watermark_only_moves_forward_and_keeps_state(engine):
    with transaction(engine) as s:
        advance_watermark(s, "pubmed:core", "pubmed", date(2025, 3, 1), {"a": 1}, None)
        advance_watermark(s, "pubmed:core", "pubmed", date(2025, 2, 1), {"b": 2}, None)
    with transaction(engine) as s:
        wm = get_watermark(s, "pubmed:core")
        assert wm.last_window_end == date(2025, 3, 1)
        assert wm.state == {"a": 1, "b": 2}


def test_next_window_starts_at_floor_then_watermark_minus_overlap(engine):
    floor = date(1995, 1, 1)
    assert next_window_start(None, floor=floor, overlap_days=7) == floor
    with transaction(engine) as s:
        wm = advance_watermark(s, "x:core", "x", date(2025, 3, 10), {}, None)
        assert next_window_start(wm, floor=floor, overlap_days=7) == date(2025, 3, 3)
        assert next_window_start(wm, floor=floor, overlap_days=7, since=date(2024, 1, 1)) == date(2024, 1, 1)
        assert next_window_start(wm, floor=floor, overlap_days=7, since=date(1990, 1, 1)) == floor


def test_a_protocol_version_cannot_change_content(engine):
    with transaction(engine) as s:
        first = register_protocol(s, "rev", "1.0", "a" * 64, "text", "p.toml")
        assert register_protocol(s, "rev", "1.0", "a" * 64, "text", "p.toml").id == first.id
    with pytest.raises(ProtocolError, match="bump review.version"), transaction(engine) as s:
        register_protocol(s, "rev", "1.0", "b" * 64, "changed", "p.toml")


def test_the_run_lock_is_exclusive_and_released(engine):
    acquire_lock(engine, "monitor", "run A")
    with transaction(engine) as s:  # pretend another live process on this host holds it
        s.execute(update(Lock).values(pid=os.getppid()))
    with pytest.raises(RunLockedError, match="another run holds"):
        acquire_lock(engine, "monitor", "run B")
    with transaction(engine) as s:
        s.execute(update(Lock).values(pid=os.getpid()))
    release_lock(engine, "monitor")
    acquire_lock(engine, "monitor", "run B")
    release_lock(engine, "monitor")


def test_a_dead_holders_lock_is_taken_over(engine):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    acquire_lock(engine, "monitor", "killed run")
    with transaction(engine) as s:
        s.execute(update(Lock).values(pid=int(dead.stdout), host=socket.gethostname()))
    acquire_lock(engine, "monitor", "next run")
    with transaction(engine) as s:
        assert s.get(Lock, "monitor").holder == "next run"


def test_runs_left_running_by_a_dead_process_are_marked_failed(engine):
    with transaction(engine) as s:
        run = start_run(s, "monitor", None, {})
        start_source_run(s, run.id, "pubmed", "core", "pubmed:core", date(2025, 1, 1), date(2025, 1, 7), "q")
        run.pid = 2 ** 22 + 12345  # no such process
    with transaction(engine) as s:
        assert abandon_stale_runs(s) == 1
        r = s.get(Run, run.id)
        assert r.status == "failed" and r.source_runs[0].status == "failed"


def test_consecutive_failures_count_the_latest_runs_of_a_source(engine):
    with transaction(engine) as s:
        for status in ("succeeded", "failed", "failed"):
            run = start_run(s, "monitor", None, {})
            sr = start_source_run(s, run.id, "crossref", "core", "crossref:core", None, None, "q")
            sr.status = status
            finish_run(s, run.id, "partial", {})
        assert consecutive_failures(s, "crossref") == 2
        assert consecutive_failures(s, "pubmed") == 0
