"""``livereview validate-search`` and ``livereview chase``: is the search finding what it must, and the monthly chase.

Both call the flows' functions directly (not through Prefect) so they run in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ProtocolPath = Annotated[Path | None, typer.Option("--protocol", "-p", help="Protocol file (default: "
                                                   "LIVEREVIEW_PROTOCOL or the bundled ia-coaching.toml).")]


def _open(protocol: Path | None):  # noqa: ANN202
    from livereview.protocols.model import load_protocol
    from livereview.settings import load_settings
    from livereview.store.db import make_engine

    settings = load_settings()
    return settings, load_protocol(protocol or settings.protocol), make_engine(settings.resolved_database_url)


def validate_search(
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable): pubmed, "
                                                     "europepmc, openalex, crossref, feeds.")] = None,
    protocol: ProtocolPath = None,
) -> None:
    """Check that each source's query retrieves the known included studies; print recall and every miss.

    A miss says why (no identifier for the source, not indexed, indexed but not matched) and which
    expansion block would catch it. The result is stored per protocol version; the digest warns when a
    protocol change lowers recall. Exit 4 when a source could not be checked.
    """
    from livereview.flows.validate import validate_search as run

    settings, proto, engine = _open(protocol)
    try:
        results = run(settings, proto, engine, sources=source or None)
    finally:
        engine.dispose()
    failed = False
    for r in results:
        if r.error:
            typer.echo(f"{r.source}: not measured: {r.error}", err=True)
            failed = True
            continue
        for added in r.added:
            typer.echo(f"{r.source:<10} added {added} (from the source; not in the seed corpus)")
        if r.not_measured:
            typer.echo(f"{r.source:<10} not measured: {r.not_measured}")
            continue
        typer.echo(f"{r.source:<10} recall {r.found}/{r.total} ({(r.recall or 0):.0%})")
        for m in r.misses:
            hint = f" — would catch: {'; '.join(m.would_catch)}" if m.would_catch else ""
            typer.echo(f"    miss  {m.label}: {m.reason}{hint}")
    typer.echo(f"protocol {proto.review.version}: {len(results)} source(s) checked")
    if failed:
        raise typer.Exit(4)


def chase(protocol: ProtocolPath = None) -> None:
    """Run the monthly chase once now: evidence watch and citation chasing on every included study."""
    from livereview.flows.chase import execute_chase

    settings, proto, engine = _open(protocol)
    try:
        summary = execute_chase(settings, proto, engine)
    finally:
        engine.dispose()
    for err in summary["errors"]:
        typer.echo(err, err=True)
    found = {m: c.get("new", 0) for m, c in summary["methods"].items()}
    typer.echo(f"chase run {summary['run_id']} {summary['status']}: {summary['chased']} of {summary['studies']} "
               f"studies chased ({summary['skipped_recent']} recently, {summary['deferred_budget']} deferred to "
               f"the next run by the OpenAlex budget); {summary['notices']} new notice(s); new works "
               + ", ".join(f"{m} {n}" for m, n in sorted(found.items())) + "; requests "
               + ", ".join(f"{a} {n}" for a, n in summary["requests"].items()))
    if summary["status"] != "succeeded":
        raise typer.Exit(4)
