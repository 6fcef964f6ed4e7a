"""Dates as sources write them -> ISO strings at the precision given (``2019``, ``2019-10``, ``2019-10-05``).

One month table and one set of parsers for every connector and file reader: PubMed's ``<Month>Mar``,
Europe PMC's ``2025 Dec``, feeds' ``Available online 20 May 2026``, RIS ``2019/10//``, Crossref's
``date-parts``. A date that is not a real day keeps the precision it can prove (``2019-02-30`` -> ``2019-02``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from livereview.records.normalise import clean_text

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
#: month names and their usual abbreviations -> month number
MONTHS: dict[str, int] = ({name: i for i, full in enumerate(_MONTH_NAMES, start=1) for name in (full, full[:3])}
                          | {"sept": 9})

_NUMERIC_DATE_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?:[/\-.](\d{1,2}))?(?:[/\-.](\d{1,2}))?(?!\d)")
_COMPACT_DATE_RE = re.compile(r"^(1[5-9]\d\d|20\d\d)(\d\d)(\d\d)$")
_WORD_DATE_RE = re.compile(r"\b([A-Za-z]{3,9})\.?(?:\s+(\d{1,2}))?\b")
_DAY_MONTH_YEAR_RE = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})")
_MONTH_YEAR_RE = re.compile(r"([A-Za-z]+)\s+(\d{4})")


def month_number(value: object) -> int | None:
    """``"3"``, ``"Mar"``, ``"march"``, ``"Sept"`` -> 3 or 9; a season (``"Spring"``) or nonsense -> None."""
    text = clean_text(value)
    if not text:
        return None
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 12 else None
    return MONTHS.get(text.lower().rstrip(".")) or MONTHS.get(text[:3].lower())


def partial_iso(year: int, month: int | None = None, day: int | None = None) -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, as precise as the parts are valid."""
    if month and 1 <= month <= 12:
        if day:
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                pass
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}"


def from_parts(parts: Sequence[object]) -> str | None:
    """Crossref ``date-parts`` (``[2019, 10, 5]``, ``[2019]``, ``[None]``) -> ISO at that precision."""
    numbers: list[int] = []
    for p in parts:
        if isinstance(p, int) or (isinstance(p, str) and p.isdigit()):
            numbers.append(int(p))
        else:
            break
    if not numbers or not 1000 <= numbers[0] <= 2999:
        return None
    return partial_iso(*numbers[:3])


def iso_date(text: object, year: int | None = None) -> str | None:
    """``2019/10//undefined`` -> ``2019-10``; ``2006 Mar 1`` -> ``2006-03-01``; ``JUN 19`` + 2023 -> ``2023-06-19``."""
    value = clean_text(text)
    if not value:
        return partial_iso(year) if year else None
    m = _COMPACT_DATE_RE.match(value)
    if m:
        return partial_iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _NUMERIC_DATE_RE.search(value)
    found_year = int(m.group(1)) if m else year
    if m and (m.group(2) or m.group(3)):
        return partial_iso(found_year, int(m.group(2)) if m.group(2) else None,
                           int(m.group(3)) if m.group(3) else None)
    if found_year is None:
        return None
    rest = value.replace(m.group(0), " ") if m else value
    wm = _WORD_DATE_RE.search(rest)
    month = MONTHS.get(wm.group(1).lower()) if wm else None
    if wm and month:
        return partial_iso(found_year, month, int(wm.group(2)) if wm.group(2) else None)
    return partial_iso(found_year)


def prose_date(value: object, *, precise: bool = False) -> date | None:
    """``Available online 20 May 2026`` -> 2026-05-20 (``January 2027`` -> 2027-01-01 only when not ``precise``)."""
    if not isinstance(value, str):
        return None
    m = _DAY_MONTH_YEAR_RE.search(value)
    if m and m.group(2).lower() in MONTHS:
        try:
            return date(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
        except ValueError:
            return None
    if precise:
        return None
    m = _MONTH_YEAR_RE.search(value)
    if m and m.group(1).lower() in MONTHS:
        return date(int(m.group(2)), MONTHS[m.group(1).lower()], 1)
    return None
