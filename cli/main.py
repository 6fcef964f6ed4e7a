"""The ``livereview`` command: thin wrappers that build settings, call a flow or a store function, print.

Every failure a user can cause is a :class:`~livereview.errors.LiveReviewError`: it is printed as
one line on stderr and the process exits with that error's code (see ``EXIT_CODES``), never with
a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.digest import digest
from cli.simulate import rank, simulate
from livereview import __version__
from livereview.errors import LiveReviewError
from livereview.settings import Settings, documented_settings, load_settings

EXIT_CODES = {
    0: "success",
    1: "unexpected error",
    2: "usage or configuration error (bad option, bad LIVEREVIEW_* setting)",
    3: "bad input: protocol file or reference file refused",
    4: "run partial or failed: at least one source failed (see `livereview status`)",
    5: "store error: database unreachable, not initialised, or refused the write",
    6: "another monitor run holds the lock",
    7: "digest --send could not deliver: the digest is kept pending in the outbox for the next --send",
}

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="livereview — keep a registered systematic review's searches running and its corpus current.")
protocol_app = typer.Typer(no_args_is_help=True, help="Inspect and check review protocol files.")
app.add_typer(protocol_app, name="protocol")

ProtocolOpt = Annotated[Path | None, typer.Option(
    "--protocol", "-p", help="Protocol file (default: LIVEREVIEW_PROTOCOL or the bundled ia-coaching.toml).")]


class ImportFormat(StrEnum):
    auto = "auto"
    ris = "ris"
    nbib = "nbib"
    bibtex = "bibtex"
    csv = "csv"
    endnote_xml = "endnote-xml"
    wos = "wos"
    pubmed_xml = "pubmed-xml"
    crossref_json = "crossref-json"
    europepmc_json = "europepmc-json"
    openalex_json = "openalex-json"
    feed = "feed"


class Stage(StrEnum):
    title_abstract = "title-abstract"
    full_text = "full-text"


class PriorDecisionOpt(StrEnum):
    included = "included"
    excluded = "excluded"


class ExportFormat(StrEnum):
    csv = "csv"
    ris = "ris"
    bibtex = "bibtex"


class ExportStatus(StrEnum):
    included = "included"
    excluded = "excluded"
    queued = "queued"
    all = "all"


def _settings() -> Settings:
    return load_settings()


def _protocol(settings: Settings, path: Path | None):  # noqa: ANN202
    from protocols.model import load_protocol

    return load_protocol(path or settings.protocol)


def _engine(settings: Settings, *, require_schema: bool = True):  # noqa: ANN202
    from store.db import make_engine, require_current_schema

    engine = make_engine(settings.resolved_database_url)
    if require_schema:
        require_current_schema(engine)
    return engine


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(level=getattr(logging, settings.log_level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        typer.echo(f"livereview {__version__}")
        raise typer.Exit(0)


@app.command()
def init(protocol: ProtocolOpt = None) -> None:
    """Create or migrate the database, record the protocol version and load the seed corpus (idempotent)."""
    from flows.init_store import init_store

    settings = _settings()
    proto = _protocol(settings, protocol)
    engine = _engine(settings, require_schema=False)
    rep = init_store(engine, proto)
    url = engine.url.render_as_string(hide_password=True)
    typer.echo(f"database  {url}")
    typer.echo(f"schema    {rep.revision_before or 'new'} -> {rep.revision_after}")
    typer.echo(f"protocol  {proto.review.id} version {proto.review.version} (#{rep.protocol_version_id})")
    seed = ", ".join(f"{k} {v}" for k, v in sorted(rep.seed.items())) or "no seed corpus"
    typer.echo(f"seed      {seed}")


@protocol_app.command("show")
def protocol_show(protocol: ProtocolOpt = None,
                  source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source "
                                                                   "(repeatable).")] = None) -> None:
    """Print the resolved query each source will be sent, per named query (core and expansions)."""
    from protocols.queries import describe

    proto = _protocol(_settings(), protocol)
    typer.echo(describe(proto, source), nl=False)


@protocol_app.command("check")
def protocol_check(path: Annotated[Path, typer.Argument(help="Protocol file to validate.")]) -> None:
    """Validate a protocol file without touching the database."""
    from protocols.model import load_protocol

    proto = load_protocol(path)
    typer.echo(f"{path}: ok — {proto.review.id} version {proto.review.version}, {len(proto.concepts)} concepts, "
               f"{len(proto.expansions)} expansions, sources: {', '.join(proto.enabled_sources)}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Export or saved API response to read.")],
    source: Annotated[str, typer.Option(
        "--source", help="Label of where the file came from (wos, ebsco, psycinfo …).")],
    fmt: Annotated[ImportFormat, typer.Option("--format", help="File format; auto detects from the content.")]
    = ImportFormat.auto,
    decision: Annotated[PriorDecisionOpt | None, typer.Option(help="Carry a prior screening decision for every "
                                                               "record (e.g. the team's 2023 screening).")] = None,
    stage: Annotated[Stage, typer.Option(help="Stage of the prior decision.")] = Stage.title_abstract,
    reviewer: Annotated[str | None, typer.Option(help="Who made the prior decision.")] = None,
    reason: Annotated[str | None, typer.Option(help="Exclusion reason id for --decision excluded.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing; report what would happen.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the normalised records as JSON Lines.")] = False,
    protocol: ProtocolOpt = None,
) -> None:
    """Import a reference file: parse, normalise, deduplicate against the store, queue what is new."""
    from flows.file_import import import_file, parse_file
    from store.ingest import PriorDecision

    settings = _settings()
    if decision is not None and not reviewer:
        raise typer.BadParameter("--decision needs --reviewer", param_hint="--reviewer")
    proto = _protocol(settings, protocol)
    if reason and reason not in dict(proto.exclusion_reasons):
        raise typer.BadParameter(f"unknown reason {reason!r}; the protocol's reasons are "
                                 f"{', '.join(dict(proto.exclusion_reasons))}", param_hint="--reason")
    if dry_run and as_json:
        _, records = parse_file(file, fmt=fmt.value, source=source)
        for rec in records:
            typer.echo(rec.to_json())
        return
    if as_json:
        raise typer.BadParameter("--json is only available with --dry-run", param_hint="--json")
    prior = None
    if decision is not None:
        prior = PriorDecision("include" if decision is PriorDecisionOpt.included else "exclude", stage.value,
                              reviewer or "", reason)
    rep = import_file(_engine(settings), proto, file, source=source, fmt=fmt.value, prior=prior, dry_run=dry_run)
    if rep.already_imported:
        typer.echo(f"{file}: already imported as import #{rep.import_id} (source {source}); nothing changed")
        return
    head = "dry run, nothing written" if dry_run else f"import #{rep.import_id}"
    counts = ", ".join(f"{k} {v}" for k, v in rep.counts.items() if v and k != "records")
    typer.echo(f"{file}: {rep.records} records ({rep.format}) — {head}: {counts}")


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = ExportFormat.csv,
    status: Annotated[ExportStatus, typer.Option(help="Which works: included, excluded, queued (still open) or all.")]
    = ExportStatus.all,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Write the store's works (one row per work, with identifiers and status) as CSV, RIS or BibTeX."""
    from connectors.files.write import WRITERS
    from store.db import reading
    from store.queries import works_for_export

    settings = _settings()
    engine = _engine(settings)
    with reading(engine) as s:
        rows = works_for_export(s, status.value)
        if output is None:
            n = WRITERS[fmt.value](rows, sys.stdout)
        else:
            tmp = output.with_name(output.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                n = WRITERS[fmt.value](rows, fh)
            tmp.replace(output)
    typer.echo(f"{n} works written" + (f" to {output}" if output else ""), err=True)


@app.command()
def dedupe(
    file: Annotated[Path, typer.Argument(help="Reference file to deduplicate on its own (no store involved).")],
    groups_out: Annotated[Path, typer.Option("--groups-out", help="CSV to write: one row per duplicate group, "
                                             "column merged_ids = the file's record IDs joined by ';'.")],
    fmt: Annotated[ImportFormat, typer.Option("--format", help="File format; auto detects from the content.")]
    = ImportFormat.auto,
) -> None:
    """Find duplicate groups in one file (identifiers, then fuzzy matching) and write them as CSV."""
    from dedup import find_duplicates, write_groups_csv
    from flows.file_import import parse_file

    fmt_name, records = parse_file(file, fmt=fmt.value, source="dedupe")
    result = find_duplicates(records)
    tmp = groups_out.with_name(groups_out.name + ".part")
    write_groups_csv(records, result, tmp)
    tmp.replace(groups_out)
    removable = sum(len(g) - 1 for g in result.groups)
    typer.echo(f"{file}: {len(records)} records ({fmt_name}) — {len(result.groups)} duplicate groups, "
               f"{removable} removable duplicates, {len(result.version_pairs)} preprint/published pairs, "
               f"{len(result.notice_pairs)} erratum/retraction notices matched to their article "
               f"— groups written to {groups_out}")


@app.command()
def merge(
    keep: Annotated[int, typer.Argument(help="Id of the work to keep.")],
    duplicate: Annotated[int, typer.Argument(help="Id of the work to merge into it.")],
    actor: Annotated[str, typer.Option(help="Who decided (recorded in the audit log).")] = "cli",
) -> None:
    """Merge two works found to be the same: records, decisions and identifiers move; undo with `unmerge`."""
    from store.db import transaction
    from store.merge import merge_works
    from store.models import Work

    settings = _settings()
    proto = _protocol(settings, None)
    with transaction(_engine(settings)) as s:
        kept, dup = s.get(Work, keep), s.get(Work, duplicate)
        if kept is None or dup is None:
            raise typer.BadParameter(f"no work {keep if kept is None else duplicate}")
        try:
            m = merge_works(s, kept, dup, rule="manual", actor=actor,
                            reviewers_required=proto.review.reviewers_per_record)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo(f"merge #{m.id}: work {duplicate} merged into {keep} "
                   f"({len(m.moved['decisions'])} decisions, {len(m.moved['source_records'])} records moved)")


@app.command()
def unmerge(
    merge_id: Annotated[int, typer.Argument(help="Merge number printed by `merge` (or in the audit log).")],
    actor: Annotated[str, typer.Option(help="Who decided (recorded in the audit log).")] = "cli",
) -> None:
    """Undo a merge (automatic or manual): everything moved goes back to the merged work."""
    from store.db import transaction
    from store.merge import undo_merge

    settings = _settings()
    proto = _protocol(settings, None)
    with transaction(_engine(settings)) as s:
        try:
            m = undo_merge(s, merge_id, actor=actor, reviewers_required=proto.review.reviewers_per_record)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo(f"merge #{m.id} undone: work {m.merged_id} is separate from work {m.kept_id} again")


@app.command()
def config(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False) -> None:
    """Show the settings in effect (secrets masked) and where they come from."""
    settings = _settings()
    values = {}
    for env in documented_settings():
        name = env.removeprefix("LIVEREVIEW_").lower()
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            value = "***" if value is not None else None
        values[env] = None if value is None else str(value)
    values["database (resolved)"] = settings.resolved_database_url
    if as_json:
        typer.echo(json.dumps(values, indent=2))
        return
    for k, v in values.items():
        typer.echo(f"{k:32} {v if v is not None else '-'}")


@app.command()
def run(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable): "
                                                     "pubmed, europepmc, crossref, openalex, feeds.")] = None,
    since: Annotated[str | None, typer.Option(help="Fetch from this date (YYYY-MM-DD) instead of each source's "
                                              "watermark; watermarks still only move forward.")] = None,
    protocol: ProtocolOpt = None,
    no_alert: Annotated[bool, typer.Option("--no-alert", help="Do not e-mail the maintainer on failure.")] = False,
) -> None:
    """Run the monitor flow once, in this process (Prefect local mode; no server needed), and print a summary.

    Exit 0 when every source succeeded, 4 when the run was partial or failed, 6 when another run holds the lock.
    """
    # Prefect local mode: no telemetry calls, and time for a first start (it migrates its own SQLite database)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from flows.monitor import monitor
    from store.db import reading
    from store.runs import last_runs

    settings = _settings()
    _setup_logging(settings)
    proto_path = str((protocol or settings.protocol).resolve())
    _protocol(settings, Path(proto_path))  # refuse a bad protocol before Prefect starts
    engine = _engine(settings)
    since_date = _parse_date(since)
    with reading(engine) as s:
        before = [r.id for r in last_runs(s, 1)]
    state = monitor(protocol_path=proto_path, sources=source or None,
                    since=since_date.isoformat() if since_date else None, alert=not no_alert, return_state=True)
    with reading(engine) as s:
        runs = last_runs(s, 1)
        if not runs or [runs[0].id] == before:  # the flow stopped before a run was recorded
            exc = state.result(raise_on_failure=False) if state.is_failed() else None
            if isinstance(exc, LiveReviewError):
                raise exc
            raise LiveReviewError(f"the monitor run did not start: {exc or state.message}")
        last = runs[0]
        typer.echo(render_run(last))
        code = 0 if last.status == "succeeded" else 4
    raise typer.Exit(code)


