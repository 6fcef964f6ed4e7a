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
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from livereview import __version__
from livereview.cli import logs
from livereview.cli.shared import ProtocolOpt, app, batch_gc, output_file, parse_date, parse_ids, protocol_app
from livereview.connectors.files import FORMATS
from livereview.connectors.files.write import EXPORT_FORMATS
from livereview.errors import LiveReviewError
from livereview.records.vocabulary import SOURCES, STAGES
from livereview.secrets import scrub
from livereview.settings import documented_settings, load_settings
from livereview.store.context import open_store, opened_store_name

EXIT_CODES = {
    0: "success",
    1: "unexpected error",
    2: "usage or configuration error (bad option, bad LIVEREVIEW_* setting)",
    3: "bad input: protocol file or reference file refused",
    4: "run partial or failed: at least one source failed (see `livereview status`)",
    5: "store error: database unreachable, not initialised, or refused the write",
    6: "another monitor run holds the lock",
    7: "digest --send could not deliver: the digest is kept pending in the outbox for the next --send",
    8: "first run refused: its estimated volume exceeds the protocol's capacity (rerun with --accept-volume)",
    9: "release refused: open conflicts, extractions or appraisals, an existing version, or no such version",
}

#: ``--format`` choices of ``import`` and ``dedupe``: derived from the readers and the source registry
ImportFormat = StrEnum("ImportFormat", {f.replace("-", "_"): f for f in ("auto", *FORMATS)})


#: ``--stage`` choices: the screening stages (records.vocabulary.STAGES)
Stage = StrEnum("Stage", {s.replace("-", "_"): s for s in STAGES})


class PriorDecisionOpt(StrEnum):
    included = "included"
    excluded = "excluded"


#: reference-file writers, plus ASReview's CSV (reports/exports.py)
ExportFormat = StrEnum("ExportFormat", {f: f for f in (*EXPORT_FORMATS, "asreview")})


class ExportStatus(StrEnum):
    included = "included"
    excluded = "excluded"
    queued = "queued"
    all = "all"
    unscreened = "unscreened"
    screening = "screening"
    conflict = "conflict"
    awaiting_full_text = "awaiting-full-text"
    full_text_screening = "full-text-screening"
    full_text_conflict = "full-text-conflict"


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
          verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Full log records on stderr, tracebacks "
                                                "included (they always go to <data dir>/livereview.log).")] = False,
          ) -> None:
    if version:
        typer.echo(f"livereview {__version__}")
        raise typer.Exit(0)
    logs.verbose = verbose
    logs.summary_follows = False
    logs.setup_logging("INFO", None)  # settings warnings (an unknown LIVEREVIEW_* name) as one line
    try:
        settings = load_settings()
    except LiveReviewError:
        return  # the command reports it
    logs.setup_logging(settings.log_level, settings.data_dir)


@app.command()
def init(protocol: ProtocolOpt = None) -> None:
    """Create or migrate the database, record the protocol version and load the seed corpus (idempotent)."""
    from livereview.flows.init_store import init_store

    with open_store(protocol, require_schema=False) as opened:
        proto = opened.protocol
        rep = init_store(opened.engine, proto)
        url = opened.engine.url.render_as_string(hide_password=True)
    typer.echo(f"database  {url}")
    typer.echo(f"schema    {rep.revision_before or 'new'} -> {rep.revision_after}")
    typer.echo(f"protocol  {proto.review.id} version {proto.review.version} (#{rep.protocol_version_id})")
    seed = ", ".join(f"{k} {v}" for k, v in sorted(rep.seed.items())) or "no seed corpus"
    typer.echo(f"seed      {seed}")
    if rep.extraction:   # the published review's Tables 2/3 as version 1.0 of the extraction (issue 21)
        typer.echo("extraction " + ", ".join(f"{k} {v}" for k, v in rep.extraction.items()))
    if rep.baseline_recorded:
        typer.echo("release   version 1.0, the published review, recorded")


