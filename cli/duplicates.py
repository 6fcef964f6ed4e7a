"""``livereview duplicates``: the web app's duplicates page on the command line — what each run's or import's
deduplication did, the near misses to decide, and the answers (merge, not a duplicate, split off)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from livereview.cli.shared import app
from livereview.store.context import open_store

duplicates_app = typer.Typer(no_args_is_help=True, help="Review what the deduplication did: list, answer, split.")
app.add_typer(duplicates_app, name="duplicates")


class Answer(StrEnum):
    merge = "merge"
    distinct = "distinct"


def _batch(run: int | None, import_id: int | None) -> tuple[str | None, int | None]:
    if run is not None and import_id is not None:
        raise typer.BadParameter("give --run or --import, not both")
    return ("run", run) if run is not None else ("import", import_id) if import_id is not None else (None, None)


@duplicates_app.command("list")
def list_pairs(
    run: Annotated[int | None, typer.Option("--run", help="Only this run's.")] = None,
    import_id: Annotated[int | None, typer.Option("--import", help="Only this import's.")] = None,
    status: Annotated[str, typer.Option(help="open, merged, distinct or all.")] = "open",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
) -> None:
    """Runs and imports with what their deduplication did, and the pairs put before people (open ones first)."""
    from livereview.store import duplicates as dup
    from livereview.store.db import reading

    if status not in ("open", "merged", "distinct", "all"):
        raise typer.BadParameter(f"--status {status!r}: open, merged, distinct or all")
    kind, number = _batch(run, import_id)
    with open_store() as opened, reading(opened.engine) as s:
        batches = dup.batches(s)
        found = dup.pairs(s, kind, number, status=None if status == "all" else status)  # type: ignore[arg-type]
        works = dup.works_by_id(s, {p.work_id for p in found} | {p.other_id for p in found})
        rows: list[dict[str, Any]] = [
            {"pair": p.id, "status": p.status, "score": p.score, "rule": p.rule, "why": dup.explain_rule(p.rule),
             "new": p.work_id, "known": p.other_id, "run": p.run_id, "import": p.import_id,
             "new_title": works[p.work_id].title if p.work_id in works else None,
             "known_title": works[p.other_id].title if p.other_id in works else None}
            for p in found]
        summary = [{"batch": f"{b.kind}-{b.id}", "label": b.label, "joined": b.joined, "merged": b.merged,
                    "open_pairs": b.open_pairs} for b in batches]
    if as_json:
        typer.echo(json.dumps({"batches": summary, "pairs": rows}, indent=2, default=str))
        return
    for b in summary:
        typer.echo(f"{b['label']}: {b['joined']} joined by a rule, {b['merged']} merged, {b['open_pairs']} to decide")
    for r in rows:
        score = f"{r['score']:.2f}" if r["score"] is not None else "-"
        typer.echo(f"pair {r['pair']} [{r['status']}] score {score} ({r['rule']}): #{r['new']} "
                   f"{(r['new_title'] or '')[:60]!r} ~ #{r['known']} {(r['known_title'] or '')[:60]!r}")
    typer.echo(f"{len(rows)} pair(s)")


@duplicates_app.command("answer")
def answer(
    pair: Annotated[int, typer.Argument(help="Pair number from `duplicates list`.")],
    verdict: Annotated[Answer, typer.Argument(help="merge (one work; undo with `unmerge`) or distinct (never "
                                                   "proposed again).")],
    actor: Annotated[str, typer.Option(help="Who decided (recorded in the audit log).")] = "cli",
) -> None:
    """Answer a near miss: merge the two works, or keep them apart for good."""
    from livereview.store import duplicates as dup
    from livereview.store.db import transaction

    with open_store() as opened, transaction(opened.engine) as s:
        try:
            p = dup.decide_pair(s, pair, verdict.value, actor=actor,  # type: ignore[arg-type]
                                reviewers_required=opened.protocol.review.reviewers_by_stage)
        except dup.DuplicateReviewError as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo(f"pair {p.id}: " + (f"work {p.work_id} merged into {p.other_id}" if p.status == "merged"
                                       else f"works {p.work_id} and {p.other_id} kept apart"))


@duplicates_app.command("split")
def split(
    record: Annotated[int, typer.Argument(help="Source record number (the duplicates page, `--json` of list).")],
    actor: Annotated[str, typer.Option(help="Who decided (recorded in the audit log).")] = "cli",
) -> None:
    """Take a record a matching rule joined to a work off it again: a work of its own, queued for screening."""
    from livereview.store import duplicates as dup
    from livereview.store.db import transaction

    with open_store() as opened, transaction(opened.engine) as s:
        try:
            new = dup.split_record(s, record, actor=actor,
                                   reviewers_required=opened.protocol.review.reviewers_by_stage)
        except dup.DuplicateReviewError as exc:
            raise typer.BadParameter(str(exc)) from exc
        typer.echo(f"record {record} split off: work {new.id}, queued for screening")
