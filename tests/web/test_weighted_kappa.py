"""Weighted kappa (Cohen 1968) for QATSDD's ordinal 0-3 scores, against values worked by hand."""

import pytest

from livereview.web.agreement import weighted_kappa


def test_perfect_agreement_is_one_and_no_pairs_is_undefined():
    assert weighted_kappa([(0, 0), (1, 1), (3, 3)]) == 1.0
    assert weighted_kappa([]) is None
    assert weighted_kappa([(2, 2), (2, 2)]) is None   # no variation: chance disagreement is zero


def test_quadratic_weights_by_hand():
    # two items: (0, 1) and (1, 0). Observed mean weight (1/3)^2 = 1/9. Marginals: A {0:1, 1:1}, B {1:1, 0:1};
    # expected = (w(0,1) + w(0,0) + w(1,1) + w(1,0)) / 4 = (1/9 + 1/9) / 4 = 1/18. kappa = 1 - (1/9)/(1/18) = -1.
    assert weighted_kappa([(0, 1), (1, 0)]) == pytest.approx(-1.0)


def test_a_near_miss_costs_less_than_a_far_one():
    near = weighted_kappa([(0, 0), (1, 1), (2, 2), (3, 2)])
    far = weighted_kappa([(0, 0), (1, 1), (2, 2), (3, 0)])
    assert near > far
    linear = weighted_kappa([(0, 0), (1, 1), (2, 2), (3, 2)], weights="linear")
    assert linear < near    # linear weights charge a near miss a third, quadratic a ninth
