"""The one CSV writer of the product: every CSV livereview writes (exports, ASReview, search log, PRISMA counts,
duplicate groups) goes through it, and it neutralises every cell a spreadsheet would run as a formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR (OWASP's CSV injection list: some spreadsheets
strip the last two before looking) gets a leading ``'``, so Excel, LibreOffice and Google Sheets show the text
instead of running it; our own CSV reader (``connectors.files.delimited``) takes that ``'`` off again.
``tests/livereview/test_csvout.py`` fails on any ``csv.writer`` or ``csv.DictWriter`` elsewhere in the code.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(cell: Any) -> Any:
    """``'`` before a text cell that starts like a formula; numbers and other values pass as they are."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell


def _cell(value: Any) -> Any:
    """Neutralised, and a CR inside the text written as LF: with ``\n`` line ends Python's writer does not quote
    a cell holding a lone CR, and every reader would split the row there."""
    value = neutralise_formula(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) and "\r" in value else value


class CsvWriter:
    """``csv.writer`` (rows as sequences) or, given ``fieldnames``, ``csv.DictWriter`` (rows as mappings), with
    every cell neutralised. Lines end in ``\\n`` unless told otherwise."""

    def __init__(self, out: TextIO, fieldnames: Sequence[str] | None = None, **fmt: Any) -> None:
        fmt.setdefault("lineterminator", "\n")
        self.fieldnames = fieldnames
        self._dict = csv.DictWriter(out, fieldnames=fieldnames, **fmt) if fieldnames is not None else None
        self._rows = csv.writer(out, **{k: v for k, v in fmt.items() if k != "extrasaction"})

    def writeheader(self) -> None:
        if self._dict is None:
            raise TypeError("a header needs fieldnames")
        self._dict.writeheader()

    def writerow(self, row: Mapping[str, Any] | Sequence[Any]) -> None:
        if isinstance(row, Mapping):
            if self._dict is None:
                raise TypeError("a row as a mapping needs fieldnames")
            self._dict.writerow({k: _cell(v) for k, v in row.items()})
        else:
            self._rows.writerow([_cell(v) for v in row])

    def writerows(self, rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> None:
        for row in rows:
            self.writerow(row)
