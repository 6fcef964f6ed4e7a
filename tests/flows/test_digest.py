"""The ``weekly-digest`` flow under a real (temporary) Prefect server, with a real SMTP server on loopback."""

import socket

import pytest
from aiosmtpd.controller import Controller

from livereview.flows.init_store import init_store
from livereview.records.model import Record
from livereview.settings import load_settings
from livereview.store.db import make_engine, transaction
from livereview.store.ingest import Provenance, ingest_records

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    yield f"smtp://127.0.0.1:{port}", inbox
    controller.stop()


@pytest.fixture
def store(protocol):
    engine = make_engine(load_settings().resolved_database_url)
    init_store(engine, protocol)
    with transaction(engine) as s:
        ingest_records(s, [Record(source="pubmed", source_id="41000001", pmid="41000001", year=2025,
                                  title="Homework adherence in internet-delivered therapy")],
                       Provenance(origin="search", query_name="core"))
    yield engine
    engine.dispose()


def test_the_flow_sends_the_digest_and_a_rerun_the_same_day_sends_nothing(prefect, store, smtp, monkeypatch):
    from livereview.flows.digest import weekly_digest

    url, inbox = smtp
    monkeypatch.setenv("LIVEREVIEW_SMTP_URL", url)
    first = weekly_digest()
    assert (first["digest_id"], first["sent"], first["pending"], first["counts"]["new_candidates"]) == (1, [1], [], 1)
    assert [e.rcpt_tos for e in inbox.messages] == [["ia-review-team@example.org"]]
    assert b"Homework adherence in internet-delivered therapy" in inbox.messages[0].original_content
    again = weekly_digest()
    assert again["digest_id"] is None and again["skipped"].startswith("already covered by digest #1")
    assert len(inbox.messages) == 1


def test_the_flow_leaves_the_digest_in_the_outbox_when_not_sending(prefect, store, tmp_path):
    from livereview.flows.digest import weekly_digest

    result = weekly_digest(send=False, outbox=str(tmp_path / "box"))
    assert result["pending"] == [1] and result["sent"] == []
    assert sorted(p.suffix for p in (tmp_path / "box").iterdir()) == [".eml", ".html"]
