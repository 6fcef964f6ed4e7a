from pathlib import Path

import pytest

from livereview.errors import ProtocolError
from livereview.protocols.model import load_protocol, parse_protocol
from livereview.settings import BUNDLED_PROTOCOL

TEXT = BUNDLED_PROTOCOL.read_text()


def variant(old, new, path=BUNDLED_PROTOCOL):
    assert old in TEXT, old
    return parse_protocol(TEXT.replace(old, new, 1), path)


def test_the_bundled_protocol_is_the_registered_review():
    p = load_protocol(BUNDLED_PROTOCOL)
    assert p.review.registration == "PROSPERO CRD42023476571"
    assert str(p.review.date_floor) == "1995-01-01"
    assert p.review.languages == ["eng"]
    assert {"homework*", "between-session activities", "inter-session activities"} <= set(p.concepts["ia"].terms)
    assert p.concepts["ia"].title_terms == ["assignment*"] and "assignment*" not in p.concepts["ia"].terms
    assert {"coaching", "coaching psychology", "mentoring", "training", "consulting"} <= set(
        p.concepts["coaching"].terms)
    assert {"therapy", "counselling", "counseling"} <= set(p.concepts["therapy"].terms)
    assert "null findings" in p.concepts["null_results"].terms
    assert {"behavioral practice", "extra-therapy", "home practice"} <= set(p.expansions["table1_alternatives"].terms)
    assert [c.id for c in p.criteria.exclusion][-5:] == ["E2", "E3", "E4", "E5", "E6-priority"]
    assert p.query_names == ["coaching", "therapy-counselling", "between_session", "table1_alternatives"]
    assert p.review.version == "2.1.0" and p.review.search_provenance.startswith("RECONSTRUCTION")
    assert p.review.weekly_capacity == 60 and p.review.baseline_date.isoformat() == "2023-12-31"
    assert p.seed_corpus_path.is_file()
    assert len(p.sha256) == 64


@pytest.mark.parametrize(("old", "new", "field", "problem"), [
    ('version = "2.1.0"', "", "review.version", "required field is missing"),
    ("date_floor = 1995-01-01", "date_floor = 2999-01-01", "review.date_floor", "future"),
    ('combine = [["ia", "coaching"]]', 'combine = [["ia", "coachng"]]', None, "unknown concept 'coachng'"),
    ('subquery_of = ["coaching", "therapy-counselling"]', 'subquery_of = ["nope"]', None, "unknown query 'nope'"),
    ('reason = "E1-date"', 'reason = "E9"', None, "not an exclusion criterion id"),
    ("weekly_capacity = 60", "weekly_capacity = 0", "review.weekly_capacity", "greater than"),
    ('"homework*", "home-work",', '"homework*", "home work*",', "concepts.ia.terms", "truncation"),
    ('"homework*", "home-work",', '"homework*", "(home)",', "concepts.ia.terms", "misread"),
    ('cron = "0 6 * * 1"', 'cron = "every monday"', "monitor.cron", "cron"),
    ('timezone = "Europe/London"', 'timezone = "Mars/Olympus"', "monitor.timezone", "time zone"),
    ('recipients = ["ia-review-team@example.org"]', 'recipients = ["not-an-address"]', "digest.recipients",
     "e-mail"),
    ("[sources.openalex]", "[sources.scopus]", None, "unknown source"),
    ('extends = "ia"', 'extends = "nope"', None, "unknown concept 'nope'"),
    ('field = "tiab"', 'feild = "tiab"', "sources.pubmed.feild", "unknown field"),
])
def test_a_bad_protocol_names_file_field_and_problem(old, new, field, problem):
    with pytest.raises(ProtocolError) as info:
        variant(old, new)
    err = info.value
    assert err.path == str(BUNDLED_PROTOCOL)
    assert problem in err.problem
    if field:
        assert err.field == field
    assert "\n" not in str(err)


def test_invalid_toml_is_refused_with_the_file_named(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[review\nid = 1")
    with pytest.raises(ProtocolError, match=r"bad\.toml: not valid TOML"):
        load_protocol(bad)


def test_a_missing_file_and_a_missing_seed_corpus_are_refused(tmp_path: Path):
    with pytest.raises(ProtocolError, match="file not found"):
        load_protocol(tmp_path / "nope.toml")
    with pytest.raises(ProtocolError, match="seed corpus file not found"):
        parse_protocol(TEXT, tmp_path / "elsewhere.toml")


def test_the_protocol_lists_real_feeds_of_the_included_studies_journals():
    p = load_protocol(BUNDLED_PROTOCOL)
    feeds = {f.journal: f for f in p.source("feeds").feeds}
    assert feeds["Journal of Clinical Psychology"].url == "https://onlinelibrary.wiley.com/feed/10974679/most-recent"
    assert feeds["Behavior Therapy"].url == "https://rss.sciencedirect.com/publication/science/00057894"
    assert feeds["Clinical Psychology and Psychotherapy"].url == (
        "https://onlinelibrary.wiley.com/feed/10990879/most-recent")
    assert all(f.url.startswith("https://") and f.issn for f in feeds.values())


def test_every_stored_earlier_version_still_loads_and_keeps_its_queries():
    """The store re-reads old protocol texts (search log limits): 2.0's schema only added optional fields."""
    from protocol_versions import OLD_PROTOCOL_TEXT

    from livereview.protocols import PROTOCOL_DIR
    from livereview.protocols.queries import pubmed_query

    old = parse_protocol(OLD_PROTOCOL_TEXT, PROTOCOL_DIR / "ia-coaching.toml")
    assert old.review.version == "1.1.0" and old.query_names == ["core", "table1_alternatives"]
    assert old.review.weekly_capacity is None and old.deviations == []
    assert pubmed_query(old).startswith('(((homework*[tiab] OR "home-work"[tiab] OR assignment*[tiab]')
