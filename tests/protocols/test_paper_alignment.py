"""The bundled protocol says what the seed paper's Methods say, point by point (issue 12)."""

from __future__ import annotations

import csv
import re
from collections import Counter

from livereview.protocols.model import load_protocol
from livereview.protocols.queries import europepmc_query, openalex_languages, pubmed_query, source_queries
from livereview.settings import BUNDLED_PROTOCOL

P = load_protocol(BUNDLED_PROTOCOL)


def test_three_independent_reviewers_screen_titles_and_abstracts():
    assert P.review.reviewers_per_record == 3


def test_preprints_are_excluded_at_the_source_and_are_a_reason_to_exclude():
    assert P.review.peer_reviewed_only
    assert europepmc_query(P).endswith(" NOT SRC:PPR")
    assert pubmed_query(P).endswith(" NOT preprint[pt]")
    assert "posted-content" not in P.source("crossref").types
    assert "preprint" not in P.source("openalex").types and "article" in P.source("openalex").types
    assert any("not peer reviewed" in c.text.lower() for c in P.criteria.exclusion)


def test_english_is_asked_of_openalex_as_a_filter():
    assert openalex_languages(P) == ["en"]


def test_feeds_are_the_journals_with_two_or_more_included_studies_and_their_counts_are_true():
    with P.seed_corpus_path.open(encoding="utf-8") as fh:
        counts = Counter(r["container"] for r in csv.DictReader(fh) if r["container_type"] == "journal")
    feeds = P.source("feeds").feeds
    assert feeds, "no feeds"
    for feed in feeds:
        assert feed.included == counts[feed.journal] >= 2, feed.journal
    names = {f.journal for f in feeds}
    assert {"Behavior Therapy", "Cognitive Therapy and Research"} <= names
    assert not names & {"Behaviour Research and Therapy", "Coaching: An International Journal of Theory, Research "
                                                          "and Practice"}


def test_every_manual_database_of_the_paper_has_a_query_with_every_core_term_and_a_refresh_interval():
    assert {"wos", "ebsco", "psycinfo", "psycarticles", "psycabstracts", "google-scholar"} <= set(P.manual)
    for name, db in P.manual.items():
        assert db.query and db.refresh_days == 90, name
        if name == "google-scholar":
            assert not db.exportable and len(db.query) <= 256
            continue
        for concept in P.concepts.values():
            for term in concept.terms:
                quoted = term if "*" in term or not re.search(r"[\s-]", term) else f'"{term}"'
                assert quoted in db.query, (name, term)


def test_the_monthly_chase_has_a_valid_schedule_and_budget():
    assert P.chase.cron == "0 5 1 * *" and P.chase.openalex_budget > 0
    assert set(P.chase.directions) == {"backward", "forward"}


def test_an_inactive_expansion_does_not_run_but_can_be_measured():
    assert all(q.name in P.query_names for q in source_queries(P, "pubmed"))
    inactive = [n for n, e in P.expansions.items() if not e.active]
    for name in inactive:
        assert name not in P.query_names
        assert P.concept_terms(name)
