"""Unpaywall ``/v2/{doi}`` answers -> open-access links (pure, no HTTP). Endpoint and quirks: README.md beside this."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from livereview.connectors.payloads import decode_json
from livereview.errors import SourceParseError, SourceQueryError
from livereview.records.fulltext import OpenAccessLink, is_http_url, version_word
from livereview.records.normalise import clean_text

NAME = "unpaywall"
RAW_FORMAT = "unpaywall-json"


def parse(payload: bytes, *, source: str = NAME) -> list[OpenAccessLink]:
    """Every open-access location of a saved answer, the best (Unpaywall's ``best_oa_location``) first."""
    data = decode_json(payload, source=source)
    return locations(read_answer(data, source=source), source=source)


def read_answer(data: Any, *, source: str = NAME, url: str | None = None) -> Mapping[str, Any]:
    """The DOI object of an answer; an error body (``{"HTTP_status_code": 404, "error": true, "message": …}``) or
    anything that is not a DOI object is a typed error naming the source."""
    if isinstance(data, Mapping) and data.get("error") is True:
        message = clean_text(data.get("message")) or "unknown error"
        raise SourceQueryError(source, f"API error: {message[:200]}", url=url,
                               status=data.get("HTTP_status_code") if isinstance(data.get("HTTP_status_code"), int)
                               else None)
    if not isinstance(data, Mapping) or not isinstance(data.get("doi"), str) or "is_oa" not in data:
        raise SourceParseError(source, "not an Unpaywall DOI object (no 'doi' and 'is_oa')", url=url)
    return data


def _link(loc: Mapping[str, Any], oa_status: str | None, source: str) -> OpenAccessLink | None:
    pdf = loc.get("url_for_pdf")
    landing = loc.get("url_for_landing_page")
    url = loc.get("url")
    main = next((u for u in (landing, url, pdf) if is_http_url(u)), None)
    if main is None:
        return None
    host = loc.get("host_type")
    return OpenAccessLink(
        url=main.strip(), source=source, pdf_url=pdf.strip() if is_http_url(pdf) else None,
        license=clean_text(loc.get("license")), version=version_word(loc.get("version")),
        host_type=host if host in ("publisher", "repository") else None, oa_status=oa_status)


def locations(answer: Mapping[str, Any], *, source: str = NAME) -> list[OpenAccessLink]:
    """The answer's open-access locations as links, ``best_oa_location`` first, each once; none when not OA."""
    if answer.get("is_oa") is not True:
        return []
    status = clean_text(answer.get("oa_status"))
    raw = [answer.get("best_oa_location"), *(answer.get("oa_locations") or [])]
    out: list[OpenAccessLink] = []
    for loc in raw:
        link = _link(loc, status, source) if isinstance(loc, Mapping) else None
        if link is not None and link not in out:
            out.append(link)
    return out


def best_location(answer: Mapping[str, Any], *, source: str = NAME) -> OpenAccessLink | None:
    """Unpaywall's own choice (``best_oa_location``), or None when the work has no open-access copy."""
    found = locations(answer, source=source)
    return found[0] if found else None
