"""The stopping rule (Callaghan & Müller-Hansen 2020): the test itself, where it fires, and on a real store."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from ranking_records import ingest, off_topic
from scipy.stats import hypergeom
from sqlalchemy import select

from livereview.ranking import stop_estimate
from livereview.ranking.simulate import stopping
from livereview.ranking.stopping import StopEstimate, stop_point, stop_test
from livereview.store.db import reading, transaction
from livereview.store.models import Work
from livereview.store.screening import record_decision


def test_the_p_value_is_the_hypergeometric_cdf_of_the_best_window():
    # 20 includes found, the last 30 screened hold none, 70 records unscreened: under H0 (recall < 0.95) the urn of
    # 30 + 70 records holds at least floor(20 / 0.95) + 1 - 20 = 2 includes
    labels = [1] * 20 + [0] * 30
    test = stop_test(labels, 120)
    assert test.window == 30
    assert test.p_value == pytest.approx(hypergeom.cdf(0, 100, 2, 30))
    assert not test.holds  # 0.49: thirty excludes in a row say little about seventy more


def test_recall_exactly_at_the_target_is_not_below_it():
    # 19 / 0.95 is 19.999999999999996 in floating point: the urn must hold 2 includes for recall to be below 95 %,
    # not 1 (with 1, recall would be 19 / 20 = 0.95, the target itself)
    test = stop_test([1] * 19 + [0] * 10, 40)
    assert test.p_value == pytest.approx(hypergeom.cdf(0, 21, 2, 10))


def test_the_rule_holds_once_a_long_run_of_excludes_covers_most_of_the_rest():
    labels = [1] * 20 + [0] * 300
    assert not stop_test(labels[:40], 400).holds
    assert stop_test(labels, 400).holds
    assert stop_test(labels, 320).p_value == 0.0, "everything screened: nothing can be missed"


def test_windows_before_the_newest_unscreened_record_arrived_do_not_count():
    labels = [1] * 20 + [0] * 300
    assert stop_test(labels, 400).holds
    assert not stop_test(labels, 400, windows_after=len(labels)).holds, "no window since the update"
    assert stop_test(labels, 400, windows_after=len(labels)).p_value == 1.0


def test_the_window_grid_never_gives_a_smaller_p_value_than_every_window():
    rng = np.random.default_rng(3)
    labels = (rng.random(900) < np.linspace(0.3, 0.0, 900)).astype(int)
    for screened in (200, 500, 900):
        full, grid = stop_test(labels[:screened], 1500), stop_test(labels[:screened], 1500, grid=20)
        assert grid.p_value >= full.p_value - 1e-12


def test_stop_point_is_the_first_point_where_the_test_holds():
    labels = [1] * 30 + [0] * 970
    at = stop_point(labels, stride=25)
    assert at is not None and stop_test(labels[:at], 1000).holds
    assert not any(stop_test(labels[:m], 1000, grid=100).holds for m in range(max(1, at - 25), at))
    assert stop_point([1, 0, 1, 1, 0]) == 5, "a set too small to test stops only when everything is screened"


def test_simulation_figures_leave_the_priors_out():
    labels = [1, 0] + [1] * 18 + [0] * 480  # priors first
    stop_at, recall, saved = stopping(labels)
    assert stop_at is not None and recall == 1.0
    assert saved == pytest.approx(1 - stop_at / 498, abs=1e-4)
    assert stopping([1, 0, 1, 0, 1]) == (3, 1.0, 0.0)


def test_rejects_a_target_or_confidence_outside_zero_and_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        stop_test([1, 0], 10, target_recall=1.0)


def test_the_estimate_reads_as_a_sentence_for_the_queue_and_the_digest():
    no = StopEstimate(412, 1900, 30, 0.95, 0.95, False, 0.4, None)
    assert no.sentence() == "screened 412 of 1,900; at least 95 % of includes found with 95 % confidence: not yet"
    yes = StopEstimate(1412, 1900, 30, 0.95, 0.95, True, 0.01, datetime(2026, 11, 30, 9, 0))
    assert yes.sentence() == ("screened 1,412 of 1,900; at least 95 % of includes found with 95 % confidence: "
                              "yes since 2026-11-30 — the 488 records left may stay unscreened")


def _screen(engine, dois, decision="exclude"):
    with transaction(engine) as s:
        for doi in dois:
            work = s.scalars(select(Work).where(Work.doi == doi)).one()
            record_decision(s, work, reviewer="ann", stage="title-abstract", decision=decision, is_final=True)


def test_on_the_store_the_estimate_follows_screening_and_an_update_withdraws_it(store, protocol):
    ingest(store, [off_topic(n) for n in range(100, 300)], prior="exclude")
    ingest(store, [off_topic(n) for n in range(1, 11)])
    with reading(store) as s:
        first = stop_estimate(s, protocol)
    assert (first.screened, first.total, first.found) == (250, 260, 50)
    assert not first.holds, "the imported decisions predate the queued records: no window to test yet"
    _screen(store, [f"10.5555/off.{n}" for n in range(1, 6)])
    with reading(store) as s:
        five = stop_estimate(s, protocol)
    assert not five.holds and five.screened == 255  # p = 21/252: five excludes of ten do not show 3 are not there
    _screen(store, [f"10.5555/off.{n}" for n in range(6, 8)])
    with reading(store) as s:
        seven = stop_estimate(s, protocol)
    assert seven.holds and seven.since is not None
    assert seven.sentence().endswith("yes since " + f"{seven.since:%Y-%m-%d}" + " — the 3 records left may stay "
                                     "unscreened")
    ingest(store, [off_topic(n) for n in range(11, 14)])  # next week's update
    with reading(store) as s:
        update = stop_estimate(s, protocol)
    assert update.total == 263 and not update.holds, "new unscreened records: the claim waits for new evidence"


def test_old_protocol_files_get_the_default_target_and_confidence(protocol):
    assert protocol.review.target_recall == 0.95 and protocol.review.stop_confidence == 0.95
