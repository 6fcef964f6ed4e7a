"""The seed corpus (the 50 studies included by Wang, Passmore, Huo & Mu 2026) is data the benchmarks lean on.

Read with the csv module only, so this test does not depend on code others are writing.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

CSV_PATH = Path(__file__).resolve().parents[2] / "protocols" / "ia-coaching-included.csv"

COLUMNS = [
    "seed_id", "domain", "authors", "year", "title", "container", "container_type", "volume", "issue",
    "pages", "doi", "pmid", "publication_type", "country", "decision", "ref_match", "verified", "notes",
]
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
AUTHOR_RE = re.compile(r"^[^,;]+, (?:[A-Z][a-z]?\.)+$")  # "Family, I.J." (also "Ch." style initials)
# Table rows with no entry in the paper's reference list: bibliographic fields may be partly empty
# (see their notes).
NOT_IN_REFERENCE_LIST = {"S18", "S24", "S45", "S48", "S49"}


@pytest.fixture(scope="module")
def header() -> list[str]:
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["seed_id"]: row for row in rows}


def test_header_has_the_agreed_columns_with_notes_last(header: list[str]) -> None:
    assert header == COLUMNS


def test_corpus_has_7_coaching_then_43_therapy_counselling_rows(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 50
    assert Counter(row["domain"] for row in rows) == {"coaching": 7, "therapy-counselling": 43}
    assert [row["domain"] for row in rows[:7]] == ["coaching"] * 7


def test_seed_ids_run_s01_to_s50_in_order_without_duplicates(rows: list[dict[str, str]]) -> None:
    assert [row["seed_id"] for row in rows] == [f"S{i:02d}" for i in range(1, 51)]


def test_every_row_is_included_and_has_authors_and_a_plausible_year(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert row["decision"] == "included", row["seed_id"]
        assert row["authors"].strip(), row["seed_id"]
        assert 1940 <= int(row["year"]) <= 2026, row["seed_id"]


def test_every_row_matched_to_the_reference_list_has_title_container_and_formatted_authors(
    rows: list[dict[str, str]],
) -> None:
    for row in rows:
        if row["seed_id"] in NOT_IN_REFERENCE_LIST:
            continue
        assert row["title"].strip() and row["container"].strip(), row["seed_id"]
        assert row["container_type"] in {"journal", "book", "book-chapter"}, row["seed_id"]
        for author in row["authors"].split("; "):
            assert AUTHOR_RE.match(author), (row["seed_id"], author)


def test_rows_missing_from_the_reference_list_are_flagged_explained_and_carry_no_doi(
    rows: list[dict[str, str]],
) -> None:
    flagged = {row["seed_id"] for row in rows if row["ref_match"] == "not-in-reference-list"}
    assert flagged == NOT_IN_REFERENCE_LIST
    for row in rows:
        if row["seed_id"] in NOT_IN_REFERENCE_LIST:
            # a DOI only where the row was completed from the published record, and then said so
            assert row["doi"] == "" or "published record" in row["notes"], row["seed_id"]
            assert row["notes"].startswith("NOT IN REFERENCE LIST:"), row["seed_id"]


def test_ref_match_is_one_of_the_known_values_and_non_exact_matches_are_explained(
    rows: list[dict[str, str]],
) -> None:
    known = {"exact", "corrected", "disambiguated", "doubtful", "not-in-reference-list"}
    for row in rows:
        assert row["ref_match"] in known, row["seed_id"]
        if row["ref_match"] != "exact":
            assert row["notes"].strip(), row["seed_id"]


def test_dois_are_bare_lower_case_well_formed_and_unique(rows: list[dict[str, str]]) -> None:
    dois = [row["doi"] for row in rows if row["doi"]]
    assert len(dois) == 39   # 34 from the reference list; S10's wrong DOI removed; S13, S18, S22, S24 added;
    #                          S48 and S32 (issue 19)
    for doi in dois:
        assert DOI_RE.match(doi), doi
        assert doi == doi.lower(), doi
    assert len(set(dois)) == len(dois)


def test_bryant_1999_is_transcribed_exactly_from_the_reference_list(by_id: dict[str, dict[str, str]]) -> None:
    row = by_id["S15"]
    assert row["domain"] == "therapy-counselling"
    assert row["authors"] == "Bryant, M.J.; Simons, A.D.; Thase, M.E."
    assert row["year"] == "1999"
    assert row["title"] == (
        "Therapist skill and patient variables in homework compliance: Controlling an uncontrolled "
        "variable in cognitive therapy outcome research"
    )
    assert (row["container"], row["container_type"]) == ("Cognitive Therapy and Research", "journal")
    assert (row["volume"], row["issue"], row["pages"]) == ("23", "4", "381-397")
    assert row["doi"] == "10.1023/a:1018703901116"
    assert (row["publication_type"], row["country"], row["ref_match"]) == ("Empirical study", "USA", "exact")


def test_kemmis_2000_is_a_book_chapter_with_pages_and_no_doi(by_id: dict[str, dict[str, str]]) -> None:
    row = by_id["S02"]
    assert row["domain"] == "coaching"
    assert row["authors"] == "Kemmis, S.; McTaggart, R."
    assert (row["year"], row["title"]) == ("2000", "Participatory action research")
    assert (row["container"], row["container_type"], row["pages"]) == (
        "Handbook of Qualitative Research", "book-chapter", "567-605",
    )
    assert row["doi"] == ""
    assert (row["publication_type"], row["country"]) == ("Book chapter", "UK")


def test_al_kubaisy_1992_keeps_parentheses_in_its_doi(by_id: dict[str, dict[str, str]]) -> None:
    row = by_id["S08"]
    assert row["authors"] == (
        "Al-Kubaisy, T.; Marks, I.M.; Logsdail, S.; Marks, M.P.; Lovell, K.; Sungur, M.; Araya, R."
    )
    assert row["title"] == "Role of exposure homework in phobia reduction: A controlled study"
    assert (row["container"], row["volume"], row["issue"], row["pages"]) == (
        "Behavior Therapy", "23", "4", "599-621",
    )
    assert row["doi"] == "10.1016/s0005-7894(05)80224-2"


def test_the_two_kazantzis_2005_rows_are_told_apart_by_the_tables_description(
    by_id: dict[str, dict[str, str]],
) -> None:
    book, survey = by_id["S35"], by_id["S36"]
    assert (book["container_type"], book["country"], book["doi"]) == ("book", "NZ", "")
    assert book["title"] == "Using Homework Assignments in Cognitive Behavior Therapy"
    assert (survey["container"], survey["doi"]) == (
        "Journal of Consulting and Clinical Psychology", "10.1037/0022-006x.73.4.742",
    )
    assert survey["publication_type"] == "Survey research"
    assert book["ref_match"] == survey["ref_match"] == "disambiguated"


def test_table_year_typos_are_replaced_by_the_reference_list_year(by_id: dict[str, dict[str, str]]) -> None:
    beck = by_id["S09"]
    assert (beck["year"], beck["title"]) == ("1979", "Cognitive Therapy of Depression")
    assert beck["ref_match"] == "corrected"
    assert "1990" in beck["notes"]


def test_rows_checked_against_the_published_record_are_corrected_and_say_so(by_id: dict[str, dict[str, str]]) -> None:
    beck = by_id["S10"]
    assert (beck["authors"], beck["container_type"], beck["doi"]) == ("Beck, J.S.", "book", "")
    assert beck["title"] == "Cognitive Behavior Therapy: Basics and Beyond"
    assert by_id["S16"]["authors"].startswith("Bunnell, B.E.; Nemeth, L.S.")
    assert "adherence assessment" in by_id["S40"]["title"]
    assert by_id["S24"]["container"] and by_id["S24"]["doi"]
    for sid in ("S10", "S16", "S40"):
        assert by_id[sid]["ref_match"] == "corrected" and "CORRECTED" in by_id[sid]["notes"], sid


def test_what_could_not_be_confirmed_is_flagged_unresolved_and_left_empty(by_id: dict[str, dict[str, str]]) -> None:
    assert by_id["S45"]["title"] == "" and "UNRESOLVED" in by_id["S45"]["notes"]
    assert by_id["S28"]["doi"] == "" and "UNRESOLVED" in by_id["S28"]["notes"]


def test_pmids_found_in_public_records_and_the_unverifiable_rows_are_marked(by_id: dict[str, dict[str, str]]) -> None:
    """Issue 19: S16, S18, S19, S46 carry their PMIDs (S18's year is its PMID record's, 1991); five rows that no
    public record confirms are marked in the file (validate-search labels them)."""
    assert {sid: by_id[sid]["pmid"] for sid in ("S16", "S18", "S19", "S46")} == {
        "S16": "34108776", "S18": "2030192", "S19": "16173864", "S46": "28596145"}
    assert by_id["S18"]["year"] == "1991"
    assert (by_id["S48"]["doi"], by_id["S32"]["doi"]) == ("10.1016/j.beth.2012.09.004", "10.1007/978-0-387-29681-4")
    marked = {sid for sid, row in by_id.items() if row["verified"].startswith("unverifiable")}
    assert marked == {"S09", "S10", "S28", "S45", "S49"}
    assert all(row["pmid"] == "" or row["pmid"].isdigit() for row in by_id.values())
