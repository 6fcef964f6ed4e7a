"""Extraction (issue 21): the published review's rows as version 1.0, two blind extractors, the cross-check."""

import csv
from pathlib import Path

import pytest
from includes import new_include
from sqlalchemy import func, select

from livereview.flows.init_store import init_store
from livereview.protocols.model import parse_protocol
from livereview.store import extraction as ex
from livereview.store.db import reading, transaction
from livereview.store.models import AuditEntry, ExtractionRecord, SourceRecord

BASELINE = Path(__file__).parents[2] / "protocols" / "ia-coaching-extraction.csv"


def values(**over):
    base = {"authors": "Doe, J.", "year": 2025, "country": "UK", "domain": "coaching",
            "publication_type": "Empirical study", "methodology": "quantitative", "rct": "yes",
            "orientation": ["CBC"], "sessions": "6", "findings": "IA helped."}
    return base | over


@pytest.fixture
def store(engine, protocol):
    init_store(engine, protocol)
    return engine


def test_init_loads_the_papers_tables_as_version_1_0(store, protocol):
    with reading(store) as s:
        rows = ex.reconciled_rows(s, protocol)
        assert len(rows) == 50 and ex.open_extractions(s) == []
        assert sum(r["domain"] == "coaching" for r in rows) == 7
        assert sum(r["domain"] == "therapy-counselling" for r in rows) == 43
        assert {r["provenance"] for r in rows if r["domain"] == "coaching"} == {"published review, Table 2"}
        assert {r["provenance"] for r in rows if r["domain"] != "coaching"} == {"published review, Table 3"}
        assert {r["review_version"] for r in rows} == {"1.0"}
        # every row is linked to the seed work of its seed id, and carries the table's cells
        by_seed = {}
        for r in rows:
            seed_id = s.scalars(select(SourceRecord.source_id).where(SourceRecord.work_id == r["work_id"],
                                                                     SourceRecord.source == "seed:ia-coaching")).one()
            by_seed[seed_id] = r
    with BASELINE.open(encoding="utf-8") as fh:
        table = {row["seed_id"]: row for row in csv.DictReader(fh)}
    assert set(by_seed) == set(table)
    for seed_id, row in table.items():
        assert by_seed[seed_id]["findings"] == row["findings"]
        assert by_seed[seed_id]["publication_type"] == row["publication_type"]
    # the five RCTs the paper names (Al-Kubaisy, Blanchard a and b, Carroll 2005, Kraepelien)
    assert sorted(k for k, r in by_seed.items() if r["rct"] == "yes") == ["S08", "S13", "S14", "S19", "S42"]
    # a blank cell stays blank: Table 2 has no IA-usage column, and no table gives participants
    assert all(r["participants"] is None for r in by_seed.values())
    assert by_seed["S06"]["country"] is None      # "Szymanska, K., (2009)": the table gives no country
    assert by_seed["S08"]["sessions"] == 6 and by_seed["S08"]["ia_usage"].startswith("Daily live self-exposure")


def test_init_twice_loads_nothing_twice(store, protocol):
    rep = init_store(store, protocol)
    assert rep.extraction == {"loaded": 0, "unchanged": 50, "unmatched": 0, "appraisals marked": 0}
    with reading(store) as s:
        assert s.scalar(select(func.count()).select_from(ExtractionRecord)) == 50


def test_two_blind_extractions_then_the_cross_check(store, protocol):
    work = new_include(store)
    with reading(store) as s:
        assert ex.open_extractions(s) == [work]
    with transaction(store) as s:
        ex.submit_extraction(s, protocol, work, "ann", values())
    with reading(store) as s:
        assert set(ex.visible_extractions(s, work, "ann")) == {"ann"}
        assert ex.visible_extractions(s, work, "bob") == {}          # blind until both are in
        assert ex.state(s, work).stage == "extraction (1 of 2)"
    with transaction(store) as s:
        ex.submit_extraction(s, protocol, work, "bob", values(rct="no", country="USA"))
    with reading(store) as s:
        both = ex.visible_extractions(s, work, "bob")
        assert set(both) == {"ann", "bob"}
        assert ex.differences(both["ann"].values, both["bob"].values, list(protocol.extraction.fields)) \
            == ["country", "rct"]
    with transaction(store) as s:
        ex.reconcile(s, protocol, work, "cat", values(), notes={"rct": "randomised: see methods p. 3"},
                     note="checked against the full text")
    with reading(store) as s:
        assert ex.open_extractions(s) == []
        row = next(r for r in ex.reconciled_rows(s, protocol) if r["work_id"] == work)
        assert row["rct"] == "yes" and row["provenance"] == "cross-check" and row["reconciled_by"] == "cat"
        assert row["orientation"] == ["CBC"] and row["sessions"] == 6
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == work,
                                                                  AuditEntry.action.like("extraction-%"))))
        assert actions == ["extraction-submitted", "extraction-submitted", "extraction-reconciled"]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "extraction-reconciled")).one()
        assert audit.details["disagreed"] == ["country", "rct"] and audit.details["values"]["rct"] == "yes"


