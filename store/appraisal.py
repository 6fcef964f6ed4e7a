"""QATSDD quality appraisal of the included studies (issue 21): two raters, blind to each other, then resolution.

**The tool** (Sirriyeh, Lawton, Gardner & Armitage 2012, J Eval Clin Pract 18:746-752): 16 criteria, each scored
0 (not at all), 1 (very slightly), 2 (moderately) or 3 (complete). Items 9 and 10 apply to quantitative studies
only, items 11 and 14 to qualitative studies only, the other twelve to both; a mixed-methods study is scored on all
16. A study's score is the sum as a percentage of the maximum its design allows: 42 (14 items x 3) for a
quantitative or a qualitative study, 48 for a mixed-methods one — "expressed as a percentage of the maximum
available score", as the paper reports it. Publication types the tool does not fit (the protocol's
``appraisal.not_appraised``: books, chapters, technique articles, theoretical pieces) are *not appraised*, with
the reason, never scored 0.

**The rule.** Two raters rate each included study independently (``submit_rating``); neither sees the other's
rating until both are in (:func:`visible_ratings`). Two ratings that agree on every item (and status and design)
are resolved as they stand; otherwise the per-item disagreements are listed and resolved (``resolve``) by
discussion (one of the two raters records the agreed values) or by a third reviewer (someone who did not rate).
A rating by someone who is not a rater, or a score outside 0-3, is refused and nothing is stored. Rows are never
updated; a later resolution supersedes an earlier one. The published review's 50 studies carry no per-study scores
(the paper reports none): ``init`` marks them "not appraised" with that reason and provenance "published review".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livereview.protocols.model import Protocol
from livereview.store.audit import audit
from livereview.store.extraction import BASELINE_VERSION, included_work_ids
from livereview.store.models import AppraisalRecord, ExtractionRecord, Work
from livereview.store.screening import INCLUDED

RATING = "rating"
RESOLUTION = "resolution"
SCORED = "scored"
NOT_APPRAISED = "not appraised"
STATUSES = (SCORED, NOT_APPRAISED)
DISCUSSION = "discussion"
THIRD_REVIEWER = "third reviewer"
METHODS = (DISCUSSION, THIRD_REVIEWER)
QUANTITATIVE, QUALITATIVE, MIXED = "quantitative", "qualitative", "mixed"
DESIGNS = (QUANTITATIVE, QUALITATIVE, MIXED)
BOTH = "both"

#: the scale, as the tool words it
SCALE: dict[int, str] = {0: "Not at all", 1: "Very slightly", 2: "Moderately", 3: "Complete"}

#: the 16 criteria, worded as in Sirriyeh et al. (2012), Table 1, with the designs each applies to
ITEMS: dict[int, tuple[str, str]] = {
    1: ("Explicit theoretical framework", BOTH),
    2: ("Statement of aims/objectives in main body of report", BOTH),
    3: ("Clear description of research setting", BOTH),
    4: ("Evidence of sample size considered in terms of analysis", BOTH),
    5: ("Representative sample of target group of a reasonable size", BOTH),
    6: ("Description of procedure for data collection", BOTH),
    7: ("Rationale for choice of data collection tool(s)", BOTH),
    8: ("Detailed recruitment data", BOTH),
    9: ("Statistical assessment of reliability and validity of measurement tool(s)", QUANTITATIVE),
    10: ("Fit between stated research question and method of data collection", QUANTITATIVE),
    11: ("Fit between stated research question and format and content of data collection tool e.g. "
         "interview schedule", QUALITATIVE),
    12: ("Fit between research question and method of analysis", BOTH),
    13: ("Good justification for analytical method selected", BOTH),
    14: ("Assessment of reliability of analytical process", QUALITATIVE),
    15: ("Evidence of user involvement in design", BOTH),
    16: ("Strengths and limitations critically discussed", BOTH),
}

#: why the published review's studies have no scores here
BASELINE_REASON = ("version 1.0: the published review appraised its studies with QATSDD but reports no "
                   "per-study scores")


class AppraisalError(ValueError):
    """A rating or resolution the rules refuse (not a rater, score outside 0-3 ...): nothing stored."""


def applicable_items(design: str) -> list[int]:
    """The items a design is scored on: 14 for quantitative or qualitative, all 16 for mixed methods."""
    if design not in DESIGNS:
        raise AppraisalError(f"design {design!r} is not one of {', '.join(DESIGNS)}")
    return [n for n, (_, applies) in ITEMS.items() if applies in (BOTH, design) or design == MIXED]


def max_score(design: str) -> int:
    """42 for a quantitative or qualitative study, 48 for mixed methods."""
    return 3 * len(applicable_items(design))


def percent(scores: dict[int, int], design: str) -> float:
    """The sum of the applicable items' scores as a percentage of the maximum (one decimal)."""
    total = sum(scores.get(n, 0) for n in applicable_items(design))
    return round(100.0 * total / max_score(design), 1)


