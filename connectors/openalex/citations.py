"""OpenAlex citation graph over HTTP: find included studies by identifier, what they cite, what cites them.

* ``lookup``: ``/works?filter=doi:a|b|…`` (or ``pmid:``), up to :data:`BATCH` identifiers per request;
* ``works_by_ids``: ``/works?filter=openalex_id:W1|W2|…`` for a study's ``referenced_works`` (backward);
* ``citing``: ``/works?filter=cites:W…`` paged with a cursor (forward).

Every call goes through the one :class:`~connectors.http.SourceClient`, so its ``stats.requests`` is what
the chase counts against the key's daily budget. Parsing is in ``parse.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from livereview.connectors.http import SourceClient, redact_url
from livereview.connectors.openalex.parse import NAME, as_mapping, read_works
from livereview.connectors.payloads import decode_json
from livereview.errors import CursorError

#: OpenAlex accepts up to 100 OR-ed values in one filter; 50 keeps URLs short
BATCH = 50
PER_PAGE = 200


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _works(client: SourceClient, params: Mapping[str, str]) -> tuple[list[Mapping[str, Any]], Mapping[str, Any]]:
    resp = client.get("works", params=params)
    url = redact_url(resp.url or "")
    data = decode_json(resp.content, source=NAME, url=url, content_type=resp.headers.get("Content-Type", ""))
    return read_works(data, source=NAME, url=url), as_mapping(data.get("meta")) if isinstance(data, Mapping) else {}


def lookup(client: SourceClient, field: str, values: Iterable[str]) -> list[Mapping[str, Any]]:
    """The works whose ``field`` (``doi``, ``pmid``, ``openalex_id``) is one of ``values``, batched."""
    out: list[Mapping[str, Any]] = []
    wanted = list(dict.fromkeys(v for v in values if v))
    for chunk in _chunks(wanted, BATCH):
        works, _ = _works(client, {"filter": f"{field}:{'|'.join(chunk)}", "per_page": str(BATCH)})
        out.extend(works)
    return out


def works_by_ids(client: SourceClient, ids: Iterable[str]) -> list[Mapping[str, Any]]:
    """Full records of these W-ids (a study's references), :data:`BATCH` per request."""
    return lookup(client, "openalex_id", ids)


def citing(client: SourceClient, openalex_id: str, *, per_page: int = PER_PAGE) -> list[Mapping[str, Any]]:
    """Every work that cites ``openalex_id``, all pages (cursor paging; a repeated cursor ends or fails)."""
    params = {"filter": f"cites:{openalex_id}", "per_page": str(per_page), "cursor": "*"}
    out: list[Mapping[str, Any]] = []
    used = {"*"}
    while True:
        works, meta = _works(client, params)
        out.extend(works)
        nxt = meta.get("next_cursor")
        if not works or not nxt:
            return out
        if nxt in used:
            count = meta.get("count")
            if isinstance(count, int) and len(out) < count:
                raise CursorError(NAME, f"cursor repeated after {len(out)} of {count} citing works")
            return out
        used.add(str(nxt))
        params = {**params, "cursor": str(nxt)}
