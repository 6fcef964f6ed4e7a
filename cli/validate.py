"""``livereview validate-search`` and ``livereview chase``: is the search finding what it must, and the monthly chase.

Both call the flows' functions directly (not through Prefect) so they run in this process.
"""

from __future__ import annotations

from typing import Annotated

import typer

from livereview.cli.shared import ProtocolOpt, app
from livereview.store.context import open_store


@app.command("validate-search")
def validate_search(
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable): pubmed, "
                                                     "europepmc, openalex, crossref, feeds.")] = None,
    protocol: ProtocolOpt = None,
) -> None:
    """Check that each source's query retrieves the known included studies; print recall and every miss.

    A miss says why (no identifier for the source, not indexed, indexed but not matched) and which
    expansion block would catch it. The result is stored per protocol version; the digest warns when a
    protocol change lowers recall. Exit 4 when a source could not be checked.
    """
    from livereview.flows.validate import validate_search as run

    with open_store(protocol, require_schema=False) as opened:  # validate_search checks the schema itself
        proto = opened.protocol
        results = run(opened.settings, proto, opened.engine, sources=source or None)
    failed = False
    for r in results:
        if r.error:
            typer.echo(f"{r.source}: not measured: {r.error}", err=True)
            failed = True
            continue
        for line in r.stored or [f"{a}: learned (not stored)" for a in r.added]:
            typer.echo(f"{r.source:<10} identifier {line}")
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


@app.command("chase")
def chase(protocol: ProtocolOpt = None) -> None:
    """Run the monthly chase once now: evidence watch and citation chasing on every included study."""
    from livereview.flows.chase import execute_chase

    with open_store(protocol, require_schema=False) as opened:  # execute_chase checks the schema itself
        summary = execute_chase(opened.settings, opened.protocol, opened.engine)
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
