"""The ranker on the store: learn from the team's decisions, score the open works, persist and read the scores.

Training data are the store's works with a title/abstract outcome: the seed corpus's included studies, every
record imported with ``--decision excluded`` (or ``included``), and every decision since. A work counts as an
include once it passed title/abstract screening (``awaiting-full-text`` and later, or ``included``) and as an
exclude when ``excluded``. Merged-away works are left out (their decisions moved to the kept work).

Before there are :data:`MIN_INCLUDED` includes and :data:`MIN_EXCLUDED` excludes the model is not trusted
and open works are ranked by similarity to the included studies and the protocol's search terms.

:func:`retrain` writes the scores of every open work (``ranking_scores``, one row per work, and a ``ranking_runs``
row) in short transactions of :data:`WRITE_CHUNK` works each, so screening decisions never wait long behind
them (issue 24): the web queue and the digest read them with :func:`scores_for` and never wait for training.
While a training's scores are written, the queue's order mixes the old and the new scores for a second or two.
It runs at the end of every monitor run, from ``livereview rank``, and from
:func:`retrain_if_changed`, which a web app can call (in the background) after every decision: it retrains when
new works arrived, an include was decided, or :data:`DECISION_BATCH` decisions piled up, and otherwise returns
at once — the store's version of ``simulate``'s schedule.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from livereview.protocols.model import Protocol
from livereview.ranking.model import WHY_TERMS, Fitted, Terms, document, featurise, fit, presumed_sample, why
from livereview.ranking.stopping import SIMULATION_GRID, STOP_CONFIDENCE, TARGET_RECALL, StopEstimate, stop_test
from livereview.records.vocabulary import TITLE_ABSTRACT
from livereview.store import screening
from livereview.store.db import reading, refresh_statistics, transaction
from livereview.store.models import UNSCORED, Decision, RankingRun, RankingScore, Work

log = logging.getLogger(__name__)

MIN_INCLUDED = 1
MIN_EXCLUDED = 5
#: retrain_if_changed retrains after this many new decisions (at once after an include or new works)
DECISION_BATCH = 10
#: open works whose scores one write transaction replaces: a training's scores are written in short transactions,
#: so a screening decision (which locks its work's row, and on SQLite the whole store) never waits long behind them
WRITE_CHUNK = 500
#: seconds between two such transactions: a decision waiting for SQLite's write lock (another process's writer is
#: waited for by polling, not queued for) gets it before the next chunk
WRITE_PAUSE = 0.05
#: rows of each index SQLite's ANALYZE reads after a training (the statistics steer plans, they need not be exact)
STATISTICS_SAMPLE = 2000
#: statuses that mean "passed title/abstract screening": positives for a title/abstract ranker
POSITIVE = (screening.AWAITING_FULL_TEXT, screening.FULL_TEXT_SCREENING, screening.FULL_TEXT_CONFLICT,
            screening.INCLUDED)
NEGATIVE = (screening.EXCLUDED,)
#: statuses of works title/abstract screening has not decided yet: the unscreened rest of the stopping rule
UNSCREENED = (screening.QUEUED, screening.SCREENING, screening.CONFLICT)
#: windows the stopping rule tries on a large store (every one up to this many, and this many longer ones)
STORE_GRID = 500


@dataclass(frozen=True)
class Scored:
    work_id: int
    score: float             # 0..1, higher first; comparable within one ranking
    why: list[str]


@dataclass(frozen=True)
class Ranking:
    """A ranking of open works, best first, and how it was made."""

    method: str               # model | similarity
    n_included: int
    n_excluded: int
    scored: list[Scored]
    last_decision_id: int | None
    last_work_id: int | None
    seconds: float


def protocol_terms(protocol: Protocol | None) -> str:
    """The protocol's search terms (every concept and expansion, truncation marks dropped) as one text."""
    if protocol is None:
        return ""
    terms = [t for c in protocol.concepts.values() for t in c.terms]
    terms += [t for e in protocol.expansions.values() for t in e.terms]
    return " ; ".join(t.replace("*", "").replace('"', "") for t in terms)


