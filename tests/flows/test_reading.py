"""A large file read by a child process: the same records, errors and warnings as reading it here; the child
never outlives the reading."""

from __future__ import annotations

import logging
import os
import signal
from itertools import islice
from pathlib import Path

import pytest
from processes import alive, children_of, command_line
from sqlalchemy import select

from livereview.dedup import find_duplicates
from livereview.errors import InputFileError, LiveReviewError
from livereview.flows import reading
from livereview.flows.file_import import import_file
from livereview.flows.init_store import init_store
from livereview.flows.reading import read_prepared
from livereview.store.db import make_engine, migrate, transaction
from livereview.store.models import Notice, SourceRecord, Work

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
#: one export per reader: RIS (streamed), CSV (handed out as read), BibTeX, EndNote XML, MEDLINE, WoS
FILES = ["scopus_export.ris", "scopus_export_funding_texts.csv", "scopus_export_repeated_fields.bib",
         "endnote_library.xml", "pubmed_export.nbib", "wos_tab_delimited_win_utf8.txt", "ieee_xplore_export.csv"]


def read(path: Path, *, background: bool, data: bytes | None = None):
    data = path.read_bytes() if data is None else data
    fmt, pairs = read_prepared(path, data, fmt="auto", source="test",
                               background_min_bytes=0 if background else len(data) + 1)
    return fmt, list(pairs)


def big_csv(tmp_path: Path, rows: int, *, tail: str = "") -> Path:
    """A CSV export of ``rows`` distinct records (and ``tail`` after them)."""
    lines = ["Title,Authors,Year,Source title,Volume,Page start,DOI"]
    lines += [f'"Homework adherence in cognitive therapy, trial {i}","Smith, J.; Doe, A.",{2000 + i % 24},'
              f'Journal of Practice {i % 50},{i % 40},{i},10.5555/trial.{i}' for i in range(rows)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


def readers() -> list[int]:
    """The reading children of this process that are still running."""
    return [pid for pid in children_of(os.getpid()) if alive(pid) and b"livereview.flows.reading" in command_line(pid)]


def no_reader_left() -> bool:
    return not readers()


@pytest.mark.parametrize("name", FILES)
def test_the_child_reads_what_this_process_reads(name):
    here_fmt, here = read(EXPORTS / name, background=False)
    there_fmt, there = read(EXPORTS / name, background=True)
    assert there_fmt == here_fmt
    assert [r.canonical_json() for r, _ in there] == [r.canonical_json() for r, _ in here]
    assert [r.raw for r, _ in there] == [r.raw for r, _ in here]
    assert [p for _, p in there] == [p for _, p in here]
    assert no_reader_left()


def test_a_file_no_reader_takes_raises_before_any_record(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<!doctype html><html><body>Sign in</body></html>", encoding="utf-8")
    with pytest.raises(InputFileError) as here:
        read(path, background=False)
    with pytest.raises(InputFileError) as there:
        read(path, background=True)
    assert str(there.value) == str(here.value) and there.value.path == str(path)
    assert no_reader_left()


def test_a_damaged_row_late_in_the_file_raises_after_the_records_before_it(tmp_path):
    path = big_csv(tmp_path, 3000, tail='"cut off, "Smith')  # a quoted field never closed: the file was truncated
    fmt, pairs = read_prepared(path, path.read_bytes(), fmt="auto", source="test", background_min_bytes=0)
    seen = []
    with pytest.raises(InputFileError, match="truncated") as err:
        for record, _ in pairs:
            seen.append(record)
    assert fmt == "csv" and len(seen) == 3000
    assert err.value.line == 3002  # the error names the line, as when the file is read here
    with pytest.raises(InputFileError) as here:
        read(path, background=False)
    assert str(err.value) == str(here.value)
    assert no_reader_left()


def test_the_readers_warnings_reach_this_process_log(caplog):
    path = EXPORTS / "scopus_export_funding_texts.csv"  # rows with more fields than the header: a warning
    with caplog.at_level(logging.WARNING):
        read(path, background=False)
    here = [r.getMessage() for r in caplog.records if r.name == "livereview.connectors.files.delimited"]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        read(path, background=True)
    there = [r.getMessage() for r in caplog.records if r.name == "livereview.connectors.files.delimited"]
    assert here and there == here


@pytest.mark.parametrize("taken", [1, 0], ids=["after-a-record", "before-any"])
def test_closing_early_ends_the_child(tmp_path, taken):
    """Stopped after a record, or before any (an import that gives up waiting for the writer lock)."""
    path = big_csv(tmp_path, 20000)
    _, pairs = read_prepared(path, path.read_bytes(), fmt="auto", source="test", background_min_bytes=0)
    for record, _ in islice(pairs, taken):
        assert record.title == "Homework adherence in cognitive therapy, trial 0"
    assert not no_reader_left()
    pairs.close()
    assert no_reader_left()


def test_a_child_that_dies_is_a_one_line_error(tmp_path):
    path = big_csv(tmp_path, 40000)
    _, pairs = read_prepared(path, path.read_bytes(), fmt="auto", source="test", background_min_bytes=0)
    next(pairs)
    [child] = readers()
    os.kill(child, signal.SIGKILL)
    with pytest.raises(LiveReviewError, match="the process reading the file stopped unexpectedly") as err:
        for _ in pairs:
            pass
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert no_reader_left()


def test_an_input_file_error_survives_the_trip_between_processes():
    import pickle

    err = pickle.loads(pickle.dumps(InputFileError("x.ris", "truncated record", line=7)))
    assert (type(err), str(err), err.path, err.problem, err.line) == (
        InputFileError, "x.ris:7: truncated record", "x.ris", "truncated record", 7)


def store_contents(engine):
    with transaction(engine) as s:
        works = s.execute(select(Work.title, Work.doi, Work.status, Work.merged_into_id.is_(None))).all()
        records = s.execute(select(SourceRecord.source_id, SourceRecord.content_hash,
                                   SourceRecord.classification)).all()
        notices = s.execute(select(Notice.kind, Notice.evidence)).all()
    return tuple(sorted(map(repr, rows)) for rows in (works, records, notices))


@pytest.mark.parametrize("name", ["scopus_export.ris", "embase_export.csv", "endnote_library.xml"])
def test_an_import_read_by_a_child_stores_what_one_read_here_stores(engine, protocol, monkeypatch, tmp_path, name):
    """The same file into two new stores: read here into a SQLite file, read by a child into the back-end under
    test."""
    path = EXPORTS / name
    here_engine = make_engine(f"sqlite:///{tmp_path / 'here.db'}")
    try:
        migrate(here_engine)
        init_store(here_engine, protocol)
        here = import_file(here_engine, protocol, path, source="test")
        contents_here = store_contents(here_engine)
    finally:
        here_engine.dispose()
    init_store(engine, protocol)
    monkeypatch.setattr(reading, "BACKGROUND_MIN_BYTES", 0)
    there = import_file(engine, protocol, path, source="test")
    assert there.counts == here.counts and there.records > 0
    assert store_contents(engine) == contents_here
    assert no_reader_left()


def test_dedupe_of_a_file_read_by_a_child_finds_the_same_groups(tmp_path):
    path = EXPORTS / "embase_export.csv"
    _, here = read(path, background=False)
    _, there = read(path, background=True)
    assert find_duplicates([r for r, _ in there]).groups == find_duplicates([r for r, _ in here]).groups