@pytest.mark.parametrize(("bad", "message"), [
    ({"publication_type": "Blog post"}, "publication_type: 'Blog post' is not one of its choices"),
    ({"orientation": ["CBT", "Reiki"]}, "orientation: 'Reiki' is not one of its choices"),
    ({"year": "twenty"}, "year: 'twenty' is not a number"),
    ({"domain": ""}, "domain: a value is required"),
    ({"colour": "blue"}, "colour: not an extraction field"),
])
def test_a_value_outside_its_field_is_refused_and_nothing_stored(store, protocol, bad, message):
    work = new_include(store)
    with pytest.raises(ex.ExtractionError, match=message), transaction(store) as s:
        ex.submit_extraction(s, protocol, work, "ann", values(**bad))
    with reading(store) as s:
        assert ex.extractions(s, work) == {}
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "extraction-submitted")) == 0


def test_refusals_a_third_extractor_early_cross_check_and_excluded_works(store, protocol):
    work = new_include(store)
    with transaction(store) as s:
        with pytest.raises(ex.ExtractionError, match="needs two extractions"):
            ex.reconcile(s, protocol, work, "cat", values())
        ex.submit_extraction(s, protocol, work, "ann", values())
        ex.submit_extraction(s, protocol, work, "ann", values(country="IE"))   # a correction before bob is in
        ex.submit_extraction(s, protocol, work, "bob", values())
        with pytest.raises(ex.ExtractionError, match="ann extracted work .*: the cross-check is someone else's"):
            ex.reconcile(s, protocol, work, "ann", values())
        with pytest.raises(ex.ExtractionError, match="already has two extractions"):
            ex.submit_extraction(s, protocol, work, "cat", values())
        with pytest.raises(ex.ExtractionError, match="not an included study"):
            ex.submit_extraction(s, protocol, 99999, "ann", values())
    with reading(store) as s:
        assert ex.extractions(s, work)["ann"].values["country"] == "IE"


def test_only_the_protocols_extractors_and_checkers(store, protocol):
    text = protocol.text.replace('extractors = []', 'extractors = ["ann", "bob"]').replace(
        'checkers = []', 'checkers = ["cat"]')
    strict = parse_protocol(text, protocol.path)
    work = new_include(store)
    with transaction(store) as s:
        with pytest.raises(ex.ExtractionError, match="dan is not an extractor"):
            ex.submit_extraction(s, strict, work, "dan", values())
        ex.submit_extraction(s, strict, work, "ann", values())
        ex.submit_extraction(s, strict, work, "bob", values())
        with pytest.raises(ex.ExtractionError, match="dan is not a checker"):
            ex.reconcile(s, strict, work, "dan", values())


def test_values_written_under_older_fields_stay_readable(store, protocol):
    """A protocol that renames a field and drops a choice still reads what was written before."""
    work = new_include(store)
    with transaction(store) as s:
        ex.submit_extraction(s, protocol, work, "ann", values())
        ex.submit_extraction(s, protocol, work, "bob", values())
        ex.reconcile(s, protocol, work, "cat", values())
    text = protocol.text.replace("[extraction.fields.participants]", "[extraction.fields.sample]").replace(
        '"CBT", "CBC", "CT"', '"CBT", "CT"')
    later = parse_protocol(text, protocol.path)
    with reading(store) as s:
        row = next(r for r in ex.reconciled_rows(s, later) if r["work_id"] == work)
        assert row["orientation"] == ["CBC"] and "participants" in row and row["sample"] is None
        stored = ex.reconciled(s, work)
        assert ex.field_label(stored, "participants") == "Participants"
        assert "CBC" in stored.fields["orientation"]["choices"]


def test_a_bad_field_definition_is_one_line_naming_the_file(protocol):
    from livereview.errors import ProtocolError

    text = protocol.text.replace('type = "multi"', 'type = "multiple"')
    with pytest.raises(ProtocolError) as err:
        parse_protocol(text, protocol.path)
    assert str(protocol.path) in str(err.value) and "extraction.fields.orientation.type" in str(err.value)
    assert "\n" not in str(err.value)
    text = protocol.text.replace('choices = ["yes", "no"]', 'choices = []')
    with pytest.raises(ProtocolError, match="extraction.fields.rct: a choice field needs choices"):
        parse_protocol(text, protocol.path)
