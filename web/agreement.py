"""Inter-rater agreement: Cohen's kappa (two raters) and Fleiss' kappa (more), pure functions.

Cohen (1960): κ = (p_o − p_e) / (1 − p_e) over the items both raters rated. Fleiss (1971): the
items each rated by the same number n ≥ 2 of raters (not necessarily the same people), category
proportions over all ratings. Both return None when undefined (no items, or chance agreement 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters' labels, one (rater A, rater B) pair per item."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def fleiss_kappa(table: Sequence[Mapping[Hashable, int]]) -> float | None:
    """Fleiss' kappa from per-item category counts (each item rated by the same number of raters)."""
    items = [row for row in table if sum(row.values()) > 0]
    if not items:
        return None
    n = sum(items[0].values())
    if n < 2 or any(sum(row.values()) != n for row in items):
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of ratings for every item")
    total = len(items) * n
    cats: Counter[Hashable] = Counter()
    for row in items:
        cats.update(row)
    p_j = [c / total for c in cats.values()]
    p_bar = sum((sum(v * v for v in row.values()) - n) / (n * (n - 1)) for row in items) / len(items)
    p_e = sum(p * p for p in p_j)
    if p_e >= 1.0:
        return None
    return (p_bar - p_e) / (1 - p_e)


@dataclass(frozen=True)
class Agreement:
    """Agreement among reviewers on a set of items (one stage, one update)."""

    method: str              # "cohen" | "fleiss" | "-"
    kappa: float | None
    items: int               # items that entered the statistic
    raters: tuple[str, ...]
    percent: float | None    # plain percentage of items where every rating agreed


def agreement(ratings: Mapping[Hashable, Mapping[str, str]]) -> Agreement:
    """``ratings``: item -> {reviewer: label}. Cohen when two reviewers rated every shared item, else Fleiss.

    Fleiss uses the items with the most common number (>= 2) of ratings; items rated once are left out.
    """
    multi = {item: r for item, r in ratings.items() if len(r) >= 2}
    raters = tuple(sorted({name for r in multi.values() for name in r}))
    if not multi:
        return Agreement("-", None, 0, raters, None)
    percent = sum(1 for r in multi.values() if len(set(r.values())) == 1) / len(multi)
    if len(raters) == 2:
        a, b = raters
        pairs = [(r[a], r[b]) for r in multi.values()]
        return Agreement("cohen", cohen_kappa(pairs), len(pairs), raters, percent)
    size = Counter(len(r) for r in multi.values()).most_common(1)[0][0]
    rows = [Counter(r.values()) for r in multi.values() if len(r) == size]
    return Agreement("fleiss", fleiss_kappa(rows), len(rows), raters, percent)
