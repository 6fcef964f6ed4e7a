import logging
import smtplib
import socket
import ssl
import threading
from email.message import EmailMessage

import pytest

from livereview.digests import smtp
from livereview.digests.smtp import failure_reason, parse_smtp_url, send, ssl_context
from livereview.errors import ConfigError

PASSWORD = "s3cr3t p@ss:w/rd"


def message(to="team@example.org"):
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "hello", "livereview@example.org", to
    msg.set_content("body\n")
    return msg


@pytest.mark.parametrize("url, scheme, host, port", [
    ("smtp://mail.example.org", "smtp", "mail.example.org", 25),
    ("smtp+tls://mail.example.org", "smtp+tls", "mail.example.org", 587),
    ("smtp+ssl://mail.example.org", "smtp+ssl", "mail.example.org", 465),
    ("SMTP+TLS://mail.example.org:2525", "smtp+tls", "mail.example.org", 2525),
    ("smtp://[::1]:1025", "smtp", "::1", 1025),
])
def test_the_scheme_chooses_the_security_and_the_default_port(url, scheme, host, port):
    t = parse_smtp_url(url)
    assert (t.scheme, t.host, t.port, t.username, t.password) == (scheme, host, port, None, None)


def test_user_and_password_are_percent_decoded():
    t = parse_smtp_url("smtp+tls://digest%40lab:s3cr3t%20p%40ss%3Aw%2Frd@mail.example.org:587")
    assert t.username == "digest@lab"
    assert t.password.get_secret_value() == PASSWORD
    assert t.security == "starttls"


def test_the_target_never_shows_the_password():
    t = parse_smtp_url("smtp+ssl://bot:hunter2hunter2@mail.example.org")
    for shown in (str(t), repr(t), t.describe()):
        assert "hunter2" not in shown
    assert t.describe() == "smtp+ssl://bot@mail.example.org:465"


@pytest.mark.parametrize("url, problem", [
    ("smtps://bot:hunter2secret@mail.example.org", "unknown scheme smtps://"),
    ("http://bot:hunter2secret@mail.example.org", "unknown scheme http://"),
    ("smtp://bot:hunter2/secret@mail.example.org:25", "not a valid URL"),   # unencoded '/' cuts the password
    ("smtp://bot:hunter2secret@:25", "no host name"),
    ("smtp://bot:hunter2secret@mail.example.org:99999", "not a valid URL"),
    ("smtp://bot:hunter2secret@mail.example.org/x?y", "unexpected path"),
    ("mail.example.org", "unknown scheme (none)"),
])
def test_a_malformed_url_is_a_config_error_that_never_repeats_the_password(url, problem):
    with pytest.raises(ConfigError) as err:
        parse_smtp_url(url)
    assert problem in str(err.value)
    assert str(err.value).startswith("LIVEREVIEW_SMTP_URL: ")
    assert "hunter2" not in str(err.value)
    # no chained ValueError (whose message could quote part of the password) rides along in a traceback
    assert err.value.__cause__ is None and (err.value.__context__ is None or err.value.__suppress_context__)


def test_plain_smtp_with_auth_delivers_the_message_authenticated(smtp_server, make_settings):
    server = smtp_server("smtp", auth=True)
    target = parse_smtp_url(server.url)
    refused = send(target, message(), sender="livereview@example.org", recipients=["team@example.org"])
    assert refused == {}
    [got] = server.messages
    assert (got.mail_from, got.rcpt_tos, got.authenticated, got.login, got.tls) == (
        "livereview@example.org", ["team@example.org"], True, b"digest-bot", False)
    assert got.message["Subject"] == "hello"


def test_starttls_verifies_the_server_against_the_configured_ca(smtp_server, make_settings):
    server = smtp_server("smtp+tls", auth=True)
    settings = make_settings(smtp_url=server.url)
    send(parse_smtp_url(server.url), message(), sender="a@example.org", recipients=["team@example.org"],
         context=ssl_context(settings))
    [got] = server.messages
    assert got.tls is True and got.authenticated is True


def test_implicit_tls_delivers(smtp_server, make_settings):
    server = smtp_server("smtp+ssl")
    send(parse_smtp_url(server.url), message(), sender="a@example.org", recipients=["x@example.org"],
         context=ssl_context(make_settings()))
    assert [m.tls for m in server.messages] == [True]


def test_an_untrusted_certificate_fails_and_never_falls_back_to_plain_text(smtp_server):
    server = smtp_server("smtp+tls", auth=True)
    target = parse_smtp_url(server.url)
    with pytest.raises(ssl.SSLCertVerificationError) as err:
        send(target, message(), sender="a@example.org", recipients=["x@example.org"],
             context=ssl.create_default_context())
    assert server.messages == []
    reason = failure_reason(err.value, target)
    assert reason.startswith(f"smtp+tls://digest-bot@127.0.0.1:{server.port}: TLS failed: CERTIFICATE_VERIFY_FAILED")
    assert "p@ss" not in reason


def test_a_wrong_password_fails_without_the_password_in_the_reason_or_the_logs(smtp_server, caplog):
    server = smtp_server("smtp", auth=True)
    wrong = "Wr0ngPassw0rd!"
    target = parse_smtp_url(f"smtp://digest-bot:{wrong}@127.0.0.1:{server.port}")
    with caplog.at_level(logging.DEBUG), pytest.raises(smtplib.SMTPAuthenticationError) as err:
        send(target, message(), sender="a@example.org", recipients=["x@example.org"])
    reason = failure_reason(err.value, target)
    assert reason.startswith(f"smtp://digest-bot@127.0.0.1:{server.port}: SMTPAuthenticationError 535")
    assert wrong not in reason and wrong not in caplog.text
    assert server.messages == []


def test_scrub_removes_the_password_in_plain_and_percent_encoded_form():
    target = parse_smtp_url("smtp://bot:s3cr3t%20p%40ss@mail.example.org")
    assert smtp.scrub("said s3cr3t p@ss and s3cr3t%20p%40ss", target) == "said *** and ***"


def test_a_server_that_never_answers_times_out(monkeypatch):
    monkeypatch.setattr(smtp, "SMTP_TIMEOUT", 0.3)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    t.start()
    target = parse_smtp_url(f"smtp://127.0.0.1:{listener.getsockname()[1]}")
    try:
        # smtplib turns the read timeout into "connection unexpectedly closed: timed out"
        with pytest.raises(smtplib.SMTPServerDisconnected) as err:
            send(target, message(), sender="a@example.org", recipients=["x@example.org"])
        port = listener.getsockname()[1]
        assert failure_reason(err.value, target) == (
            f"smtp://127.0.0.1:{port}: SMTPServerDisconnected: Connection unexpectedly closed: timed out")
    finally:
        t.join(2)
        for conn, _ in accepted:
            conn.close()
        listener.close()


def test_a_server_that_is_down_is_a_connection_refused_reason(closed_port):
    target = parse_smtp_url(f"smtp://127.0.0.1:{closed_port}")
    with pytest.raises(ConnectionRefusedError) as err:
        send(target, message(), sender="a@example.org", recipients=["x@example.org"])
    assert failure_reason(err.value, target) == f"smtp://127.0.0.1:{closed_port}: Connection refused"


def test_a_missing_ca_file_is_a_config_error(make_settings, monkeypatch, tmp_path):
    monkeypatch.setenv("LIVEREVIEW_SMTP_CA_FILE", str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigError, match="LIVEREVIEW_SMTP_CA_FILE: cannot load CA file"):
        ssl_context(make_settings())
