"""A file large enough to be read by a child process, through the real command: the same summary, one line per
warning, and Ctrl-C leaves neither a process nor a row behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from processes import alive, children_of, command_line
from sqlalchemy import func, select

from livereview.dedup import find_duplicates
from livereview.flows.file_import import parse_file
from livereview.flows.reading import BACKGROUND_MIN_BYTES
from livereview.store.db import make_engine, reading
from livereview.store.models import Work


def cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "livereview.cli", *args], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **env})


def big_scopus_csv(path: Path, rows: int) -> Path:
    """A Scopus-style CSV over the child-process threshold: every tenth row carries a second funding text (a
    field more than the header), every seventh is a copy of the one before with its DOI dropped."""
    lines = ["Authors,Title,Year,Source title,Volume,Page start,DOI,Funding Text 1"]
    for i in range(rows):
        n = i - 1 if i % 7 == 6 else i
        doi = "" if i % 7 == 6 else f"10.5555/homework.{n}"
        row = (f'"Lee, K.; Park, S.","Homework compliance and outcome in counselling, cohort {n}",{2001 + n % 23},'
               f'Journal of Counselling {n % 30},{n % 40},{n},{doi},"Funded by grant {n}"')
        lines.append(row + (f',"Second funder {n}"' if i % 10 == 0 else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size >= BACKGROUND_MIN_BYTES
    return path


def store_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {"LIVEREVIEW_DATABASE_URL": database_url, "LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}
    init = cli("init", env=env)
    _, err = init.communicate(timeout=180)
    assert init.returncode == 0, err
    return env


def works(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with reading(engine) as s:
            return s.scalar(select(func.count()).select_from(Work))
    finally:
        engine.dispose()


def test_import_and_dedupe_of_a_large_file_through_the_command(database_url, tmp_path):
    path = big_scopus_csv(tmp_path / "scopus_big.csv", 9000)
    env = store_env(tmp_path, database_url)
    before = works(database_url)
    proc = cli("import", str(path), "--source", "scopus", env=env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"{path}: 9000 records (csv) — import #1: new " in out
    warnings = [line for line in err.splitlines() if line.strip()]
    assert len(warnings) == 1 and "900 of 9000 rows had more fields than the header" in warnings[0], err
    assert "Traceback" not in err
    copies = len(range(6, 9000, 7))
    assert works(database_url) - before == 9000 - copies  # each copy without its DOI joined the row before

    groups = tmp_path / "groups.csv"
    proc = cli("dedupe", str(path), "--groups-out", str(groups), env=env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    expected = find_duplicates(parse_file(path, fmt="auto", source="dedupe")[1])
    assert f"{len(expected.groups)} duplicate groups" in out and len(expected.groups) == copies
    assert len(groups.read_text(encoding="utf-8").splitlines()) == len(expected.groups) + 1


def test_ctrl_c_during_a_large_import_leaves_no_reader_and_no_rows(database_url, tmp_path):
    path = big_scopus_csv(tmp_path / "scopus_big.csv", 40000)
    env = store_env(tmp_path, database_url)
    before = works(database_url)
    proc = cli("import", str(path), "--source", "scopus", env=env)
    deadline = time.monotonic() + 120
    readers: list[int] = []
    while not readers and time.monotonic() < deadline:  # the reading child (python -m flows.reading)
        readers = [pid for pid in children_of(proc.pid) if b"livereview.flows.reading" in command_line(pid)]
        time.sleep(0.05)
    assert readers, "the import did not start a reading child"
    time.sleep(1.5)  # records are being matched and written
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in err
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in readers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in readers)
    assert works(database_url) == before