def check_scores(scores: dict[Any, Any], design: str) -> dict[int, int]:
    """Every applicable item scored 0..3, no other item; AppraisalError naming the first bad one."""
    items = applicable_items(design)
    out: dict[int, int] = {}
    for key, value in scores.items():
        try:
            n = int(key)
        except (TypeError, ValueError):
            raise AppraisalError(f"item {key!r} is not a QATSDD item (1-16)") from None
        if n not in ITEMS:
            raise AppraisalError(f"item {n} is not a QATSDD item (1-16)")
        if n not in items:
            raise AppraisalError(f"item {n} does not apply to a {design} study")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise AppraisalError(f"item {n}: score {value!r} is not 0, 1, 2 or 3")
        try:
            score = int(value)
        except ValueError:
            raise AppraisalError(f"item {n}: score {value!r} is not 0, 1, 2 or 3") from None
        if score not in SCALE or str(value).strip() != str(score):
            raise AppraisalError(f"item {n}: score {value!r} is outside 0-3")
        out[n] = score
    missing = [n for n in items if n not in out]
    if missing:
        raise AppraisalError(f"item {missing[0]} has no score (a {design} study is scored on items "
                             f"{', '.join(map(str, items))})")
    return out


@dataclass(frozen=True)
class Judgement:
    """A rating or resolution in checked form."""

    status: str
    design: str | None
    scores: dict[int, int]
    reason: str | None


def check_judgement(status: str, design: str | None, scores: dict[Any, Any] | None,
                    reason: str | None) -> Judgement:
    """A scored study has a design and every applicable item 0..3; a not-appraised one a reason and no scores."""
    if status not in STATUSES:
        raise AppraisalError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    reason = (reason or "").strip() or None
    if status == NOT_APPRAISED:
        if reason is None:
            raise AppraisalError("a study that is not appraised needs the reason (e.g. a book chapter)")
        if scores:
            raise AppraisalError("a study that is not appraised takes no scores")
        return Judgement(status, None, {}, reason)
    if design is None:
        raise AppraisalError("a scored study needs its design (quantitative, qualitative or mixed)")
    return Judgement(status, design, check_scores(scores or {}, design), None)


def _stored(scores: dict[str, Any]) -> dict[int, int]:
    return {int(k): int(v) for k, v in scores.items()}


def ratings(session: Session, work_id: int) -> dict[str, AppraisalRecord]:
    """Each rater's latest rating of a work, in the order the raters first rated."""
    out: dict[str, AppraisalRecord] = {}
    for row in session.scalars(select(AppraisalRecord).where(AppraisalRecord.work_id == work_id,
                                                             AppraisalRecord.kind == RATING)
                               .order_by(AppraisalRecord.id)):
        out[row.actor] = row
    return out


def resolution(session: Session, work_id: int) -> AppraisalRecord | None:
    return session.scalars(select(AppraisalRecord).where(AppraisalRecord.work_id == work_id,
                                                         AppraisalRecord.kind == RESOLUTION)
                           .order_by(AppraisalRecord.id.desc())).first()


