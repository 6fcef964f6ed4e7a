"""Every combination of votes (include / exclude / maybe; 1–4 reviewers; 1–4 required; both stages) ends in a
status some list shows and some role moves on — the property the screening rule in store/screening.py promises."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from livereview.store import screening as sc
from livereview.store.screening import Ballot, derive_status

T0 = datetime(2025, 1, 1, tzinfo=UTC)
REVIEWERS = ("ann", "bob", "carol", "dan")


def ballots(stage: str, votes: tuple[str, ...], required: int) -> list[Ballot]:
    """The votes at ``stage``; at full text, preceded by a title/abstract stage that let the record through."""
    out: list[Ballot] = []
    if stage == sc.FULL_TEXT:
        out += [Ballot(r, sc.TITLE_ABSTRACT, "include", False, T0, i) for i, r in enumerate(REVIEWERS[:required])]
    out += [Ballot(r, stage, v, False, T0 + timedelta(minutes=1 + i), 10 + i)
            for i, (r, v) in enumerate(zip(REVIEWERS, votes, strict=False))]
    return out


def later(n: int) -> datetime:
    return T0 + timedelta(hours=n)


COMBINATIONS = [(stage, required, votes) for stage in sc.STAGES for required in (1, 2, 3, 4)
                for k in (1, 2, 3, 4) for votes in itertools.product(sc.VOTES, repeat=k)]


def test_the_combinations_are_all_there():
    assert len(COMBINATIONS) == 2 * 4 * (3 + 9 + 27 + 81)


@pytest.mark.parametrize("stage", sc.STAGES)
def test_every_combination_of_votes_ends_where_a_list_shows_it_and_someone_moves_it_on(stage):
    pending = {sc.TITLE_ABSTRACT: sc.SCREENING, sc.FULL_TEXT: sc.FULL_TEXT_SCREENING}[stage]
    conflict = {sc.TITLE_ABSTRACT: sc.CONFLICT, sc.FULL_TEXT: sc.FULL_TEXT_CONFLICT}[stage]
    passed = {sc.TITLE_ABSTRACT: sc.AWAITING_FULL_TEXT, sc.FULL_TEXT: sc.INCLUDED}[stage]
    seen = set()
    for st, required, votes in COMBINATIONS:
        if st != stage:
            continue
        bs = ballots(stage, votes, required)
        status = derive_status(bs, reviewers_required=required)
        seen.add(status)
        assert status in sc.NEXT_STEP, (votes, required, status)
        kinds = set(votes)
        # the rule, stated independently of its implementation
        if len(votes) < required:
            expected = pending            # not a conflict before every required vote is in, whatever they say
        elif kinds == {"exclude"}:
            expected = sc.EXCLUDED
        elif stage == sc.TITLE_ABSTRACT:
            expected = conflict if "exclude" in kinds else passed   # maybe = not exclude
        else:
            expected = passed if kinds == {"include"} else conflict
        assert status == expected, (votes, required)

        # and someone moves it on
        if status == pending:            # a reviewer who has not voted adds a vote: one step nearer the outcome
            nxt = bs + [Ballot(REVIEWERS[len(votes)] if len(votes) < 4 else "eve", stage, "include", False,
                               later(1), 99)]
            assert derive_status(nxt, reviewers_required=required) in sc.NEXT_STEP
        elif status == conflict:         # an admin resolves it, either way
            for final in ("include", "exclude"):
                nxt = bs + [Ballot("root", stage, final, True, later(1), 99)]
                assert derive_status(nxt, reviewers_required=required) == (passed if final == "include"
                                                                           else sc.EXCLUDED)
        else:                            # decided: an admin can reopen the stage, which is then open to votes
            nxt = bs + [Ballot("root", stage, sc.REOPENED, True, later(1), 99)]
            reopened = derive_status(nxt, reviewers_required=required)
            assert reopened == (sc.QUEUED if stage == sc.TITLE_ABSTRACT else sc.AWAITING_FULL_TEXT)
            # and the reviewers' new votes count, their old ones do not
            again = nxt + [Ballot(r, stage, "exclude", False, later(2), 100 + i)
                           for i, r in enumerate(REVIEWERS[:required])]
            assert derive_status(again, reviewers_required=required) == sc.EXCLUDED
    assert seen == {pending, conflict, passed, sc.EXCLUDED}


def test_include_include_maybe_moves_to_full_text_with_three_reviewers():
    """The issue's stuck record: it now passes title/abstract (maybe = not exclude)."""
    bs = ballots(sc.TITLE_ABSTRACT, ("include", "include", "maybe"), 3)
    assert derive_status(bs, reviewers_required=3) == sc.AWAITING_FULL_TEXT


def test_two_disagreeing_votes_of_three_are_not_yet_a_conflict():
    bs = ballots(sc.TITLE_ABSTRACT, ("include", "exclude"), 3)
    assert derive_status(bs, reviewers_required=3) == sc.SCREENING
    assert derive_status(ballots(sc.TITLE_ABSTRACT, ("include", "exclude", "include"), 3),
                         reviewers_required=3) == sc.CONFLICT


def test_the_number_of_reviewers_is_set_per_stage():
    required = {sc.TITLE_ABSTRACT: 3, sc.FULL_TEXT: 2}
    ta = [Ballot(r, sc.TITLE_ABSTRACT, "include", False, T0, i) for i, r in enumerate(REVIEWERS[:3])]
    assert derive_status(ta[:2], reviewers_required=required) == sc.SCREENING
    ft = [Ballot(r, sc.FULL_TEXT, "include", False, later(1), 10 + i) for i, r in enumerate(REVIEWERS[:2])]
    assert derive_status(ta + ft[:1], reviewers_required=required) == sc.FULL_TEXT_SCREENING
    assert derive_status(ta + ft, reviewers_required=required) == sc.INCLUDED


def test_a_withdrawn_vote_reopens_the_count():
    bs = ballots(sc.TITLE_ABSTRACT, ("include", "include"), 2)
    assert derive_status(bs + [Ballot("bob", sc.TITLE_ABSTRACT, sc.WITHDRAWN, False, later(1), 50)],
                         reviewers_required=2) == sc.SCREENING


def test_old_protocol_files_need_one_setting_for_both_stages(protocol):
    review = protocol.review.model_copy(update={"reviewers_per_record": 3})
    assert review.reviewers_by_stage == {sc.TITLE_ABSTRACT: 3, sc.FULL_TEXT: 3}
    review = review.model_copy(update={"reviewers_full_text": 2})
    assert review.reviewers_by_stage == {sc.TITLE_ABSTRACT: 3, sc.FULL_TEXT: 2}
