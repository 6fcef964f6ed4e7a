"""Stage 4: join duplicate pairs into groups without chaining false merges.

Union-find over the duplicate pairs, strongest first, then the notice pairs (an erratum or retraction joins
the group of the article it is about). Two groups are joined only if that keeps every group consistent: no
two different DOIs among its works (unless a rule already accepted them as one work's typo or republication),
no two different PMIDs, and no pair across the two groups that a vetoing rule declared distinct (A≈B and
B≈C must not put a reply A next to the article C). A notice's own DOI and PMID name the notice, not the
work, so they do not count; two notices of one article (two errata) may share its group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from livereview.dedup.match import ATTACHED_NOTICES, Verdict
from livereview.dedup.prep import Prepared

#: the rules that may join two different DOIs (a typo of one citation, one article published twice)
DOI_JOIN_RULES = frozenset({"doi-typo-identical-citation", "republished-same-abstract"})
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
    notice_links: Sequence[PairLink] = (),
) -> Clustering:
    """Groups from duplicate ``links``, then ``notice_links``; ``decide_pair(i, j)`` re-checks cross pairs
    before a join."""
    parent = list(range(len(prepared)))
    is_notice = [p.notice in ATTACHED_NOTICES for p in prepared]
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
            value = None if is_notice[root] else getattr(prepared[root], attr)
            table[root] = {value} if value else set()
        return table[root]

    def vetoed(x: int, y: int) -> bool:
        # two notices of one article differ in DOI and page by nature: only works and notice-vs-work count
        return not (is_notice[x] and is_notice[y]) and decide_pair(x, y).is_veto

    merged: list[PairLink] = []
    refused: list[PairLink] = []
    ordered = sorted(links, key=lambda lk: (-lk.score, lk.i, lk.j))
    ordered += sorted(notice_links, key=lambda lk: (-lk.score, lk.i, lk.j))
    for link in ordered:
        ra, rb = find(link.i), find(link.j)
        if ra == rb:
            continue
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        da, db = ids_of(ra, dois, "doi_base"), ids_of(rb, dois, "doi_base")
        pa, pb = ids_of(ra, pmids, "pmid"), ids_of(rb, pmids, "pmid")
        conflict = (
            (da and db and not (da & db) and link.rule not in DOI_JOIN_RULES)
            or (pa and pb and not (pa & pb))
            or len(ma) * len(mb) > MAX_CROSS_CHECKS
            or any(vetoed(x, y) for x in ma for y in mb if (x, y) != (link.i, link.j)
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
