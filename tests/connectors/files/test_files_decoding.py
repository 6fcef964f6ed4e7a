"""The decoder read line by line gives the whole-file decode's text exactly: every fixture, every encoding and
line end the readers meet, characters cut at the decoder's chunk boundaries; RIS read from lines or from text
gives the same records."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from livereview.connectors.files import decoding, open_records, ris
from livereview.connectors.files.decoding import Decoded, decode
from livereview.errors import InputFileError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")


def same_text_every_way(data: bytes, *, head_window: int = 65536) -> str:
    decoded = Decoded(data, "x")
    text = decode(data, "x")
    assert list(decoded.lines()) == text.split("\n")
    head = decoded.head()
    assert head == text[:65536] if head_window == 65536 else text.startswith(head) and len(head) >= head_window // 4
    return text


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_reads_the_same_line_by_line_as_whole(path):
    same_text_every_way(path.read_bytes())


BODY = "TY  - JOUR\nTI  - Café au lait, naïve 🙂 Ωmega\nAU  - Øster, Å.\nER  - \n\n"


@pytest.mark.parametrize("data", [
    BODY.encode("utf-8"),
    codecs.BOM_UTF8 + BODY.encode("utf-8"),
    BODY.replace("\n", "\r\n").encode("utf-8"),
    BODY.replace("\n", "\r").encode("utf-8"),
    BODY.encode("utf-16"),                                   # with its BOM
    BODY.replace("🙂 Ωmega", "€ omega").encode("cp1252"),
    (BODY.rstrip("\n")).encode("utf-8"),                       # no line end at the end
    ("\ufeff" + BODY).encode("utf-8"),
    BODY.replace("Café", "Ca\x00f\x1bé").encode("utf-8"),    # stray controls, dropped everywhere
    BODY.replace("ER  - \n", "ER  - \r\n").encode("utf-8"),   # mixed line ends
], ids=["utf8", "utf8-bom", "crlf", "cr", "utf16", "cp1252", "no-final-newline", "bom-char", "controls", "mixed"])
def test_encodings_and_line_ends(data):
    text = same_text_every_way(data)
    assert "\r" not in text and "\x00" not in text and not text.startswith("\ufeff")


def test_characters_and_line_ends_cut_at_chunk_boundaries(monkeypatch):
    """A multi-byte character or a CRLF that straddles the decoder's megabyte chunks, the head's window."""
    monkeypatch.setattr(decoding, "_CHUNK", 7)
    monkeypatch.setattr(decoding, "_HEAD_BYTES", 11)
    for shift in range(12):
        data = ("x" * shift + BODY.replace("\n", "\r\n") * 3).encode("utf-8")
        same_text_every_way(data, head_window=11)
        same_text_every_way(codecs.BOM_UTF8 + data, head_window=11)


def test_invalid_utf8_after_a_bom_names_the_byte():
    with pytest.raises(InputFileError, match=r"not valid UTF-8 text .* at byte 5\)"):
        Decoded(codecs.BOM_UTF8 + b"TY  -\xff\n", "x")


def test_a_large_file_of_blanks_is_empty():
    with pytest.raises(InputFileError, match="empty file"):
        Decoded(b" " * 10 + "\u3000".encode() * 300_000, "x")


def test_ris_from_lines_is_ris_from_text():
    text = (FIXTURES / "exports" / "ovid_medline_angle_numbered_crlf.ris").read_bytes().decode("utf-8-sig")
    text = text.replace("\r\n", "\n")
    from_text = ris.parse(text)
    from_lines = list(ris.iter_parse(iter(text.split("\n"))))
    assert [r.to_json_dict() for r in from_lines] == [r.to_json_dict() for r in from_text] and from_text


def test_a_streamed_ris_file_still_refuses_an_er_before_any_record(tmp_path):
    path = tmp_path / "bad.ris"
    path.write_text("ER  - \nTY  - JOUR\nTI  - A\nER  - \n")
    _, records = open_records(path, source="t")
    with pytest.raises(InputFileError, match="ER line outside any record"):
        list(records)


def test_the_head_is_the_texts_first_65536_characters_when_controls_are_dropped():
    data = (("TY  - JOUR\nTI  - A\x00B" + "c" * 80 + "\nER  - \n\n") * 1500).encode("utf-8")  # 1 NUL a record
    decoded = Decoded(data, "x")
    assert decoded.head() == decode(data, "x")[:65536] and len(decoded.head()) == 65536
