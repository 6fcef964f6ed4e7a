"""PubMed searches over a create-date window: esearch on the history server, then efetch in batches.

Why this shape: a window with N new records costs 1 esearch (``retmax=0``, ``usehistory=y``) plus
``ceil(N / batch_size)`` efetch calls from the history server, the fewest E-utilities allow. The
window is put in the term on ``[crdt]`` (create date), not ``datetype=edat``: EDAT is reset to the
publication date for records added late, so an EDAT window misses them. esearch serves at most
10,000 records per query, so an over-cap window is cut by date until every slice fits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

from livereview.connectors.base import SearchResult, Window
from livereview.connectors.http import SourceClient, client_from_settings
from livereview.connectors.pubmed.parse import NAME, parse, safe_xml
from livereview.errors import SourceError, SourceParseError, SourceQueryError
from livereview.records.model import Record
from livereview.records.normalise import clean_text
from livereview.settings import Settings

TOOL = "livereview"
#: esearch/efetch serve at most this many records of one query (PubMed API update, 2022).
RESULT_CAP = 10_000
DEFAULT_BATCH_SIZE = 250
#: Longer esearch URLs go as POST (long review strings exceed what proxies accept in a URL).
MAX_GET_QUERY = 1800
#: ErrorList entries that mean the query itself is wrong (not just a phrase without hits).
_FATAL_ESEARCH_ERRORS = frozenset({"FieldNotFound"})


def build_query(query: str, window: Window) -> str:
    """The protocol query restricted to records *created* in the window (both ends inclusive)."""
    return (f'({query}) AND ("{window.start:%Y/%m/%d}"[crdt] : "{window.end:%Y/%m/%d}"[crdt])')


def make_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> SourceClient:
    """The E-utilities client: 3 requests/s, 10/s with an API key."""
    per_second = 10.0 if settings.ncbi_api_key else 3.0
    return client_from_settings(NAME, settings.pubmed_base_url, settings,
                                per_second=per_second, sleep=sleep)


@dataclass
class ESearchResult:
    """What esearch said about one term."""

    count: int
    query_key: str | None = None
    webenv: str | None = None
    warnings: list[str] = field(default_factory=list)


def parse_esearch(payload: bytes, *, source: str = NAME) -> ESearchResult:
    """Count, history keys and warnings of an ``eSearchResult``; ``<ERROR>`` -> :class:`SourceQueryError`."""
    root = safe_xml(payload, source=source, what="esearch")
    if root.tag != "eSearchResult":
        raise SourceParseError(source, f"esearch: expected an eSearchResult, got <{root.tag}>")
    error = clean_text(root.findtext("ERROR"))
    if error:
        raise SourceQueryError(source, f"esearch rejected the query: {error}")
    count_text = clean_text(root.findtext("Count"))
    if not count_text or not count_text.isdigit():
        raise SourceParseError(source, "esearch: no Count in the answer")
    warnings: list[str] = []
    for item in _children(root.find("ErrorList")):
        text = clean_text(item.text) or ""
        if item.tag in _FATAL_ESEARCH_ERRORS:
            raise SourceQueryError(source, f"esearch: {item.tag} {text!r}; fix the field tag in the query")
        warnings.append(f"esearch {item.tag}: {text}")
    for item in _children(root.find("WarningList")):
        text = clean_text(item.text) or ""
        if item.tag == "OutputMessage" and text.lower().startswith("no items found"):
            continue  # Count 0 says the same
        warnings.append(f"esearch {item.tag}: {text}")
    return ESearchResult(count=int(count_text), query_key=clean_text(root.findtext("QueryKey")),
                         webenv=clean_text(root.findtext("WebEnv")), warnings=warnings)


def _children(element: Element | None) -> list[Element]:
    return list(element) if element is not None else []


class PubMedConnector:
    """Searches PubMed for the records created in a window; pages to the end or raises."""

    name = NAME
    filters_types = False

    def __init__(
        self,
        settings: Settings,
        *,
        client: SourceClient | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        result_cap: int = RESULT_CAP,
    ) -> None:
        if batch_size < 1 or result_cap < 1:
            raise ValueError("batch_size and result_cap must be positive")
        self.settings = settings
        self.client = client or make_client(settings)
        self.batch_size = batch_size
        self.result_cap = result_cap

    # -- public ---------------------------------------------------------------------------------------------
    def search(self, query: str, window: Window, *, state: dict[str, Any] | None = None) -> SearchResult:
        """Every record of ``query`` created in ``window``; PubMed keeps no cursor state between runs."""
        before = self.client.stats.snapshot()
        result = SearchResult(source=self.name, total_reported=0)
        self._search_window(query, window, result)
        result.warnings = list(dict.fromkeys(result.warnings))
        result.stats = self.client.stats.since(before)
        return result

    def count(self, query: str, window: Window) -> int:
        """How many records ``query`` has in ``window``: one esearch with ``retmax=0`` (no history, no fetch)."""
        params = {"db": "pubmed", "term": build_query(query, window), "retmax": "0", "usehistory": "n",
                  **self._identity()}
        if len(urlencode(params)) > MAX_GET_QUERY:
            response = self.client.post("esearch.fcgi", data=params)
        else:
            response = self.client.get("esearch.fcgi", params=params)
        return parse_esearch(response.content, source=self.name).count

    # -- steps ----------------------------------------------------------------------------------------------
    def _search_window(self, query: str, window: Window, result: SearchResult) -> None:
        term = build_query(query, window)
        found = self._esearch(term)
        result.queries.append(term)
        result.warnings.extend(found.warnings)
        if found.count > self.result_cap:
            if window.days < 2:
                raise SourceError(self.name, f"{found.count} records were created on {window.start} for this "
                                  f"query, over the esearch cap of {self.result_cap}; narrow the query")
            parts = min(window.days, math.ceil(found.count / self.result_cap) + 1)
            for part in window.split(parts):
                self._search_window(query, part, result)
            return
        result.total_reported = (result.total_reported or 0) + found.count
        if found.count == 0:
            return
        if not found.query_key or not found.webenv:
            raise SourceParseError(self.name, f"esearch gave {found.count} hits for {window} "
                                   "but no WebEnv/QueryKey")
        result.records.extend(self._efetch_all(found, window))

    def _esearch(self, term: str) -> ESearchResult:
        params = {"db": "pubmed", "term": term, "usehistory": "y", "retmax": "0", **self._identity()}
        if len(urlencode(params)) > MAX_GET_QUERY:
            response = self.client.post("esearch.fcgi", data=params)
        else:
            response = self.client.get("esearch.fcgi", params=params)
        return parse_esearch(response.content, source=self.name)

    def _efetch_all(self, found: ESearchResult, window: Window) -> list[Record]:
        records: list[Record] = []
        for retstart in range(0, found.count, self.batch_size):
            wanted = min(self.batch_size, found.count - retstart)
            params = {"db": "pubmed", "query_key": found.query_key, "WebEnv": found.webenv,
                      "retstart": str(retstart), "retmax": str(wanted), "rettype": "abstract",
                      "retmode": "xml", **self._identity()}
            batch = parse(self.client.get("efetch.fcgi", params=params).content, source=self.name)
            if len(batch) != wanted:
                raise SourceError(self.name, f"efetch returned {len(batch)} of the {wanted} records asked "
                                  f"for (retstart {retstart}, window {window}); the window is not complete")
            records.extend(batch)
        return records

    def _identity(self) -> dict[str, str]:
        """``tool``/``email``/``api_key`` on every call (per request: a client passed in carries them too)."""
        params = {"tool": TOOL}
        if self.settings.contact_email:
            params["email"] = self.settings.contact_email
        if self.settings.ncbi_api_key is not None:
            params["api_key"] = self.settings.ncbi_api_key.get_secret_value()
        return params
