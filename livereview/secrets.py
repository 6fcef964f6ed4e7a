"""Known secrets, and the one function that scrubs them from any text before it is shown, logged or stored.

A source may echo its API key in an error body, a driver may put the database password in its message,
an exception chain may carry a URL with ``api_key=``. Every secret the settings hold (``SecretStr`` values,
passwords inside URLs) is remembered here when settings are built; :func:`scrub` replaces each with ``***``.
It is used where error text leaves the process: error construction (:mod:`livereview.errors`), the HTTP
client's log filter, the monitor's error recording, the CLI's error line, and every log record (a record
factory installed once, so Prefect's own log lines and tracebacks are scrubbed too).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
#: shorter values are not scrubbed: masking every "ab" in every message would hide more than it protects
MIN_SECRET_LENGTH = 4
#: secrets sent as query parameters, masked in any URL or text whatever their value
SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "mailto", "email", "password", "access_token"})
_PARAM_RE = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=([^&\s\"'<>]+)")
_URL_PASSWORD_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^:/@\s]*:)([^@\s/]+)(@)")

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None
_factory_installed = False


def url_password(url: str | None) -> str | None:
    """The password inside ``scheme://user:password@host``, or None."""
    if not url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def remember(values: Iterable[str | None]) -> None:
    """Add secret values (and their percent-decoded and -encoded spellings) to the scrubbed set."""
    global _pattern
    with _lock:
        for value in values:
            if not value:
                continue
            for spelling in {value, unquote(value)}:
                if len(spelling) >= MIN_SECRET_LENGTH:
                    _known.add(spelling)
        if _known:
            _pattern = re.compile("|".join(re.escape(s) for s in sorted(_known, key=len, reverse=True)))
    install_log_scrubbing()


def remember_settings(settings: Any) -> None:
    """Every secret a :class:`livereview.settings.Settings` holds: ``SecretStr`` fields and URL passwords."""
    values: list[str | None] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if hasattr(value, "get_secret_value"):
            secret = value.get_secret_value()
            values += [secret, url_password(secret)] if "://" in secret else [secret]
        elif isinstance(value, str) and "://" in value:
            values.append(url_password(value))
    remember(values)


def forget_all() -> None:
    """Tests only: drop every remembered secret."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None


def scrub(text: str) -> str:
    """``text`` with every known secret, URL password and secret query parameter replaced by ``***``."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "=" in text:
        text = _PARAM_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)
    if "://" in text:
        text = _URL_PASSWORD_RE.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    return text


def install_log_scrubbing() -> None:
    """Scrub every log record as it is made (message, arguments, traceback), whichever logger or handler."""
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed log call is logging's problem to report, not ours
                return record
            clean = scrub(message)
            if clean != message:
                record.msg, record.args = clean, None
            if record.exc_info and record.exc_info[1] is not None:
                text = logging.Formatter().formatException(record.exc_info)
                record.exc_text = scrub(text)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True