def visible_ratings(session: Session, work_id: int, viewer: str) -> dict[str, AppraisalRecord]:
    """What ``viewer`` may see: their own rating always, the other's only once both are in."""
    rows = ratings(session, work_id)
    return rows if len(rows) >= 2 else {k: v for k, v in rows.items() if k == viewer}


def disagreements(a: AppraisalRecord, b: AppraisalRecord) -> list[str]:
    """What two ratings disagree on: "status", "design", then each item number (as text) scored differently."""
    out = []
    if a.status != b.status:
        out.append("status")
    if a.design != b.design:
        out.append("design")
    sa, sb = _stored(a.scores), _stored(b.scores)
    out += [str(n) for n in ITEMS if sa.get(n) != sb.get(n) and (n in sa or n in sb)]
    return out


def _require_included(session: Session, work_id: int) -> Work:
    work = session.get(Work, work_id)
    if work is None or work.status != INCLUDED or work.merged_into_id is not None:
        raise AppraisalError(f"work {work_id} is not an included study")
    return work


def submit_rating(session: Session, protocol: Protocol, work_id: int, actor: str, *, status: str,
                  design: str | None = None, scores: dict[Any, Any] | None = None, reason: str | None = None,
                  note: str | None = None) -> AppraisalRecord:
    """One rater's independent appraisal. Refused (nothing stored): not a rater, a third rater, a bad score."""
    _require_included(session, work_id)
    raters = protocol.appraisal.raters
    if raters and actor not in raters:
        raise AppraisalError(f"{actor} is not a rater (appraisal.raters: {', '.join(raters)})")
    current = ratings(session, work_id)
    if actor not in current and len(current) >= 2:
        raise AppraisalError(f"{actor} is not a rater of work {work_id}: {' and '.join(current)} rated it")
    if len(current) >= 2:
        raise AppraisalError(f"work {work_id}: both ratings are in; changes go through the resolution")
    if resolution(session, work_id) is not None:
        raise AppraisalError(f"work {work_id} is already resolved")
    j = check_judgement(status, design, scores, reason)
    row = AppraisalRecord(work_id=work_id, kind=RATING, actor=actor, tool=protocol.appraisal.tool, status=j.status,
                          design=j.design, scores={str(k): v for k, v in j.scores.items()}, reason=j.reason,
                          note=(note or "").strip() or None, provenance="appraisal")
    session.add(row)
    session.flush()
    audit(session, actor, "appraisal-rated", "work", work_id, appraisal_id=row.id, status=j.status,
          design=j.design, scores=row.scores, reason=j.reason)
    return row


def resolve(session: Session, protocol: Protocol, work_id: int, actor: str, *, method: str, status: str,
            design: str | None = None, scores: dict[Any, Any] | None = None, reason: str | None = None,
            note: str | None = None) -> AppraisalRecord:
    """The agreed appraisal after both ratings: by discussion (one of the two raters records it) or by a third
    reviewer (someone who did not rate; ``appraisal.third_reviewers`` when set)."""
    _require_included(session, work_id)
    current = ratings(session, work_id)
    if len(current) < 2:
        raise AppraisalError(f"work {work_id}: resolution needs both ratings ({len(current)} in)")
    if method not in METHODS:
        raise AppraisalError(f"method {method!r} is not one of {', '.join(METHODS)}")
    if method == DISCUSSION and actor not in current:
        raise AppraisalError(f"{actor} did not rate work {work_id}: a discussion is recorded by one of its raters")
    if method == THIRD_REVIEWER:
        if actor in current:
            raise AppraisalError(f"{actor} rated work {work_id}: the third reviewer is someone else")
        third = protocol.appraisal.third_reviewers
        if third and actor not in third:
            raise AppraisalError(f"{actor} is not a third reviewer (appraisal.third_reviewers: {', '.join(third)})")
    j = check_judgement(status, design, scores, reason)
    a, b = list(current.values())[:2]
    row = AppraisalRecord(work_id=work_id, kind=RESOLUTION, actor=actor, tool=protocol.appraisal.tool,
                          status=j.status, design=j.design, scores={str(k): v for k, v in j.scores.items()},
                          reason=j.reason, method=method, note=(note or "").strip() or None,
                          provenance="appraisal")
    session.add(row)
    session.flush()
    audit(session, actor, "appraisal-resolved", "work", work_id, appraisal_id=row.id, method=method,
          status=j.status, design=j.design, scores=row.scores, reason=j.reason, disagreed=disagreements(a, b),
          ratings=[a.id, b.id])
    return row