@protocol_app.command("show")
def protocol_show(protocol: ProtocolOpt = None,
                  source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source "
                                                                   "(repeatable).")] = None) -> None:
    """Print the resolved query each source will be sent, per named query (core and expansions)."""
    from livereview.protocols.model import load_protocol
    from livereview.protocols.queries import describe

    proto = load_protocol(protocol or load_settings().protocol)
    typer.echo(describe(proto, source), nl=False)


@protocol_app.command("check")
def protocol_check(path: Annotated[Path, typer.Argument(help="Protocol file to validate.")]) -> None:
    """Validate a protocol file without touching the database."""
    from livereview.protocols.model import load_protocol

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
    query: Annotated[str | None, typer.Option("--query", help="The search as run in that database, for the "
                                              "PRISMA-S search log.")] = None,
    protocol: ProtocolOpt = None,
    database: Annotated[str | None, typer.Option("--database", help="The protocol's manual database whose query the "
                                                 "file answers (default: --source when it names one).")] = None,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for another writer (a monitor run, another "
                                        "import) to finish before giving up with exit 6.")] = 3600,
) -> None:
    """Import a reference file: parse, normalise, deduplicate against the store, queue what is new."""
    from livereview.flows.file_import import import_file, parse_file, summary
    from livereview.store.ingest import PriorDecision

    batch_gc()

    if decision is not None and not reviewer:
        raise typer.BadParameter("--decision needs --reviewer", param_hint="--reviewer")
    from livereview.protocols.model import load_protocol

    settings = load_settings()
    proto = load_protocol(protocol or settings.protocol)
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
    with open_store(proto, settings=settings) as opened:
        rep = import_file(opened.engine, proto, file, source=source, fmt=fmt.value, prior=prior, dry_run=dry_run,
                          query=query, database=database, lock_wait=wait,
                          on_wait=lambda message: typer.echo(message, err=True))
    typer.echo(summary(rep))


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = ExportFormat.csv,
    status: Annotated[ExportStatus, typer.Option(
        help="Which works: included, excluded, queued (all still open), all, or one open status (unscreened, "
             "screening, conflict …).")]
    = ExportStatus.all,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    ids: Annotated[str | None, typer.Option("--ids", help="Only these works: ids separated by commas, or @FILE "
                                            "with one id per line.")] = None,
) -> None:
    """Write the store's works (one row per work, with identifiers and status) as CSV, RIS, BibTeX or ASReview CSV."""
    from livereview.reports.exports import writer
    from livereview.store.db import reading
    from livereview.store.queries import works_for_export

    write = writer(fmt.value)
    selection = parse_ids(ids)
    with open_store(read_protocol=False) as opened, reading(opened.engine) as s:
        rows = works_for_export(s, status.value, selection)
        if output is None:
            n = write(rows, sys.stdout)
        else:
            with output_file(output) as fh:
                n = write(rows, fh)
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
    from collections.abc import Iterator
    from contextlib import closing

    from livereview.dedup import Prepared, find_duplicates_prepared, write_groups_csv
    from livereview.flows.file_import import read_file_prepared
    from livereview.records.model import Record

    batch_gc()

    fmt_name, pairs = read_file_prepared(file, fmt=fmt.value, source="dedupe")
    records: list[Record] = []

    def prepared() -> Iterator[Prepared]:  # matched as the file is read (on a second core, if it is large)
        for record, keys in pairs:
            records.append(record)
            yield keys

    with closing(pairs):
        result = find_duplicates_prepared(prepared())
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
    from livereview.store.db import transaction
    from livereview.store.merge import merge_works
    from livereview.store.models import Work

    with open_store() as opened, transaction(opened.engine) as s:
        proto = opened.protocol
        kept, dup = s.get(Work, keep), s.get(Work, duplicate)
        if kept is None or dup is None:
            raise typer.BadParameter(f"no work {keep if kept is None else duplicate}")
        try:
            m = merge_works(s, kept, dup, rule="manual", actor=actor,
                            reviewers_required=proto.review.reviewers_by_stage)
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
    from livereview.store.db import transaction
    from livereview.store.merge import undo_merge

    with open_store() as opened, transaction(opened.engine) as s:
        proto = opened.protocol
        try:
            m = undo_merge(s, merge_id, actor=actor, reviewers_required=proto.review.reviewers_by_stage)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo(f"merge #{m.id} undone: work {m.merged_id} is separate from work {m.kept_id} again")


