"""Every known secret is scrubbed from every error text: errors, log records (tracebacks too), URLs."""

from __future__ import annotations

import logging

import pytest

from livereview.errors import SourceHTTPError
from livereview.secrets import forget_all, remember, scrub
from livereview.settings import load_settings


@pytest.fixture(autouse=True)
def _clean():
    forget_all()
    yield
    forget_all()


def test_settings_secrets_and_url_passwords_are_remembered_and_scrubbed(monkeypatch):
    monkeypatch.setenv("LIVEREVIEW_OPENALEX_API_KEY", "oa-key-123456")
    monkeypatch.setenv("LIVEREVIEW_DATABASE_URL", "postgresql+psycopg://team:p%40ss-w0rd@db.example.org:5432/lr")
    monkeypatch.setenv("LIVEREVIEW_SMTP_URL", "smtp+tls://bot:app%20password@smtp.example.org:587")
    load_settings()
    text = ("body echoed oa-key-123456; driver said password p@ss-w0rd failed for p%40ss-w0rd; "
            "smtp login 'app password' refused")
    clean = scrub(text)
    for secret in ("oa-key-123456", "p@ss-w0rd", "p%40ss-w0rd", "app password"):
        assert secret not in clean
    assert clean.count("***") == 4


def test_any_url_password_and_secret_query_parameter_is_masked_even_when_unknown():
    assert scrub("postgresql://u:hunter22@h/db") == "postgresql://u:***@h/db"
    assert scrub("GET https://x.org/w?api_key=zzz&q=1") == "GET https://x.org/w?api_key=***&q=1"
    assert scrub("nothing secret here") == "nothing secret here"


def test_short_values_are_not_treated_as_secrets():
    remember(["ab", "abc"])
    assert scrub("abc ab abcd") == "abc ab abcd"


def test_an_error_carrying_a_secret_is_scrubbed_in_its_message_and_its_repr():
    remember(["sk-live-999888"])
    err = SourceHTTPError("openalex", "request refused: invalid key sk-live-999888",
                          url="https://api.openalex.org/works?api_key=sk-live-999888", status=403)
    assert "sk-live-999888" not in str(err) and "sk-live-999888" not in repr(err)
    assert "sk-live-999888" not in err.problem and "sk-live-999888" not in (err.url or "")


def test_every_log_record_is_scrubbed_including_its_traceback(caplog):
    remember(["tok-5551234"])
    caplog.set_level(logging.INFO)
    try:
        raise ValueError("the server said: tok-5551234 is wrong")
    except ValueError:
        logging.getLogger("livereview.test").exception("task failed with %s", "tok-5551234")
    record = caplog.records[-1]
    assert "tok-5551234" not in record.getMessage()
    assert "tok-5551234" not in logging.Formatter().format(record)
    assert "ValueError" in logging.Formatter().format(record)
