"""Reporting commands: ``livereview prisma`` (PRISMA 2020 counts and diagram) and ``livereview search-log``
(PRISMA-S), plus the export writers ``livereview export`` picks from."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from livereview.errors import InputFileError


class PrismaFormat(StrEnum):
    text = "text"
    csv = "csv"
    json = "json"
    svg = "svg"
    png = "png"


class LogFormat(StrEnum):
    csv = "csv"
    markdown = "markdown"
    html = "html"


def parse_ids(value: str | None) -> list[int] | None:
    """``--ids 1,2,3`` or ``--ids @file`` (one id per line) -> ids; a bad id is a usage error naming it."""
    if value is None:
        return None
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputFileError(str(path), f"cannot read the id list: {exc.strerror or exc}") from exc
        parts = text.split()
    else:
        parts = value.replace(" ", "").split(",")
    ids = []
    for p in parts:
        if not p:
            continue
        if not p.isdigit():
            raise typer.BadParameter(f"{p!r} is not a work id", param_hint="--ids")
        ids.append(int(p))
    return ids


def writer(fmt: str) -> Callable[[Any, Any], int]:
    from livereview.reports.exports import writer as export_writer

    return export_writer(fmt)


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from exc


def _write(data: str | bytes, output: Path | None) -> None:
    """To stdout, or to a file written whole (a .part renamed into place: never half a file)."""
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            typer.echo(data, nl=False)
        return
    tmp = output.with_name(output.name + ".part")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        tmp.write_text(data, encoding="utf-8")
    tmp.replace(output)


def prisma(
    fmt: Annotated[PrismaFormat, typer.Option("--format", help="text (the boxes), csv, json, svg or png.")]
    = PrismaFormat.text,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The diagram as it stood at the end of this day "
                                              "(YYYY-MM-DD); default now.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    protocol: Annotated[Path | None, typer.Option("--protocol", "-p", help="Protocol file (its exclusion reasons "
                                                  "label the excluded reports).")] = None,
) -> None:
    """PRISMA 2020 flow counts for the updated review, from the store (previous studies, per-source
    identification, duplicates, screening, reports, exclusions by reason, included, other methods)."""
    from livereview.cli.main import _engine, _protocol, _settings
    from livereview.reports import prisma_files
    from livereview.store.db import reading
    from livereview.store.prisma import prisma_counts

    settings = _settings()
    proto = _protocol(settings, protocol)
    day = _as_of(as_of)
    if day is not None and day > date.today():
        raise typer.BadParameter(f"{as_of} is in the future", param_hint="--as-of")
    with reading(_engine(settings)) as s:
        c = prisma_counts(s, [r for r, _ in proto.exclusion_reasons], as_of=day,
                          reviewers_required=proto.review.reviewers_per_record)
    if fmt is PrismaFormat.csv:
        _write(prisma_files.to_csv(c), output)
    elif fmt is PrismaFormat.json:
        _write(prisma_files.to_json(c), output)
    elif fmt in (PrismaFormat.svg, PrismaFormat.png):
        from livereview.reports.prisma_diagram import prisma_png, prisma_svg

        if output is None and fmt is PrismaFormat.png and sys.stdout.isatty():
            raise typer.BadParameter("a PNG is not for the terminal: add --output FILE", param_hint="--output")
        names = {name: m.label for name, m in proto.manual.items()}
        data = prisma_svg(c, proto.exclusion_reasons, names) if fmt is PrismaFormat.svg else \
            prisma_png(c, proto.exclusion_reasons, names)
        _write(data, output)
    else:
        width = max(len(box) for _, box, _ in c.rows())
        lines = [f"PRISMA 2020 (updated review) as of {c.as_of:%Y-%m-%d %H:%M} UTC"]
        section = None
        for sec, box, n in c.rows():
            if sec != section:
                lines.append(f"\n{sec}")
                section = sec
            lines.append(f"  {box:{width}}  {n:>7,}")
        for problem in c.problems():
            lines.append(f"warning: the boxes do not add up: {problem}")
        _write("\n".join(lines) + "\n", output)
    if output is not None:
        typer.echo(f"PRISMA counts as of {c.as_of:%Y-%m-%d} written to {output}", err=True)


def search_log(
    fmt: Annotated[LogFormat, typer.Option("--format", help="csv (every column), markdown or html (an appendix "
                                           "to publish).")] = LogFormat.markdown,
    since: Annotated[str | None, typer.Option(help="Only searches from this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only searches up to this day (YYYY-MM-DD).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """The PRISMA-S search log: every query as sent, per run and source, with date, window, limits, records found,
    after deduplication and new; and every file import with its database, date and recorded query."""
    from livereview.cli.main import _engine, _settings
    from livereview.reports import searchlog as render
    from livereview.store.db import reading
    from livereview.store.searchlog import search_log as read_log

    settings = _settings()
    with reading(_engine(settings)) as s:
        entries = read_log(s, since=_as_of(since), until=_as_of(until))
    text = {LogFormat.csv: render.to_csv, LogFormat.markdown: render.to_markdown,
            LogFormat.html: render.to_html}[fmt](entries)
    _write(text, output)
    if output is not None:
        typer.echo(f"{len(entries)} searches and imports written to {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command("prisma")(prisma)
    app.command("search-log")(search_log)
