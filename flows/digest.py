"""Prefect flow ``weekly-digest``: e-mail the review team what the monitor found since the last digest.

Scheduled after the monitor run (the protocol's ``digest.cron``) and run unattended, so it is
built to be re-run safely: a period already covered is not sent again, digests the mail server
did not take stay pending in the outbox and go out first next time. All the logic lives in
:mod:`digests.service` (plain functions, tested without Prefect); this flow only builds the
settings, protocol and store, and runs that job as one task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from livereview.digests.service import run_digest
from livereview.store.context import open_store


@task(name="make-and-deliver-digest", cache_policy=NO_CACHE)
def make_and_deliver(protocol_path: str | None, send: bool, outbox: str | None, since: str | None,
                     force: bool) -> dict[str, Any]:
    """Deliver pending digests, record this period's digest, deliver it; returns the outcome as a dict."""
    with open_store(protocol_path) as opened:
        outcome = run_digest(opened.engine, opened.protocol, opened.settings, send=send,
                             outbox=Path(outbox) if outbox else None, since=since, force=force)
    logger = get_run_logger()
    for line in outcome.lines():
        logger.info(line)
    return outcome.as_dict()


@flow(name="weekly-digest", log_prints=False)
def weekly_digest(protocol_path: str | None = None, send: bool = True, outbox: str | None = None,
                  since: str | None = None, force: bool = False) -> dict[str, Any]:
    """Make this period's digest and e-mail it (or leave it in the outbox); see :mod:`digests.service`."""
    return make_and_deliver(protocol_path, send, outbox, since, force)
