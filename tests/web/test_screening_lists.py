"""Every combination of votes, stored through the store and read back through the queue's own SQL: each record
is in a list that someone acts on — a non-voter's "needs my decision", the conflict filter — or is final.

The rule itself is tested without a database in tests/store/test_screening_rules.py; this checks the queue's
SQL agrees with it on a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from webharness import add_works

from livereview.store import screening as sc
from livereview.store.db import reading, transaction
from livereview.store.models import Work
from livereview.web.queue import ORDERINGS, QueueFilter, queue_select

REVIEWERS = ("ann", "bob", "carol", "dan")


def test_every_combination_of_votes_lands_in_a_list_someone_acts_on(engine):
    required = {sc.TITLE_ABSTRACT: 3, sc.FULL_TEXT: 2}
    combos = [(stage, votes) for stage in sc.STAGES for k in (1, 2, 3)
              for votes in itertools.product(sc.VOTES, repeat=k)]
    ids = add_works(engine, [{"title": f"Combination {n}", "year": 2024, "pmid": str(39600000 + n)}
                             for n in range(len(combos))], reviewers_required=required)
    with transaction(engine) as s:
        for wid, (stage, votes) in zip(ids, combos, strict=True):
            w = s.get(Work, wid)
            if stage == sc.FULL_TEXT:   # through title/abstract first
                for r in REVIEWERS[:3]:
                    sc.record_decision(s, w, reviewer=r, stage=sc.TITLE_ABSTRACT, decision="include",
                                       reviewers_required=required)
            for r, v in zip(REVIEWERS, votes, strict=False):
                sc.record_decision(s, w, reviewer=r, stage=stage, decision=v, reason="E3" if v == "exclude" else None,
                                   reviewers_required=required, report_retrieved=True)

    def listed(flt: QueueFilter, who: str) -> set[int]:
        with reading(engine) as s:
            return set(s.scalars(queue_select(flt, reviewer=who, orderings=ORDERINGS).with_only_columns(Work.id)))

    to_vote = {stage: listed(QueueFilter(stage=stage, mine=True), "eve") for stage in sc.STAGES}  # eve: no votes
    conflicts = listed(QueueFilter(status=sc.CONFLICT), "eve") | listed(QueueFilter(status=sc.FULL_TEXT_CONFLICT),
                                                                      "eve")
    with reading(engine) as s:
        status = dict(s.execute(select(Work.id, Work.status).where(Work.id.in_(ids))).all())
    for wid, (stage, votes) in zip(ids, combos, strict=True):
        st = status[wid]
        if st in sc.PENDING_STATUSES:
            assert wid in to_vote[sc.TITLE_ABSTRACT if st in (sc.QUEUED, sc.SCREENING) else sc.FULL_TEXT], (stage,
                                                                                                           votes)
            assert len(votes) < required[stage] or st == sc.AWAITING_FULL_TEXT
        elif st in sc.CONFLICT_STATUSES:
            assert wid in conflicts and len(votes) >= required[stage], (stage, votes)
        else:
            assert st in sc.FINAL_STATUSES, (stage, votes, st)
        # a voter never has it in "needs my decision" at the stage they voted
        assert wid not in listed(QueueFilter(stage=stage, mine=True), "ann") or st == sc.AWAITING_FULL_TEXT