def render_run(run) -> str:  # noqa: ANN001
    """A fixed-width table of one run's streams."""
    head = f"run #{run.id}  {run.status}  started {run.started_at:%Y-%m-%d %H:%M} UTC"
    cols = ("stream", "window", "status", "fetched", "new", "dup", "update", "notice", "req")
    rows = [cols]
    for sr in run.source_runs:
        c = sr.counts or {}
        dup = sum(c.get(k, 0) for k in ("already-queued", "in-corpus", "unchanged"))
        window = f"{sr.window_start}..{sr.window_end}" if sr.window_start else "-"
        rows.append((sr.stream, window, sr.status, str(c.get("fetched", 0)), str(c.get("new", 0)), str(dup),
                     str(c.get("update", 0)), str(c.get("notice", 0)), str(sr.requests or 0)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = [head, ""] + ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    for sr in run.source_runs:
        if sr.error:
            lines.append(f"{sr.stream}: {sr.status}: {sr.error}")
        for w in sr.warnings or []:
            lines.append(f"{sr.stream}: warning: {w}")
    return "\n".join(lines)


@app.command()
def status(limit: Annotated[int, typer.Option(help="How many recent runs to list.")] = 5) -> None:
    """Show the last runs, each source's health (last success, last error, records) and the watermarks."""
    from sqlalchemy import select

    from store.db import reading
    from store.models import SourceRun, Watermark
    from store.queries import status_counts
    from store.runs import last_runs

    settings = _settings()
    engine = _engine(settings)
    with reading(engine) as s:
        runs = last_runs(s, limit)
        typer.echo("Runs")
        if not runs:
            typer.echo("  none yet: `livereview run`")
        for r in runs:
            t = (r.summary or {}).get("totals", {})
            typer.echo(f"  #{r.id}  {r.started_at:%Y-%m-%d %H:%M}  {r.status:9}  new {t.get('new', 0)}  "
                       f"fetched {t.get('fetched', 0)}" + (f"  error: {r.error}" if r.error else ""))
        typer.echo("\nSources")
        sources = sorted(set(s.scalars(select(SourceRun.source))))
        for src in sources:
            ok = s.scalars(select(SourceRun).where(SourceRun.source == src, SourceRun.status == "succeeded")
                           .order_by(SourceRun.id.desc())).first()
            bad = s.scalars(select(SourceRun).where(SourceRun.source == src, SourceRun.status == "failed")
                            .order_by(SourceRun.id.desc())).first()
            last_ok = f"{ok.finished_at:%Y-%m-%d %H:%M}" if ok and ok.finished_at else "never"
            recs = (ok.counts or {}).get("fetched", 0) if ok else 0
            line = f"  {src:10} last success {last_ok}  records {recs}"
            if bad and (not ok or bad.id > ok.id):
                line += f"  FAILING: {bad.error}"
            typer.echo(line)
        if not sources:
            typer.echo("  no source has run yet")
        typer.echo("\nWatermarks")
        for wm in s.scalars(select(Watermark).order_by(Watermark.stream)):
            typer.echo(f"  {wm.stream:45} {wm.last_window_end}")
        typer.echo("\nWorks by status")
        for st, n in sorted(status_counts(s).items()):
            typer.echo(f"  {st:22} {n}")


@app.command()
def serve(protocol: ProtocolOpt = None) -> None:
    """Run the weekly monitor and digest on their schedules on this machine (needs `prefect server start`).

    Schedules come from the protocol's [monitor] and [digest] tables. Stop with Ctrl-C.
    """
    from prefect import serve as prefect_serve
    from prefect.schedules import Cron
    from prefect.settings import PREFECT_API_URL

    from flows.digest import weekly_digest
    from flows.monitor import monitor
    from livereview.errors import ConfigError

    settings = _settings()
    proto_path = (protocol or settings.protocol).resolve()
    proto = _protocol(settings, proto_path)
    _engine(settings)
    if not PREFECT_API_URL.value():
        raise ConfigError("PREFECT_API_URL is not set: scheduled runs need a Prefect server. Start one with "
                          "`prefect server start` and run `prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`")
    params = {"protocol_path": str(proto_path)}
    prefect_serve(
        monitor.to_deployment(name="weekly-monitor", parameters=params, tags=["livereview", "monitor"],
                              schedules=[Cron(proto.monitor.cron, timezone=proto.monitor.timezone)]),
        weekly_digest.to_deployment(name="weekly-digest", parameters=params, tags=["livereview", "digest"],
                                    schedules=[Cron(proto.digest.cron, timezone=proto.digest.timezone)]),
    )


app.command("digest")(digest)
app.command("simulate")(simulate)
app.command("rank")(rank)


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def main() -> None:
    """Console entry point: run the app, turning our errors into one line and an exit code."""
    try:
        code = app(standalone_mode=False)  # click returns the exit code instead of raising SystemExit here
    except LiveReviewError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.exceptions.TyperException as exc:  # usage errors (typer's own click): message + exit 2
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)
