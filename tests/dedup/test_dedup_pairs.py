"""Whole-pipeline cases as data: every named record pair in pair_cases.json gets the expected answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livereview import dedup
from livereview.records.model import Record

CASES = json.loads((Path(__file__).parent / "pair_cases.json").read_text(encoding="utf-8"))


def record(fields: dict, source_id: str = "x") -> Record:
    return Record.from_json_dict({"source": "case", "source_id": source_id, **fields})


def test_the_case_file_covers_every_answer_and_enough_cases():
    expects = [c["expect"] for c in CASES]
    assert len(CASES) >= 30
    assert {"duplicate", "distinct", "notice", "version"} == set(expects)
    assert len({c["name"] for c in CASES}) == len(CASES), "case names must be unique"


def test_every_notice_case_says_whether_it_is_grouped_and_puts_the_notice_second():
    notices = [c for c in CASES if c["expect"] == "notice"]
    assert {c["grouped"] for c in notices} == {True, False}
    for c in notices:
        a, b = dedup.prepare(record(c["a"])), dedup.prepare(record(c["b"]))
        assert dedup.notice_side(a, b) == 1, c["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_pair_gets_the_expected_answer(case):
    a, b = record(case["a"], "a"), record(case["b"], "b")
    verdict = dedup.decide(dedup.prepare(a), dedup.prepare(b))
    assert verdict.kind == case["expect"], f"{case['name']}: decided {verdict.kind} by rule {verdict.rule}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_decision_is_symmetric(case):
    a, b = dedup.prepare(record(case["a"])), dedup.prepare(record(case["b"]))
    assert dedup.decide(a, b).kind == dedup.decide(b, a).kind


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_find_duplicates_groups_or_links_the_pair_as_expected(case):
    result = dedup.find_duplicates([record(case["a"], "a"), record(case["b"], "b")])
    if case["expect"] == "duplicate":
        assert result.groups == [[0, 1]]
        assert result.version_pairs == [] and result.notice_pairs == []
        assert result.rule_for(0, 1) is not None
    elif case["expect"] == "notice":
        assert result.notice_pairs == [(1, 0)]  # (notice, article)
        assert result.groups == ([[0, 1]] if case["grouped"] else [])
        assert result.version_pairs == []
    elif case["expect"] == "version":
        assert result.groups == []
        assert result.version_pairs == [(0, 1)]
    else:
        assert result.groups == [] and result.version_pairs == [] and result.notice_pairs == []
