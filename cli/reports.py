"""Reporting commands: ``livereview prisma`` (PRISMA 2020 counts and diagram) and ``livereview search-log``
(PRISMA-S), plus the export writers ``livereview export`` picks from."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from livereview.cli.shared import app, parse_date, write_output
from livereview.store.context import open_store


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


@app.command("prisma")
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
    from livereview.reports import prisma_files
    from livereview.store.db import reading
    from livereview.store.prisma import prisma_counts

    day = parse_date(as_of, "--as-of")
    if day is not None and day > date.today():
        raise typer.BadParameter(f"{as_of} is in the future", param_hint="--as-of")
    with open_store(protocol) as opened, reading(opened.engine) as s:
        proto = opened.protocol
        c = prisma_counts(s, [r for r, _ in proto.exclusion_reasons], as_of=day,
                          reviewers_required=proto.review.reviewers_by_stage)
    if fmt is PrismaFormat.csv:
        write_output(prisma_files.to_csv(c), output)
    elif fmt is PrismaFormat.json:
        write_output(prisma_files.to_json(c), output)
    elif fmt in (PrismaFormat.svg, PrismaFormat.png):
        from livereview.reports.prisma_diagram import prisma_png, prisma_svg

        if output is None and fmt is PrismaFormat.png and sys.stdout.isatty():
            raise typer.BadParameter("a PNG is not for the terminal: add --output FILE", param_hint="--output")
        names = {name: m.label for name, m in proto.manual.items()}
        data = prisma_svg(c, proto.exclusion_reasons, names) if fmt is PrismaFormat.svg else \
            prisma_png(c, proto.exclusion_reasons, names)
        write_output(data, output)
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
        write_output("\n".join(lines) + "\n", output)
    if output is not None:
        typer.echo(f"PRISMA counts as of {c.as_of:%Y-%m-%d} written to {output}", err=True)


@app.command("search-log")
def search_log(
    fmt: Annotated[LogFormat, typer.Option("--format", help="csv (every column), markdown or html (an appendix "
                                           "to publish).")] = LogFormat.markdown,
    since: Annotated[str | None, typer.Option(help="Only searches from this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only searches up to this day (YYYY-MM-DD).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """The PRISMA-S search log: every query as sent, per run and source, with date, window, limits, records found,
    after deduplication and new; and every file import with its database, date and recorded query."""
    from livereview.reports import searchlog as render
    from livereview.store.db import reading
    from livereview.store.searchlog import search_log as read_log

    with open_store(read_protocol=False) as opened, reading(opened.engine) as s:
        entries = read_log(s, since=parse_date(since, "--since"), until=parse_date(until, "--until"))
    text = {LogFormat.csv: render.to_csv, LogFormat.markdown: render.to_markdown,
            LogFormat.html: render.to_html}[fmt](entries)
    write_output(text, output)
    if output is not None:
        typer.echo(f"{len(entries)} searches and imports written to {output}", err=True)



@app.command("excluded-studies")
def excluded_studies_command(
    as_of: Annotated[str | None, typer.Option("--as-of", help="The table as it stood at the end of this day "
                                              "(YYYY-MM-DD); default now.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    protocol: Annotated[Path | None, typer.Option("--protocol", "-p", help="Protocol file (its exclusion reasons "
                                                  "name and order the rows).")] = None,
) -> None:
    """The reports excluded at full text with their reasons (PRISMA 2020 item 16b), as CSV: the rows the diagram's
    "reports excluded" box counts, reason by reason."""
    from livereview.reports.excluded import excluded_studies, to_csv
    from livereview.store.db import reading

    day = parse_date(as_of, "--as-of")
    if day is not None and day > date.today():
        raise typer.BadParameter(f"{as_of} is in the future", param_hint="--as-of")
    with open_store(protocol) as opened, reading(opened.engine) as s:
        proto = opened.protocol
        rows = excluded_studies(s, proto.exclusion_reasons, as_of=day,
                                reviewers_required=proto.review.reviewers_by_stage)
    write_output(to_csv(rows), output)
    if output is not None:
        typer.echo(f"{len(rows)} excluded reports written to {output}", err=True)
