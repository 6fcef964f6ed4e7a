"""Duplicate detection for bibliographic records, as named stages behind one front door.

``prep`` (normalise fields for matching) -> ``block`` (cheap keys, near-linear candidate pairs) ->
``match`` (field agreement levels, decided by the rule table in :mod:`dedup.rules`) -> ``cluster``
(union-find that never joins conflicting identifiers or vetoed pairs).

A false merge hides a study from the review, so every rule errs towards "distinct", and every merge names the
rule that made it. Policy for records that report the same study without being the same work:

- *Correction, retraction and expression-of-concern notices* ("Erratum to: <title>", "Correction: <title>",
  "<title> (vol 12, pg 34, 2010)", "Corrigendum to …", "Retraction: <title>", "Notice of retraction …") are
  decided ``"notice"`` when the title, once the notice prefix or suffix is removed, is the article's (high
  similarity) and nothing conflicts: venue compatible or missing, dated the article's year or up to three years
  later (one year earlier for an online-first date), authors overlapping or missing, no cited locator pointing
  elsewhere. :class:`MatchIndex` returns such a match for a new notice with the article's key (the store keeps
  the notice as its own record and flags the article); :func:`find_duplicates` lists every notice in
  ``notice_pairs``. It puts a notice in its article's group only when the records link the two: the article's
  MEDLINE note "[Erratum appears in …;85(11):911]" names the notice's page, or the notice is printed in the
  article's own issue. A notice matched by its title alone stays a group of its own, because the curated
  reference sets keep such corrections apart from the article (wagner2021_digital_work labels all six
  corrections printed in a later issue distinct and the one printed in the article's issue a duplicate;
  rathbone2015_haematology labels corrections without such a link both ways).
- *Comments, replies, responses and letters* about an article are works of their own: never merged with it.
  So is a record in a commentary journal (ACP Journal Club, Evidence-Based Medicine / Mental Health / Nursing …,
  Journal Watch, DARE) that carries the article's own title.
- *A dissertation and its Dissertation Abstracts International entry* are one work (the index's volume and page
  are not a venue); an anonymous abstract collection indexed twice is one work when title, year, journal,
  volume and issue agree.
- *A conference abstract or paper and the journal article of the same study* are merged when they share title
  (exact or high), authors (same or high) and journal (the meeting abstract printed in the journal's
  supplement), within three years and with nothing else in conflict (two DOIs, two PMIDs, unrelated
  abstracts). With different venues they stay distinct: the reference sets label a conference paper and its
  later journal version as two records (bib-dedupe's special cases, rathbone2015_haematology).
- *A preprint and its published article* are linked as a version pair, not merged; an SSRN deposit whose
  record cites the same conference or journal as the other record is the paper itself and is merged.
- *One article published twice* (two unrelated DOIs, same title, authors, journal and abstract) is merged.

Public API:

- :func:`prepare` (Record -> :class:`Prepared`)
- :func:`find_duplicates` (records -> :class:`DedupResult` with ``groups``, ``version_pairs``, ``notice_pairs``,
  ``merged``)
- :class:`MatchIndex` (incremental ``add`` / ``match`` / ``remove`` for the store) returning :class:`Match`
  (``kind`` "duplicate", "notice" or "version")
- :func:`decide` (two :class:`Prepared` -> :class:`Verdict`: the kind and the rule that decided it) and
  :func:`notice_side` (which of a "notice" pair is the notice)
- :func:`write_groups_csv` (groups in the ``merged_record_ids.csv`` shape)
"""

from livereview.dedup.export import write_groups_csv
from livereview.dedup.index import Match, MatchIndex, NearMiss
from livereview.dedup.match import Verdict, decide, notice_side
from livereview.dedup.pipeline import DedupResult, find_duplicates, find_duplicates_prepared
from livereview.dedup.prep import Prepared, prepare

__all__ = [
    "DedupResult",
    "Match",
    "MatchIndex",
    "NearMiss",
    "Prepared",
    "Verdict",
    "decide",
    "find_duplicates",
    "find_duplicates_prepared",
    "notice_side",
    "prepare",
    "write_groups_csv",
]
