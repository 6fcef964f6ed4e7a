"""The weekly digest as plain functions: choose the period, record and write the digest, deliver what is pending.

Periods. A digest covers ``[start, end)``: ``end`` is now; ``start`` is the end of the last digest
created (sent or pending) — so consecutive digests tile time with no gap and no overlap — or, for
the first digest, when the store was created (first protocol load, run, import or work), or the
start of the ``--since`` day in the review's time zone. A period is *already covered* when the
last digest ended on the same calendar day (review time zone) as now, or when ``--since`` reaches
back into a recorded digest: then no digest is made — a scheduled job that runs twice, or a
retried flow, does not mail the team twice. ``--force`` makes one anyway (``forced=True``),
re-covering the last digest's period extended to now.

Works are reported by creation time, and ``end`` is taken before the digest's transaction
begins; that transaction first waits for any writer still adding works (see
:func:`_wait_for_writers`), so a work a monitor run created just before ``end`` is never
missed by this digest and then skipped by the next.

Recording. In one transaction: read the content, insert the ``digests`` row (status
``pending``), write ``<id>-<date>.eml`` and ``.html`` to the outbox (atomically, before the
commit, so a committed pending row always has its message on disk), and point the reported
notices at the digest so each notice is reported once. If the commit fails the files are removed.

Delivery, and the crash window. The command holds the store's ``digest`` lock, so two digest
runs never deliver at once. Pending digests go oldest first, one SMTP transaction each, from
their ``.eml`` (same Message-ID every attempt); right after the server accepts a message its
row is marked ``sent`` in its own short transaction. The only window for a double send is a
crash between the server's final "250 OK" and that commit (milliseconds, no I/O in between but
the commit itself); the digest then stays pending and is sent again next time — at-least-once,
chosen over at-most-once because a lost digest is worse than a duplicate, and the duplicate
carries the same Message-ID, which mail systems and clients use to collapse it. The other order
(mark sent, then send) would turn the same crash into a silently lost digest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from livereview.addresses import check_recipients
from livereview.digests import outbox as files
from livereview.digests.content import Period, Ranker, collect
from livereview.digests.render import build_message, render, sender_domain
from livereview.digests.smtp import (
    MESSAGE_FAILURES,
    SmtpTarget,
    failure_reason,
    send,
    smtp_target,
    ssl_context,
)
from livereview.errors import ConfigError
from livereview.protocols.model import Protocol
from livereview.settings import Settings
from livereview.store.clock import as_utc, utcnow
from livereview.store.db import reading, transaction
from livereview.store.models import DigestRecord, Import, Notice, ProtocolVersion, Run, Work
from livereview.store.runs import acquire_lock, release_lock

log = logging.getLogger(__name__)

LOCK_NAME = "digest"
PENDING, SENT, FAILED = "pending", "sent", "failed"
LIVE_STATUSES = (PENDING, SENT)          # digests whose period counts as covered
_NO_RECIPIENTS = "no recipients: set digest.recipients in the protocol or LIVEREVIEW_DIGEST_TO"


# -- recipients -------------------------------------------------------------------------------------------------
def recipients_for(settings: Settings, protocol: Protocol) -> list[str]:
    """``LIVEREVIEW_DIGEST_TO`` (comma-separated) when set, else the protocol's ``digest.recipients``."""
    if settings.digest_to and settings.digest_to.strip():
        try:
            return check_recipients(a.strip() for a in settings.digest_to.split(",") if a.strip())
        except ValueError as exc:
            raise ConfigError(f"LIVEREVIEW_DIGEST_TO: {exc}") from None
    return list(dict.fromkeys(protocol.digest.recipients))


# -- the period -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodPlan:
    period: Period | None            # None: already covered, nothing to make
    covered_by: int | None = None    # the digest that covers it
    forced: bool = False             # --force overrode a covered period
    reason: str | None = None


def store_created(session: Session) -> datetime | None:
    """When the store started: its first protocol load, run, import or work."""
    firsts = [session.scalar(select(func.min(col))) for col in (ProtocolVersion.loaded_at, Run.started_at,
                                                                 Import.imported_at, Work.created_at)]
    values = [as_utc(v) for v in firsts if v is not None]
    return min(values) if values else None  # type: ignore[type-var]


def parse_since(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"--since: {value!r} is not a date (YYYY-MM-DD)") from None


