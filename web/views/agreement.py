"""Admin: agreement between reviewers per stage and per update — Krippendorff's alpha and Gwet's AC1 over every
record with two or more ratings, kappa beside them, pairwise Cohen's kappa.

Blinding: the page is for admins, and even then it counts a record at a stage only when that stage is decided
(include or exclude reached) or the viewing admin has voted on it there. A record still open that the viewer has
not voted on is left out entirely — no vote, no count, no agreement figure moves because of it — so an admin who
also screens learns nothing about votes they have yet to make.
"""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from livereview.store import screening as sc
from livereview.store.accounts import User
from livereview.store.clock import as_utc
from livereview.store.models import Decision, Import, Run, Work
from livereview.web.agreement import Agreement, agreement, cohen_kappa
from livereview.web.context import admin_user, get_db, render, state

router = APIRouter()


def update_label(work_run: int | None, work_import: int | None, runs: dict[int, str], imports: dict[int, str]) -> str:
    if work_run is not None:
        return f"run #{work_run} ({runs.get(work_run, '?')})"
    if work_import is not None:
        return f"import #{work_import} ({imports.get(work_import, '?')})"
    return "seed and other"


def visible_stages(db: Session, viewer: str, reviewers_required: int) -> set[tuple[int, str]]:
    """(work, stage) pairs the viewer may see votes of: the stage is decided, or the viewer voted there."""
    ballots: dict[tuple[int, str], list[sc.Ballot]] = defaultdict(list)
    for d in db.execute(select(Decision.id, Decision.work_id, Decision.reviewer, Decision.stage, Decision.decision,
                               Decision.is_final, Decision.decided_at)):
        ballots[(d.work_id, d.stage)].append(sc.Ballot(d.reviewer, d.stage, d.decision, d.is_final,
                                                       as_utc(d.decided_at), d.id))  # type: ignore[arg-type]
    out = set()
    for key, votes in ballots.items():
        mine = [v for v in votes if v.reviewer == viewer and not v.is_final]
        voted = bool(mine) and max(mine, key=lambda v: (v.decided_at, v.seq)).decision != sc.WITHDRAWN
        if voted or sc._stage_outcome(votes, reviewers_required) in ("include", "exclude"):
            out.add(key)
    return out


def ratings_by_update(db: Session, *, viewer: str | None = None, reviewers_required: int = 2,
                      ) -> dict[str, dict[str, dict[int, dict[str, str]]]]:
    """stage -> update -> work -> {reviewer: current vote} (independent votes only: no finals, no withdrawn);
    with ``viewer``, only the records that viewer may see (:func:`visible_stages`)."""
    runs = {r.id: f"{r.started_at:%Y-%m-%d}" for r in db.scalars(select(Run))}
    imports = {i.id: i.source for i in db.scalars(select(Import))}
    visible = visible_stages(db, viewer, reviewers_required) if viewer is not None else None
    rows = db.execute(select(Decision.work_id, Decision.stage, Decision.reviewer, Decision.decision,
                             Work.first_run_id, Work.first_import_id)
                      .join(Work, Work.id == Decision.work_id)
                      .where(Decision.is_final.is_(False), Decision.origin == "web")
                      .order_by(Decision.decided_at, Decision.id))
    latest: dict[tuple[str, str, int], dict[str, str]] = defaultdict(dict)
    for work_id, stage, reviewer, vote, run_id, import_id in rows:
        if visible is not None and (work_id, stage) not in visible:
            continue
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
    data = ratings_by_update(db, viewer=user.name, reviewers_required=state(request).reviewers_required)
    stages = []
    for stage in sc.STAGES:
        updates = data.get(stage, {})
        merged: dict[int, dict[str, str]] = {}
        for items in updates.values():
            merged.update(items)
        rows: list[tuple[str, Agreement]] = [(u, agreement(items)) for u, items in sorted(updates.items())]
        single = sum(1 for votes in merged.values() if len(votes) == 1)
        stages.append({"stage": stage, "overall": agreement(merged), "updates": rows, "pairs": pairwise(merged),
                       "single": single})
    return render(request, "agreement.html", user=user, title="Agreement", stages=stages)
