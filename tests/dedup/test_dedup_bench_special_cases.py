"""bib-dedupe's special-cases dataset: every labelled group found, nothing else merged (specificity 1.0)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from livereview import dedup

SPECIAL = Path("/work/shared/bench/dedup/bibdedupe_special_cases")


@pytest.fixture
def special_cases():
    if not (SPECIAL / "records_pre_merged.csv").exists():
        pytest.skip(f"benchmark data not present at {SPECIAL}")
    from livereview.connectors.files import read_records

    records = list(read_records(SPECIAL / "records_pre_merged.csv", fmt="csv", source="bench"))
    with open(SPECIAL / "merged_record_ids.csv", newline="", encoding="utf-8") as fh:
        truth = [row["merged_ids"].split(";") for row in csv.DictReader(fh)]
    return records, truth


def test_special_cases_give_specificity_one_and_find_every_group(special_cases):
    records, truth = special_cases
    result = dedup.find_duplicates(records)
    ids = [r.source_id for r in records]
    removed = {ids[i] for g in result.groups for i in g[1:]}
    in_truth = {i for g in truth for i in g}
    tn = fp = fn = 0
    for group in truth + [[i] for i in ids if i not in in_truth]:
        kept = sum(1 for i in group if i not in removed)
        tn, fp, fn = (tn + 1, fp, fn + kept - 1) if kept else (tn, fp + 1, fn)
    assert fp == 0 and tn / (tn + fp) == 1.0
    assert fn == 0
    assert sorted(sorted(ids[i] for i in g) for g in result.groups) == sorted(sorted(g) for g in truth)
