"""Input the store cannot hold is answered at the edge, for every route at once (an app-wide dependency).

* **NUL** (``\\x00``) in any path segment, query parameter or form field: PostgreSQL refuses it in text (and the
  request would end in a 500 half-way through a view). Answered 400.
* **Numbers beyond 64 bits** where a record, run or page number goes: every store integer is a signed 64-bit
  one, so ``/works/99999999999999999999`` names no record (404) and ``/queue?run=…`` or ``ids=…`` with such a
  number is a bad request (400) rather than an overflow in the driver. A path parameter, a query parameter that
  is only numbers, and a form field named like an id (``run``, ``ids``, ``page``, ``…_id``) are checked.

New routes are covered without a line of their own; ``tests/web/test_edge.py`` sends every query parameter and
form field of every route these values on both back-ends.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from livereview.web.errors import BadRequest, NotFound
from livereview.web.security import SAFE_METHODS, form_fields

#: the largest integer the store holds (SQLite INTEGER, PostgreSQL BIGINT)
MAX_INT = 2**63 - 1
_NUMBERS_ONLY = re.compile(r"^[\s,;+-]*\d[\d\s,;+-]*$")
_INTEGER = re.compile(r"[+-]?\d+")
ID_FIELDS = frozenset({"run", "ids", "page"})


def beyond_64_bits(value: str) -> bool:
    """True when ``value`` is numbers only (``12``, ``1,2 3``) and one of them is outside a signed 64-bit integer."""
    return bool(_NUMBERS_ONLY.match(value)) and any(abs(int(n)) > MAX_INT for n in _INTEGER.findall(value))


def _is_id_field(name: str) -> bool:
    return name in ID_FIELDS or name == "id" or name.endswith("_id")


async def storable_input(request: Request) -> None:
    """App-wide dependency: refuse what no store can hold before any view reads it."""
    for name, value in request.path_params.items():
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            raise BadRequest(f"{name}: a NUL character is not allowed")
        if beyond_64_bits(value):
            raise NotFound(f"no such {name.removesuffix('_id')} {value[:30]}")
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise BadRequest(f"{name[:40]!r}: a NUL character is not allowed")
        if beyond_64_bits(value):
            raise BadRequest(f"{name}: a number beyond 64 bits")
    if request.method in SAFE_METHODS:
        return
    for name, value in (await form_fields(request)).items():
        if "\x00" in value or "\x00" in name:
            raise BadRequest(f"{name[:40]!r}: a NUL character is not allowed")
        if _is_id_field(name) and beyond_64_bits(value):
            raise BadRequest(f"{name}: a number beyond 64 bits")
