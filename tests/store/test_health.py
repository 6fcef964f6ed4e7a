"""One source-health reading for `livereview status`, the digest and the dashboard: they can no longer disagree."""

import os
import subprocess
import sys
from datetime import timedelta

from livereview.store.clock import utcnow
from livereview.store.db import make_engine, migrate, reading, transaction
from livereview.store.health import consecutive_failures, source_health
from livereview.store.runs import finish_run, start_run, start_source_run


def _run(s, streams):
    """One monitor run: ``streams`` is [(source, query, status, fetched, error)]."""
    run = start_run(s, "monitor", None, {})
    for source, query, status, fetched, error in streams:
        sr = start_source_run(s, run.id, source, query, f"{source}:{query}", None, None, "q")
        sr.status, sr.error, sr.counts = status, error, ({"fetched": fetched} if fetched is not None else {})
        sr.finished_at = utcnow() if status != "running" else None
    finish_run(s, run.id, "partial", {})
    return run


def test_a_run_where_one_query_of_a_source_failed_counts_as_a_failed_run_for_that_source(engine):
    # the old status command compared only the latest stream: the expansion query succeeding after the
    # core query failed read as healthy there, failing in the digest
    with transaction(engine) as s:
        _run(s, [("pubmed", "core", "succeeded", 5, None), ("crossref", "core", "succeeded", 3, None)])
        _run(s, [("pubmed", "core", "failed", None, "pubmed: HTTP 503"), ("pubmed", "table1", "succeeded", 2, None),
                 ("crossref", "core", "succeeded", 4, None)])
    with reading(engine) as s:
        health = {h.source: h for h in source_health(s, ["pubmed", "crossref", "openalex"])}
        assert consecutive_failures(s, "pubmed") == 1
    assert (health["pubmed"].state, health["pubmed"].failures, health["pubmed"].last_error) == (
        "failing", 1, "pubmed: HTTP 503")
    assert health["pubmed"].records == 2          # fetched in its latest run
    assert (health["crossref"].state, health["crossref"].records, health["crossref"].last_error) == ("ok", 4, None)
    assert health["openalex"].state == "never run" and health["openalex"].last_success is None


def test_a_success_ends_the_failure_streak_and_the_last_error_stays_visible(engine):
    with transaction(engine) as s:
        for status in ("failed", "failed", "succeeded"):
            _run(s, [("crossref", "core", status, 1 if status == "succeeded" else None,
                      "crossref: timeout" if status == "failed" else None)])
    with reading(engine) as s:
        (h,) = source_health(s, ["crossref"])
    assert (h.state, h.failures, h.last_error) == ("ok", 0, "crossref: timeout")
    assert h.last_error_at is not None and h.last_success is not None


def test_records_over_a_period_sum_every_run_in_it(engine):
    start = utcnow() - timedelta(seconds=1)
    with transaction(engine) as s:
        for _ in range(3):
            _run(s, [("pubmed", "core", "succeeded", 7, None)])
    with reading(engine) as s:
        (period,) = source_health(s, ["pubmed"], since=start, until=utcnow() + timedelta(seconds=1))
        (latest,) = source_health(s, ["pubmed"])
    assert (period.records, latest.records) == (21, 7)


def test_the_status_command_and_the_digest_say_the_same_thing(tmp_path):
    from livereview.digests.content import Period
    from livereview.digests.content import source_health as digest_health

    data = tmp_path / "data"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'livereview.db'}")
    migrate(engine)
    with transaction(engine) as s:
        _run(s, [("pubmed", "core", "succeeded", 5, None), ("crossref", "core", "failed", None, "crossref: HTTP 503")])
        _run(s, [("pubmed", "core", "succeeded", 6, None), ("crossref", "core", "failed", None, "crossref: HTTP 503")])
    with reading(engine) as s:
        digest = {h.source: h for h in digest_health(s, Period(utcnow() - timedelta(days=7), utcnow()),
                                                     ["pubmed", "crossref"])}
    engine.dispose()
    res = subprocess.run([sys.executable, "-m", "livereview.cli", "status"], capture_output=True, text=True,
            timeout=120,
                         env={**os.environ, "LIVEREVIEW_DATA_DIR": str(data)})
    assert res.returncode == 0, res.stderr
    crossref = next(line for line in res.stdout.splitlines() if line.strip().startswith("crossref"))
    pubmed = next(line for line in res.stdout.splitlines() if line.strip().startswith("pubmed"))
    assert digest["crossref"].state == "failing" and digest["crossref"].failures == 2
    assert "failing" in crossref and "FAILING 2 runs in a row: crossref: HTTP 503" in crossref
    assert digest["pubmed"].state == "ok" and " ok " in pubmed and "records 6" in pubmed
