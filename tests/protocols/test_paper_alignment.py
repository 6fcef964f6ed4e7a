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
    assert europepmc_query(P).endswith(" AND (SRC:MED OR SRC:PMC)")   # 2.0: peer-reviewed sources only
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
        if feed.included is not None:
            assert feed.included == counts[feed.journal] >= 2, feed.journal
    names = {f.journal for f in feeds}
    assert {"Behavior Therapy", "Cognitive Therapy and Research"} <= names
    assert "Behaviour Research and Therapy" not in names


COACHING_JOURNALS = {"Coaching: An International Journal of Theory, Research and Practice",
                     "International Coaching Psychology Review", "The Coaching Psychologist",
                     "International Journal of Evidence Based Coaching and Mentoring",
                     "Consulting Psychology Journal: Practice and Research"}


def test_the_coaching_journals_are_read_whatever_their_count_in_the_seed():
    """Issue 19: coaching is the focus and PubMed indexes few coaching journals: Crossref TOCs by ISSN, feeds."""
    assert {j.journal for j in P.source("crossref").issns} == COACHING_JOURNALS
    assert all(j.issn for j in P.source("crossref").issns)
    with_feed = {f.journal for f in P.source("feeds").feeds if f.journal in COACHING_JOURNALS}
    assert len(with_feed) >= 3


def test_the_selection_rule_pre_1995_exception_and_i4_have_reasons_screeners_see():
    inclusion = {c.id: c for c in P.criteria.inclusion}
    reasons = dict(P.exclusion_reasons)
    assert "every eligible coaching paper" in inclusion["I6"].text and inclusion["I6"].reason in reasons
    assert "RCT" in reasons["E6-priority"] or "randomised" in inclusion["I6"].text
    assert inclusion["I4"].reason == "E1-expertise" and "expertise" in reasons["E1-expertise"]
    assert "S09 1979" in inclusion["I2"].exception and "exception" in reasons["E1-date"]
    assert all(c.reason in reasons for c in P.criteria.inclusion)


def test_every_added_source_is_a_logged_deviation_and_the_search_is_labelled_a_reconstruction():
    assert P.review.search_provenance.startswith("RECONSTRUCTION")
    logged = {d.source for d in P.deviations}
    assert {"europepmc", "crossref", "openalex", "feeds", "google-scholar"} <= logged
    assert "first 10 pages" in P.manual["google-scholar"].note


def test_every_manual_database_of_the_paper_has_a_query_with_every_core_term_and_a_refresh_interval():
    assert {"wos", "ebsco", "psycinfo", "psycarticles", "psycabstracts", "google-scholar"} <= set(P.manual)
    for name, db in P.manual.items():
        assert db.query and db.refresh_days == 90, name
        if name == "google-scholar":
            assert not db.exportable and len(db.query) <= 256
            continue
        for concept in P.concepts.values():
            for term in [*concept.terms, *concept.title_terms]:
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
