"""Admin: agreement between reviewers per stage and per update (Cohen's kappa for two, Fleiss' for more)."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from livereview.store import screening as sc
from livereview.store.accounts import User
from livereview.store.models import Decision, Import, Run, Work
from livereview.web.agreement import Agreement, agreement, cohen_kappa
from livereview.web.context import admin_user, get_db, render

router = APIRouter()


def update_label(work_run: int | None, work_import: int | None, runs: dict[int, str], imports: dict[int, str]) -> str:
    if work_run is not None:
        return f"run #{work_run} ({runs.get(work_run, '?')})"
    if work_import is not None:
        return f"import #{work_import} ({imports.get(work_import, '?')})"
    return "seed and other"


def ratings_by_update(db: Session) -> dict[str, dict[str, dict[int, dict[str, str]]]]:
    """stage -> update -> work -> {reviewer: current vote} (independent votes only: no finals, no withdrawn)."""
    runs = {r.id: f"{r.started_at:%Y-%m-%d}" for r in db.scalars(select(Run))}
    imports = {i.id: i.source for i in db.scalars(select(Import))}
    rows = db.execute(select(Decision.work_id, Decision.stage, Decision.reviewer, Decision.decision,
                             Work.first_run_id, Work.first_import_id)
                      .join(Work, Work.id == Decision.work_id)
                      .where(Decision.is_final.is_(False), Decision.origin == "web")
                      .order_by(Decision.decided_at, Decision.id))
    latest: dict[tuple[str, str, int], dict[str, str]] = defaultdict(dict)
    for work_id, stage, reviewer, vote, run_id, import_id in rows:
        latest[(stage, update_label(run_id, import_id, runs, imports), work_id)][reviewer] = vote
    out: dict[str, dict[str, dict[int, dict[str, str]]]] = defaultdict(lambda: defaultdict(dict))
    for (stage, update, work_id), votes in latest.items():
        votes = {r: v for r, v in votes.items() if v != sc.WITHDRAWN}
        if votes:
            out[stage][update][work_id] = votes
    return out


def pairwise(items: dict[int, dict[str, str]]) -> list[tuple[str, str, int, float | None]]:
    raters = sorted({r for votes in items.values() for r in votes})
    found = []
    for i, a in enumerate(raters):
        for b in raters[i + 1:]:
            pairs = [(v[a], v[b]) for v in items.values() if a in v and b in v]
            if pairs:
                found.append((a, b, len(pairs), cohen_kappa(pairs)))
    return found


@router.get("/agreement", name="agreement")
def agreement_page(request: Request, db: Session = Depends(get_db), user: User = Depends(admin_user)) -> Response:
    data = ratings_by_update(db)
    stages = []
    for stage in sc.STAGES:
        updates = data.get(stage, {})
        merged: dict[int, dict[str, str]] = {}
        for items in updates.values():
            merged.update(items)
        rows: list[tuple[str, Agreement]] = [(u, agreement(items)) for u, items in sorted(updates.items())]
        stages.append({"stage": stage, "overall": agreement(merged), "updates": rows, "pairs": pairwise(merged)})
    return render(request, "agreement.html", user=user, title="Agreement", stages=stages)
