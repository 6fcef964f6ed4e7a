"""Inter-rater agreement, pure functions: Cohen's kappa (two raters), Fleiss' kappa (equal numbers of ratings),
Krippendorff's alpha and Gwet's AC1 (any number of ratings per item: every item with two or more counts).

Cohen (1960): κ = (p_o − p_e) / (1 − p_e) over the items both raters rated. Fleiss (1971): the
items each rated by the same number n ≥ 2 of raters (not necessarily the same people), category
proportions over all ratings. Krippendorff (2011) and Gwet (2008; 2014) take items with unequal numbers of
ratings, which a three-reviewer team always has (a record closes on two agreeing votes, a third settles a
disagreement): leaving those out leaves out exactly the disagreements. All return None when undefined.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
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


def krippendorff_alpha(units: Iterable[Iterable[Hashable]]) -> float | None:
    """Krippendorff's alpha for nominal data, any number of coders per unit (Krippendorff 2011, "Computing
    Krippendorff's Alpha-Reliability", section C):

    coincidences o_ck = Σ_u (pairs of values c, k in unit u) / (m_u − 1) over units with m_u ≥ 2 values;
    n_c = Σ_k o_ck, n = Σ_c n_c;  α = 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c · n_k.

    ``units``: the values each unit received (one per coder who rated it). None when fewer than two pairable
    values or when every value is the same category (no variation: α undefined).
    """
    o: Counter[tuple[Hashable, Hashable]] = Counter()
    for unit in units:
        values = Counter(unit)
        m = sum(values.values())
        if m < 2:
            continue
        for c, nc in values.items():
            for k, nk in values.items():
                o[(c, k)] += (nc * (nc - 1) if c == k else nc * nk) / (m - 1)
    n_c: Counter[Hashable] = Counter()
    for (c, _k), v in o.items():
        n_c[c] += v
    n = sum(n_c.values())
    disagree = sum(v for (c, k), v in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if n < 2 or expected == 0:
        return None
    return 1 - (n - 1) * disagree / expected


def gwet_ac1(units: Iterable[Iterable[Hashable]], categories: Sequence[Hashable] | None = None) -> float | None:
    """Gwet's AC1 for several raters and unequal numbers of ratings per item (Gwet 2008, Br J Math Stat Psychol
    61:29–48; Gwet 2014, Handbook of Inter-Rater Reliability, 4th ed., eq. 4.1.1–4.1.3 / "AC1 with missing
    ratings"):

    p_a = (1/n') Σ_{i: r_i ≥ 2} Σ_k r_ik (r_ik − 1) / (r_i (r_i − 1))   over the n' items with two or more ratings;
    π_k = (1/n) Σ_{i: r_i ≥ 1} r_ik / r_i                                   over the n items with any rating;
    p_e = (1/(q − 1)) Σ_k π_k (1 − π_k),  q = number of categories;  AC1 = (p_a − p_e) / (1 − p_e).

    ``categories``: the scale (q counts categories nobody used); default the categories seen. None when no item
    has two ratings or the scale has one category.
    """
    rows = [Counter(u) for u in units]
    rows = [r for r in rows if sum(r.values()) >= 1]
    cats = list(categories) if categories is not None else sorted({c for r in rows for c in r}, key=str)
    multi = [r for r in rows if sum(r.values()) >= 2]
    q = len(cats)
    if not multi or q < 2:
        return None
    p_a = sum(sum(v * (v - 1) for v in r.values()) / (sum(r.values()) * (sum(r.values()) - 1))
              for r in multi) / len(multi)
    pi = {k: sum(r[k] / sum(r.values()) for r in rows) / len(rows) for k in cats}
    p_e = sum(p * (1 - p) for p in pi.values()) / (q - 1)
    if p_e >= 1.0:
        return None
    return (p_a - p_e) / (1 - p_e)


def fleiss_kappa_unequal(units: Iterable[Iterable[Hashable]]) -> float | None:
    """Fleiss' kappa generalised to unequal numbers of ratings (Gwet 2014, Handbook, section 4.1: the same p_a and
    π_k as :func:`gwet_ac1`, chance agreement p_e = Σ_k π_k²); equals :func:`fleiss_kappa` when every item has
    the same number of ratings."""
    rows = [Counter(u) for u in units]
    rows = [r for r in rows if sum(r.values()) >= 1]
    multi = [r for r in rows if sum(r.values()) >= 2]
    if not multi:
        return None
    p_a = sum(sum(v * (v - 1) for v in r.values()) / (sum(r.values()) * (sum(r.values()) - 1))
              for r in multi) / len(multi)
    cats = {c for r in rows for c in r}
    p_e = sum((sum(r[k] / sum(r.values()) for r in rows) / len(rows)) ** 2 for k in cats)
    if p_e >= 1.0:
        return None
    return (p_a - p_e) / (1 - p_e)


#: the screening scale: Gwet's AC1 counts every category of the scale, used or not
CATEGORIES = ("include", "exclude", "maybe")


@dataclass(frozen=True)
class Agreement:
    """Agreement among reviewers on a set of items (one stage, one update): every item with two or more ratings."""

    method: str              # kappa's method: "cohen" (two reviewers) | "fleiss" (more; unequal numbers allowed) | "-"
    kappa: float | None
    items: int               # items that entered every statistic: those with two or more ratings
    raters: tuple[str, ...]
    percent: float | None    # plain percentage of items where every rating agreed
    alpha: float | None = None        # Krippendorff's alpha (nominal)
    ac1: float | None = None          # Gwet's AC1
    ratings: int = 0                  # ratings on those items
    by_size: tuple[tuple[int, int], ...] = ()   # (ratings per item, items): how many had 2, 3, … ratings


def agreement(ratings: Mapping[Hashable, Mapping[str, str]],
              categories: Sequence[str] = CATEGORIES) -> Agreement:
    """``ratings``: item -> {reviewer: label}. Every item with two or more ratings counts (items rated once
    cannot agree or disagree): Krippendorff's alpha and Gwet's AC1, and kappa — Cohen's for two reviewers,
    Fleiss' (generalised to unequal numbers of ratings) for more."""
    multi = {item: r for item, r in ratings.items() if len(r) >= 2}
    raters = tuple(sorted({name for r in multi.values() for name in r}))
    if not multi:
        return Agreement("-", None, 0, raters, None)
    units = [list(r.values()) for r in multi.values()]
    percent = sum(1 for u in units if len(set(u)) == 1) / len(units)
    if len(raters) == 2:
        a, b = raters
        method, kappa = "cohen", cohen_kappa([(r[a], r[b]) for r in multi.values()])
    else:
        method, kappa = "fleiss", fleiss_kappa_unequal(units)
    cats = list(categories) + sorted({v for u in units for v in u} - set(categories))
    return Agreement(method, kappa, len(units), raters, percent, alpha=krippendorff_alpha(units),
                     ac1=gwet_ac1(units, cats), ratings=sum(len(u) for u in units),
                     by_size=tuple(sorted(Counter(len(u) for u in units).items())))


