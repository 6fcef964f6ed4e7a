"""PubMed by identifier over HTTP: ``efetch`` of known PMIDs, and ``esearch`` of ``(QUERY) AND <uid>[uid]``.

* :func:`fetch_pmids` re-reads included studies: their publication types (``Retracted Publication``)
  and CommentsCorrections (``RetractionIn``, ``ErratumIn``, ``ExpressionOfConcernIn``) become relations
  that the store turns into notices;
* :func:`query_matches` asks whether the protocol's query retrieves given PMIDs (search validation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from livereview.connectors.http import SourceClient
from livereview.connectors.pubmed.parse import NAME, parse, safe_xml
from livereview.connectors.pubmed.search import TOOL, parse_esearch
from livereview.records.model import Record
from livereview.settings import Settings

BATCH = 200


def identity(settings: Settings) -> dict[str, str]:
    params = {"tool": TOOL}
    if settings.contact_email:
        params["email"] = settings.contact_email
    if settings.ncbi_api_key is not None:
        params["api_key"] = settings.ncbi_api_key.get_secret_value()
    return params


def fetch_pmids(client: SourceClient, settings: Settings, pmids: Iterable[str]) -> list[Record]:
    """The PubMed records of ``pmids`` (:data:`BATCH` per efetch; POST, so long id lists fit)."""
    wanted = list(dict.fromkeys(p for p in pmids if p))
    out: list[Record] = []
    for i in range(0, len(wanted), BATCH):
        chunk = wanted[i:i + BATCH]
        data = {"db": "pubmed", "id": ",".join(chunk), "rettype": "abstract", "retmode": "xml", **identity(settings)}
        out.extend(parse(client.post("efetch.fcgi", data=data).content, source=NAME))
    return out


def query_matches(client: SourceClient, settings: Settings, query: str, pmids: Sequence[str]) -> tuple[set[str], int]:
    """Which of ``pmids`` the query retrieves: one esearch ``(QUERY) AND (1[uid] OR 2[uid] …)``.

    Returns the matching PMIDs and how many PMIDs exist at all (``id[uid]`` alone), so a miss can be
    told apart: not indexed vs indexed but not matched.
    """
    ids = " OR ".join(f"{p}[uid]" for p in pmids)
    matched = _esearch_ids(client, settings, f"({query}) AND ({ids})", len(pmids))
    return matched, len(pmids)


def existing(client: SourceClient, settings: Settings, pmids: Sequence[str]) -> set[str]:
    """Which of ``pmids`` PubMed has."""
    return _esearch_ids(client, settings, " OR ".join(f"{p}[uid]" for p in pmids), len(pmids))


def existing_term(client: SourceClient, settings: Settings, term: str, retmax: int) -> set[str]:
    """The PMIDs an identifier term (``"10.1037/…"[doi] OR …``) finds."""
    return _esearch_ids(client, settings, term, retmax)


def _esearch_ids(client: SourceClient, settings: Settings, term: str, retmax: int) -> set[str]:
    data = {"db": "pubmed", "term": term, "retmax": str(max(retmax, 1)), "usehistory": "n", **identity(settings)}
    resp = client.post("esearch.fcgi", data=data)
    parse_esearch(resp.content, source=NAME)  # raises on a refused query
    root = safe_xml(resp.content, source=NAME, what="esearch")
    return {el.text.strip() for el in root.iter("Id") if el.text and el.text.strip()}
