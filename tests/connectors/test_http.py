import logging

import responses

from livereview.connectors.http import RateLimiter, SourceClient, parse_retry_after, redact_text, redact_url
from livereview.errors import SourceHTTPError, SourceQueryError


def test_secret_parameters_are_redacted_in_urls_and_log_text():
    assert redact_url("https://x.org/w?api_key=abc&q=1&email=a%40b.org") == "https://x.org/w?api_key=***&q=1&email=***"
    assert redact_text('GET /works?api_key=abc&mailto=me@x.org HTTP/1.1" 200') == (
        'GET /works?api_key=***&mailto=*** HTTP/1.1" 200')


def test_retry_after_takes_seconds_or_an_http_date():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("soon") is None


def test_the_rate_limiter_spaces_requests():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    assert slept == [0.25, 0.25]


@responses.activate
def test_urllib3_debug_lines_carry_no_key(caplog):
    caplog.set_level(logging.DEBUG)
    responses.get("https://api.example.org/works", body="{}")
    client = SourceClient("x", "https://api.example.org/", user_agent="t", default_params={"api_key": "s3cret"},
                          per_second=1000)
    client.get("works")
    logging.getLogger("urllib3.connectionpool").debug('"GET /works?api_key=%s HTTP/1.1" 200', "s3cret")
    assert "s3cret" not in caplog.text and "api_key=***" in caplog.text
    assert client.stats.urls == ["https://api.example.org/works?api_key=***"]


@responses.activate
def test_a_stack_trace_body_becomes_one_short_line():
    body = ("java.lang.IllegalArgumentException: bad cursor\n\tat org.crossref.Api.handle(Api.java:12)\n"
            "\tat clojure.core$apply.invoke(core.clj:1)")
    responses.get("https://api.example.org/works", body=body, status=500)
    client = SourceClient("crossref", "https://api.example.org/", user_agent="t", retries=1, per_second=1000,
                          sleep=lambda s: None)
    try:
        client.get("works")
    except SourceHTTPError as exc:
        assert "bad cursor" in str(exc) and "Api.java" not in str(exc) and "\n" not in str(exc)
        assert exc.status == 500
    else:
        raise AssertionError("no error")


@responses.activate
def test_a_400_is_a_query_error_not_retried():
    responses.get("https://api.example.org/works", json={"message": [{"message": "bad filter"}]}, status=400)
    client = SourceClient("crossref", "https://api.example.org/", user_agent="t", retries=3, per_second=1000,
                          sleep=lambda s: None)
    try:
        client.get("works")
    except SourceQueryError as exc:
        assert "bad filter" in str(exc) and client.stats.attempts == 1
    else:
        raise AssertionError("no error")


@responses.activate
def test_a_json_error_body_that_is_a_list_gives_its_first_message():
    responses.get("https://api.example.org/works", json=[{"message": "cursor expired", "code": 7}], status=400)
    responses.get("https://api.example.org/empty", json=[], status=400)
    client = SourceClient("x", "https://api.example.org/", user_agent="t", retries=0, per_second=1000)
    try:
        client.get("works")
    except SourceQueryError as exc:
        assert "request refused: cursor expired" in str(exc)
    else:
        raise AssertionError("no error")
    try:
        client.get("empty")
    except SourceQueryError as exc:
        assert str(exc).startswith("x: request refused") and exc.status == 400
    else:
        raise AssertionError("no error")


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_connection_fails_after_one_attempt_without_waiting():
    slept = []
    client = SourceClient("x", f"http://127.0.0.1:{_closed_port()}/", user_agent="t", retries=5, per_second=1000,
                          sleep=slept.append)
    try:
        client.get("works")
    except SourceHTTPError as exc:
        assert "127.0.0.1 refused the connection (not retried)" in str(exc) and exc.status is None
    else:
        raise AssertionError("no error")
    assert client.stats.attempts == 1 and slept == []


def test_a_host_that_does_not_resolve_fails_after_one_attempt():
    slept = []
    client = SourceClient("x", "http://no-such-host.invalid/", user_agent="t", retries=5, per_second=1000,
                          sleep=slept.append)
    try:
        client.get("works")
    except SourceHTTPError as exc:
        assert "cannot resolve host no-such-host.invalid" in str(exc) and exc.status is None
    else:
        raise AssertionError("no error")
    assert client.stats.attempts == 1 and slept == []


@responses.activate
def test_a_dropped_connection_is_still_retried():
    import requests

    responses.get("https://api.example.org/works", body=requests.ConnectionError("Connection reset by peer"))
    responses.get("https://api.example.org/works", body="{}")
    client = SourceClient("x", "https://api.example.org/", user_agent="t", retries=2, per_second=1000,
                          sleep=lambda s: None)
    assert client.get("works").status_code == 200 and client.stats.attempts == 2
