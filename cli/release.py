"""Versions of the review: ``livereview release VERSION`` freezes one, ``release show VERSION`` writes its report or
evidence table, ``release diff A B`` says what changed, ``release list`` lists them; ``livereview theme`` tags an
included study with a synthesis theme (store/releases.py holds the rules, reports/release.py the rendering)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from livereview.cli.shared import ProtocolOpt, app, write_output
from livereview.store.context import open_store


class ReleaseFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


#: options that only mean something to one form of the command, with the form
_ONLY = {"--dry-run": "release VERSION", "--allow-open": "release VERSION", "--evidence-table": "release show",
         "--format": "release show", "--output": "release show"}


@app.command("release")
def release_cmd(
    args: Annotated[list[str], typer.Argument(
        help="VERSION to release; or `show VERSION`, `diff OLD NEW`, `list`.", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary (or the diff) as JSON.")] = False,
    allow_open: Annotated[bool, typer.Option("--allow-open", help="Release despite open conflicts, extractions or "
                                             "appraisals; the report lists them as open.")] = False,
    evidence_table: Annotated[bool, typer.Option("--evidence-table", help="show: the evidence table alone (one row "
                                                 "per included study, extraction fields as columns).")] = False,
    fmt: Annotated[ReleaseFormat | None, typer.Option("--format", help="show: html (default), pdf, json; csv and "
                                                      "xlsx write the evidence table.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="show: file to write (default: stdout).")]
    = None,
    actor: Annotated[str, typer.Option(help="Who releases (recorded in the version and the audit log).")] = "cli",
    protocol: ProtocolOpt = None,
) -> None:
    """Freeze a version of the review (included studies, extraction, appraisals, PRISMA since the previous
    version, search log, protocol versions), or show, compare and list the released ones."""
    verb, rest = (args[0], args[1:]) if args[0] in ("show", "diff", "list") else ("release", args)
    wanted = {"release": 1, "show": 1, "diff": 2, "list": 0}[verb]
    if len(rest) != wanted:
        forms = {"release": "release VERSION", "show": "release show VERSION", "diff": "release diff OLD NEW",
                 "list": "release list"}
        raise typer.BadParameter(f"usage: livereview {forms[verb]}", param_hint="ARGS")
    given = {"--dry-run": dry_run, "--allow-open": allow_open, "--evidence-table": evidence_table,
             "--format": fmt is not None, "--output": output is not None}
    form = "release show" if verb == "show" else "release VERSION" if verb == "release" else None
    for opt, used in given.items():
        if used and _ONLY[opt] != form:
            raise typer.BadParameter(f"{opt} goes with `livereview {_ONLY[opt]}`", param_hint=opt)
    if verb == "release":
        _release(rest[0], dry_run=dry_run, as_json=as_json, allow_open=allow_open, actor=actor, protocol=protocol)
    elif verb == "show":
        _show(rest[0], evidence_table=evidence_table, fmt=fmt or ReleaseFormat.html, output=output)
    elif verb == "diff":
        _diff(rest[0], rest[1], as_json=as_json)
    else:
        _list(as_json=as_json)


def _release(version: str, *, dry_run: bool, as_json: bool, allow_open: bool, actor: str,
             protocol: Path | None) -> None:
    from livereview.store.db import reading, transaction
    from livereview.store.releases import parse_version, release, summary

    parse_version(version)   # a bad version string is refused before the store is opened
    with open_store(protocol) as opened:
        ctx = reading(opened.engine) if dry_run else transaction(opened.engine)
        with ctx as s:
            snapshot = release(s, opened.protocol, version, actor=actor, allow_open=allow_open, dry_run=dry_run)
    out = summary(snapshot)
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    head = "dry run, nothing written: would release" if dry_run else "released"
    opened_n = sum(len(v) for v in snapshot["open"].values())
    typer.echo(f"{head} version {version} (after {snapshot['previous']}): {out['included_total']} studies included, "
               f"{out['included_new']} new; {len(snapshot['search_log'])} searches and imports; protocol "
               f"{', '.join(out['protocol_versions']) or 'not recorded'}"
               + (f"; {opened_n} open items recorded" if opened_n else ""))


def _show(version: str, *, evidence_table: bool, fmt: ReleaseFormat, output: Path | None) -> None:
    from livereview.reports import release as render
    from livereview.store.db import reading
    from livereview.store.releases import get_release, parse_version

    parse_version(version)
    if fmt is ReleaseFormat.pdf and output is None:
        raise typer.BadParameter("a PDF is not for the terminal: add --output FILE", param_hint="--output")
    if fmt is ReleaseFormat.xlsx and output is None:
        raise typer.BadParameter("a workbook is not for the terminal: add --output FILE", param_hint="--output")
    with open_store(read_protocol=False) as opened, reading(opened.engine) as s:
        rel = get_release(s, version)
        snapshot, sha = rel.snapshot, rel.sha256
    data: str | bytes
    if fmt is ReleaseFormat.csv:
        data = render.evidence_csv(snapshot)
    elif fmt is ReleaseFormat.xlsx:
        data = render.evidence_xlsx(snapshot)
    elif fmt is ReleaseFormat.json:
        data = render.evidence_json(snapshot) if evidence_table else json.dumps(snapshot, indent=2) + "\n"
    elif evidence_table:
        html = render.evidence_html(snapshot)
        data = render.html_to_pdf(html) if fmt is ReleaseFormat.pdf else html
    else:
        html = render.report_html(snapshot, sha)
        data = render.html_to_pdf(html) if fmt is ReleaseFormat.pdf else html
    write_output(data, output)
    if output is not None:
        what = "evidence table" if evidence_table or fmt in (ReleaseFormat.csv, ReleaseFormat.xlsx) else "report"
        typer.echo(f"version {version} {what} ({fmt.value}) written to {output}", err=True)


def _diff(old: str, new: str, *, as_json: bool) -> None:
    from livereview.reports.release import render_diff
    from livereview.store.db import reading
    from livereview.store.releases import diff, get_release

    with open_store(read_protocol=False) as opened, reading(opened.engine) as s:
        d = diff(get_release(s, old).snapshot, get_release(s, new).snapshot)
    typer.echo(json.dumps(d, indent=2, ensure_ascii=False) if as_json else render_diff(d), nl=as_json)


def _list(*, as_json: bool) -> None:
    from livereview.store.db import reading
    from livereview.store.releases import releases, verify

    with open_store(read_protocol=False) as opened, reading(opened.engine) as s:
        rows = [{"version": r.version, "previous": r.previous_version, "released_at": r.released_at.isoformat(),
                 "released_by": r.released_by, "included_total": r.included_total, "included_new": r.included_new,
                 "open_items": r.open_items, "intact": verify(r)} for r in releases(s)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no version released yet: `livereview init` records 1.0")
    for r in rows:
        typer.echo(f"{r['version']:8} {r['released_at'][:16]}  {r['included_total']} included, {r['included_new']} "
                   f"new" + (f", {r['open_items']} open" if r["open_items"] else "")
                   + ("" if r["intact"] else "  SNAPSHOT CHANGED: its SHA-256 no longer matches"))


@app.command("theme")
def theme_cmd(
    work: Annotated[int, typer.Argument(help="Id of the included study.")],
    theme: Annotated[str, typer.Argument(help="One of the protocol's [[synthesis.themes]] ids.")],
    changes: Annotated[bool, typer.Option("--changes-conclusion/--consistent", help="Does the study change the "
                                          "theme's conclusion?")] = False,
    note: Annotated[str | None, typer.Option(help="How it bears on the theme (needed with --changes-conclusion).")]
    = None,
    reviewer: Annotated[str, typer.Option(help="Who tags it (recorded in the audit log).")] = "cli",
    protocol: ProtocolOpt = None,
) -> None:
    """Tag an included study with a synthesis theme; the release report groups new studies by theme."""
    from livereview.store.db import transaction
    from livereview.store.releases import tag_theme

    with open_store(protocol) as opened, transaction(opened.engine) as s:
        tag_theme(s, opened.protocol, work, theme, changes_conclusion=changes, note=note, reviewer=reviewer)
    typer.echo(f"work {work}: theme {theme} " + ("changes its conclusion" if changes else "consistent with it"))
