"""Europe PMC references and citations over HTTP, and look-ups by identifier.

``GET {base}{source}/{id}/references`` and ``…/citations`` (``format=json``, ``page``/``pageSize`` up to
1000) list what a study cites and what cites it, from Europe PMC's own citation network (MEDLINE and
PMC full texts). :func:`search_page` runs one search (``EXT_ID:… AND SRC:MED`` look-ups, search
validation). Parsing is in ``parse.py``.
"""

from __future__ import annotations

import math

from livereview.connectors.europepmc.parse import NAME, Page, parse_links, parse_page
from livereview.connectors.http import SourceClient
from livereview.records.model import Record
from livereview.settings import Settings

PAGE_SIZE = 1000
#: a study cited more often than this is cut at this many pages (and the run says so)
MAX_PAGES = 10


def links(client: SourceClient, source: str, ext_id: str, kind: str, *,
          page_size: int = PAGE_SIZE) -> tuple[list[Record], int]:
    """Every reference (``kind="references"``) or citing work (``"citations"``) of one record, and the hit count."""
    out: list[Record] = []
    page_no, hits = 1, 0
    while True:
        params = {"format": "json", "page": str(page_no), "pageSize": str(page_size)}
        page = parse_links(client.get(f"{source}/{ext_id}/{kind}", params=params).content, kind=kind)
        hits = page.hit_count
        out.extend(page.records)
        if not page.records or len(out) >= hits or page_no >= min(MAX_PAGES, math.ceil(hits / page_size)):
            return out, hits
        page_no += 1


def search_page(client: SourceClient, settings: Settings, query: str, *, page_size: int = 100) -> Page:
    """One page of a search (``resultType=core``): enough for look-ups of a few known identifiers."""
    params = {"query": query, "format": "json", "resultType": "core", "pageSize": str(page_size), "cursorMark": "*"}
    if settings.contact_email:
        params["email"] = settings.contact_email
    return parse_page(client.get("search", params=params).content, source=NAME)
