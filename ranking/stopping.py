"""When may the team stop screening? A statistical stopping rule with a stated recall target and confidence.

The rule is the hypergeometric test of Callaghan & Müller-Hansen (2020), "Statistical stopping criteria for
automated screening in systematic reviews", *Systematic Reviews* 9, 273, doi:10.1186/s13643-020-01521-4.

The null hypothesis is "recall is still below the target ``τ``". Take the last ``w`` records screened as a sample
drawn from an urn made of those ``w`` records and every unscreened record. With ``r`` includes found in all, of which
``k`` in the sample and ``r - k`` before it, recall is below ``τ`` only if the urn holds at least
``K = floor(r / τ - (r - k)) + 1`` includes. The p-value is the chance of seeing ``k`` or fewer includes in ``w``
draws from an urn of ``w + unscreened`` records holding ``K`` includes (the hypergeometric CDF); when it falls below
``1 - confidence`` the null hypothesis is rejected: at least ``τ`` of the includes have been found, with that
confidence. Every window ``w = 1 … screened`` is tried and the smallest p counts, as in the paper: records screened in
ranked order are at least as likely to be includes as random ones, so treating them as a random sample is
conservative (the paper's simulations reach the target reliably; ours are in ``benchmarks/ranking_stopping.py``).
A random sample of the unscreened rest (screening a few records drawn at random instead of the top of the queue)
makes the assumption hold exactly and is what the team should do when the ranked queue has gone quiet.

**Across the updates of a living review.** New records arrive every week. A window of decisions is a sample only of
the records that existed when it was screened, so the test only uses windows screened *after the newest record still
unscreened arrived* (``windows_after``). Two consequences, both on the side of claiming less:

- New records that are all screened (the usual case: they are few, and ranked into the queue) are part of what was
  seen: their includes raise ``r`` and so the number of includes the urn must hold under the null hypothesis, and
  the earlier windows stay usable. An estimate that held keeps holding only if it still does with them counted.
- While any new record is unscreened, earlier windows do not count, and the estimate says "not yet" until enough of
  the queue screened since the update (or a random sample of it) supports the claim again over the grown corpus.

The estimate is never carried over from an earlier corpus: it is recomputed from the decisions and the corpus as they
are, so it never claims more than the data support.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.stats import hypergeom

#: the protocol's defaults (``review.target_recall``, ``review.stop_confidence``)
TARGET_RECALL = 0.95
STOP_CONFIDENCE = 0.95
#: windows :func:`stop_point` tries per test: every one up to this many records, and this many longer ones
SIMULATION_GRID = 100
#: guards the floor in K = floor(r / τ ...) against 19 / 0.95 = 19.999999999999996
_EPS = 1e-9


@dataclass(frozen=True)
class StopTest:
    """The test on one state of the screening: the smallest p-value over the windows and which window gave it."""

    p_value: float            # 1.0 when there is no window to test
    window: int               # records in the window that gave the p-value (0: none)
    screened: int             # records screened
    total: int                # records in the corpus (screened + unscreened)
    found: int                # includes among the screened
    target_recall: float
    confidence: float

    @property
    def holds(self) -> bool:
        """At least ``target_recall`` of the includes are found, with ``confidence``."""
        return self.p_value < 1.0 - self.confidence


def stop_test(labels: Sequence[int], total: int, *, target_recall: float = TARGET_RECALL,
              confidence: float = STOP_CONFIDENCE, windows_after: int = 0, grid: int | None = None) -> StopTest:
    """The hypergeometric test on ``labels`` (0/1 of the screened records, in the order screened) in a corpus of
    ``total`` records. Only windows within ``labels[windows_after:]`` are tried (see the module docstring: in a living
    review, the decisions made since the newest unscreened record arrived). With ``grid``, only every window up to
    ``grid`` records and about ``grid`` geometrically spaced longer ones are tried: fewer tests, a p-value never
    smaller than over all windows (so the rule may fire later, never earlier)."""
    if not 0.0 < target_recall < 1.0 or not 0.0 < confidence < 1.0:
        raise ValueError("target recall and confidence must lie strictly between 0 and 1")
    seq = np.asarray(labels, dtype=np.int64)
    screened = len(seq)
    if total < screened:
        raise ValueError(f"{screened} records screened but the corpus holds only {total}")
    found = int(seq.sum())
    unscreened = total - screened
    usable = max(0, screened - max(0, windows_after))
    if unscreened == 0:
        return StopTest(0.0, 0, screened, total, found, target_recall, confidence)  # everything is screened
    if usable == 0:
        return StopTest(1.0, 0, screened, total, found, target_recall, confidence)
    window = np.arange(1, usable + 1)
    in_window = np.cumsum(seq[::-1][:usable])                      # includes among the last w screened
    if grid is not None and usable > 2 * grid:
        picked = np.unique(np.concatenate([np.arange(grid), np.geomspace(grid, usable, grid).astype(np.int64) - 1]))
        window, in_window = window[picked], in_window[picked]
    before = found - in_window
    needed = np.floor(found / target_recall + _EPS).astype(np.int64) + 1 - before  # includes the urn holds under H0
    urn = window + unscreened
    p = np.where(needed > urn, 0.0, hypergeom.cdf(in_window, urn, np.minimum(needed, urn), window))
    best = int(np.argmin(p))
    return StopTest(float(p[best]), int(window[best]), screened, total, found, target_recall, confidence)


def stop_point(labels: Sequence[int], *, total: int | None = None, target_recall: float = TARGET_RECALL,
               confidence: float = STOP_CONFIDENCE, start: int = 0, stride: int = 1) -> int | None:
    """Records screened when the rule first fires while screening ``labels`` in order (None: it never fires before
    everything is screened).

    The test runs after every ``stride`` records from ``start`` on, on a grid of :data:`SIMULATION_GRID` windows;
    where it first holds, the records since the previous check are tried one by one for the earliest that holds.
    Every point returned is one where the test holds; the grid and the stride may only find it a little late.
    """
    seq = np.asarray(labels, dtype=np.int64)
    n_total = len(seq) if total is None else total
    step = max(1, stride)

    def holds(screened: int) -> bool:
        return stop_test(seq[:screened], n_total, target_recall=target_recall, confidence=confidence,
                         grid=SIMULATION_GRID).holds

    first = max(1, start)
    for screened in range(first, len(seq) + 1, step):
        if holds(screened):
            for earlier in range(max(first, screened - step + 1), screened):
                if holds(earlier):
                    return earlier
            return screened
    if (len(seq) - first) % step and len(seq) >= first and holds(len(seq)):
        return len(seq)
    return None


@dataclass(frozen=True)
class StopEstimate:
    """What the queue and the digest show: how much is screened and whether the team may stop."""

    screened: int
    total: int
    found: int
    target_recall: float
    confidence: float
    holds: bool
    p_value: float
    since: datetime | None    # when the decision that made it hold was recorded (None when it does not hold)

    @property
    def unscreened(self) -> int:
        return self.total - self.screened

    def sentence(self) -> str:
        """``"screened 412 of 1,900; at least 95 % of includes found with 95 % confidence: not yet"``."""
        claim = (f"screened {self.screened:,} of {self.total:,}; at least {_percent(self.target_recall)} % of "
                 f"includes found with {_percent(self.confidence)} % confidence: ")
        if not self.holds:
            return claim + "not yet"
        when = f" since {self.since:%Y-%m-%d}" if self.since else ""
        return claim + f"yes{when} — the {self.unscreened:,} records left may stay unscreened"


def _percent(share: float) -> str:
    value = share * 100
    return f"{value:.0f}" if math.isclose(value, round(value)) else f"{value:.1f}"
