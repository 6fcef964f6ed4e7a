"""Real exports (copied from realdata/exports, see MANIFEST.tsv) and the bib-dedupe benchmark tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from livereview.connectors.files import read_records

FIXTURES = Path(__file__).parents[2] / "fixtures" / "exports"
SHARED = Path(__file__).parents[3] / ".." / "shared"
REALDATA_EXPORTS = SHARED / "realdata" / "exports"
BENCH = SHARED / "bench" / "dedup"

# record counts counted from the files themselves (TY/ER lines, ER lines, data rows)
REAL_COUNTS = {
    "proquest_export.ris": 6,
    "pubmed_via_endnote_export.ris.txt": 6,
    "wos_export_ris_format.txt": 10,
    "wos_plaintext_export_named_ris.txt": 2,
    "ieee_xplore_export.csv": 10,
    "springerlink_search_export.csv": 18,
    "medline_text_4_records.txt": 4,
}


def read(name: str, source: str = "test"):
    return read_records(FIXTURES / name, source=source)


@pytest.mark.parametrize(("name", "count"), sorted(REAL_COUNTS.items()))
def test_real_export_yields_every_record_with_source_and_raw(name, count):
    records = read(name, source="wos")
    assert len(records) == count
    assert all(r.source == "wos" for r in records)
    assert all(r.raw and r.raw_format for r in records)
    assert all(r.title for r in records)


def test_every_file_in_shared_realdata_exports_parses():
    if not REALDATA_EXPORTS.is_dir():
        pytest.skip(f"{REALDATA_EXPORTS} not present")
    for path in sorted(REALDATA_EXPORTS.iterdir()):
        records = read_records(path, source="import")
        assert records, path.name
        if path.name in REAL_COUNTS:
            assert len(records) == REAL_COUNTS[path.name]


def test_proquest_ris_strips_author_abstract_marker_and_takes_an_before_semicolon():
    records = read("proquest_export.ris")
    first = records[0]
    assert first.source_id == "2214991469"
    assert first.title == ("Predictors of posttraumatic stress symptom trajectories following the fatal 2011 "
                           "Christchurch, New Zealand earthquake")
    assert first.abstract.endswith("These findings have implications for service providers, agencies, and the public.")
    assert first.authors[:2] == ["Jones, Hannah", "Dorahy, Martin J"]
    assert first.doi == "10.1002/jts.22387"  # DO is a dx.doi.org URL
    assert first.journal == "Journal of Traumatic Stress"
    assert first.issn == ["0894-9867"]  # "0894-9867, 0894-9867"
    assert first.language == "eng"
    assert first.year == 2019
    assert first.url == "https://search.proquest.com/docview/2214991469?accountid=14772"
    second = records[1]
    assert "[Author Abstract]" not in second.abstract and "KEY WORDS" not in second.abstract
    assert second.abstract.endswith("were linked to malignant development of PTSD.")
    assert (second.volume, second.issue) == ("10", "1")
    assert records[3].pages == "156-166"
    assert records[5].source_id == "2032784247"


def test_pubmed_via_endnote_ris_maps_an_to_pmid_and_multiline_keywords():
    records = read("pubmed_via_endnote_export.ris.txt")
    first = records[0]
    assert first.pmid == "21553931"
    assert first.source_id == "369"  # EndNote's own ID tag
    assert first.doi == "10.2165/11586800-000000000-00000"
    assert first.pages == "349-69"  # EndNote puts the whole range in SP
    assert first.journal == "Clin Pharmacokinet"
    assert first.volume == "50" and first.issue == "6"
    assert first.issn == ["0312-5963"]
    assert first.authors == ["Abdel-Tawab, M.", "Werz, O.", "Schubert-Zsilavecz, M."]
    assert first.published_date == "2011-06"  # DA "Jun" + PY 2011
    assert len(first.keywords) == 10  # one KW tag, nine continuation lines
    assert first.keywords[:2] == ["Animals", "Anti-Inflammatory Agents/adverse effects/pharmacokinetics/*pharmacology"]
    assert first.title == ("Boswellia serrata: an overall assessment of in vitro, preclinical, pharmacokinetic "
                           "and clinical data")
    assert [r.pmid for r in records][1] == "29459515"


def test_wos_ris_export_keeps_both_issns_and_builds_dates_from_da():
    records = read("wos_export_ris_format.txt")
    first = records[0]
    assert first.source_id == "WOS:000444108200009"
    assert first.journal == "JOURNAL OF APPLIED RESEARCH IN MEMORY AND COGNITION"
    assert first.issn == ["2211-3681", "2211-369X"]
    assert first.pages == "387-397"
    assert first.published_date == "2018-09"  # DA "SEP", PY 2018
    assert first.authors == ["Alceste, F", "Luke, TJ", "Kassin, SM"]
    assert "MIRANDA" in first.keywords
    frontiers = records[5]
    assert frontiers.pages == "1175856"  # C7 article number, no SP/EP
    assert frontiers.published_date == "2023-06-19"
    kassin = records[7]
    assert kassin.source_id == "Kassin1997"
    assert kassin.journal == "Law and Human Behavior"  # JO, not T2
    assert kassin.doi == "10.1023/a:1024814009769"
    assert kassin.title == ("Coerced Confessions and the Jury: An Experimental Test of the "
                            "\u201cHarmless Error\u201d Rule")
    assert kassin.published_date == "1997-02-01"


def test_wos_plain_text_joins_continuations_and_prefers_full_author_names():
    records = read("wos_plaintext_export_named_ris.txt")
    first = records[0]
    assert first.title == ("Interactions stabilizing the structure of the core light-harvesting complex (LHl) of "
                           "photosynthetic bacteria and its subunit (B820)")
    assert first.authors == ["Parkes-Loach, PS", "Majeed, AP", "Law, CJ", "Loach, PA"]
    assert first.source_id == "WOS:000221807500019"
    assert (first.pmid, first.doi, first.pages) == ("15170338", "10.1021/bi049798f", "7003-7016")
    assert first.published_date == "2004-06-08"
    assert first.keywords[:2] == ["CHEMICALLY SYNTHESIZED POLYPEPTIDES", "IN-VITRO RECONSTITUTION"]
    assert first.publication_types == ["Article"]
    assert records[1].pmid == "15170339"
    assert records[1].raw.startswith("PT J\nAU Cao, WX")


def test_ieee_csv_splits_semicolon_authors_and_pages():
    records = read("ieee_xplore_export.csv")
    first = records[0]
    assert first.title == 'Exascale Computing Trends: Adjusting to the "New Normal"\' for Computer Architecture'
    assert first.authors == ["Kogge, P.", "Shalf, J."]
    assert (first.doi, first.pages, first.year) == ("10.1109/mcse.2013.95", "16-26", 2013)
    assert first.issn == ["1558-366X"]
    assert first.journal == "Computing in Science & Engineering"
    assert first.url == "https://ieeexplore.ieee.org/stamp/stamp.jsp?arnumber=6634083"
    assert records[1].authors[2] == "Nominé, J. -P."
    assert records[1].issn == []  # only an ISBN
    assert records[6].pages == "11:1-11:21"


def test_springerlink_csv_splits_glued_author_names_and_drops_titles():
    records = read("springerlink_search_export.csv")
    assert records[0].authors == ["Aliev, Araz R.", "Ismayilova, Nigar T."]
    assert records[1].authors[:2] == ["Aliev, Rafik A.", "Kacprzyk, Janusz"]  # "Prof. Dr." removed
    assert records[14].authors == ["Navya, C.", "Sanjay, H. A.", "Salvi, Sanket"]
    assert records[0].doi == "10.1007/978-3-030-92127-9_33"
    assert records[0].publication_types == ["Chapter"]
    assert records[0].journal.startswith("11th International Conference on Theory and Application of Soft Computing")


def test_medline_text_uses_full_author_names_and_keeps_page_abbreviation():
    records = read("medline_text_4_records.txt")
    first = records[0]
    assert first.pmid == first.source_id == "16403221"
    assert first.pmcid == "PMC1373603"
    assert first.authors == ["Casbon, James A", "Crooks, Gavin E", "Saqi, Mansoor A S"]
    assert first.doi == "10.1186/1471-2105-7-10"
    assert first.journal == "BMC bioinformatics"
    assert first.issn == ["1471-2105"]
    assert first.publication_types == ["Evaluation Studies", "Journal Article"]
    assert records[1].pages == "616-7"
    assert records[1].published_date == "2006-03-01"
    assert records[3].doi is None  # no [doi] AID


BENCH_COUNTS = {
    "bibdedupe_special_cases": 12,
    "rathbone2015_cytology_screening": 1856,
    "rathbone2015_haematology": 1415,
    "wagner2021_digital_work": 7159,
}


@pytest.mark.parametrize(("folder", "count"), sorted(BENCH_COUNTS.items()))
def test_bench_dedup_table_parses_every_row_with_its_id(folder, count):
    path = BENCH / folder / "records_pre_merged.csv"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    records = read_records(path, source="bench")
    assert len(records) == count
    with path.open(encoding="utf-8-sig", newline="") as fh:
        ids = [row["ID"] for row in csv.DictReader(fh)]
    assert [r.source_id for r in records] == ids


def test_bench_haematology_rows_keep_bibtex_authors_and_empty_titles():
    path = BENCH / "rathbone2015_haematology" / "records_pre_merged.csv"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    records = read_records(path, source="bench")
    first, second = records[0], records[1]
    assert first.authors == ["Zuber, J", "Le Quintrec, M", "Sberro-Soussan, R", "Loirat, C", "Fremeaux-Bacchi, V",
                             "Legendre, C"]
    assert (first.pages, first.volume, first.issue, first.journal) == ("23-35", "7", "1", "Nat Rev Nephrol")
    assert first.publication_types == ["Journal Article"]
    assert second.title is None and second.year == 2011


def test_bench_wagner_rows_drop_unknown_placeholders_and_normalise_double_dash_pages():
    path = BENCH / "wagner2021_digital_work" / "records_pre_merged.csv"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    first = read_records(path, source="bench")[0]
    assert first.source_id == "id_0000000"
    assert first.volume is None  # "UNKNOWN"
    assert first.pages == "376-383"  # "376 -- 383"
    assert first.journal == "Problems of Economy"


def test_bench_special_cases_take_booktitle_as_venue_and_keep_doi():
    path = BENCH / "bibdedupe_special_cases" / "records_pre_merged.csv"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    records = read_records(path, source="bench")
    assert records[0].journal == "Americas Conference on Information Systems"
    assert records[0].publication_types == ["Conference Paper"]
    assert records[2].doi == "10.24251/hicss.2021.510"
    assert records[6].pages == "47-65"
    assert records[11].authors == ["Stahl, Bernd-Carsten"]
