"""``livereview backup FILE`` and ``livereview restore FILE``: the whole store (and attachments) in one checked file.

Thin wrappers over :mod:`livereview.store.backup`; the nightly ``nightly-backup`` deployment runs the same code
(:mod:`livereview.flows.backup`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from livereview.cli.shared import app


@app.command("backup")
def backup(file: Annotated[Path, typer.Argument(help="Backup file to write (a .tar.gz; replaced whole when "
                                                "complete, never left half-written).")]) -> None:
    """Write a consistent copy of the store and its attachments while the web app and runs go on writing."""
    from livereview.store.backup import write_backup
    from livereview.store.context import open_store

    with open_store(read_protocol=False) as opened:
        report = write_backup(opened.engine, opened.settings.data_dir, file)
    for line in report.lines():
        typer.echo(line)
    typer.echo("ok")


@app.command("restore")
def restore(file: Annotated[Path, typer.Argument(help="Backup file written by `livereview backup`.")]) -> None:
    """Restore a backup into an empty store (LIVEREVIEW_DATABASE_URL, or a new SQLite file), checked before ok."""
    from livereview.store.backup import restore_backup
    from livereview.store.context import open_store
    from livereview.store.db import HEAD_REVISION

    with open_store(read_protocol=False, require_schema=False) as opened:  # restore wants an empty store
        report = restore_backup(opened.engine, opened.settings.data_dir, file)
    for line in report.lines():
        typer.echo(line.replace("backup    ", "restored  ", 1))
    typer.echo("checked   integrity, foreign keys and row counts match the backup")
    typer.echo("ok" if report.revision == HEAD_REVISION else
               f"ok (schema {report.revision}: run `livereview init` to bring it up to {HEAD_REVISION})")
