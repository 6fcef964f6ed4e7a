"""Alerts to the maintainer when an unattended run goes wrong, through the same SMTP delivery as digests.

An alert must never be the second failure: :func:`send_alert` never raises for a delivery
problem (no server configured, a malformed SMTP URL, a server that is down or refuses). It then
logs the alert at WARNING and writes it to the outbox as ``alert-<UTC time>.eml``, and says so in
the string it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from livereview.digests.outbox import message_bytes, write_atomic
from livereview.digests.render import sender_domain
from livereview.digests.smtp import SmtpTarget, failure_reason, send, smtp_target, ssl_context
from livereview.errors import ConfigError, ProtocolError
from livereview.settings import Settings
from livereview.store.clock import utcnow

log = logging.getLogger(__name__)


def alert_recipients(settings: Settings, protocol_recipients: Sequence[str] | None = None) -> list[str]:
    """``LIVEREVIEW_MAINTAINER_EMAIL``, else the first digest recipient (LIVEREVIEW_DIGEST_TO, then the protocol's).

    A caller that holds the parsed protocol passes its ``digest.recipients``; only without them is the
    settings' protocol file read.
    """
    if settings.maintainer_email and settings.maintainer_email.strip():
        return [settings.maintainer_email.strip()]
    if settings.digest_to:
        first = next((a.strip() for a in settings.digest_to.split(",") if a.strip()), None)
        if first:
            return [first]
    if protocol_recipients is not None:
        return list(protocol_recipients[:1])
    from livereview.protocols.model import load_protocol

    try:
        recipients = load_protocol(settings.protocol).digest.recipients
    except ProtocolError as exc:
        log.warning("alert recipients: cannot read the protocol (%s)", exc)
        return []
    return recipients[:1]


def alert_message(settings: Settings, subject: str, body: str, recipients: list[str], now: datetime) -> EmailMessage:
    msg = EmailMessage()
    title = " ".join(subject.split())
    msg["Subject"] = title if title.startswith("[livereview]") else f"[livereview] {title}"
    msg["From"] = settings.digest_from
    msg["To"] = ", ".join(recipients) if recipients else "undisclosed-recipients:;"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid("alert", domain=sender_domain(settings.digest_from))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body if body.endswith("\n") else body + "\n")
    return msg


def send_alert(settings: Settings, subject: str, body: str, *, protocol_recipients: Sequence[str] | None = None,
               now: datetime | None = None) -> str:
    """E-mail an alert to the maintainer; on any delivery problem log it and write it to the outbox.

    Returns what happened, as one line: ``"alert sent to …"``, ``"alert written to … (why)"`` or
    ``"alert logged only (why)"``.
    """
    now = (now or utcnow()).astimezone(UTC)
    recipients = alert_recipients(settings, protocol_recipients)
    msg = alert_message(settings, subject, body, recipients, now)
    target: SmtpTarget | None = None
    try:
        target = smtp_target(settings)
        why = "SMTP not configured (set LIVEREVIEW_SMTP_URL)" if target is None else ""
        if target is not None and not recipients:
            why = "no recipient (set LIVEREVIEW_MAINTAINER_EMAIL)"
        if target is not None and recipients:
            context = ssl_context(settings) if target.security != "plain" else None
            send(target, msg, sender=settings.digest_from, recipients=recipients, context=context)
            log.info("alert sent to %s: %s", ", ".join(recipients), msg["Subject"])
            return f"alert sent to {', '.join(recipients)}"
    except ConfigError as exc:
        why = str(exc)
    except OSError as exc:  # smtplib.SMTPException, connection refused, TLS, timeout
        why = "delivery failed: " + failure_reason(exc, target)
    log.warning("%s (not e-mailed: %s)\n%s", msg["Subject"], why, body)
    path = settings.resolved_outbox_dir / f"alert-{now:%Y%m%dT%H%M%S%fZ}.eml"
    try:
        write_atomic(path, message_bytes(msg))
    except OSError as exc:
        return f"alert logged only ({why}; outbox not writable: {exc.strerror or exc})"
    return f"alert written to {path} ({why})"
