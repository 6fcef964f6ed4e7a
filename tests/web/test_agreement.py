"""Kappa on textbook examples."""

from __future__ import annotations

from collections import Counter

import pytest

from livereview.web.agreement import (
    agreement,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_unequal,
    gwet_ac1,
    krippendorff_alpha,
)


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


# -- every record with two or more ratings: Krippendorff's alpha, Gwet's AC1, Fleiss for unequal numbers -------------
def _units(rows):
    """Coders' rows (None = missing) -> the values each unit received."""
    return [[r[u] for r in rows if r[u] is not None] for u in range(len(rows[0]))]


def test_krippendorff_alpha_matches_krippendorff_2011_nominal_example():
    # "Computing Krippendorff's Alpha-Reliability" (2011), section C: 4 observers, 12 units, missing values;
    # nominal alpha = 0.743 (unit 12 has one value and is not pairable)
    n = None
    rows = [[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
            [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]
    assert krippendorff_alpha(_units(rows)) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_and_gwet_ac1_by_hand_with_unequal_numbers_of_ratings():
    # units: aaa, aba, bb, a (one rating: not pairable; it still informs AC1's category prevalence)
    units = [["a", "a", "a"], ["a", "b", "a"], ["b", "b"], ["a"]]
    # coincidences o_aa = 3 + 1, o_ab = o_ba = 1, o_bb = 2; n_a = 5, n_b = 3, n = 8: alpha = 1 - 7 * 2 / (2 * 5 * 3)
    assert krippendorff_alpha(units) == pytest.approx(1 - 14 / 30)
    # p_a = (1 + 1/3 + 1) / 3 = 7/9; pi_a = (1 + 2/3 + 0 + 1) / 4 = 2/3; p_e = 2 * 2/3 * 1/3 = 4/9; AC1 = 3/5
    assert gwet_ac1(units) == pytest.approx(0.6)
    # on a three-category scale (q = 3): p_e = (2/9 + 2/9) / 2 = 2/9; AC1 = (7/9 - 2/9) / (7/9) = 5/7
    assert gwet_ac1(units, ["a", "b", "c"]) == pytest.approx(5 / 7)


def test_gwet_ac1_for_two_raters_is_gwet_s_two_rater_formula():
    # the Cohen example above: p_a = 0.7; pi_yes = (25/50 + 30/50) / 2 = 0.55; p_e = 2 * 0.55 * 0.45 = 0.495
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert gwet_ac1([list(p) for p in pairs]) == pytest.approx((0.7 - 0.495) / (1 - 0.495))
    # the kappa paradox (Gwet 2008): 118 both yes, 5 and 2 split, 0 both no -> kappa near 0, AC1 near 0.94
    paradox = [("y", "y")] * 118 + [("y", "n")] * 5 + [("n", "y")] * 2
    assert cohen_kappa(paradox) == pytest.approx(-0.0236, abs=1e-3)
    assert gwet_ac1([list(p) for p in paradox]) == pytest.approx(0.9408, abs=1e-3)


def test_fleiss_for_unequal_numbers_equals_fleiss_when_numbers_are_equal():
    rows = [(0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1),
            (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7)]
    units = [[c for c, k in enumerate(r) for _ in range(k)] for r in rows]
    assert fleiss_kappa_unequal(units) == pytest.approx(0.20993, abs=1e-4)


def test_the_headline_counts_the_records_with_three_ratings_where_the_disagreements_are():
    # pairs close on two agreeing votes; a third reviewer settles each disagreement: the old headline took only
    # the most common number of ratings (the two-rating records, all agreeing) and said kappa = 1.000
    ratings = {1: {"ann": "include", "bob": "include"}, 2: {"ann": "exclude", "bob": "exclude"},
               3: {"ann": "exclude", "cy": "exclude"}, 4: {"bob": "include", "cy": "include"},
               5: {"ann": "include", "bob": "exclude", "cy": "include"},
               6: {"ann": "exclude", "bob": "include", "cy": "exclude"}, 7: {"ann": "maybe"}}
    got = agreement(ratings)
    assert (got.items, got.ratings, got.by_size) == (6, 14, ((2, 4), (3, 2)))
    units = [list(r.values()) for k, r in ratings.items() if k != 7]
    assert got.alpha == pytest.approx(krippendorff_alpha(units)) and got.alpha < 1
    assert got.ac1 == pytest.approx(gwet_ac1(units, ["include", "exclude", "maybe"])) and got.ac1 < 1
    assert got.kappa == pytest.approx(fleiss_kappa_unequal(units)) and got.kappa < 1
