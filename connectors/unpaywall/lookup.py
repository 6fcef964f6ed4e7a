"""Unpaywall by DOI over HTTP: ``GET /v2/{doi}?email=<contact e-mail>``, one request per DOI.

The e-mail is required by Unpaywall (without it the API answers 422) and comes from the settings
(``LIVEREVIEW_CONTACT_EMAIL``), never from the protocol; it is redacted from every logged URL. A DOI Unpaywall
does not know answers 404 and is reported as ``None`` (not open access as far as anyone knows); a malformed DOI
answers 422, a refused query (:class:`~livereview.errors.SourceQueryError`) naming the DOI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from livereview.connectors.http import SourceClient, client_from_settings, redact_url
from livereview.connectors.payloads import decode_json
from livereview.connectors.unpaywall.parse import NAME, locations, read_answer
from livereview.errors import MissingCredentialsError
from livereview.records.fulltext import OpenAccessLink
from livereview.settings import Settings

#: Unpaywall asks for under 100,000 calls a day; a monitor looks up a few records at full text
DEFAULT_PER_SECOND = 5.0


def make_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                per_second: float = DEFAULT_PER_SECOND) -> SourceClient:
    """The Unpaywall client; refused without a contact e-mail (the API requires one on every call)."""
    email = (settings.contact_email or "").strip()
    if not email:
        raise MissingCredentialsError(NAME, "LIVEREVIEW_CONTACT_EMAIL is not set: Unpaywall requires a contact "
                                            "e-mail on every request")
    return client_from_settings(NAME, settings.unpaywall_base_url, settings, per_second=per_second,
                                default_params={"email": email}, sleep=sleep)


def lookup(client: SourceClient, doi: str) -> list[OpenAccessLink] | None:
    """The open-access locations of ``doi`` (best first; empty: Unpaywall knows it, no free copy), or None when
    Unpaywall does not know the DOI (404)."""
    resp = client.get(quote(doi.strip(), safe="/()"), ok_statuses=frozenset({200, 404}))
    if resp.status_code == 404:
        return None
    url = redact_url(resp.url or "")
    data = decode_json(resp.content, source=NAME, url=url, content_type=resp.headers.get("Content-Type", ""))
    return locations(read_answer(data, source=NAME, url=url))
