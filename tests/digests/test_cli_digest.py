"""``livereview digest`` as the lead registers it: the command function in a Typer app of its own."""

import pytest
import typer
from typer.testing import CliRunner

from livereview.cli.digest import digest
from livereview.errors import ConfigError, StoreError
from livereview.flows.init_store import init_store
from livereview.settings import load_settings
from livereview.store.db import make_engine

app = typer.Typer()
app.command("digest")(digest)


@app.callback()
def _group() -> None:
    """A group, so the command is called by its name as in `livereview digest`."""


@pytest.fixture
def initialised(protocol, make_record, ingest_into):
    engine = make_engine(load_settings().resolved_database_url)
    init_store(engine, protocol)
    ingest_into(engine, [make_record(1)])
    yield engine
    engine.dispose()


def invoke(*args, env=None):
    return CliRunner().invoke(app, ["digest", *args], env=env, catch_exceptions=True)


def test_help_lists_the_options():
    res = invoke("--help")
    assert res.exit_code == 0
    for opt in ("--send", "--outbox", "--since", "--force", "--protocol"):
        assert opt in res.output


def test_without_send_the_digest_is_written_to_the_outbox(initialised, tmp_path):
    res = invoke("--outbox", str(tmp_path / "box"))
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("digest #1 (") and lines[0].endswith("1 new candidate, 0 notices")
    eml = next((tmp_path / "box").glob("1-*.eml"))
    assert lines[1] == f"digest #1 written to outbox {eml} — pending; deliver with `livereview digest --send`"


def test_send_delivers_the_pending_digest_and_says_where_it_went(initialised, smtp_server, tls_files, tmp_path,
                                                                 protocol):
    assert invoke().exit_code == 0
    server = smtp_server("smtp+tls", auth=True)
    env = {"LIVEREVIEW_SMTP_URL": server.url, "LIVEREVIEW_SMTP_CA_FILE": str(tls_files.ca),
           "LIVEREVIEW_DIGEST_TO": "ann@lab.example.org,bob@lab.example.org"}
    res = invoke("--send", env=env)
    assert res.exit_code == 0, res.output
    skipped, sent = res.output.splitlines()
    assert skipped.startswith("no new digest: already covered by digest #1 (") and skipped.endswith(
        ", sent); use --force to make another, or --since to choose the start")
    # the pending digest goes to the recipients it was rendered for (the protocol's), not the new list
    assert sent == f"digest #1 sent to 1 recipient via smtp+tls://digest-bot@127.0.0.1:{server.port}"
    assert "p%40ss" not in res.output
    assert [m.rcpt_tos for m in server.messages] == [list(protocol.digest.recipients)]
    forced = invoke("--send", "--force", env=env)
    assert "[forced]" in forced.output and len(server.messages) == 2
    assert server.messages[1].rcpt_tos == ["ann@lab.example.org", "bob@lab.example.org"]


def test_errors_are_livereview_errors(initialised, tmp_path):
    bad = invoke("--send", env={"LIVEREVIEW_SMTP_URL": "smtp://u:Zq9secret@host:notaport"})
    assert isinstance(bad.exception, ConfigError) and "Zq9secret" not in str(bad.exception) + bad.output
    assert isinstance(invoke("--since", "yesterday").exception, ConfigError)


def test_an_uninitialised_store_is_refused(tmp_path):
    res = invoke(env={"LIVEREVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert isinstance(res.exception, StoreError) and "run `livereview init`" in str(res.exception)


def test_send_to_a_server_that_is_down_exits_7_and_keeps_the_digest_pending(initialised, tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = invoke("--send", "--outbox", str(tmp_path / "box"), env={"LIVEREVIEW_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    assert res.exit_code == 7, res.output
    assert "not sent: smtp://127.0.0.1" in res.output and "Connection refused" in res.output
    assert list((tmp_path / "box").glob("1-*.eml"))