@app.command()
def config(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False) -> None:
    """Show the settings in effect (secrets masked) and where they come from."""
    settings = load_settings()
    values = {}
    for env in documented_settings():
        name = env.removeprefix("LIVEREVIEW_").lower()
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            value = "***" if value is not None else None
        values[env] = None if value is None else scrub(str(value))  # a password inside a URL setting
    values["database (resolved)"] = scrub(settings.resolved_database_url)
    if as_json:
        typer.echo(json.dumps(values, indent=2))
        return
    for k, v in values.items():
        typer.echo(f"{k:32} {v if v is not None else '-'}")


@app.command()
def run(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable): "
                                                     f"{', '.join(SOURCES)}.")] = None,
    since: Annotated[str | None, typer.Option(help="Fetch from this date (YYYY-MM-DD) instead of each source's "
                                              "watermark; watermarks still only move forward.")] = None,
    protocol: ProtocolOpt = None,
    no_alert: Annotated[bool, typer.Option("--no-alert", help="Do not e-mail the maintainer on failure.")] = False,
    accept_volume: Annotated[bool, typer.Option("--accept-volume", help="Run a first (backfill) run even when its "
                                                "estimated volume exceeds the protocol's capacity.")] = False,
) -> None:
    """Run the monitor once, in this process, and print a summary.

    Without a Prefect server (no PREFECT_API_URL) the monitor's steps run directly: work starts at once and
    the run is recorded in the store as usual. With PREFECT_API_URL set it runs as a Prefect flow on that
    server. Exit 0 when every source succeeded, 4 when the run was partial or failed, 6 when another run
    holds the lock.
    """
    from prefect.settings import PREFECT_API_URL

    from livereview.flows.monitor import monitor, run_monitor
    from livereview.store.runs import WRITER_LOCK, acquire_lock, release_lock

    settings = load_settings()
    logs.setup_logging(settings.log_level, settings.data_dir)
    logs.summary_follows = True  # each failed stream is a note under the table: not a console line as well
    since_date = parse_date(since)
    # the protocol is read first: a bad protocol is refused before any work
    with open_store((protocol or settings.protocol).resolve(), settings=settings) as opened:
        engine = opened.engine
        if not accept_volume:  # a first run is measured (count-only requests) before anything is fetched
            from livereview.flows.monitor import first_run_volume

            refusal = first_run_volume(settings, opened.protocol, engine, sources=source or None, since=since_date)
            if refusal:
                typer.echo(refusal, err=True)
                raise typer.Exit(8)
        # measured just above (or accepted): the flow does not count again
        args = {"protocol_path": str(opened.protocol_path), "sources": source or None,
                "since": since_date.isoformat() if since_date else None, "alert": not no_alert,
                "accept_volume": True}
        # the lock is taken here, before any work (or Prefect) starts: a second run is told at once, in one line
        # (exit 6); the monitor, in this same process, takes it over and releases it
        acquire_lock(engine, WRITER_LOCK, f"livereview run, pid {os.getpid()}")
        flow_run_id = run_id = None
        try:
            if PREFECT_API_URL.value():
                state = monitor(**args, return_state=True)
                failure = state.result(raise_on_failure=False) if state.is_failed() else None
                message = state.message
                flow_run_id = getattr(state.state_details, "flow_run_id", None)
            else:  # local one-off run: no temporary Prefect server to start (8-45 s), same records in the store
                run_id = run_monitor(**args).get("run_id")
                failure = message = None
        finally:
            release_lock(engine, WRITER_LOCK)
        code = _report_run(engine, flow_run_id, run_id, failure, message)
    raise typer.Exit(code)