def train(texts: Sequence[str], labels: Sequence[int | None], *, terms: str = "",
          min_included: int = MIN_INCLUDED, min_excluded: int = MIN_EXCLUDED,
          explain_unlabelled_only: bool = False) -> tuple[np.ndarray, list[list[str]], str]:
    """Fit on the labelled texts (label 1/0; ``None`` = unlabelled) and score *every* text.

    Returns (scores in 0..1, why terms per text — only the unlabelled ones' with ``explain_unlabelled_only`` —,
    method). Features are fitted on all texts, so the unlabelled
    pool shapes the vocabulary as in active learning. With too few labels: similarity to includes + ``terms``.
    """
    x, vocabulary = featurise(list(texts))
    y = np.array([-1 if v is None else int(v) for v in labels])
    known = np.flatnonzero(y >= 0)
    n_inc, n_exc = int((y == 1).sum()), int((y == 0).sum())
    if n_inc >= min_included and n_exc >= min_excluded:
        unlabelled = np.flatnonzero(y < 0)
        sample = presumed_sample(unlabelled, np.random.default_rng(len(y)))  # deterministic for the same store
        fitted = fit(x[known], y[known], presumed_excludes=x[sample])
    else:
        anchor = _anchor(vocabulary, terms) if terms else None
        fitted = fit(x[known], np.where(y[known] == 1, 1, 0), anchor=anchor, force_similarity=True)
    raw = fitted.score(x)
    explain = [i for i, v in enumerate(labels) if v is None] if explain_unlabelled_only else None
    reasons = why(fitted, x, vocabulary, texts, explain, WHY_TERMS)
    if explain is not None:
        full: list[list[str]] = [[] for _ in texts]
        for i, r in zip(explain, reasons, strict=True):
            full[i] = r
        reasons = full
    return _unit(raw, fitted), reasons, fitted.method


def _anchor(vocabulary: Terms, terms: str) -> np.ndarray:
    """The protocol's terms as a vector of the pool's feature space (terms the pool lacks are ignored)."""
    vec = np.zeros(len(vocabulary.kept))
    for col in vocabulary.columns(terms):
        vec[col] = 1.0
    return vec


def _unit(raw: np.ndarray, fitted: Fitted) -> np.ndarray:
    """Scores mapped into 0..1 (the model's are rank percentiles already; cosine similarity is in 0..1)."""
    if fitted.method == "similarity":
        return np.clip(raw, 0.0, 1.0)
    return raw


def _labelled(session: Session) -> tuple[list[int], list[str], list[int]]:
    ids, texts, labels = [], [], []
    rows = session.execute(select(Work.id, Work.title, Work.abstract, Work.keywords, Work.status).where(
        Work.merged_into_id.is_(None), Work.status.in_(POSITIVE + NEGATIVE)).order_by(Work.id))
    for wid, title, abstract, keywords, status in rows:
        ids.append(wid)
        texts.append(document(title, abstract, keywords))
        labels.append(1 if status in POSITIVE else 0)
    return ids, texts, labels


def _open(session: Session, work_ids: Iterable[int] | None = None) -> tuple[list[int], list[str]]:
    q = select(Work.id, Work.title, Work.abstract, Work.keywords).where(
        Work.merged_into_id.is_(None), Work.status.in_(screening.OPEN_STATUSES))
    if work_ids is not None:
        q = q.where(Work.id.in_(list(work_ids)))
    ids, texts = [], []
    for wid, title, abstract, keywords in session.execute(q.order_by(Work.id)):
        ids.append(wid)
        texts.append(document(title, abstract, keywords))
    return ids, texts


def rank(session: Session, protocol: Protocol | None, work_ids: Iterable[int] | None = None) -> Ranking:
    """Train on the store's decisions now and rank the open works (``work_ids`` of them, or all), best first."""
    start = time.perf_counter()
    last_decision = session.scalar(select(func.max(Decision.id)))
    last_work = session.scalar(select(func.max(Work.id)))
    lab_ids, lab_texts, labels = _labelled(session)
    open_ids, open_texts = _open(session, work_ids)
    n_inc, n_exc = sum(labels), len(labels) - sum(labels)
    if not open_ids:
        return Ranking("model" if n_inc >= MIN_INCLUDED and n_exc >= MIN_EXCLUDED else "similarity", n_inc, n_exc,
                       [], last_decision, last_work, time.perf_counter() - start)
    # a work both open and labelled (awaiting full text) is scored as an open work and learned from as labelled
    texts = lab_texts + open_texts
    all_labels: list[int | None] = [*labels, *([None] * len(open_ids))]
    scores, reasons, method = train(texts, all_labels, terms=protocol_terms(protocol), explain_unlabelled_only=True)
    offset = len(lab_ids)
    scored = [Scored(wid, round(float(scores[offset + i]), 6), reasons[offset + i]) for i, wid in enumerate(open_ids)]
    scored.sort(key=lambda s: (-s.score, s.work_id))
    return Ranking(method, n_inc, n_exc, scored, last_decision, last_work, time.perf_counter() - start)