def plan_period(session: Session, protocol: Protocol, *, now: datetime, since: date | None = None,
                force: bool = False) -> PeriodPlan:
    """Which period the next digest covers, or why there is none (see the module docstring)."""
    tz = ZoneInfo(protocol.digest.timezone)
    now = now.astimezone(UTC)
    live = DigestRecord.status.in_(LIVE_STATUSES)
    if since is not None:
        start = datetime.combine(since, time(0), tzinfo=tz).astimezone(UTC)
        if start >= now:
            raise ConfigError(f"--since: {since.isoformat()} is not in the past")
        overlap = session.scalars(select(DigestRecord).where(live, DigestRecord.period_end > start,
                                                             DigestRecord.period_start < now)
                                  .order_by(DigestRecord.period_end.desc(), DigestRecord.id.desc()).limit(1)).first()
        if overlap is not None and not force:
            return PeriodPlan(None, overlap.id, reason=_covered(overlap, protocol))
        return PeriodPlan(Period(start, now, protocol.digest.timezone), forced=overlap is not None)
    last = session.scalars(select(DigestRecord).where(live).order_by(DigestRecord.period_end.desc(),
                                                                    DigestRecord.id.desc()).limit(1)).first()
    if last is None:
        start = store_created(session) or now
        return PeriodPlan(Period(min(start, now), now, protocol.digest.timezone))
    last_end = as_utc(last.period_end)
    assert last_end is not None
    if last_end.astimezone(tz).date() >= now.astimezone(tz).date():
        if not force:
            return PeriodPlan(None, last.id, reason=_covered(last, protocol))
        start = as_utc(last.period_start)
        assert start is not None
        return PeriodPlan(Period(min(start, now), now, protocol.digest.timezone), forced=True)
    return PeriodPlan(Period(last_end, now, protocol.digest.timezone))


def _covered(row: DigestRecord, protocol: Protocol) -> str:
    p = Period(as_utc(row.period_start), as_utc(row.period_end), protocol.digest.timezone)  # type: ignore[arg-type]
    return (f"already covered by digest #{row.id} ({p.label}, {row.status}); "
            "use --force to make another, or --since to choose the start")


# -- recording a digest -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Created:
    digest_id: int
    period: Period
    subject: str
    counts: dict[str, Any]
    eml_path: Path
    html_path: Path
    forced: bool
    recipients: list[str]


@dataclass(frozen=True)
class Skipped:
    covered_by: int | None
    reason: str


def create_digest(engine: Engine, protocol: Protocol, settings: Settings, *, now: datetime | None = None,
                  since: date | None = None, force: bool = False, outbox: Path | None = None,
                  rank: Ranker | None = None, chart: bool = True) -> Created | Skipped:
    """Record the next digest as pending and write its files to the outbox (or say why there is none)."""
    now = (now or utcnow()).astimezone(UTC)
    out_dir = outbox or settings.resolved_outbox_dir
    recipients = recipients_for(settings, protocol)
    written: list[Path] = []
    try:
        with transaction(engine) as s:
            _wait_for_writers(s)
            plan = plan_period(s, protocol, now=now, since=since, force=force)
            if plan.period is None:
                return Skipped(plan.covered_by, plan.reason or "already covered")
            content = collect(s, protocol, plan.period, base_url=settings.base_url, rank=rank)
            domain = sender_domain(settings.digest_from)
            row = DigestRecord(period_start=plan.period.start, period_end=plan.period.end, status=PENDING,
                               subject="", recipients=recipients, counts=content.summary(), forced=plan.forced,
                               error=None if recipients else _NO_RECIPIENTS)
            s.add(row)
            s.flush()
            rendered = render(content, digest_id=row.id, chart=chart, domain=domain)
            row.subject = rendered.subject
            row.message_id = make_msgid(idstring=f"digest-{row.id}", domain=domain)
            msg = build_message(rendered, sender=settings.digest_from, recipients=recipients,
                                message_id=row.message_id, date=now, digest_id=row.id)
            stem = f"{row.id}-{plan.period.local(plan.period.end):%Y-%m-%d}"
            eml, html = files.write_digest(out_dir, stem, msg, rendered.html_file)
            written += [eml, html]
            row.eml_path, row.html_path = str(eml), str(html)
            if content.notice_ids:
                s.execute(update(Notice).where(Notice.id.in_(content.notice_ids)).values(digest_id=row.id))
            created = Created(row.id, plan.period, rendered.subject, dict(row.counts), eml, html, plan.forced,
                              recipients)
    except BaseException:
        for p in written:  # the row was not committed: its files must not look like a pending digest
            p.unlink(missing_ok=True)
        raise
    log.info("digest #%s recorded for %s: %s", created.digest_id, created.period.label, created.subject)
    return created


