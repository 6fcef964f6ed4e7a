"""Blocking keeps the number of compared pairs near-linear (counted, not timed)."""

from __future__ import annotations

from livereview import dedup
from livereview.dedup import prepare
from livereview.dedup.block import BlockIndex, block_key_texts, block_keys
from livereview.records.model import Record


def test_block_keys_cover_identifiers_title_authors_and_locators():
    p = prepare(Record(source="t", title="Complement dysfunction in hemolytic uremic syndrome",
                       authors=["Zipfel, P. F.", "Skerka, C."], year=2006, journal="Current Opinion in Rheumatology",
                       volume="18", pages="548-555", doi="10.1097/01.bor.0000240365.16842.4e", pmid="16896279"))
    assert block_key_texts(p) == [
        "d10.1097/01.bor.0000240365.16842.4e", "p16896279", "tcomplement dysfunction hemolytic uremic",
        "scomplement dysfunction hemolytic", "icdhus", "azipfel|2006", "fzipfel|complement", "v2006|18|548",
        "jcor|18|548",
    ]
    assert len(block_keys(p)) == 9


def test_candidate_pairs_grow_near_linearly(corpus):
    counts = {}
    for n in (500, 2000):
        records, _ = corpus(n, seed=3)
        counts[n] = dedup.find_duplicates(records).stats["candidate_pairs"]
    n_small, n_large = 500 * 1.3, 2000 * 1.3  # works plus their copies
    assert counts[2000] / n_large < 3.0, counts
    assert counts[2000] / counts[500] < 4 * 1.5, counts  # 4x the records, not 16x the pairs
    assert counts[500] / n_small < 3.0, counts


def test_a_key_shared_by_too_many_records_becomes_a_stop_key():
    records = [Record(source="t", source_id=str(i), title="Editorial: in this issue", authors=[f"Author{i}, A."],
                      year=2000 + i % 3) for i in range(400)]
    result = dedup.find_duplicates(records, max_bucket=50)
    assert result.stats["stop_keys"] >= 1
    assert result.stats["candidate_pairs"] <= 50 * 50
    assert result.groups == []


def test_block_index_add_remove_and_stop_keys():
    index = BlockIndex(max_bucket=2)
    index.add(1, [10, 20])
    index.add(2, [10])
    assert index.candidates([10]) == {1, 2}
    index.add(3, [10])  # third record: key 10 is now a stop key for everyone
    assert index.candidates([10]) == set()
    assert index.stop_keys == {10}
    index.add(4, [10])
    assert index.candidates([10, 20]) == {1}
    index.remove(1, [10, 20])
    assert index.candidates([20]) == set()
