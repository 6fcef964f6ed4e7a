"""Stage 4: join duplicate pairs into groups without chaining false merges.

Union-find over the duplicate pairs, strongest first. Two groups are joined only if that keeps every group
consistent: no two different DOIs (unless a rule already accepted them as one work's typo or version), no
two different PMIDs, and no pair across the two groups that a vetoing rule declared distinct (A≈B and B≈C
must not put an erratum A next to its article C).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dedup.match import Verdict
from dedup.prep import Prepared

#: the one rule that may join two different DOIs (a typo of one citation); groups never join across them
DOI_TYPO_RULE = "doi-typo-identical-citation"
#: joining two groups checks every cross pair; beyond this many the join is refused (no giant groups)
MAX_CROSS_CHECKS = 2500


@dataclass(frozen=True, slots=True)
class PairLink:
    """A decided pair (indices into the records), the rule that decided it and its score."""

    i: int
    j: int
    rule: str
    score: float


@dataclass
class Clustering:
    groups: list[list[int]]      # sorted indices, groups of size >= 2, ordered by first index
    merged: list[PairLink]       # the links that joined groups (the audit trail)
    refused: list[PairLink]      # duplicate links refused because they would join conflicting groups


def cluster(
    prepared: Sequence[Prepared],
    links: Sequence[PairLink],
    decide_pair: Callable[[int, int], Verdict],
) -> Clustering:
    """Groups from duplicate ``links``; ``decide_pair(i, j)`` re-checks cross pairs before a join."""
    parent = list(range(len(prepared)))
    members: dict[int, list[int]] = {}
    dois: dict[int, set[str]] = {}
    pmids: dict[int, set[str]] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def ids_of(root: int, table: dict[int, set[str]], attr: str) -> set[str]:
        if root not in table:
            value = getattr(prepared[root], attr)
            table[root] = {value} if value else set()
        return table[root]

    merged: list[PairLink] = []
    refused: list[PairLink] = []
    for link in sorted(links, key=lambda lk: (-lk.score, lk.i, lk.j)):
        ra, rb = find(link.i), find(link.j)
        if ra == rb:
            continue
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        da, db = ids_of(ra, dois, "doi_base"), ids_of(rb, dois, "doi_base")
        pa, pb = ids_of(ra, pmids, "pmid"), ids_of(rb, pmids, "pmid")
        conflict = (
            (da and db and not (da & db) and link.rule != DOI_TYPO_RULE)
            or (pa and pb and not (pa & pb))
            or len(ma) * len(mb) > MAX_CROSS_CHECKS
            or any(decide_pair(x, y).is_veto for x in ma for y in mb if (x, y) != (link.i, link.j)
                   and (y, x) != (link.i, link.j))
        )
        if conflict:
            refused.append(link)
            continue
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        parent[rb] = ra
        members[ra] = ma + mb
        members.pop(rb, None)
        dois[ra] = ids_of(ra, dois, "doi_base") | ids_of(rb, dois, "doi_base")
        pmids[ra] = ids_of(ra, pmids, "pmid") | ids_of(rb, pmids, "pmid")
        merged.append(link)

    groups = sorted(sorted(m) for m in members.values() if len(m) >= 2)
    return Clustering(groups=groups, merged=merged, refused=refused)