def _report_run(engine, flow_run_id: object, run_id: int | None, failure: object,  # noqa: ANN001
                message: str | None) -> int:
    """Print the run's table (and the offline hint); the exit code: 0 when every source succeeded, else 4."""
    from livereview.store.db import reading

    with reading(engine) as s:
        last = own_run(s, flow_run_id, run_id)
        if last is None:  # the flow stopped before recording a run
            if isinstance(failure, LiveReviewError):
                raise failure
            raise LiveReviewError(f"the monitor run did not start: {failure or message}")
        typer.echo(render_run(last))
        code = 0 if last.status == "succeeded" else 4
        if code and no_source_reached(last.summary or {}):
            typer.echo("no network: no source could be reached; `make demo` (or `livereview demo`) shows the whole "
                       "product offline, against recorded responses, in a store of its own", err=True)
    return code


def own_run(session, flow_run_id: object, run_id: int | None):  # noqa: ANN001, ANN201
    """The run this command started (by its id, or its Prefect flow run id), never a run another process started
    meanwhile: comparing the newest run id before and after would show that run's table."""
    from sqlalchemy import select

    from livereview.store.models import Run

    if run_id is not None:
        return session.get(Run, run_id)
    if flow_run_id is not None:
        return session.scalars(select(Run).where(Run.prefect_flow_run_id == str(flow_run_id))).first()
    return None


def no_source_reached(summary: dict) -> bool:
    """True when every stream that was tried failed to reach its source (offline, DNS down, all hosts refused)."""
    tried = [o for o in summary.get("streams", []) if o.get("status") != "skipped"]
    return bool(tried) and all(o.get("status") == "failed" and o.get("unreachable") for o in tried)


