import logging

from livereview.digests.alerts import alert_recipients, send_alert
from livereview.errors import LiveReviewError

WRONG = "Hunter2-Wrong-Pa55"


def test_an_alert_is_mailed_to_the_maintainer(make_settings, smtp_server):
    server = smtp_server("smtp+tls", auth=True)
    settings = make_settings(smtp_url=server.url, maintainer_email="ops@lab.example.org")
    result = send_alert(settings, "monitor run failed", "crossref: HTTP 503 after 5 retries")
    assert result == "alert sent to ops@lab.example.org"
    [got] = server.messages
    assert (got.rcpt_tos, got.tls) == (["ops@lab.example.org"], True)
    assert got.message["Subject"] == "[livereview] monitor run failed"
    assert got.message["Auto-Submitted"] == "auto-generated"
    assert got.message.get_content().rstrip() == "crossref: HTTP 503 after 5 retries"


def test_without_a_maintainer_the_first_digest_recipient_is_alerted(make_settings, tmp_path):
    assert alert_recipients(make_settings(digest_to="ann@x.org, bob@x.org")) == ["ann@x.org"]
    assert alert_recipients(make_settings()) == ["ia-review-team@example.org"]   # the bundled protocol's list
    assert alert_recipients(make_settings(protocol=tmp_path / "missing.toml")) == []


def test_without_smtp_the_alert_is_logged_and_written_to_the_outbox(make_settings, caplog, tmp_path):
    with caplog.at_level(logging.WARNING, logger="livereview.digests.alerts"):
        result = send_alert(make_settings(), "[livereview] monitor run failed", "pubmed: HTTP 500")
    [path] = (tmp_path / "outbox").glob("alert-*.eml")
    assert result == f"alert written to {path} (SMTP not configured (set LIVEREVIEW_SMTP_URL))"
    assert "[livereview] monitor run failed (not e-mailed: SMTP not configured" in caplog.text
    assert "pubmed: HTTP 500" in caplog.text
    assert b"Subject: [livereview] monitor run failed" in path.read_bytes()


def test_a_failing_server_never_raises_and_never_shows_the_password(make_settings, smtp_server, caplog, tmp_path):
    server = smtp_server("smtp", auth=True)
    settings = make_settings(smtp_url=f"smtp://digest-bot:{WRONG}@127.0.0.1:{server.port}",
                             maintainer_email="ops@x.org")
    with caplog.at_level(logging.DEBUG):
        result = send_alert(settings, "run failed", "details")
    assert result.startswith(f"alert written to {tmp_path / 'outbox'}/alert-")
    assert f"delivery failed: smtp://digest-bot@127.0.0.1:{server.port}: SMTPAuthenticationError 535" in result
    assert WRONG not in result and WRONG not in caplog.text
    assert all(WRONG.encode() not in p.read_bytes() for p in (tmp_path / "outbox").iterdir())


def test_a_malformed_smtp_url_or_an_unwritable_outbox_still_does_not_raise(make_settings, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    settings = make_settings(smtp_url="smtps://u:topsecret@h", outbox_dir=blocker / "outbox")
    try:
        result = send_alert(settings, "run failed", "details")
    except LiveReviewError as exc:  # pragma: no cover - the assertion below says what went wrong
        raise AssertionError(f"send_alert raised {exc!r}") from exc
    assert result.startswith("alert logged only (LIVEREVIEW_SMTP_URL: unknown scheme smtps://")
    assert "topsecret" not in result


def test_a_caller_holding_the_protocol_passes_its_recipients_and_no_file_is_read(make_settings, tmp_path):
    settings = make_settings(protocol=tmp_path / "missing.toml")
    assert alert_recipients(settings, ["lead@review.org", "b@review.org"]) == ["lead@review.org"]
    assert alert_recipients(settings, []) == []
