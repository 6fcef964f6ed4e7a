"""NUL bytes and other control characters in any file: dropped at parse time, on every reader's path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from livereview.connectors.files import read_records
from livereview.flows.file_import import import_file
from livereview.flows.init_store import init_store
from livereview.store.db import transaction
from livereview.store.models import SourceRecord, Work

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
FILES = sorted(p for p in EXPORTS.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
C1 = [chr(c) for c in range(0x80, 0xA0)]


def poisoned(path: Path) -> bytes:
    """The file with NUL, BEL and ESC inside words: raw bytes in text formats, escapes in JSON (where raw
    control bytes are not allowed); XML cannot carry them at all, so its files get them as-is too."""
    data = path.read_bytes()
    if path.suffix == ".json":
        new = re.sub(rb"([a-z])([a-z]) ", rb"\1\\u0000\2\\u001b ", data, count=5)
    else:
        new = re.sub(rb"([a-z])([a-z]) ", b"\\1\x00\\2\x1b ", data, count=5)
    return new


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings(v)


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix != ".xml" and not p.name.endswith((".rdf.xml",
                                                                                                   ".atom"))],
                         ids=lambda p: p.name)
def test_control_characters_never_reach_a_record_from_any_reader(tmp_path, path):
    copy = tmp_path / path.name
    copy.write_bytes(poisoned(path))
    if b"\x00" not in copy.read_bytes() and b"\\u0000" not in copy.read_bytes():
        pytest.skip("nothing to poison")
    records = read_records(copy, source="t")
    for record in records:
        for text in strings(record.to_json_dict()):
            assert not CONTROL.search(text), (path.name, text)
        assert not CONTROL.search(record.raw or ""), path.name


def test_a_file_with_nul_bytes_imports_clean_on_both_back_ends(engine, protocol, tmp_path):
    init_store(engine, protocol)
    path = tmp_path / "nul.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - Homework\x00 in coaching: a trial\nAU  - Smith\x00, J\n"
                     b"DO  - 10.1000/nul\x00.1\nAB  - Text\x1b with escape\nER  - \n")
    rep = import_file(engine, protocol, path, source="nul")
    assert rep.counts.get("new") == 1
    with transaction(engine) as s:
        work = s.scalars(select(Work).where(Work.title.like("Homework in coaching%"))).one()
        assert work.title == "Homework in coaching: a trial" and work.authors == ["Smith, J"]
        assert work.doi == "10.1000/nul.1"
        raw = s.scalars(select(SourceRecord.raw).where(SourceRecord.work_id == work.id)).one()
        assert "\x00" not in raw and "\x1b" not in raw
        assert not CONTROL.search(json.dumps(work.abstract))



def test_no_c1_control_character_is_stored_on_either_back_end(engine, protocol, tmp_path):
    """Every code point U+0080-U+009F (CSI U+009B starts a terminal escape), inside words of every text field."""
    init_store(engine, protocol)
    path = tmp_path / "c1.ris"
    path.write_text("".join(
        f"TY  - JOUR\nTI  - Home{ch}work in coach{ch}ing, case {ord(ch)}\nAU  - Sm{ch}ith, J\n"
        f"JO  - Journal of Coach{ch}ing\nKW  - home{ch}work\nDO  - 10.1000/c1.{ord(ch)}\n"
        f"AB  - Text{ch} with a control\nER  - \n\n" for ch in C1), encoding="utf-8")
    rep = import_file(engine, protocol, path, source="c1")
    assert rep.counts.get("new") == len(C1)
    with transaction(engine) as s:
        for ch in C1:
            work = s.scalars(select(Work).where(Work.doi == f"10.1000/c1.{ord(ch)}")).one()
            raw = s.scalars(select(SourceRecord.raw).where(SourceRecord.work_id == work.id)).one()
            for text in [work.title, work.abstract, work.journal, *work.authors, *(work.keywords or []), raw]:
                assert not any("\x80" <= c <= "\x9f" and c != "\x85" for c in text), (hex(ord(ch)), text)
            # NEL (U+0085) is a line break, so whitespace: the words either side stay apart; the others are dropped
            words = "Home work in coach ing" if ch == "\x85" else "Homework in coaching"
            assert work.title == f"{words}, case {ord(ch)}"