def retrain(engine: Engine, protocol: Protocol | None, *, only_if_changed: bool = False,
            batch: int = 1) -> RankingRun | None:
    """Train, score every open work and replace the persisted scores (in chunks: see the module's docstring).

    With ``only_if_changed`` nothing happens (returns None) unless works arrived, an include was decided or
    ``batch`` decisions were added since the last training — cheap enough to call after every decision.
    """
    with reading(engine) as s:
        if only_if_changed and not _changed(s, batch):
            return None
        ranking = rank(s, protocol)
    with transaction(engine) as s:
        run = RankingRun(method=ranking.method, n_included=ranking.n_included, n_excluded=ranking.n_excluded,
                         n_scored=len(ranking.scored), last_decision_id=ranking.last_decision_id,
                         last_work_id=ranking.last_work_id, seconds=round(ranking.seconds, 3))
        s.add(run)
    for k in range(0, len(ranking.scored), WRITE_CHUNK):
        if k:
            time.sleep(WRITE_PAUSE)   # the store is the reviewers' between two chunks (SQLite: one writer at a time)
        with transaction(engine) as s:
            _write_scores(s, run.id, ranking.scored[k:k + WRITE_CHUNK])
    with transaction(engine) as s:   # the works no longer scored (decided or merged away since): unscored
        s.execute(delete(RankingScore).where(RankingScore.ranking_run_id < run.id))
        works = Work.__table__
        s.execute(update(works).where(works.c.relevance != UNSCORED, works.c.id.not_in(select(RankingScore.work_id)))
                  .values(relevance=UNSCORED, updated_at=works.c.updated_at))
    refresh_statistics(engine, sample_rows=STATISTICS_SAMPLE)
    log.info("ranking #%s: %s, %s included / %s excluded, %s open works scored in %.1f s", run.id, run.method,
             run.n_included, run.n_excluded, run.n_scored, run.seconds)
    return run


def _write_scores(session: Session, run_id: int, scored: Sequence[Scored]) -> None:
    """One chunk of a training's scores: replace each work's older score and mirror it into ``works.relevance``
    (the queue's indexed sort key; ``updated_at`` kept: a new score is not a change to the work's record).

    The newest training wins work by work: a score from a later training (a higher run id, written meanwhile by
    another process) is left alone, so two trainings writing at once still end with the later one's scores."""
    ids = [x.work_id for x in scored]
    session.execute(delete(RankingScore).where(RankingScore.work_id.in_(ids), RankingScore.ranking_run_id < run_id))
    newer = set(session.scalars(select(RankingScore.work_id).where(RankingScore.work_id.in_(ids))))
    live = set(session.scalars(select(Work.id).where(Work.id.in_(ids))))   # a work deleted meanwhile has none
    rows = [x for x in scored if x.work_id in live and x.work_id not in newer]
    if not rows:
        return
    session.execute(insert(RankingScore.__table__), [{"work_id": x.work_id, "ranking_run_id": run_id,
                                                      "score": x.score, "why": x.why} for x in rows])
    works = Work.__table__
    session.execute(update(works).where(works.c.id == bindparam("wid"))
                    .values(relevance=bindparam("r"), updated_at=works.c.updated_at),
                    [{"wid": x.work_id, "r": float(x.score)} for x in rows])


def _changed(session: Session, batch: int = 1) -> bool:
    """New works arrived (they need a score), an include was decided, or ``batch`` decisions piled up."""
    last = session.scalars(select(RankingRun).order_by(RankingRun.id.desc()).limit(1)).first()
    if last is None:
        return True
    if (session.scalar(select(func.max(Work.id))) or 0) > (last.last_work_id or 0):
        return True
    votes = list(session.scalars(select(Decision.decision).where(Decision.id > (last.last_decision_id or 0))))
    return "include" in votes or len(votes) >= batch


def retrain_if_changed(engine: Engine, protocol: Protocol | None, *, batch: int = DECISION_BATCH) -> RankingRun | None:
    """Retrain when new works arrived, an include was decided, or ``batch`` decisions piled up since the last
    training; else return None at once. For the web app to call in the background after decisions, so the
    model follows the screening in batches (and at once after an include, the label that changes it most)."""
    return retrain(engine, protocol, only_if_changed=True, batch=batch)


