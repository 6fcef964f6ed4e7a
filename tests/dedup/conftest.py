"""Fixtures for the dedup tests: records from compact dicts, a synthetic corpus (no bench data needed).

pytest runs with --import-mode=importlib, so helpers reach the tests as fixtures, not imports.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from livereview.records.model import Record

CASES_PATH = Path(__file__).parent / "pair_cases.json"


def record(fields: dict, source_id: str = "x") -> Record:
    data = {"source": "case", "source_id": source_id, **fields}
    return Record.from_json_dict(data)


def load_cases() -> list[dict]:
    return json.loads(CASES_PATH.read_text(encoding="utf-8"))


_SYLLABLES = [
    "ca", "ro", "ti", "na", "ve", "lo", "mi", "su", "pa", "de", "ker", "vin", "tal", "mor", "gen", "sol", "bra",
    "fi", "ly", "qua", "zen", "dor", "pli", "tux", "ham", "ric", "obe", "ula", "ste", "wen",
]
_JOURNALS = ("Journal of Clinical Virology", "Pediatric Nephrology", "New Technology, Work and Employment",
             "Information Systems Journal", "Gynecologic Oncology", "Journal of Medical Internet Research")


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts))


def synthetic_corpus(n_works: int, *, seed: int = 1, dup_share: float = 0.3) -> tuple[list[Record], list[set[int]]]:
    """Distinct random works plus re-formatted copies of some (the copies' true groups by index)."""
    rng = random.Random(seed)
    vocabulary = sorted({_word(rng, rng.randint(2, 4)) for _ in range(4000)})
    surnames = sorted({_word(rng, rng.randint(2, 3)).capitalize() for _ in range(1500)})
    works = []
    for i in range(n_works):
        title = " ".join(rng.sample(vocabulary, rng.randint(6, 11))).capitalize()
        first = rng.randint(1, 2000)
        works.append(Record(
            source="synthetic", source_id=f"w{i}", title=f"{title}: study {i}",
            authors=[f"{rng.choice(surnames)}, {rng.choice('ABCDEFGHJKLM')}." for _ in range(rng.randint(1, 5))],
            year=rng.randint(1995, 2024), journal=rng.choice(_JOURNALS), volume=str(rng.randint(1, 90)),
            pages=f"{first}-{first + rng.randint(2, 15)}",
        ))
    records = list(works)
    groups: dict[int, set[int]] = {}
    for k in range(int(n_works * dup_share)):
        w = rng.randrange(n_works)
        src = works[w]
        copy = Record(source="synthetic-copy", source_id=f"d{k}", title=(src.title or "").upper() + ".",
                      authors=[a.replace(".", "") for a in src.authors], year=src.year, journal=None,
                      volume=src.volume, pages=src.pages)
        groups.setdefault(w, {w}).add(len(records))
        records.append(copy)
    return records, list(groups.values())


@pytest.fixture
def make_record() -> Callable[..., Record]:
    return record


@pytest.fixture
def corpus() -> Callable[..., tuple[list[Record], list[set[int]]]]:
    return synthetic_corpus
