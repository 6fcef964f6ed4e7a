from datetime import date

from protocol_versions import OLD_PROTOCOL_TEXT

from livereview.protocols import PROTOCOL_DIR
from livereview.protocols.model import load_protocol, parse_protocol
from livereview.protocols.queries import (
    ConceptFilter,
    all_queries,
    crossref_query,
    describe,
    europepmc_query,
    pubmed_query,
    source_queries,
)
from livereview.settings import BUNDLED_PROTOCOL

P = load_protocol(BUNDLED_PROTOCOL)
#: protocol 1.1.0 as the store holds it: its queries must still generate exactly as they ran
OLD = parse_protocol(OLD_PROTOCOL_TEXT, PROTOCOL_DIR / "ia-coaching.toml")


def test_1_1_0_pubmed_query_is_field_tagged_boolean_with_language():
    q = pubmed_query(OLD)
    assert q.startswith("(((homework*[tiab] OR \"home-work\"[tiab] OR assignment*[tiab]")
    assert '"between-session activities"[tiab]' in q
    assert ") AND (coaching[tiab] OR" in q
    assert q.endswith("AND (english[la]) NOT preprint[pt]")
    assert q.count("(") == q.count(")")


def test_1_1_0_expansion_query_swaps_only_its_concept():
    q = pubmed_query(OLD, "table1_alternatives")
    assert '"home practice"[tiab]' in q and "homework*[tiab]" not in q
    assert "coaching[tiab]" in q


def test_1_1_0_europepmc_openalex_and_crossref_dialects():
    epmc = source_queries(OLD, "europepmc")[0].text
    assert 'TITLE_ABS:homework*' in epmc and 'TITLE_ABS:"between-session activities"' in epmc
    assert epmc.endswith("AND (LANG:eng) NOT SRC:PPR")
    oa = source_queries(OLD, "openalex")[0].text
    assert "*" not in oa and '"between-session activities"' in oa and "homework OR" in oa
    cr = crossref_query(OLD)
    assert cr.split()[:2] == ["homework", "home-work"] and "coaching" not in cr.split()


def test_overrides_replace_a_generated_query_verbatim():
    override = 'field = "tiab"\noverrides = {coaching = "homework[ti]"}'
    text = BUNDLED_PROTOCOL.read_text().replace('field = "tiab"', override)
    p = parse_protocol(text, BUNDLED_PROTOCOL)
    core = source_queries(p, "pubmed")[0]
    assert (core.text, core.overridden, core.stream) == ("homework[ti]", True, "pubmed:coaching")


def test_1_1_0_every_enabled_source_has_core_and_expansion_streams():
    streams = {q.stream for q in all_queries(OLD)}
    for src in ("pubmed", "europepmc", "crossref", "openalex"):
        assert {f"{src}:core", f"{src}:table1_alternatives"} <= streams
    assert any(s.startswith("feeds:feed:") for s in streams)


def test_1_1_0_concept_filter_applies_the_boolean_plan_with_variants():
    f = ConceptFilter(OLD)
    assert f.matches("Between session activities in executive coaching")
    assert f.matches("Homework compliance and outcome", "in cognitive therapy for depression")
    assert f.matches("Homework assignments: null findings from a trial")
    assert not f.matches("Homework and maths achievement in primary school")
    assert not f.matches("Cognitive therapy for insomnia")
    assert f.matched_terms("Home practice in CBT-based therapy") == ["therapy", "home practice"]
    text = "Homework in therapy"
    assert [text[a:b] for a, b in f.spans(text)] == ["Homework", "therapy"]


def test_1_1_0_describe_lists_every_stream():
    out = describe(OLD, ["pubmed"])
    assert "[pubmed:core]" in out and "[pubmed:table1_alternatives]" in out and "PROSPERO" in out


# -- protocol 2.0.0 (issue 19) ----------------------------------------------------------------------------------
def test_assignment_is_searched_only_inside_ia_phrases_or_in_the_title():
    for name in ("coaching", "therapy-counselling"):
        q = pubmed_query(P, name)
        assert "assignment*[tiab]" not in q and "assignment*[ti]" in q
        assert '"therapeutic assignments"[tiab]' in q and '"self-help assignment"[tiab]' in q
        e = europepmc_query(P, name)
        assert "TITLE_ABS:assignment*" not in e and "TITLE:assignment*" in e
    f = ConceptFilter(P, "therapy-counselling")
    assert not f.matches("A trial of two therapies", "Participants were allocated by random assignment to therapy.")
    assert f.matches("Assignment completion in cognitive therapy", None)
    assert f.matches("Outcomes of therapy", "Behavioral assignments were completed between sessions.")


