from datetime import UTC, datetime, timedelta

import pytest

from livereview.store import screening as sc
from livereview.store.screening import Ballot, derive_status

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def b(reviewer, stage, decision, minutes=0, final=False):
    return Ballot(reviewer, stage, decision, final, T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(("ballots", "expected"), [
    ([], sc.QUEUED),
    ([b("ann", "title-abstract", "include")], sc.SCREENING),
    ([b("ann", "title-abstract", "include"), b("bob", "title-abstract", "include")], sc.AWAITING_FULL_TEXT),
    ([b("ann", "title-abstract", "exclude"), b("bob", "title-abstract", "exclude")], sc.EXCLUDED),
    ([b("ann", "title-abstract", "include"), b("bob", "title-abstract", "exclude")], sc.CONFLICT),
    # maybe counts as "not exclude" at title/abstract: on to full text (store/screening.py's rule)
    ([b("ann", "title-abstract", "include"), b("bob", "title-abstract", "maybe")], sc.AWAITING_FULL_TEXT),
    ([b("ann", "title-abstract", "exclude"), b("bob", "title-abstract", "maybe")], sc.CONFLICT),
    # at full text a maybe must be settled
    ([b("ann", "full-text", "include"), b("bob", "full-text", "maybe")], sc.FULL_TEXT_CONFLICT),
    # a later vote by the same reviewer supersedes the earlier one
    ([b("ann", "title-abstract", "exclude"), b("bob", "title-abstract", "include"),
      b("ann", "title-abstract", "include", 5)], sc.AWAITING_FULL_TEXT),
    # a final (consensus) decision resolves a conflict
    ([b("ann", "title-abstract", "include"), b("bob", "title-abstract", "exclude"),
      b("carol", "title-abstract", "include", 9, final=True)], sc.AWAITING_FULL_TEXT),
    ([b("ann", "full-text", "include"), b("bob", "full-text", "include")], sc.INCLUDED),
    ([b("ann", "full-text", "include")], sc.FULL_TEXT_SCREENING),
    ([b("ann", "full-text", "include"), b("bob", "full-text", "exclude")], sc.FULL_TEXT_CONFLICT),
    ([b("team", "full-text", "include", final=True)], sc.INCLUDED),
    ([b("team", "title-abstract", "exclude", final=True)], sc.EXCLUDED),
])
def test_status_is_derived_from_decisions(ballots, expected):
    assert derive_status(ballots, reviewers_required=2) == expected


def test_single_reviewer_protocols_decide_on_one_vote():
    assert derive_status([b("ann", "title-abstract", "exclude")], reviewers_required=1) == sc.EXCLUDED


def test_merged_work_is_a_duplicate_whatever_its_votes():
    assert derive_status([b("ann", "full-text", "include", final=True)], merged=True) == sc.DUPLICATE


def test_unscreened_version_and_notice_are_not_queued():
    assert derive_status([], version=True) == sc.VERSION
    assert derive_status([], notice=True) == sc.NOTICE


def test_a_withdrawn_vote_counts_as_no_vote():
    assert derive_status([b("ann", "title-abstract", "include"), b("ann", "title-abstract", sc.WITHDRAWN, 1)]) \
        == sc.QUEUED
    assert derive_status([b("ann", "title-abstract", "exclude"), b("bob", "title-abstract", "include"),
                          b("ann", "title-abstract", sc.WITHDRAWN, 1)]) == sc.SCREENING
    assert derive_status([b("ann", "title-abstract", sc.WITHDRAWN), b("ann", "title-abstract", "include", 1),
                          b("bob", "title-abstract", "include", 2)]) == sc.AWAITING_FULL_TEXT