def _wait_for_writers(session: Session) -> None:
    """Let any transaction that is adding works finish before the digest reads them.

    ``end`` (now) is taken before this transaction starts, so a work created before ``end`` by a
    monitor run still in flight must be visible, or it would fall between two digests. SQLite:
    :func:`store.db.transaction` begins with ``BEGIN IMMEDIATE``, which already waits for the
    writer. PostgreSQL: a SHARE lock on ``works`` waits for transactions that inserted into it
    (and holds new inserts back for the second the digest takes).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE works IN SHARE MODE"))


# -- delivery ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    digest_id: int
    status: str                      # sent | pending | failed
    recipients: list[str]
    eml_path: str | None
    reason: str | None = None        # why it is still pending / failed; refused recipients when sent
    unreachable: bool = False        # no server to talk to (not configured, down, refusing): stop trying


def deliver_pending(engine: Engine, settings: Settings, protocol: Protocol, *, now: datetime | None = None,
                    target: SmtpTarget | None = None, only: Sequence[int] | None = None) -> list[Delivery]:
    """Send every pending digest, oldest first, each at most once per success (see the module docstring).

    Never raises for delivery problems: a server that is down or refuses leaves the digests
    pending with the reason recorded (password-free); a message the server rejects stays pending
    while the later ones are still tried.
    """
    stmt = select(DigestRecord).where(DigestRecord.status == PENDING).order_by(DigestRecord.id)
    if only is not None:
        stmt = stmt.where(DigestRecord.id.in_(list(only)))
    with reading(engine) as s:
        pending = [(r.id, r.eml_path, r.html_path, list(r.recipients or [])) for r in s.scalars(stmt)]
    if not pending:
        return []
    if target is None:
        reason = "not sent: SMTP not configured (set LIVEREVIEW_SMTP_URL)"
        return [Delivery(i, PENDING, [], eml, reason, unreachable=True) for i, eml, _, _ in pending]
    current = recipients_for(settings, protocol)
    context = ssl_context(settings) if target.security != "plain" else None
    out: list[Delivery] = []
    server_down: str | None = None
    for digest_id, eml_path, html_path, rendered_for in pending:
        # a digest goes to the recipients it was rendered for; only one rendered for nobody is re-addressed
        recipients = rendered_for or current
        readdressed = None if rendered_for else f"re-addressed to the current recipients ({len(current)}): it was " \
            "rendered when no recipient was set"
        if not recipients:
            out.append(Delivery(digest_id, PENDING, [], eml_path, _NO_RECIPIENTS, unreachable=True))
            continue
        if readdressed:
            log.warning("digest #%s %s", digest_id, readdressed)
        if server_down:
            out.append(Delivery(digest_id, PENDING, recipients, eml_path, server_down, unreachable=True))
            continue
        try:
            msg = files.read_message(Path(eml_path or ""))
        except OSError as exc:
            reason = f"outbox file unreadable ({eml_path}: {exc.strerror or exc}); its notices are released"
            _mark_failed(engine, digest_id, reason)
            out.append(Delivery(digest_id, FAILED, recipients, eml_path, reason))
            continue
        _address(msg, recipients)
        try:
            refused = send(target, msg, sender=settings.digest_from, recipients=recipients, context=context)
        except MESSAGE_FAILURES as exc:
            reason = "not sent: " + failure_reason(exc, target)
            _record_error(engine, digest_id, reason)
            log.warning("digest #%s %s", digest_id, reason)
            out.append(Delivery(digest_id, PENDING, recipients, eml_path, reason))
            continue
        except OSError as exc:  # smtplib.SMTPException, connection refused, TLS, timeout
            server_down = "not sent: " + failure_reason(exc, target)
            _record_error(engine, digest_id, server_down)
            log.warning("digest #%s %s", digest_id, server_down)
            out.append(Delivery(digest_id, PENDING, recipients, eml_path, server_down, unreachable=True))
            continue
        note = ("refused by the server: " + ", ".join(sorted(refused))) if refused else None
        if readdressed:
            note = f"{readdressed}; {note}" if note else readdressed
        final_eml = _mark_sent(engine, digest_id, recipients, note, now or utcnow(), eml_path, html_path)
        out.append(Delivery(digest_id, SENT, [r for r in recipients if r not in refused], final_eml, note))
    return out


def _address(msg: EmailMessage, recipients: Sequence[str]) -> None:
    """The ``To:`` of the message as it is sent (the recipients it was rendered for, or the re-addressed list)."""
    del msg["To"]
    msg["To"] = ", ".join(recipients)


def _mark_sent(engine: Engine, digest_id: int, recipients: list[str], note: str | None, now: datetime,
               eml_path: str | None, html_path: str | None) -> str | None:
    eml = Path(eml_path) if eml_path else None
    html = Path(html_path) if html_path else None
    with transaction(engine) as s:
        res = s.execute(update(DigestRecord).where(DigestRecord.id == digest_id, DigestRecord.status == PENDING)
                        .values(status=SENT, sent_at=now.astimezone(UTC), recipients=recipients, error=note,
                                eml_path=str(files.sent_path(eml)) if eml else None,
                                html_path=str(files.sent_path(html)) if html else None))
        if res.rowcount != 1:
            log.warning("digest #%s was no longer pending when marked sent", digest_id)
    files.move_to_sent(*(p for p in (eml, html) if p is not None))
    return str(files.sent_path(eml)) if eml else None


def _record_error(engine: Engine, digest_id: int, reason: str) -> None:
    with transaction(engine) as s:
        s.execute(update(DigestRecord).where(DigestRecord.id == digest_id).values(error=reason))


def _mark_failed(engine: Engine, digest_id: int, reason: str) -> None:
    """A pending digest whose message is gone cannot be sent: its period and notices go back to the next digest."""
    with transaction(engine) as s:
        s.execute(update(DigestRecord).where(DigestRecord.id == digest_id).values(status=FAILED, error=reason))
        s.execute(update(Notice).where(Notice.digest_id == digest_id).values(digest_id=None))


# -- the whole job ----------------------------------------------------------------------------------------------
NOT_SENT = "pending; deliver with `livereview digest --send`"


@dataclass
class DigestOutcome:
    created: Created | None = None
    skipped: Skipped | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    smtp: str | None = None                 # the server, described without credentials; None = outbox only

    def ids(self, status: str) -> list[int]:
        return [d.digest_id for d in self.deliveries if d.status == status]

    def as_dict(self) -> dict[str, Any]:
        c = self.created
        return {
            "digest_id": c.digest_id if c else None,
            "period_start": c.period.start.isoformat() if c else None,
            "period_end": c.period.end.isoformat() if c else None,
            "subject": c.subject if c else None,
            "counts": c.counts if c else None,
            "forced": c.forced if c else False,
            "skipped": self.skipped.reason if self.skipped else None,
            "smtp": self.smtp,
            "sent": self.ids(SENT), "pending": self.ids(PENDING), "failed": self.ids(FAILED),
            "deliveries": [{"digest_id": d.digest_id, "status": d.status, "recipients": len(d.recipients),
                            "eml_path": d.eml_path, "reason": d.reason} for d in self.deliveries],
        }

    def lines(self) -> list[str]:
        """What the command prints: what was made, and where each digest went."""
        out = []
        c = self.created
        if c is not None:
            n = c.counts.get("new_candidates", 0)
            out.append(f"digest #{c.digest_id} ({c.period.label}){' [forced]' if c.forced else ''}: "
                       f"{n} new candidate{'' if n == 1 else 's'}, {c.counts.get('notices', 0)} notices")
        if self.skipped is not None:
            out.append(f"no new digest: {self.skipped.reason}")
        for d in self.deliveries:
            if d.status == SENT:
                extra = f" ({d.reason})" if d.reason else ""
                out.append(f"digest #{d.digest_id} sent to {len(d.recipients)} recipient"
                           f"{'' if len(d.recipients) == 1 else 's'} via {self.smtp}{extra}")
            elif d.status == PENDING:
                out.append(f"digest #{d.digest_id} written to outbox {d.eml_path} — {d.reason}")
            else:
                out.append(f"digest #{d.digest_id} failed: {d.reason}")
        return out


def run_digest(engine: Engine, protocol: Protocol, settings: Settings, *, send: bool = True,
               outbox: Path | None = None, since: str | date | None = None, force: bool = False,
               now: datetime | None = None, rank: Ranker | None = None) -> DigestOutcome:
    """The digest job: deliver what is pending, make this period's digest, deliver it (when ``send``).

    Pending digests go first so the team receives them in order; the new one is recorded and
    written to the outbox before any attempt to send it.
    """
    since_date = parse_since(since)
    target = smtp_target(settings) if send else None   # a malformed URL fails here, before anything is written
    recipients_for(settings, protocol)                   # so does a malformed LIVEREVIEW_DIGEST_TO
    outcome = DigestOutcome(smtp=target.describe() if target else None)
    acquire_lock(engine, LOCK_NAME, holder=f"digest {protocol.review.id}")
    try:
        if send:
            outcome.deliveries += deliver_pending(engine, settings, protocol, now=now, target=target)
        made = create_digest(engine, protocol, settings, now=now, since=since_date, force=force, outbox=outbox,
                             rank=rank)
        if isinstance(made, Skipped):
            outcome.skipped = made
            return outcome
        outcome.created = made
        down = next((d.reason for d in outcome.deliveries if d.unreachable), None)
        if not send:
            outcome.deliveries.append(Delivery(made.digest_id, PENDING, made.recipients, str(made.eml_path),
                                               NOT_SENT))
        elif down is not None:  # no second wait for a server that just failed
            outcome.deliveries.append(Delivery(made.digest_id, PENDING, made.recipients, str(made.eml_path),
                                               down, unreachable=True))
        else:
            outcome.deliveries += deliver_pending(engine, settings, protocol, now=now, target=target,
                                                  only=[made.digest_id])
    finally:
        release_lock(engine, LOCK_NAME)
    return outcome