def test_the_domains_are_two_named_queries_and_null_results_a_reported_sub_query():
    assert P.query_names == ["coaching", "therapy-counselling", "between_session", "table1_alternatives"]
    assert P.counted_queries[:3] == ["coaching", "therapy-counselling", "null-results"]
    null = pubmed_query(P, "null-results")
    assert null.count('"null findings"[tiab]') == 2 and "coaching[tiab]" in null and "therapy[tiab]" in null
    # no branch of any fetched query is (IA AND null) alone
    for name in P.query_names:
        assert all("null_results" not in g or len(g) == 3 for g in P.combine_for(name))
    f = ConceptFilter(P)   # the whole plan: an off-topic trial with "non-significant" is not admitted
    assert not f.matches("Homework and grades", "Effects were non-significant.")
    assert "null-results" not in {q.name for q in all_queries(P)}


def test_europepmc_is_scoped_to_peer_reviewed_sources_and_ors_the_keyword_field():
    e = europepmc_query(P, "coaching")
    assert e.endswith("AND (LANG:eng) AND (SRC:MED OR SRC:PMC)") and "NOT SRC:PPR" not in e
    assert "TITLE_ABS:homework* OR KW:homework*" in e


def test_crossref_reads_the_coaching_journals_tables_of_contents_by_issn():
    from livereview.connectors.base import Window
    from livereview.connectors.crossref.search import build_query

    (toc,) = source_queries(P, "crossref")
    assert toc.stream == "crossref:toc" and toc.client_filter
    issns = {j.issn for j in P.source("crossref").issns}
    assert issns == {"1752-1882", "1750-2764", "1748-1104", "1741-8305", "1065-9293"}
    params = build_query(toc.text, Window(date(2026, 1, 1), date(2026, 1, 7)))
    assert "query.bibliographic" not in params
    assert params["filter"].startswith("from-created-date:2026-01-01,until-created-date:2026-01-07")
    assert all(f"issn:{i}" in params["filter"] for i in issns)


def test_between_session_variants_are_an_expansion_reported_apart():
    q = pubmed_query(P, "between_session")
    assert '"between-session practice"[tiab]' in q and "homework*[tiab]" not in q and "assignment*[ti]" not in q
    assert ConceptFilter(P, "between_session").matches("Between-session tasks in CBT therapy")


def test_describe_shows_provenance_deviations_and_sub_queries():
    out = describe(P)
    assert "search provenance: RECONSTRUCTION" in out
    for src in ("europepmc", "crossref", "openalex", "feeds"):
        assert f"deviation ({src})" in out
    assert "[pubmed:null-results] (reported sub-query" in out and "[crossref:toc]" in out


def test_every_coaching_journal_says_where_its_facts_were_checked_and_what_was_not(capsys):
    """Issue 19: ISSNs and feed URLs checked against public sources; what could not be is a field, not a guess."""
    from livereview.connectors.base import Window
    from livereview.connectors.crossref.search import build_query
    from livereview.protocols.queries import describe

    journals = [*P.source("crossref").issns, *[f for f in P.source("feeds").feeds if f.included is None]]
    assert all(j.verified or j.unverified for j in journals)
    eissns = {j.eissn for j in P.source("crossref").issns if j.eissn}
    assert eissns == {"1752-1890", "2396-8753", "2396-9628", "1939-0149"}
    (toc,) = source_queries(P, "crossref")
    flt = build_query(toc.text, Window(date(2026, 1, 1), date(2026, 1, 7)))["filter"]
    assert all(f"issn:{i}" in flt for i in eissns)            # a work deposited under its eISSN alone is read too
    text = describe(P)
    assert "crossref UNVERIFIED for International Journal of Evidence Based Coaching and Mentoring: issn" in text
    assert "pubmed UNVERIFIED: whether [tiab] alone covers author keywords" in text
    # PubMed: author keywords searched either way ([ot] ORed beside [tiab])
    assert "homework*[tiab] OR homework*[ot]" in pubmed_query(P, "coaching")
