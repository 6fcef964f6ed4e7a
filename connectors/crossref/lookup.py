"""Crossref ``/works/{doi}`` over HTTP: one included study's current record (updates, deposited references).

The record's ``updated-by`` list carries retractions, corrections and expressions of concern, from the
publisher and from Retraction Watch (``source: retraction-watch``); ``parse.item_to_record`` turns them
into relations that the store turns into notices. A DOI Crossref does not know (404: another
registration agency, or a typo) is reported as ``None``, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from connectors.crossref.parse import NAME, read_message
from connectors.http import SourceClient, redact_url


def work_by_doi(client: SourceClient, doi: str) -> Mapping[str, Any] | None:
    """The Crossref work item of ``doi``, or None when Crossref has no such DOI."""
    resp = client.get(f"works/{quote(doi, safe='/()')}", ok_statuses=frozenset({200, 404}))
    if resp.status_code == 404:
        return None
    message, kind = read_message(resp.content, source=NAME, url=redact_url(resp.url or ""),
                                 content_type=resp.headers.get("Content-Type", ""))
    return message if kind == "work" else None