def render_run(run) -> str:  # noqa: ANN001
    """A fixed-width table of one run's streams; each problem once, as a numbered note under the table.

    Streams that failed for one cause share its note: a stream not tried because its source was unreachable
    earlier in the run names that first failure in parentheses, and is pointed at the first failure's note
    instead of repeating it (offline, that is every stream of every source: thirty lines of URLs before).
    """
    head = f"run #{run.id}  {run.status}  started {run.started_at:%Y-%m-%d %H:%M} UTC"
    cols = ("stream", "window", "status", "fetched", "new", "dup", "update", "notice", "req")
    rows = [cols]
    notes: list[str] = []
    for sr in run.source_runs:
        c = sr.counts or {}
        dup = sum(c.get(k, 0) for k in ("already-queued", "in-corpus", "unchanged"))
        window = f"{sr.window_start}..{sr.window_end}" if sr.window_start else "-"
        state = f"{sr.status} [{_note(notes, sr.error)}]" if sr.error else sr.status
        rows.append((sr.stream, window, state, str(c.get("fetched", 0)), str(c.get("new", 0)), str(dup),
                     str(c.get("update", 0)), str(c.get("notice", 0)), str(sr.requests or 0)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = [head, ""] + ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines += [f"[{n}] {text}" for n, text in enumerate(notes, 1)]
    for sr in run.source_runs:
        for w in sr.warnings or []:
            lines.append(f"{sr.stream}: warning: {w}")
    return "\n".join(lines)


def _note(notes: list[str], error: str) -> int:
    """The number of the note that says ``error`` (or the failure it repeats in parentheses), added if new."""
    for n, text in enumerate(notes, 1):
        if error == text or error.endswith(f"({text})"):
            return n
    notes.append(error)
    return len(notes)


@app.command()
def status(limit: Annotated[int, typer.Option(help="How many recent runs to list.")] = 5) -> None:
    """Show the last runs, each source's health (last success, last error, failures in a row, records), watermarks."""
    from sqlalchemy import select

    from livereview.store.db import reading
    from livereview.store.health import source_health
    from livereview.store.models import Watermark
    from livereview.store.queries import status_counts
    from livereview.store.runs import last_runs

    with open_store(read_protocol=False) as opened, reading(opened.engine) as s:
        runs = last_runs(s, limit)
        typer.echo("Runs")
        if not runs:
            typer.echo("  none yet: `livereview run`")
        for r in runs:
            t = (r.summary or {}).get("totals", {})
            typer.echo(f"  #{r.id}  {r.started_at:%Y-%m-%d %H:%M}  {r.status:9}  new {t.get('new', 0)}  "
                       f"fetched {t.get('fetched', 0)}" + (f"  error: {r.error}" if r.error else ""))
        typer.echo("\nSources")
        try:
            enabled = opened.protocol.enabled_sources
        except LiveReviewError:  # the store's health does not depend on a readable protocol file
            enabled = []
        health = source_health(s, enabled)
        for h in health:
            last_ok = f"{h.last_success:%Y-%m-%d %H:%M}" if h.last_success else "never"
            line = f"  {h.source:10} {h.state:9} last success {last_ok}  records {h.records}"
            if h.failing:
                line += f"  FAILING {h.failures} run{'s' if h.failures != 1 else ''} in a row: {h.last_error}"
            elif h.last_error and h.last_error_at:
                line += f"  last error {h.last_error_at:%Y-%m-%d}: {h.last_error}"
            typer.echo(line)
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
    if not logs.verbose:  # flow-run tracebacks to the Prefect UI only, in this process and the runs it starts
        os.environ.setdefault("PREFECT_LOGGING_SETTINGS_PATH",
                str(resources.files("livereview.cli") / "prefect_logging.yml"))
    from prefect import serve as prefect_serve
    from prefect.schedules import Cron
    from prefect.settings import PREFECT_API_URL

    from livereview.errors import ConfigError
    from livereview.flows.chase import monthly_chase
    from livereview.flows.digest import weekly_digest
    from livereview.flows.monitor import monitor

    settings = load_settings()
    logs.setup_logging(settings.log_level, settings.data_dir)  # again: importing Prefect installed its own handler
    proto_path = (protocol or settings.protocol).resolve()
    with open_store(proto_path, settings=settings) as opened:  # refuse a bad protocol or store before serving
        proto = opened.protocol
    if not PREFECT_API_URL.value():
        raise ConfigError("PREFECT_API_URL is not set: scheduled runs need a Prefect server. Start one with "
                          "`prefect server start` and run `prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`")
    params = {"protocol_path": str(proto_path)}
    prefect_serve(
        monitor.to_deployment(name="weekly-monitor", parameters=params, tags=["livereview", "monitor"],
                              schedules=[Cron(proto.monitor.cron, timezone=proto.monitor.timezone)]),
        weekly_digest.to_deployment(name="weekly-digest", parameters=params, tags=["livereview", "digest"],
                                    schedules=[Cron(proto.digest.cron, timezone=proto.digest.timezone)]),
        monthly_chase.to_deployment(name="monthly-chase", parameters=params, tags=["livereview", "chase"],
                                    schedules=[Cron(proto.chase.cron, timezone=proto.chase.timezone)]),
    )


# the other command modules register theirs on the same app as they are imported (one way: see cli/shared.py)
from livereview.cli import (  # noqa: E402, F401
    backup,
    demo,
    digest,
    duplicates,
    estimate,
    release,
    reports,
    simulate,
    validate,
    web,
)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, turning our errors into one line and an exit code."""
    try:
        # standalone_mode=False: click returns the exit code instead of raising SystemExit
        code = app(args=argv, prog_name="livereview", standalone_mode=False)
    except LiveReviewError as exc:
        typer.echo(f"error: {scrub(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except DBAPIError as exc:  # the store failed mid-command (a damaged page, the server gone): one line, exit 5
        reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
        typer.echo(f"error: store {opened_store_name()}: {scrub(reason)}", err=True)
        sys.exit(5)
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
    except Exception as exc:
        if logs.verbose:
            raise
        logging.getLogger(logs.CRASH_LOGGER).error("unexpected error", exc_info=exc)  # to the log file only
        typer.echo(f"error: unexpected: {type(exc).__name__}: {scrub(' '.join(str(exc).split()))[:300]} "
                   "(traceback in the log file, or rerun with --verbose)", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
