"""How many HTTP requests do Crossref and OpenAlex searches cost? Replayed, no network.

Run: ``python benchmarks/api_requests.py``. Exits 1 if any case needs more requests than its bound.

Both sources are served by ``responses`` callbacks that page N synthetic works the way the real APIs
do, built from real item JSON in ``tests/fixtures`` with fresh DOIs / W-ids:

* Crossref: ``cursor=*`` then a ``next-cursor`` that stays the same string on every page (as the
  recorded pages show); the server keeps the position. ``rows`` = the connector default (1000).
* OpenAlex: ``cursor=*`` then a new ``meta.next_cursor`` per page, ``null`` on the last one;
  ``per_page`` = 100.

Cases per source: a backfill of a large window and a weekly incremental window with N new works.
Bound: ``ceil(N / page size) + 1`` (the full pages plus one request that finds the end).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses

from livereview.connectors.base import Window
from livereview.connectors.crossref import CrossrefConnector
from livereview.connectors.crossref import make_client as crossref_client
from livereview.connectors.openalex import OpenAlexConnector
from livereview.connectors.openalex import make_client as openalex_client
from livereview.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
CROSSREF_BASE = "https://crossref.bench/"
OPENALEX_BASE = "https://openalex.bench/"
CASES = [("backfill 2000-01-01..2025-12-31", Window(date(2000, 1, 1), date(2025, 12, 31)), 2345),
         ("weekly 2025-11-03..2025-11-09", Window(date(2025, 11, 3), date(2025, 11, 9)), 37),
         ("weekly, exactly one full page", Window(date(2025, 11, 10), date(2025, 11, 16)), 100),
         ("weekly, nothing new", Window(date(2025, 11, 17), date(2025, 11, 23)), 0)]


@dataclass
class Case:
    source: str
    name: str
    n: int
    requests: int
    bound: int
    records: int


def crossref_items(n: int) -> list[dict]:
    data = json.loads((FIXTURES / "crossref" / "worklist_field_query_author_jats_rich.json").read_bytes())
    templates = data["message"]["items"]
    out = []
    for i in range(n):
        item = copy.deepcopy(templates[i % len(templates)])
        item["DOI"] = f"10.5555/bench.{i}"
        out.append(item)
    return out


def openalex_works(n: int) -> list[dict]:
    template = json.loads((FIXTURES / "openalex" / "work_W2741809807_full_2025.json").read_bytes())
    out = []
    for i in range(n):
        work = copy.deepcopy(template)
        work["id"] = f"https://openalex.org/W9{i:08d}"
        work["doi"] = f"https://doi.org/10.5555/bench.{i}"
        out.append(work)
    return out


def _query(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def crossref_server(items: list[dict]) -> Callable:
    """Deep paging the Crossref way: one scroll id for the whole result, the server keeps the position."""
    position = {"next": 0}

    def reply(request):
        q = _query(request)
        rows = int(q["rows"])
        if q["cursor"] == "*":
            position["next"] = 0
        start = position["next"]
        page = items[start:start + rows]
        position["next"] = start + len(page)
        body = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                "message": {"facets": {}, "next-cursor": "DnF1ZXJ5VGhlbkZldGNoBENCH", "total-results": len(items),
                            "items": page, "items-per-page": rows, "query": {"start-index": 0}}}
        return 200, {"Content-Type": "application/json", "x-rate-limit-limit": "50",
                     "x-rate-limit-interval": "1s"}, json.dumps(body)

    return reply


def openalex_server(works: list[dict]) -> Callable:
    """Cursor paging the OpenAlex way: a new cursor per page, ``null`` with the last page."""

    def reply(request):
        q = _query(request)
        per_page = int(q["per_page"])
        start = 0 if q["cursor"] == "*" else int(q["cursor"].removeprefix("p"))
        page = works[start:start + per_page]
        end = start + len(page)
        body = {"meta": {"count": len(works), "db_response_time_ms": 12, "page": None, "per_page": per_page,
                         "next_cursor": f"p{end}" if end < len(works) else None, "groups_count": None},
                "results": page, "group_by": []}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    return reply


def run_crossref(name: str, window: Window, n: int) -> Case:
    settings = Settings(crossref_base_url=CROSSREF_BASE, contact_email="bench@example.org")
    connector = CrossrefConnector(settings, client=crossref_client(settings, sleep=lambda _: None, per_second=1e6))
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, CROSSREF_BASE + "works", callback=crossref_server(crossref_items(n)))
        result = connector.search("coaching", window)
    return Case("crossref", name, n, connector.client.stats.requests, connector.pages_bound(n),
                len(result.records))


def run_openalex(name: str, window: Window, n: int) -> Case:
    settings = Settings(openalex_base_url=OPENALEX_BASE, openalex_api_key="bench-key")
    connector = OpenAlexConnector(settings, client=openalex_client(settings, sleep=lambda _: None, per_second=1e6))
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, OPENALEX_BASE + "works", callback=openalex_server(openalex_works(n)))
        result = connector.search("coaching", window)
    return Case("openalex", name, n, connector.client.stats.requests, connector.pages_bound(n),
                len(result.records))


def main() -> int:
    cases = [run(name, window, n) for run in (run_crossref, run_openalex) for name, window, n in CASES]
    print(f"{'source':<9} {'case':<34} {'N':>6} {'records':>8} {'requests':>9} {'bound':>6}  ok")
    failed = False
    for c in cases:
        ok = c.requests <= c.bound and c.records == c.n
        failed |= not ok
        print(f"{c.source:<9} {c.name:<34} {c.n:>6} {c.records:>8} {c.requests:>9} {c.bound:>6}  "
              f"{'yes' if ok else 'NO'}")
    print("bound = ceil(N / page size) + 1; page size: Crossref rows=1000, OpenAlex per_page=100")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
