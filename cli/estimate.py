"""``livereview protocol estimate``: how many records each source and query would bring, before anything runs.

Count-only requests (no record is fetched); the result is printed (or as JSON) and kept in the store when it is
reachable, so the digest can set the last estimate beside the actual yield.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from livereview.cli.shared import ProtocolOpt, protocol_app


@protocol_app.command("estimate")
def protocol_estimate(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable): "
                                                     "pubmed, europepmc, openalex, crossref.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
    protocol: ProtocolOpt = None,
) -> None:
    """Count what each source and named query holds over the backfill window and the last four weeks.

    Prints the expected records per week beside the protocol's review.weekly_capacity. A source that cannot
    answer (unreachable, no key) is named with its error and no figures. Exit 4 when a source could not be
    counted.
    """
    from livereview.flows.estimate import COUNTABLE, estimate
    from livereview.protocols.model import load_protocol
    from livereview.settings import load_settings

    settings = load_settings()
    proto = load_protocol(protocol or settings.protocol)
    unknown = [s for s in source or [] if s not in COUNTABLE]
    if unknown:
        raise typer.BadParameter(f"cannot count {', '.join(unknown)}; countable sources: {', '.join(COUNTABLE)}",
                                 param_hint="--source")
    est = estimate(settings, proto, sources=source or None)
    data = est.as_json()
    stored = _store(settings, proto, data)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(f"protocol {proto.review.version}: backfill {est.backfill_window}, recent {est.recent_window}")
        typer.echo(f"{'source:query':42} {'backfill':>10} {'per week':>9}")
        for name, src in est.sources.items():
            if src.error:
                typer.echo(f"{name}: not counted: {src.error}", err=True)
                continue
            for q, e in src.queries.items():
                note = "  (sub-query, within the above)" if e.subquery else ""
                typer.echo(f"{name + ':' + q:42} {e.backfill:>10} {e.per_week:>9}{note}")
        cap = est.capacity_per_week
        typer.echo(f"expected {est.per_week_total} records/week (upper bound: queries overlap) against a capacity "
                   f"of {cap if cap is not None else 'not set (review.weekly_capacity)'}"
                   + ("" if stored else "; not stored (no reachable store)"))
    if any(s.error for s in est.sources.values()):
        raise typer.Exit(4)


def _store(settings, proto, data) -> bool:  # noqa: ANN001
    """Keep the estimate for the digest; a store that is not there (or not migrated) is not an error here."""
    from livereview.store.context import open_store
    from livereview.store.db import transaction
    from livereview.store.estimates import record_estimate

    try:
        with open_store(proto, settings=settings) as opened, transaction(opened.engine) as s:
            record_estimate(s, proto.review.id, proto.review.version, proto.sha256 or "", proto.text or "",
                            proto.path, data)
    except Exception:  # noqa: BLE001 - printing the estimate matters more than keeping it
        return False
    return True
