"""Crossref by DOI over HTTP: included studies' current records (updates, deposited references).

``works_by_dois`` asks ``/works?filter=doi:a,doi:b,…`` (50 DOIs a request: the evidence watch's one or two
requests a month); ``work_by_doi`` asks ``/works/{doi}`` for one (search validation).

The record's ``updated-by`` list carries retractions, corrections and expressions of concern, from the
publisher and from Retraction Watch (``source: retraction-watch``); ``parse.item_to_record`` turns them
into relations that the store turns into notices. A DOI Crossref does not know (404: another
registration agency, or a typo) is reported as ``None``, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from livereview.connectors.crossref.parse import NAME, read_items, read_message
from livereview.connectors.http import SourceClient, redact_url
from livereview.records.normalise import normalise_doi


def work_by_doi(client: SourceClient, doi: str) -> Mapping[str, Any] | None:
    """The Crossref work item of ``doi``, or None when Crossref has no such DOI."""
    resp = client.get(f"works/{quote(doi, safe='/()')}", ok_statuses=frozenset({200, 404}))
    if resp.status_code == 404:
        return None
    message, kind = read_message(resp.content, source=NAME, url=redact_url(resp.url or ""),
                                 content_type=resp.headers.get("Content-Type", ""))
    return message if kind == "work" else None


#: DOIs per ``/works?filter=doi:…,doi:…`` request (Crossref ORs repeated filters of one name)
BATCH = 50


def works_by_dois(client: SourceClient, dois: list[str]) -> dict[str, Mapping[str, Any]]:
    """The Crossref items of many DOIs, :data:`BATCH` per request; DOIs Crossref does not know are absent."""
    out: dict[str, Mapping[str, Any]] = {}
    wanted = list(dict.fromkeys(d for d in dois if d))
    for i in range(0, len(wanted), BATCH):
        chunk = wanted[i:i + BATCH]
        params = {"filter": ",".join(f"doi:{d}" for d in chunk), "rows": str(len(chunk))}
        resp = client.get("works", params=params)
        message, kind = read_message(resp.content, source=NAME, url=redact_url(resp.url or ""),
                                     content_type=resp.headers.get("Content-Type", ""))
        for item in read_items(message, source=NAME) if kind == "work-list" else [message]:
            doi = normalise_doi(item.get("DOI"))
            if doi:
                out[doi] = item
    return out
