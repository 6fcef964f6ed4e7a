from livereview.protocols.model import load_protocol, parse_protocol
from livereview.protocols.queries import (
    ConceptFilter,
    all_queries,
    crossref_query,
    describe,
    pubmed_query,
    source_queries,
)
from livereview.settings import BUNDLED_PROTOCOL

P = load_protocol(BUNDLED_PROTOCOL)


def test_pubmed_query_is_field_tagged_boolean_with_language():
    q = pubmed_query(P)
    assert q.startswith("(((homework*[tiab] OR \"home-work\"[tiab] OR assignment*[tiab]")
    assert '"between-session activities"[tiab]' in q
    assert ") AND (coaching[tiab] OR" in q
    assert q.endswith("AND (english[la]) NOT preprint[pt]")
    assert q.count("(") == q.count(")")


def test_expansion_query_swaps_only_its_concept():
    q = pubmed_query(P, "table1_alternatives")
    assert '"home practice"[tiab]' in q and "homework*[tiab]" not in q
    assert "coaching[tiab]" in q


def test_europepmc_openalex_and_crossref_dialects():
    epmc = source_queries(P, "europepmc")[0].text
    assert 'TITLE_ABS:homework*' in epmc and 'TITLE_ABS:"between-session activities"' in epmc
    assert epmc.endswith("AND (LANG:eng) NOT SRC:PPR")
    oa = source_queries(P, "openalex")[0].text
    assert "*" not in oa and '"between-session activities"' in oa and "homework OR" in oa
    cr = crossref_query(P)
    assert cr.split()[:2] == ["homework", "home-work"] and "coaching" not in cr.split()


def test_overrides_replace_a_generated_query_verbatim():
    text = BUNDLED_PROTOCOL.read_text().replace('field = "tiab"', 'field = "tiab"\noverrides = {core = "homework[ti]"}')
    p = parse_protocol(text, BUNDLED_PROTOCOL)
    core = source_queries(p, "pubmed")[0]
    assert (core.text, core.overridden, core.stream) == ("homework[ti]", True, "pubmed:core")


def test_every_enabled_source_has_core_and_expansion_streams():
    streams = {q.stream for q in all_queries(P)}
    for src in ("pubmed", "europepmc", "crossref", "openalex"):
        assert {f"{src}:core", f"{src}:table1_alternatives"} <= streams
    assert any(s.startswith("feeds:feed:") for s in streams)


def test_concept_filter_applies_the_boolean_plan_with_variants():
    f = ConceptFilter(P)
    assert f.matches("Between session activities in executive coaching")
    assert f.matches("Homework compliance and outcome", "in cognitive therapy for depression")
    assert f.matches("Homework assignments: null findings from a trial")
    assert not f.matches("Homework and maths achievement in primary school")
    assert not f.matches("Cognitive therapy for insomnia")
    assert f.matched_terms("Home practice in CBT-based therapy") == ["therapy", "home practice"]
    text = "Homework in therapy"
    assert [text[a:b] for a, b in f.spans(text)] == ["Homework", "therapy"]


def test_describe_lists_every_stream():
    out = describe(P, ["pubmed"])
    assert "[pubmed:core]" in out and "[pubmed:table1_alternatives]" in out and "PROSPERO" in out
