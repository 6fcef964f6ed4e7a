"""Mail delivery with the standard library: the SMTP URL, TLS, login, and failures that never leak the password.

``LIVEREVIEW_SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (plain, port 25),
``smtp+tls://…`` (STARTTLS, port 587) or ``smtp+ssl://…`` (implicit TLS, port 465); user and
password are percent-decoded, so a password holding ``@ / : # ?`` is written percent-encoded.
When TLS is asked for it is required: no silent fall-back to plain text. Certificates are
verified against the system trust store, or against ``LIVEREVIEW_SMTP_CA_FILE`` (a private CA,
or a test certificate).

The password lives only in a :class:`~pydantic.SecretStr` and is handed to ``smtplib.login``; it
is never logged, stored, or put in an error message: every failure description goes through
:func:`failure_reason`, which names the server (without credentials) and scrubs the password out
of whatever the server or the library said.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import quote, unquote, urlsplit

from pydantic import SecretStr

from livereview.errors import ConfigError
from livereview.settings import Settings

SMTP_TIMEOUT = 30.0
SCHEMES = {"smtp": ("plain", 25), "smtp+tls": ("starttls", 587), "smtp+ssl": ("ssl", 465)}
CA_FILE_ENV = "LIVEREVIEW_SMTP_CA_FILE"
#: failures that concern one message (the server is up and answered): the next message may still go
MESSAGE_FAILURES = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to deliver; ``str()`` and ``repr()`` never show the password."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: SecretStr | None = None

    @property
    def security(self) -> str:
        return SCHEMES[self.scheme][0]

    def describe(self) -> str:
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}"

    __str__ = describe


def parse_smtp_url(url: str) -> SmtpTarget:
    """Parse ``LIVEREVIEW_SMTP_URL``; a malformed value is a :class:`ConfigError` that never repeats the URL."""
    name = "LIVEREVIEW_SMTP_URL"
    hint = " (percent-encode special characters in the user name and password)"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ConfigError(f"{name}: not a valid URL; expected smtp[+tls|+ssl]://[user:password@]host:port"
                          f"{hint}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigError(f"{name}: unknown scheme {scheme + '://' if scheme else '(none)'}; use smtp:// (plain), "
                          "smtp+tls:// (STARTTLS) or smtp+ssl:// (implicit TLS)")
    if not host:
        raise ConfigError(f"{name}: no host name{hint}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"{name}: unexpected path, query or fragment after the host{hint}")
    username = unquote(parts.username) if parts.username else None
    password = SecretStr(unquote(parts.password)) if parts.password is not None else None
    if password is not None and not username:
        raise ConfigError(f"{name}: a password without a user name")
    return SmtpTarget(scheme=scheme, host=host, port=port or SCHEMES[scheme][1], username=username,
                      password=password)


def smtp_target(settings: Settings) -> SmtpTarget | None:
    """The configured mail server, or None when digests go to the outbox only."""
    if settings.smtp_url is None or not settings.smtp_url.get_secret_value().strip():
        return None
    return parse_smtp_url(settings.smtp_url.get_secret_value())


def ca_file(settings: Settings) -> str | None:
    """The extra CA bundle for the server certificate (``LIVEREVIEW_SMTP_CA_FILE``), if any."""
    return str(settings.smtp_ca_file) if settings.smtp_ca_file else None


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A verifying TLS context (hostname and chain checked), trusting the extra CA file when one is set."""
    cafile = ca_file(settings)
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{CA_FILE_ENV}: cannot load CA file {cafile}: {exc.strerror or exc}") from exc


def send(target: SmtpTarget, msg: EmailMessage, *, sender: str, recipients: Sequence[str],
         context: ssl.SSLContext | None = None, timeout: float | None = None) -> dict[str, tuple[int, bytes]]:
    """Deliver one message; returns the recipients the server refused while accepting the others.

    Raises ``OSError`` (``smtplib.SMTPException`` is one) when nothing was accepted; describe it
    with :func:`failure_reason`, never with ``str(exc)`` alone.
    """
    if not recipients:
        raise smtplib.SMTPRecipientsRefused({})
    timeout = timeout or SMTP_TIMEOUT
    if target.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout,
                                                context=context or ssl.create_default_context())
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        client.ehlo()
        if target.security == "starttls":
            client.starttls(context=context or ssl.create_default_context())
            client.ehlo()
        if target.username:
            client.login(target.username, target.password.get_secret_value() if target.password else "")
        return client.send_message(msg, from_addr=sender, to_addrs=list(recipients))


def scrub(text: str, target: SmtpTarget | None) -> str:
    """``text`` with the password (plain and percent-encoded) replaced by ``***``."""
    if target is None or target.password is None:
        return text
    secret = target.password.get_secret_value()
    for form in {secret, quote(secret, safe=""), quote(secret)}:
        if form:
            text = text.replace(form, "***")
    return text


def failure_reason(exc: BaseException, target: SmtpTarget | None) -> str:
    """One line naming the server (no credentials) and what went wrong, safe to log and store."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "recipients refused: " + (", ".join(sorted(exc.recipients)) or "no recipients")
    elif isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        detail = f"{type(exc).__name__} {exc.smtp_code}: {reply}"
    elif isinstance(exc, TimeoutError):
        detail = "timed out"
    elif isinstance(exc, ssl.SSLError):
        detail = f"TLS failed: {exc.reason or exc}"
    elif isinstance(exc, smtplib.SMTPException):
        detail = f"{type(exc).__name__}: {exc}"
    elif isinstance(exc, OSError):
        detail = exc.strerror or type(exc).__name__
    else:
        detail = type(exc).__name__
    where = target.describe() if target else "SMTP"
    return scrub(" ".join(f"{where}: {detail}".split()), target)
