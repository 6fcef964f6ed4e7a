"""Bytes of an export file -> text, or a clear refusal.

Exports arrive as UTF-8 with or without a BOM (Zotero, Scopus, Web of Science), UTF-16 (Web of
Science "Tab-delimited (Win)"), or Windows-1252 (older EndNote and Reference Manager files), with
CRLF or bare-CR line ends. A PDF, an image or a spreadsheet renamed ``.ris`` is refused here, before
any parser sees it, so the message names the real problem.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator

import charset_normalizer

from livereview.errors import InputFileError
from livereview.records.normalise import strip_control_chars

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
    return Decoded(data, path).text()


#: how much of a file :meth:`Decoded.head` decodes: enough bytes for 64 Ki characters in any encoding read here
_HEAD_BYTES = 4 * 65536
_CHUNK = 1 << 20


class Decoded:
    """An export's bytes as text: checked and its encoding settled when made, then read whole
    (:meth:`text`), as its beginning (:meth:`head`, for telling the format) or one line at a time
    (:meth:`lines`: a 200 MB export never sits in memory as one string, which is twice its size or more).

    Each is :func:`decode`'s text: the same line ends, BOM and control characters removed.
    """

    def __init__(self, data: bytes, path: str) -> None:
        if not data or data.isspace():  # not data.strip(): that copies a 200 MB export to look at it
            raise InputFileError(path, "empty file")
        for magic, what in _MAGIC:
            if data.startswith(magic):
                raise InputFileError(path, f"not a reference export: the file is {what}")
        self.data, self.path = data, path
        self._text: str | None = None  # the whole text, when only a whole-file decode can read it
        self.encoding = self._settle_encoding()
        head = self._head()
        if (not head or head.isspace()) and (len(data) <= _HEAD_BYTES or self.text().isspace()):
            raise InputFileError(path, "empty file")
        sample = head[:20000]
        bad = sum(1 for ch in sample if ch in _CONTROL)
        if bad > max(16, len(sample) // 50):  # binary data; a few stray NULs in a text export are dropped below
            raise InputFileError(path, "not a reference export: binary data (control bytes) in the file")

    def _settle_encoding(self) -> str:
        data, path = self.data, self.path
        if data.startswith(codecs.BOM_UTF8):
            _validate(data, "utf-8-sig", path)  # the codec that drops the BOM
            return "utf-8-sig"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            _validate(data, "utf-16", path)
            return "utf-16"
        head = data[:4000]
        if head.count(b"\x00") > len(head) // 4:
            # UTF-16 without a BOM (little- or big-endian: charset-normalizer tells), or binary data
            best = charset_normalizer.from_bytes(data, cp_isolation=["utf_16_le", "utf_16_be"]).best()
            if best is None:
                raise InputFileError(path, "not a reference export: binary data (NUL bytes) in the file")
            self._text = _normalised(str(best), controls=True)
            return str(best.encoding)
        for encoding in ("utf-8", "cp1252"):
            try:
                _validate(data, encoding, path)
                return encoding
            except InputFileError:
                pass
        return "latin-1"

    def text(self) -> str:
        """The whole text."""
        if self._text is not None:
            return strip_control_chars(self._text)
        return _normalised(str(self.data, self.encoding))

    def _head(self) -> str:
        """The text's beginning (at least 65,536 characters, when the file has them), control characters in."""
        if self._text is not None:
            return self._text[:2 * 65536]
        part = self.data[:_HEAD_BYTES]
        return _normalised(codecs.getincrementaldecoder(self.encoding)().decode(part, len(part) == len(self.data)),
                           controls=True)

    def head(self) -> str:
        """The first 65,536 characters of :meth:`text` (what format sniffing reads)."""
        return strip_control_chars(self._head())[:65536]

    def lines(self) -> Iterator[str]:
        """``text().split("\\n")``, one line at a time, decoded as it is read."""
        if self._text is not None:
            for line in split_lines(self._text):
                yield strip_control_chars(line)
            return
        # universal newlines: "\r\n" and "\r" end lines as decode() turns them into "\n"
        stream = io.TextIOWrapper(io.BytesIO(self.data), encoding=self.encoding, newline=None)
        first, line = True, ""
        for line in stream:
            if first:
                first = False
                if line.startswith("\ufeff"):
                    line = line[1:]
            yield strip_control_chars(line[:-1] if line.endswith("\n") else line)
        if first or line.endswith("\n"):
            yield ""  # split() gives an empty last line after a final line end


def _normalised(text: str, *, controls: bool = False) -> str:
    """Line ends as ``\\n``, no BOM, and (unless ``controls``) no stray NUL or escape: dropped here, for every
    reader."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text if controls else strip_control_chars(text)


def split_lines(text: str) -> Iterator[str]:
    """``text.split("\\n")``, lazily: no list of every line of a 200 MB export."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _validate(data: bytes, encoding: str, path: str) -> None:
    """Raise unless ``data`` decodes as ``encoding``, decoding a megabyte at a time (nothing kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    start = 0
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(view[start:start + _CHUNK])
        decoder.decode(b"", True)
    except UnicodeDecodeError as err:
        name = encoding.upper().removesuffix("-SIG")
        # the offset in the text after any BOM (utf-8-sig counts from there in its first chunk, not after)
        at = start + err.start - (len(codecs.BOM_UTF8) if encoding == "utf-8-sig" and start else 0)
        raise InputFileError(path, f"not valid {name} text ({err.reason} at byte {at})") from err
