"""``livereview digest``: make the digest for the period since the last one, and send it or leave it in the outbox.

Calls :func:`digests.service.run_digest` directly (not through Prefect) so the command is quick;
the scheduled ``weekly-digest`` flow runs the same function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def digest(
    send: Annotated[bool, typer.Option("--send", help="E-mail it (and any pending digests, oldest first) through "
                                       "LIVEREVIEW_SMTP_URL. Without it the digest is only written to the outbox.")]
    = False,
    outbox: Annotated[Path | None, typer.Option("--outbox", help="Folder for the .eml and .html files (default: "
                                                "LIVEREVIEW_OUTBOX_DIR or <data dir>/outbox).")] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="Start the period on this day "
                                              "instead of at the end of the last digest.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Make a digest even if the period was already covered "
                                        "(recorded as forced).")] = False,
    protocol: Annotated[Path | None, typer.Option("--protocol", "-p", help="Protocol file (default: "
                                                  "LIVEREVIEW_PROTOCOL or the bundled ia-coaching.toml).")] = None,
) -> None:
    """E-mail the digest since the last one (new candidates, notices, source health), or write it to the outbox.

    The same period is never sent twice unless --force. Digests that could not be sent stay pending
    and go out first on the next --send that reaches the mail server (exit code 7 until then).
    """
    from livereview.digests.service import run_digest
    from livereview.protocols.model import load_protocol
    from livereview.settings import load_settings
    from livereview.store.db import make_engine, require_current_schema

    settings = load_settings()
    proto = load_protocol(protocol or settings.protocol)
    engine = make_engine(settings.resolved_database_url)
    try:
        require_current_schema(engine)
        outcome = run_digest(engine, proto, settings, send=send, outbox=outbox, since=since, force=force)
    finally:
        engine.dispose()
    for line in outcome.lines():
        typer.echo(line)
    if send and outcome.smtp and (outcome.ids("pending") or outcome.ids("failed")):
        raise typer.Exit(7)  # asked to send, not delivered: kept pending, the next --send retries
