"""``livereview backup FILE`` and ``livereview restore FILE``: the whole store (and attachments) in one checked file.

Thin wrappers over :mod:`livereview.store.backup`; the nightly ``nightly-backup`` deployment runs the same code
(:mod:`livereview.flows.backup`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def backup(file: Annotated[Path, typer.Argument(help="Backup file to write (a .tar.gz; replaced whole when "
                                                "complete, never left half-written).")]) -> None:
    """Write a consistent copy of the store and its attachments while the web app and runs go on writing."""
    from livereview.settings import load_settings
    from livereview.store.backup import write_backup
    from livereview.store.db import make_engine, require_current_schema

    settings = load_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        require_current_schema(engine)
        report = write_backup(engine, settings.data_dir, file)
    finally:
        engine.dispose()
    for line in report.lines():
        typer.echo(line)
    typer.echo("ok")


def restore(file: Annotated[Path, typer.Argument(help="Backup file written by `livereview backup`.")]) -> None:
    """Restore a backup into an empty store (LIVEREVIEW_DATABASE_URL, or a new SQLite file), checked before ok."""
    from livereview.settings import load_settings
    from livereview.store.backup import restore_backup
    from livereview.store.db import HEAD_REVISION, make_engine

    settings = load_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        report = restore_backup(engine, settings.data_dir, file)
    finally:
        engine.dispose()
    for line in report.lines():
        typer.echo(line.replace("backup    ", "restored  ", 1))
    typer.echo("checked   integrity, foreign keys and row counts match the backup")
    typer.echo("ok" if report.revision == HEAD_REVISION else
               f"ok (schema {report.revision}: run `livereview init` to bring it up to {HEAD_REVISION})")
