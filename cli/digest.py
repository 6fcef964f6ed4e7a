"""``livereview digest``: make the digest for the period since the last one, and send it or leave it in the outbox.

Calls :func:`digests.service.run_digest` directly (not through Prefect) so the command is quick;
the scheduled ``weekly-digest`` flow runs the same function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from livereview.cli.shared import ProtocolOpt, app
from livereview.store.context import open_store


@app.command("digest")
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
    protocol: ProtocolOpt = None,
) -> None:
    """E-mail the digest since the last one (new candidates, notices, source health), or write it to the outbox.

    The same period is never sent twice unless --force. Digests that could not be sent stay pending
    and go out first on the next --send that reaches the mail server (exit code 7 until then).
    """
    from livereview.digests.service import run_digest

    with open_store(protocol) as opened:
        outcome = run_digest(opened.engine, opened.protocol, opened.settings, send=send, outbox=outbox, since=since,
                             force=force)
    for line in outcome.lines():
        typer.echo(line)
    if send and outcome.smtp and (outcome.ids("pending") or outcome.ids("failed")):
        raise typer.Exit(7)  # asked to send, not delivered: kept pending, the next --send retries
