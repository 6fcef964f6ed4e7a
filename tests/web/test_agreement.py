"""Kappa on textbook examples."""

from __future__ import annotations

from collections import Counter

import pytest

from livereview.web.agreement import agreement, cohen_kappa, fleiss_kappa


def test_cohens_kappa_matches_the_textbook_yes_no_example():
    # 50 proposals: both yes 20, A yes B no 5, A no B yes 10, both no 15 -> p_o 0.7, p_e 0.5, kappa 0.4
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_cohens_kappa_is_one_for_perfect_agreement_and_undefined_when_everyone_says_the_same():
    assert cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    assert cohen_kappa([("a", "a"), ("a", "a")]) is None
    assert cohen_kappa([]) is None


def test_fleiss_kappa_matches_fleiss_1971_worked_example():
    # the classic 10 subjects x 14 raters x 5 categories table; kappa = 0.210
    rows = [(0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1),
            (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7)]
    table = [{c: n for c, n in enumerate(r) if n} for r in rows]
    assert fleiss_kappa(table) == pytest.approx(0.20993, abs=1e-4)


def test_fleiss_kappa_refuses_items_with_different_numbers_of_ratings():
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([Counter(a=2), Counter(a=3)])


def test_two_reviewers_get_cohen_and_three_get_fleiss():
    two = {1: {"ann": "include", "bob": "include"}, 2: {"ann": "exclude", "bob": "include"},
           3: {"ann": "exclude", "bob": "exclude"}, 4: {"ann": "include"}}
    got = agreement(two)
    assert (got.method, got.items, got.raters) == ("cohen", 3, ("ann", "bob"))
    assert got.kappa == pytest.approx(cohen_kappa([("include", "include"), ("exclude", "include"),
                                                   ("exclude", "exclude")]))
    three = {1: {"ann": "include", "bob": "include", "cy": "include"},
             2: {"ann": "exclude", "bob": "exclude", "cy": "include"}}
    got = agreement(three)
    assert (got.method, got.items) == ("fleiss", 2)
    assert got.kappa == pytest.approx(fleiss_kappa([Counter(include=3), Counter(exclude=2, include=1)]))
    assert got.percent == pytest.approx(0.5)
