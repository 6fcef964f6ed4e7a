"""Duplicate detection for bibliographic records, as named stages behind one front door.

``prep`` (normalise fields for matching) -> ``block`` (cheap keys, near-linear candidate pairs) ->
``match`` (field agreement levels, decided by the rule table in :mod:`dedup.rules`) -> ``cluster``
(union-find that never joins conflicting identifiers or vetoed pairs).

A false merge hides a study from the review, so every rule errs towards "distinct". Errata, retraction
notices, comments and replies are never merged with the work they are about; a preprint and its published
article are linked as a *version pair*, not merged. Decision on conference abstracts vs journal articles
with the same title: they are different reports (a journal-vs-conference type conflict vetoes the merge,
unless they share a DOI or PMID).

Public API:

- :func:`prepare` (Record -> :class:`Prepared`)
- :func:`find_duplicates` (records -> :class:`DedupResult` with ``groups``, ``version_pairs``, ``merged``)
- :class:`MatchIndex` (incremental ``add`` / ``match`` / ``remove`` for the store) returning :class:`Match`
- :func:`write_groups_csv` (groups in the ``merged_record_ids.csv`` shape)
"""

from dedup.export import write_groups_csv
from dedup.index import Match, MatchIndex
from dedup.match import Verdict, decide
from dedup.pipeline import DedupResult, find_duplicates
from dedup.prep import Prepared, prepare

__all__ = [
    "DedupResult",
    "Match",
    "MatchIndex",
    "Prepared",
    "Verdict",
    "decide",
    "find_duplicates",
    "prepare",
    "write_groups_csv",
]