def _summary(row: AppraisalRecord, how: str) -> dict[str, Any]:
    scores = _stored(row.scores)
    scored = row.status == SCORED and row.design is not None
    return {"status": row.status, "reason": row.reason, "items": scores, "design": row.design,
            "percent": percent(scores, row.design) if scored else None,   # type: ignore[arg-type]
            "max": max_score(row.design) if scored else None,             # type: ignore[arg-type]
            "resolved_by": how, "provenance": row.provenance, "note": row.note}


def final_appraisal(session: Session, work_id: int) -> dict[str, Any] | None:
    """The work's resolved appraisal, or None while open: a resolution, else two ratings that fully agree."""
    res = resolution(session, work_id)
    if res is not None:
        how = res.method or res.provenance
        return _summary(res, how)
    current = list(ratings(session, work_id).values())
    if len(current) >= 2 and not disagreements(current[0], current[1]):
        return _summary(current[0], "agreement")
    return None


def resolved_appraisals(session: Session) -> dict[int, dict[str, Any]]:
    """Per included work with a final appraisal: {"status": "scored" | "not appraised", "reason", "items":
    {1..16: score} (the applicable ones), "percent" (None when not appraised), "design", "max", "resolved_by"
    ("discussion" | "third reviewer" | "agreement" | "published review"), "provenance", "note"}."""
    out = {}
    for work_id in included_work_ids(session):
        final = final_appraisal(session, work_id)
        if final is not None:
            out[work_id] = final
    return out


def open_appraisals(session: Session) -> list[int]:
    """Included works without a final appraisal (fewer than two ratings, or a disagreement not yet resolved)."""
    return [w for w in included_work_ids(session) if final_appraisal(session, w) is None]


def load_baseline_appraisals(session: Session, actor: str = "livereview init") -> int:
    """Mark each study of the published review (its version-1.0 extraction row) "not appraised" with the reason
    that the paper reports no per-study scores, once. Returns how many were marked."""
    baseline = set(session.scalars(select(ExtractionRecord.work_id)
                                   .where(ExtractionRecord.review_version == BASELINE_VERSION)))
    appraised = set(session.scalars(select(AppraisalRecord.work_id)))
    marked = 0
    for work_id in sorted(baseline - appraised):
        row = AppraisalRecord(work_id=work_id, kind=RESOLUTION, actor=actor, tool="QATSDD", status=NOT_APPRAISED,
                              design=None, scores={}, reason=BASELINE_REASON, method=None,
                              provenance="published review")
        session.add(row)
        session.flush()
        audit(session, actor, "appraisal-baseline", "work", work_id, appraisal_id=row.id, status=NOT_APPRAISED,
              reason=BASELINE_REASON)
        marked += 1
    return marked


def item_pairs(session: Session, work_ids: list[int] | None = None) -> dict[int, list[tuple[int, int]]]:
    """Per item, the (first rater, second rater) score pairs over works both raters scored (for kappa)."""
    out: dict[int, list[tuple[int, int]]] = {n: [] for n in ITEMS}
    for work_id in work_ids if work_ids is not None else included_work_ids(session):
        current = list(ratings(session, work_id).values())
        if len(current) < 2 or current[0].status != SCORED or current[1].status != SCORED:
            continue
        a, b = _stored(current[0].scores), _stored(current[1].scores)
        for n in ITEMS:
            if n in a and n in b:
                out[n].append((a[n], b[n]))
    return out
