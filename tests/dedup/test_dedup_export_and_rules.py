"""The groups CSV in the benchmark's shape, and the rule table's own consistency."""

from __future__ import annotations

import pytest

from livereview import dedup
from livereview.dedup.rules import GROUPED_NOTICE_RULES, LEVELS, NO_RULE, RULES, UNDECIDED_RULES, rule
from livereview.records.model import Record


def test_write_groups_csv_matches_the_benchmark_format(tmp_path):
    base = dict(title="Complement dysfunction in hemolytic uremic syndrome", authors=["Zipfel, P. F."], year=2006,
                journal="Current Opinion in Rheumatology", volume="18", pages="548-555")
    records = [Record(source="t", source_id="id_0000004", **base),
               Record(source="t", source_id="id_0000009", title="Something else about kidneys", year=1999),
               Record(source="t", source_id="id_0000005", **{**base, "title": base["title"] + "."}),
               Record(source="t", source_id=None, doi="10.1097/x", **base)]
    result = dedup.find_duplicates(records)
    out = tmp_path / "merged_record_ids.csv"
    dedup.write_groups_csv(records, result, out)
    assert out.read_text(encoding="utf-8") == 'merged_ids\n"id_0000004;id_0000005;10.1097/x"\n'


def test_rules_have_unique_names_and_only_known_fields_and_levels():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)) and NO_RULE not in names
    for r in RULES:
        assert r.kind in ("duplicate", "notice", "version", "distinct")
        for field, accepted in r.when.items():
            assert accepted <= set(LEVELS[field]), (r.name, field)


def test_grouped_notice_rules_and_undecided_rules_name_rules_of_their_kind():
    kind = {r.name: r.kind for r in RULES}
    assert GROUPED_NOTICE_RULES and {kind[n] for n in GROUPED_NOTICE_RULES} == {"notice"}
    assert UNDECIDED_RULES and {kind[n] for n in UNDECIDED_RULES} == {"distinct"}
    assert not dedup.Verdict("distinct", "notice-unplaced", 0.5).is_veto
    assert dedup.Verdict("distinct", "notice-vs-work", 0.5).is_veto


def test_a_rule_with_an_unknown_level_fails_when_the_table_is_built():
    with pytest.raises(ValueError, match="unknown title level"):
        rule("typo", "duplicate", "why", title="exakt")
    with pytest.raises(ValueError, match="unknown field"):
        rule("typo", "duplicate", "why", colour="red")


def test_every_merge_names_the_rule_that_fired():
    a = Record(source="t", title="Atypical hemolytic uremic syndrome in adults and children", doi="10.1097/abc",
               authors=["Loirat, C."], year=2011)
    b = Record(source="t", title="Atypical hemolytic uremic syndrome in adults and children.", doi="10.1097/ABC")
    result = dedup.find_duplicates([a, b])
    assert [(m.i, m.j, m.rule) for m in result.merged] == [(0, 1, "doi-same")]
    assert result.rule_for(1, 0) == "doi-same"
