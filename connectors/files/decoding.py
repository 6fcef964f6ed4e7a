"""Bytes of an export file -> text, or a clear refusal.

Exports arrive as UTF-8 with or without a BOM (Zotero, Scopus, Web of Science), UTF-16 (Web of
Science "Tab-delimited (Win)"), or Windows-1252 (older EndNote and Reference Manager files), with
CRLF or bare-CR line ends. A PDF, an image or a spreadsheet renamed ``.ris`` is refused here, before
any parser sees it, so the message names the real problem.
"""

from __future__ import annotations

import codecs

import charset_normalizer

from livereview.errors import InputFileError
from records.normalise import strip_control_chars

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an .xlsx/.docx file, which is one)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document (.xls/.doc)"),
    (b"{\\rtf", "an RTF document"),
    (b"SQLite format 3", "an SQLite database"),
)

# C0 control characters that never occur in a text export (tab, LF, CR, FF are fine)
_CONTROL = {chr(c) for c in range(32) if c not in (9, 10, 12, 13)} | {"\x7f"}


def decode(data: bytes, path: str) -> str:
    """The file's text with line ends normalised to ``\\n`` and any BOM removed.

    UTF-8 is tried first; a file that is not valid UTF-8 is read as Windows-1252 (falling back to
    Latin-1 for the five bytes cp1252 leaves undefined), which is what the tools that write
    non-UTF-8 exports use. (charset-normalizer is not asked to guess here: on a mostly-ASCII export it
    cannot tell Windows-1252 from Mac Roman, and an open guess reads a short cp1252 "café" as Urdu cp1006.)
    """
    if not data or data.isspace():  # not data.strip(): that copies a 200 MB export to look at it
        raise InputFileError(path, "empty file")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputFileError(path, f"not a reference export: the file is {what}")
    text = _decode_bytes(data, path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text or text.isspace():
        raise InputFileError(path, "empty file")
    sample = text[:20000]
    bad = sum(1 for ch in sample if ch in _CONTROL)
    if bad > max(16, len(sample) // 50):  # binary data; a few stray NULs in a text export are dropped below
        raise InputFileError(path, "not a reference export: binary data (control bytes) in the file")
    return strip_control_chars(text)  # a stray NUL or escape in a value: dropped here, for every reader


def _decode_bytes(data: bytes, path: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8", path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", path)
    head = data[:4000]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM (little- or big-endian: charset-normalizer tells), or binary data
        best = charset_normalizer.from_bytes(data, cp_isolation=["utf_16_le", "utf_16_be"]).best()
        if best is None:
            raise InputFileError(path, "not a reference export: binary data (NUL bytes) in the file")
        return str(best)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _strict(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputFileError(path, f"not valid {encoding.upper()} text ({err.reason} at byte {err.start})") from err
