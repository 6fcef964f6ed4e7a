"""The one HTTP client every connector uses: identification, rate limit, timeouts, retries, counting.

Why one client: a source's rate limit and retry budget must be owned in one place, never by ad-hoc
``sleep`` calls in connector loops. Retries use tenacity (exponential backoff with jitter, capped,
honouring ``Retry-After``) around each attempt, so every attempt is a real, countable request that
``responses`` can replay in tests. Secrets passed as query parameters are redacted from every URL
this module puts in an error or a log line.
"""

from __future__ import annotations

import email.utils
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from livereview.errors import SourceHTTPError, SourceQueryError
from livereview.secrets import scrub
from livereview.settings import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "mailto", "email"})


class _Retryable(Exception):
    """Internal: an attempt that may succeed if repeated (429, 5xx, a dropped connection, timeout)."""

    def __init__(self, reason: str, *, response: requests.Response | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.response = response


def redact_url(url: str) -> str:
    """The URL with secret query parameters (keys, e-mail) replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    q = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(q, safe="*:,[]")))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - current).total_seconds())


_SECRET_IN_TEXT = re.compile(r"(?i)\b(" + "|".join(SECRET_PARAMS) + r")=([^&\s\"']+)")


def redact_text(text: str) -> str:
    """Secret query parameters and every known secret replaced by ``***`` wherever they appear in free text."""
    return scrub(_SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}=***", text))


class RedactingFilter(logging.Filter):
    """Rewrites log records so no key or e-mail sent as a query parameter reaches a log (urllib3 logs URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = redact_text(record.getMessage())
            record.args = None
        elif isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        return True


def install_log_redaction() -> None:
    """Idempotently attach :class:`RedactingFilter` to the loggers that print request URLs."""
    for name in ("urllib3.connectionpool", "requests", __name__):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class RateLimiter:
    """At most one request every ``interval`` seconds (thread-safe); the interval can tighten at run time."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def set_rate(self, per_second: float) -> None:
        if per_second > 0:
            self.interval = 1.0 / per_second

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            delay = self._next - now
            if delay > 0:
                self._sleep(delay)
                now = self._clock()
            self._next = now + self.interval


@dataclass
class ClientStats:
    """What the client did: logical requests, attempts (incl. retries), and bytes received."""

    requests: int = 0
    attempts: int = 0
    retries: int = 0
    bytes: int = 0
    urls: list[str] = field(default_factory=list)

    def snapshot(self) -> ClientStats:
        """A copy of the counters, to measure one search with :meth:`since` (a client may serve several)."""
        return ClientStats(self.requests, self.attempts, self.retries, self.bytes, list(self.urls))

    def since(self, before: ClientStats) -> ClientStats:
        """What the client did since ``before``."""
        return ClientStats(self.requests - before.requests, self.attempts - before.attempts,
                           self.retries - before.retries, self.bytes - before.bytes, self.urls[len(before.urls):])


class SourceClient:
    """HTTP for one source: ``get``/``post`` relative to ``base_url``, returning a successful response or raising.

    * identification: ``User-Agent`` always; ``default_params`` (``tool``, ``email``, ``mailto``, ``api_key``) on
      every request;
    * timeouts on every request; retries on 429 / 5xx / connection errors / timeouts with exponential backoff
      and jitter, honouring ``Retry-After`` (capped at ``backoff_max``);
    * a request-rate ceiling; ``adapt_rate_from`` lets a connector tighten it from response headers;
    * ``stats`` counts requests and attempts (what the benchmarks report).
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        user_agent: str,
        default_params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        per_second: float = 3.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.default_params = dict(default_params or {})
        self.timeout = timeout
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.headers.update(dict(headers or {}))
        self._sleep = sleep
        self.limiter = RateLimiter(per_second, sleep=sleep)
        self.stats = ClientStats()
        install_log_redaction()

    # -- public -----------------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def get(self, path: str, params: Mapping[str, Any] | None = None, **kw: Any) -> requests.Response:
        return self.request("GET", path, params=params, **kw)

    def post(self, path: str, data: Mapping[str, Any] | None = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, data=data, **kw)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok_statuses: frozenset[int] = frozenset({200}),
    ) -> requests.Response:
        """One logical request. Returns a response whose status is in ``ok_statuses`` (default: 200 only)."""
        url = self.url(path)
        merged: dict[str, Any] = {**self.default_params, **(params or {})} if method == "GET" else dict(params or {})
        body: dict[str, Any] | None = None
        if method == "POST":
            body = {**self.default_params, **(data or {})}
        self.stats.requests += 1

        def attempt() -> requests.Response:
            self.limiter.wait()
            self.stats.attempts += 1
            try:
                resp = self.session.request(method, url, params=merged or None, data=body, headers=headers,
                                            timeout=self.timeout)
            except requests.Timeout as exc:
                raise _Retryable(f"timed out after {self.timeout:g} s") from exc
            except requests.ConnectionError as exc:
                reason, permanent = _connection_reason(exc, url)
                if permanent:  # DNS said no, or nobody listens: known after one try, retrying only waits
                    raise SourceHTTPError(self.source, f"connection failed: {reason} (not retried)",
                                          url=redact_url(_full_url(url, merged))) from exc
                raise _Retryable(f"connection failed: {reason}") from exc
            self.stats.bytes += len(resp.content)
            if resp.status_code in RETRY_STATUSES and resp.status_code not in ok_statuses:
                raise _Retryable(f"HTTP {resp.status_code}", response=resp)
            return resp

        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            sleep=self._sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        try:
            resp = retrying(attempt)
        except _Retryable as exc:
            status = exc.response.status_code if exc.response is not None else None
            detail = _body_hint(exc.response) if exc.response is not None else ""
            raise SourceHTTPError(self.source, f"gave up after {self.retries + 1} attempts: {exc.reason}{detail}",
                                  url=redact_url(_full_url(url, merged)), status=status) from exc
        self.stats.urls.append(redact_url(resp.url or url))
        if resp.status_code not in ok_statuses:
            kind = SourceQueryError if resp.status_code in (400, 404, 414, 422) else SourceHTTPError
            raise kind(self.source, f"request refused{_body_hint(resp)}", url=redact_url(resp.url or url),
                       status=resp.status_code)
        return resp

    # -- retry policy -------------------------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.response is not None:
            after = parse_retry_after(exc.response.headers.get("Retry-After"))
            if after is not None:
                return min(after, self.backoff_max)
        return wait_random_exponential(multiplier=self.backoff_base, max=self.backoff_max)(state)

    def _log_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.warning("%s: %s, retrying (attempt %d of %d)", self.source, getattr(exc, "reason", exc),
                    state.attempt_number + 1, self.retries + 1)


def _full_url(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    return f"{url}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (requests wraps urllib3's MaxRetryError, which wraps the socket error)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop(0)
        if any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [x for x in (*getattr(e, "args", ()), getattr(e, "reason", None), e.__cause__, e.__context__)
                 if isinstance(x, BaseException)]
    return seen


def _connection_reason(exc: Exception, url: str) -> tuple[str, bool]:
    """What went wrong reaching the host, in a few words, and whether retrying is pointless.

    A name that does not resolve or a port nobody listens on is known after one try (offline, a typo in a
    base URL, a server that is down); a dropped or reset connection may work a moment later.
    """
    host = urlsplit(url).hostname or url
    causes = _causes(exc)
    if any(isinstance(e, socket.gaierror) for e in causes):
        return f"cannot resolve host {host} (DNS; offline?)", True
    if any(isinstance(e, ConnectionRefusedError) for e in causes):
        return f"{host} refused the connection", True
    if any(isinstance(e, requests.exceptions.SSLError | ssl.SSLError) for e in causes):
        return f"TLS error talking to {host}: {_short(exc)}", False
    return _short(exc), False


def _short(exc: Exception, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text[:limit] + ("…" if len(text) > limit else "")


_STACK_FRAME = re.compile(r"\s+at [\w.$]+\(|\nTraceback \(most recent call last\)")


def _body_hint(resp: requests.Response | None, limit: int = 160) -> str:
    """A short, single-line excerpt of an error body: JSON ``message``, else text without markup."""
    if resp is None:
        return ""
    try:
        payload = resp.json()
    except ValueError:
        text = re.sub(r"<[^>]*>", " ", resp.text[:2000])
    else:
        text = _json_message(payload)
    text = _STACK_FRAME.split(text, maxsplit=1)[0]  # a Java/Python stack trace: keep the exception line
    text = " ".join(text.split())
    if not text:
        return ""
    return ": " + (text[:limit] + ("…" if len(text) > limit else ""))


def _json_message(payload: Any) -> str:
    """The human part of a JSON error body, whatever its shape: ``{"message": ...}``, ``{"error": ...}``, a list
    of such objects (some APIs answer ``[{"message": ...}]``), or a bare string."""
    if isinstance(payload, list):
        return _json_message(payload[0]) if payload else ""
    if isinstance(payload, dict):
        msg = payload.get("message") or payload.get("error") or payload.get("type")
        return _json_message(msg) if isinstance(msg, list | dict) else str(msg or "")
    return "" if payload is None else str(payload)


def client_from_settings(
    source: str,
    base_url: str,
    settings: Settings,
    *,
    per_second: float,
    default_params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SourceClient:
    """A :class:`SourceClient` with the timeout, retry budget and User-Agent from the settings."""
    return SourceClient(
        source,
        base_url,
        user_agent=settings.user_agent(),
        default_params=default_params,
        headers=headers,
        timeout=settings.http_timeout,
        retries=settings.http_retries,
        backoff_max=settings.http_backoff_max,
        per_second=per_second,
        sleep=sleep,
    )
