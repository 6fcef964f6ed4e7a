"""The batch front door: prepare -> block -> match -> cluster over a list of records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from livereview.dedup.block import DEFAULT_MAX_BUCKET, BlockIndex, block_keys
from livereview.dedup.cluster import PairLink, cluster
from livereview.dedup.match import Verdict, decide, notice_side
from livereview.dedup.prep import Prepared, prepare
from livereview.dedup.rules import GROUPED_NOTICE_RULES
from livereview.records.model import Record


@dataclass
class DedupResult:
    """What :func:`find_duplicates` found.

    ``groups``: indices into the input, one list per group of reports of one work (size >= 2), sorted; a
    correction or retraction notice linked to its article by the records themselves is in the article's group.
    ``version_pairs``: (preprint-or-published, other) index pairs linked as versions of one work, never merged;
    one pair per two groups, the lower-index record of each.
    ``notice_pairs``: (notice, article) index pairs: an erratum / retraction / expression-of-concern notice and
    the article it is about; one pair per notice (its article in the same group, else its best-scoring
    article), sorted. Only notices the records link to the article (:data:`dedup.rules.GROUPED_NOTICE_RULES`)
    share its group.
    ``merged``: the pair links (duplicate and notice) that joined the groups, each with the rule that fired.
    ``links``: every pair decided "duplicate" (``merged`` plus the redundant and the refused ones).
    ``refused``: duplicate links the clustering refused because the groups would conflict.
    ``stats``: counts for the run summary (records, candidate pairs, stop keys).
    """

    groups: list[list[int]]
    version_pairs: list[tuple[int, int]]
    notice_pairs: list[tuple[int, int]] = field(default_factory=list)
    merged: list[PairLink] = field(default_factory=list)
    links: list[PairLink] = field(default_factory=list)
    refused: list[PairLink] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def rule_for(self, i: int, j: int) -> str | None:
        """The rule that merged the pair (i, j), if that pair is one of the merge links."""
        for link in self.merged:
            if {link.i, link.j} == {i, j}:
                return link.rule
        return None


def find_duplicates(records: Sequence[Record], *, max_bucket: int = DEFAULT_MAX_BUCKET) -> DedupResult:
    """Group the records that report the same work; link preprints to their published versions.

    Records are compared only when they share a blocking key; each pair is decided by the rule table
    (:mod:`dedup.rules`); groups never hold two conflicting identifiers or a vetoed pair. Correction and
    retraction notices are listed in ``notice_pairs``; those the records link to their article join its group.
    """
    prepared = [prepare(r) for r in records]
    return find_duplicates_prepared(prepared, max_bucket=max_bucket)


def find_duplicates_prepared(records: Iterable[Prepared], *, max_bucket: int = DEFAULT_MAX_BUCKET) -> DedupResult:
    """:func:`find_duplicates` on records already passed through :func:`dedup.prepare`.

    Each record is matched against those before it as it arrives: ``records`` may be a stream (a file still
    being read) and is consumed once.
    """
    prepared: list[Prepared] = []
    index = BlockIndex(max_bucket=max_bucket)
    duplicate_links: list[PairLink] = []
    version_links: list[PairLink] = []
    notice_links: list[PairLink] = []  # (notice, article)
    verdicts: dict[tuple[int, int], Verdict] = {}
    n_pairs = 0
    for i, p in enumerate(records):
        prepared.append(p)
        keys = block_keys(p)
        for j in sorted(index.candidates(keys)):
            n_pairs += 1
            verdict = decide(prepared[j], p)
            if verdict.kind == "duplicate":
                duplicate_links.append(PairLink(j, i, verdict.rule, verdict.score))
                verdicts[(j, i)] = verdict
            elif verdict.kind == "version":
                version_links.append(PairLink(j, i, verdict.rule, verdict.score))
            elif verdict.kind == "notice":
                side = notice_side(prepared[j], p)
                if side is not None:
                    notice, article = (j, i) if side == 0 else (i, j)
                    notice_links.append(PairLink(notice, article, verdict.rule, verdict.score))
                    verdicts[(j, i)] = verdict
        index.add(i, keys)

    def decide_pair(x: int, y: int) -> Verdict:
        key = (x, y) if x < y else (y, x)
        if key not in verdicts:
            verdicts[key] = decide(prepared[key[0]], prepared[key[1]])
        return verdicts[key]

    grouped_notices = [link for link in notice_links if link.rule in GROUPED_NOTICE_RULES]
    clustering = cluster(prepared, duplicate_links, decide_pair, grouped_notices)
    root_of = {i: g[0] for g in clustering.groups for i in g}
    best_article: dict[int, tuple[bool, float, int]] = {}  # notice -> (not in its group, -score, article)
    for link in notice_links:
        rank = (root_of.get(link.i, -1) != root_of.get(link.j, -2), -link.score, link.j)
        if link.i not in best_article or rank < best_article[link.i]:
            best_article[link.i] = rank
    notice_pairs = sorted((n, rank[2]) for n, rank in best_article.items())
    seen: set[tuple[int, int]] = set()
    version_pairs: list[tuple[int, int]] = []
    for link in sorted(version_links, key=lambda lk: (-lk.score, lk.i, lk.j)):
        a, b = root_of.get(link.i, link.i), root_of.get(link.j, link.j)
        if a == b:
            continue
        key = (min(a, b), max(a, b))
        if key not in seen:
            seen.add(key)
            version_pairs.append(key)
    version_pairs.sort()
    stats = {
        "records": len(prepared),
        "candidate_pairs": n_pairs,
        "duplicate_links": len(duplicate_links),
        "notice_links": len(notice_links),
        "refused_links": len(clustering.refused),
        "stop_keys": len(index.stop_keys),
    }
    return DedupResult(groups=clustering.groups, version_pairs=version_pairs, notice_pairs=notice_pairs,
                       merged=clustering.merged,
                       links=duplicate_links, refused=clustering.refused, stats=stats)
