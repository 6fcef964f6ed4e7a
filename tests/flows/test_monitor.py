"""The monitor against a loopback server replaying recorded real responses: queue, rerun, fail, recover."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from replay_server import homework_paper
from sqlalchemy import func, select, text

from livereview.errors import RunLockedError
from livereview.flows.init_store import init_store
from livereview.flows.monitor import execute_monitor, plan_streams
from livereview.store.db import transaction
from livereview.store.models import Run, SourceRecord, SourceRun, Watermark, Work
from livereview.store.runs import acquire_lock, release_lock

TODAY = date.today()


@pytest.fixture
def store(engine, replay_protocol):
    init_store(engine, replay_protocol)
    return engine


def works(engine, **filters):
    with transaction(engine) as s:
        stmt = select(func.count()).select_from(Work).where(Work.origin == "search")
        return s.scalar(stmt)


def counts(engine):
    with transaction(engine) as s:
        return {
            "works": s.scalar(select(func.count()).select_from(Work)),
            "source_records": s.scalar(select(func.count()).select_from(SourceRecord)),
            "queued": s.scalar(select(func.count()).select_from(Work).where(Work.status == "queued")),
        }


def watermarks(engine):
    with transaction(engine) as s:
        return {w.stream: w.last_window_end for w in s.scalars(select(Watermark))}


def test_first_run_backfills_every_source_and_queues_each_paper_once(store, settings, replay, replay_protocol):
    replay.replay.add(*(homework_paper(n, TODAY - timedelta(days=n * 3)) for n in range(1, 6)))
    summary = execute_monitor(settings, replay_protocol, store)
    assert summary["status"] == "succeeded", summary
    c = counts(store)
    assert c["queued"] == 5                      # 5 papers, each seen by 5 sources and 2 queries, queued once
    assert c["works"] == 55                      # + the 50 seed studies
    assert summary["totals"]["new"] == 5
    assert summary["totals"]["already-queued"] > 0
    assert summary["ranking"]["status"] == "trained" and summary["ranking"]["scored"] == 5  # the queue is ranked
    wm = watermarks(store)
    assert wm["pubmed:coaching"] == TODAY and wm["crossref:toc"] == TODAY
    with transaction(store) as s:
        run = s.scalars(select(Run)).one()
        assert run.status == "succeeded" and run.protocol_version_id is not None
        sr = s.scalars(select(SourceRun).where(SourceRun.stream == "pubmed:coaching")).one()
        assert '"1995/01/01"[crdt]' in sr.query_sent and sr.window_start == date(1995, 1, 1)
        assert sr.requests == 2                  # 1 esearch + 1 efetch batch


def test_a_rerun_of_the_same_window_changes_nothing(store, settings, replay, replay_protocol):
    replay.replay.add(*(homework_paper(n, TODAY - timedelta(days=n)) for n in range(1, 4)))
    execute_monitor(settings, replay_protocol, store)
    before = counts(store)
    again = execute_monitor(settings, replay_protocol, store, since=date(1995, 1, 1))
    assert again["status"] == "succeeded"
    assert again["totals"].get("new", 0) == 0
    assert again["totals"]["unchanged"] == again["totals"]["fetched"] - again["totals"].get("filtered_out", 0)
    assert counts(store) == before


def test_next_week_only_the_new_paper_is_queued(store, settings, replay, replay_protocol):
    replay.replay.add(homework_paper(1, TODAY - timedelta(days=20)))
    execute_monitor(settings, replay_protocol, store)
    replay.replay.add(homework_paper(2, TODAY))
    second = execute_monitor(settings, replay_protocol, store)
    assert second["totals"]["new"] == 1
    with transaction(store) as s:
        pubmed = s.scalars(select(SourceRun).where(SourceRun.stream == "pubmed:coaching")
                           .order_by(SourceRun.id)).all()[-1]
        assert pubmed.window_start == TODAY - timedelta(days=7)   # watermark minus the overlap, not the floor


def test_a_failing_source_leaves_a_partial_run_and_the_next_run_recovers_its_window(
        store, settings, replay, replay_protocol):
    replay.replay.add(*(homework_paper(n, TODAY - timedelta(days=n)) for n in range(1, 4)))
    replay.replay.fail("crossref", status=500, times=100)
    replay.replay.html_error("europepmc", times=100)
    first = execute_monitor(settings, replay_protocol, store, alert=False)
    assert first["status"] == "partial"
    assert first["failed_sources"] == ["crossref", "europepmc"]
    wm = watermarks(store)
    assert "crossref:toc" not in wm and "europepmc:coaching" not in wm and wm["pubmed:coaching"] == TODAY
    with transaction(store) as s:
        failed = s.scalars(select(SourceRun).where(SourceRun.source == "europepmc")).all()
        assert all(sr.status == "failed" for sr in failed)
        assert "europepmc" in failed[0].error
    replay.replay.faults["crossref"].clear()
    replay.replay.faults["europepmc"].clear()
    second = execute_monitor(settings, replay_protocol, store, alert=False)
    assert second["status"] == "succeeded"
    with transaction(store) as s:
        sources = set(s.scalars(select(SourceRecord.source).where(SourceRecord.run_id == second["run_id"])))
        assert {"crossref", "europepmc"} <= sources
        cr = s.scalars(select(SourceRun).where(SourceRun.stream == "crossref:toc",
                                               SourceRun.run_id == second["run_id"])).one()
        assert cr.window_start == date(1995, 1, 1)           # the whole missed window, from the floor
    assert counts(store)["queued"] == 3


def test_transient_500s_are_retried_within_the_run(store, settings, replay, replay_protocol):
    replay.replay.add(homework_paper(1, TODAY))
    replay.replay.fail("pubmed", status=500, times=2)
    summary = execute_monitor(settings, replay_protocol, store)
    assert summary["status"] == "succeeded"
    assert counts(store)["queued"] == 1


def test_openalex_without_a_key_is_skipped_with_a_warning_not_a_failure(store, settings, replay, replay_protocol,
                                                                        monkeypatch):
    from livereview.settings import load_settings

    monkeypatch.delenv("LIVEREVIEW_OPENALEX_API_KEY")
    replay.replay.add(homework_paper(1, TODAY))
    summary = execute_monitor(load_settings(), replay_protocol, store)
    assert summary["status"] == "succeeded"
    assert summary["skipped_sources"] == ["openalex"]
    skipped = [o for o in summary["streams"] if o["source"] == "openalex"]
    assert all("key" in o["error"].lower() for o in skipped)


def test_a_second_run_while_one_holds_the_lock_is_refused(store, settings, replay_protocol, monkeypatch):
    import os

    from sqlalchemy import update

    from livereview.store.models import Lock

    acquire_lock(store, "monitor", "other run")
    with transaction(store) as s:
        s.execute(update(Lock).values(pid=os.getppid()))
    with pytest.raises(RunLockedError):
        execute_monitor(settings, replay_protocol, store)
    with transaction(store) as s:
        s.execute(update(Lock).values(pid=os.getpid()))
    release_lock(store, "monitor")


def test_only_the_asked_sources_run_and_unknown_sources_are_refused(store, settings, replay, replay_protocol):
    replay.replay.add(homework_paper(1, TODAY))
    summary = execute_monitor(settings, replay_protocol, store, sources=["pubmed"])
    assert {o["source"] for o in summary["streams"]} == {"pubmed"}
    with pytest.raises(Exception, match="not an enabled source"):
        plan_streams(store, replay_protocol, sources=["scopus"])


def test_the_client_side_filter_drops_off_topic_crossref_hits(store, settings, replay, replay_protocol):
    replay.replay.add(homework_paper(1, TODAY, title="Homework and maths achievement in primary school",
                                     abstract="Pupils did homework.", sources={"crossref"}))
    summary = execute_monitor(settings, replay_protocol, store, sources=["crossref"])
    # 2.0: one table-of-contents stream (1.x ran core and an expansion, each dropping it)
    assert summary["totals"]["filtered_out"] == 1 and summary["totals"].get("new", 0) == 0


def test_api_keys_never_reach_the_store_or_the_logs(store, settings, replay, replay_protocol, caplog):
    import logging

    from sqlalchemy import inspect

    caplog.set_level(logging.DEBUG)
    replay.replay.add(homework_paper(1, TODAY))
    replay.replay.fail("openalex", status=503, times=1)
    execute_monitor(settings, replay_protocol, store)
    secrets = ("test-key", "test-ncbi-key")
    with transaction(store) as s:
        dump = []
        for table in inspect(store).get_table_names():
            dump += [str(row) for row in s.execute(text(f"SELECT * FROM {table}"))]
    blob = "\n".join(dump)
    assert "api_key=***" in blob or "api_key=%2A%2A%2A" in blob     # the URLs sent are recorded, redacted
    for secret in secrets:
        assert secret not in blob
        assert secret not in caplog.text


def test_a_partial_run_alerts_the_maintainer_by_email(store, settings, replay, replay_protocol, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    from livereview.settings import load_settings

    class Inbox(Sink):
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("LIVEREVIEW_SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("LIVEREVIEW_MAINTAINER_EMAIL", "maintainer@lab.example.org")
        replay.replay.add(homework_paper(1, TODAY))
        replay.replay.fail("crossref", status=503, times=100)
        summary = execute_monitor(load_settings(), replay_protocol, store)
    finally:
        controller.stop()
    assert summary["status"] == "partial"
    assert summary["alert"] == "alert sent to maintainer@lab.example.org"
    (mail,) = inbox.messages
    body = mail.content.decode()
    assert mail.rcpt_tos == ["maintainer@lab.example.org"]
    assert "partial" in body and "crossref:toc: failed" in body and "503" in body


def test_without_smtp_the_alert_goes_to_the_log_and_the_outbox(store, settings, replay, replay_protocol, caplog):
    replay.replay.add(homework_paper(1, TODAY))
    replay.replay.fail("europepmc", status=500, times=100)
    summary = execute_monitor(settings, replay_protocol, store)
    assert summary["status"] == "partial"
    assert summary["alert"].startswith("alert written to ")
    assert list(settings.resolved_outbox_dir.glob("alert-*.eml"))
    assert "europepmc" in caplog.text


def test_a_source_failing_two_runs_in_a_row_is_named(store, settings, replay, replay_protocol):
    replay.replay.fail("openalex", status=500, times=1000)
    first = execute_monitor(settings, replay_protocol, store, alert=False)
    second = execute_monitor(settings, replay_protocol, store, alert=False)
    assert first["failing_twice"] == [] and second["failing_twice"] == ["openalex"]


def test_an_unreachable_source_is_not_retried_for_each_of_its_streams(store, settings, replay, replay_protocol,
                                                                       monkeypatch):
    import socket

    from livereview.settings import load_settings

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    monkeypatch.setenv("LIVEREVIEW_EUROPEPMC_BASE_URL", f"http://127.0.0.1:{dead}/")
    replay.replay.add(homework_paper(1, TODAY))
    summary = execute_monitor(load_settings(), replay_protocol, store, alert=False)
    epmc = {o["stream"]: o for o in summary["streams"] if o["source"] == "europepmc"}
    assert "connection failed: 127.0.0.1 refused the connection" in epmc["europepmc:coaching"]["error"]
    assert epmc["europepmc:therapy-counselling"]["error"].startswith(
        "not tried: europepmc was unreachable earlier in this run")
    assert summary["status"] == "partial" and summary["failed_sources"] == ["europepmc"]


def test_feed_items_without_title_or_identifier_are_dropped_and_counted_in_the_run_summary(
        store, settings, replay, replay_protocol):
    replay.replay.add(homework_paper(1, TODAY - timedelta(days=1)))
    replay.replay.feed_link_only_items = 3
    untitled = select(func.count()).select_from(Work).where(Work.title.is_(None))
    with transaction(store) as s:
        untitled_before = s.scalar(untitled)
    summary = execute_monitor(settings, replay_protocol, store, sources=["feeds"])
    assert summary["status"] == "succeeded", summary
    feed_streams = [o for o in summary["streams"] if o["source"] == "feeds"]
    assert sum(o["counts"].get("dropped", 0) for o in feed_streams) == 3 * len(feed_streams)
    assert summary["totals"]["dropped"] == 3 * len(feed_streams)
    assert any("skipped 3 entries with neither a title nor an identifier" in w
               for o in feed_streams for w in o["warnings"])
    with transaction(store) as s:
        assert s.scalar(untitled) == untitled_before
        recorded = s.scalars(select(SourceRun).where(SourceRun.source == "feeds")).all()
        assert all(sr.counts.get("dropped") == 3 for sr in recorded)