def weighted_kappa(pairs: Sequence[tuple[int, int]], categories: Sequence[int] = (0, 1, 2, 3),
                   weights: str = "quadratic") -> float | None:
    """Cohen's (1968) weighted kappa of two raters' ordinal scores (QATSDD's 0-3), quadratic weights by default.

    κw = 1 − Σ w_ij o_ij / Σ w_ij e_ij with disagreement weights w_ij = ((i − j) / (k − 1))² (quadratic) or
    |i − j| / (k − 1) (linear), o the observed and e the chance proportions (product of the two raters'
    marginals). Quadratic weights, the usual choice for ordinal scales, make κw equal the intraclass correlation
    for consistency; a near miss (2 vs 3) costs a ninth of a full disagreement (0 vs 3). None when undefined (no
    pairs, or both raters gave every item one and the same score so no disagreement could be expected).
    """
    n = len(pairs)
    if n == 0:
        return None
    index = {c: i for i, c in enumerate(categories)}
    k = len(categories)
    if weights not in ("quadratic", "linear"):
        raise ValueError("weights: quadratic or linear")

    def w(i: int, j: int) -> float:
        d = abs(i - j) / (k - 1)
        return d * d if weights == "quadratic" else d

    first, second = Counter(index[a] for a, _ in pairs), Counter(index[b] for _, b in pairs)
    observed = sum(w(index[a], index[b]) for a, b in pairs) / n
    expected = sum(w(i, j) * first[i] * second[j] for i in range(k) for j in range(k)) / (n * n)
    if expected == 0:
        return None
    return 1 - observed / expected
