"""One vocabulary and one date parser: the kinds the store and dedup speak are the ones defined once."""

import ast
from datetime import date
from pathlib import Path

import pytest

from livereview.records.dates import from_parts, iso_date, month_number, partial_iso, prose_date
from livereview.records.vocabulary import (
    NOTICE_FOR_PUBLICATION_TYPE,
    NOTICE_FOR_RELATION,
    NOTICE_IN_RELATION,
    RELATION_KINDS,
    SOURCES,
    NoticeKind,
    relation_kind,
    says_retracted,
)

ROOT = Path(__file__).resolve().parents[2]


def test_pubmed_and_europepmc_spellings_of_a_reftype_map_to_one_relation_kind():
    assert relation_kind("RetractionIn") == relation_kind("Retraction in") == "retraction-in"
    assert relation_kind("ErratumFor") == "erratum-for"
    assert relation_kind("CommentIn") is None
    assert relation_kind(None) is None


def test_every_notice_mapping_names_real_relation_kinds_and_notice_kinds():
    for mapping in (NOTICE_FOR_RELATION, NOTICE_IN_RELATION):
        assert set(mapping) <= set(RELATION_KINDS)
    for mapping in (NOTICE_FOR_RELATION, NOTICE_IN_RELATION, NOTICE_FOR_PUBLICATION_TYPE):
        assert set(mapping.values()) == set(NoticeKind)


def test_a_record_is_retracted_by_its_publication_type_or_by_a_link_to_the_notice():
    assert says_retracted(["Journal Article", "Retracted Publication"], [])
    assert says_retracted([], ["retraction-in"])
    assert not says_retracted(["Journal Article"], ["erratum-in"])


def test_no_package_spells_a_notice_kind_of_its_own():
    """The old spellings ("erratum", "concern") as notice kinds must not come back in the store or dedup."""
    offenders = []
    for folder in ("store", "dedup", "digests", "flows"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Compare) and any(
                        isinstance(c, ast.Constant) and c.value in ("erratum", "concern", "expression_of_concern")
                        for c in [node.left, *node.comparators]):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders


def test_source_names_are_defined_once_and_the_registry_and_protocol_follow_them():
    from livereview.connectors.registry import CONNECTORS, IMPORT_FORMATS
    from livereview.protocols.model import SOURCE_NAMES

    assert tuple(CONNECTORS) == tuple(SOURCES) == SOURCE_NAMES
    assert set(IMPORT_FORMATS) == set(SOURCES.values())


@pytest.mark.parametrize(("text", "month"), [("3", 3), ("Mar", 3), ("march", 3), ("Sept", 9), ("Sept.", 9),
                                             ("Spring", None), ("13", None), ("", None), (None, None)])
def test_months_are_read_from_numbers_names_and_abbreviations(text, month):
    assert month_number(text) == month


def test_partial_dates_keep_only_the_precision_they_can_prove():
    assert partial_iso(2019) == "2019"
    assert partial_iso(2019, 10) == "2019-10"
    assert partial_iso(2019, 10, 5) == "2019-10-05"
    assert partial_iso(2019, 2, 30) == "2019-02"
    assert partial_iso(2019, 13, 1) == "2019"
    assert from_parts([2019, 10, 5]) == "2019-10-05"
    assert from_parts([None]) is None
    assert from_parts(["2020", "7"]) == "2020-07"


@pytest.mark.parametrize(("text", "year", "iso"), [
    ("2019/10//undefined", None, "2019-10"), ("2006 Mar 1", None, "2006-03-01"), ("JUN 19", 2023, "2023-06-19"),
    ("20190315", None, "2019-03-15"), ("", 2001, "2001"), ("no date", None, None)])
def test_file_dates_in_their_many_spellings_become_iso(text, year, iso):
    assert iso_date(text, year) == iso


def test_prose_dates_in_feeds_are_read_precisely_or_to_the_month():
    assert prose_date("Available online 20 May 2026") == date(2026, 5, 20)
    assert prose_date("Publication date: January 2027") == date(2027, 1, 1)
    assert prose_date("Publication date: January 2027", precise=True) is None
    assert prose_date(None) is None