def scores_for(session: Session, work_ids: Iterable[int]) -> dict[int, tuple[float, list[str]]]:
    """The persisted score and "why" terms of each of ``work_ids`` that has one (never trains: instant)."""
    ids = list(work_ids)
    if not ids:
        return {}
    out: dict[int, tuple[float, list[str]]] = {}
    for chunk in range(0, len(ids), 500):
        for wid, score, reasons in session.execute(select(RankingScore.work_id, RankingScore.score, RankingScore.why)
                                                   .where(RankingScore.work_id.in_(ids[chunk:chunk + 500]))):
            out[wid] = (float(score), list(reasons or []))
    return out


def scores_or_rank(session: Session, protocol: Protocol | None,
                   work_ids: Iterable[int]) -> dict[int, tuple[float, list[str]]]:
    """Persisted scores when every work has one; else rank them now (a digest can afford the seconds)."""
    ids = list(work_ids)
    stored = scores_for(session, ids)
    if len(stored) == len(set(ids)):
        return stored
    return {x.work_id: (x.score, x.why) for x in rank(session, protocol, ids).scored}


def stop_estimate(session: Session, protocol: Protocol | None) -> StopEstimate:
    """The stopping rule on the store (:mod:`ranking.stopping`): may the team stop title/abstract screening?

    Screened works (a title/abstract outcome: ``awaiting-full-text`` and later or ``included`` count as includes,
    ``excluded`` as excludes) are taken in the order of their last title/abstract decision (imported and seed
    outcomes by the time the work arrived); the unscreened rest is every work still ``queued``, in ``screening`` or in
    ``conflict``. Only decisions made after the newest unscreened work arrived form the test's windows, so an update
    with new, unscreened records withdraws the claim until screening supports it over the grown corpus. Target and
    confidence come from the protocol (``review.target_recall``, ``review.stop_confidence``).
    """
    target = protocol.review.target_recall if protocol is not None else TARGET_RECALL
    confidence = protocol.review.stop_confidence if protocol is not None else STOP_CONFIDENCE
    last_decided = (select(Decision.work_id, func.max(Decision.decided_at).label("at"))
                    .where(Decision.stage == TITLE_ABSTRACT).group_by(Decision.work_id).subquery())
    rows = session.execute(
        select(Work.status, Work.created_at, last_decided.c.at)
        .outerjoin(last_decided, last_decided.c.work_id == Work.id)
        .where(Work.merged_into_id.is_(None), Work.status.in_(POSITIVE + NEGATIVE))).all()
    screened = sorted(((at or created, 1 if status in POSITIVE else 0) for status, created, at in rows),
                      key=lambda r: r[0])
    unscreened = session.scalar(select(func.count()).select_from(Work).where(
        Work.merged_into_id.is_(None), Work.status.in_(UNSCREENED))) or 0
    newest_open = session.scalar(select(func.max(Work.created_at)).where(
        Work.merged_into_id.is_(None), Work.status.in_(UNSCREENED)))
    windows_after = sum(1 for at, _ in screened if at <= newest_open) if newest_open is not None else 0
    labels = [label for _, label in screened]
    total = len(labels) + unscreened
    # every window on a small store; a grid of windows on a large one (never a smaller p-value, and fast)
    grid = None if len(labels) <= 4 * STORE_GRID else STORE_GRID
    test = stop_test(labels, total, target_recall=target, confidence=confidence, windows_after=windows_after,
                     grid=grid)
    since = None
    if test.holds and unscreened:
        # the first moment the claim held over the corpus as it is now (checked every 2 % of the decisions, on the
        # window grid: a store of 60,000 decisions answers in about a second)
        stride = max(1, len(labels) // 50)
        for m in range(windows_after + 1, len(labels) + 1, stride):
            if stop_test(labels[:m], total, target_recall=target, confidence=confidence,
                         windows_after=windows_after, grid=SIMULATION_GRID).holds:
                since = screened[m - 1][0]
                break
    elif test.holds and screened:
        since = screened[-1][0]  # everything is screened: it holds since the last decision
    return StopEstimate(screened=len(labels), total=total, found=test.found, target_recall=target,
                        confidence=confidence, holds=test.holds, p_value=test.p_value, since=since)
