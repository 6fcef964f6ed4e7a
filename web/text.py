"""Untrusted text made safe for HTML: escaped, with protocol terms marked, and links only from checked ids."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup

from livereview.digests.links import doi_url, pubmed_url, safe_url
from livereview.digests.render import mark as digest_mark

_OPEN, _CLOSE = Markup('<mark class="term">'), Markup("</mark>")
_PMCID_RE = re.compile(r"^PMC\d{1,10}$")
_OPENALEX_RE = re.compile(r"^W\d{1,12}$")


def mark(text: str | None, spans: Sequence[tuple[int, int]]) -> Markup:
    """``text`` escaped, with ``<mark class="term">`` around each span (the digest's marker, styled by the CSP-safe
    stylesheet rather than inline)."""
    return digest_mark(text, spans, tags=(_OPEN, _CLOSE))


def identifier_links(*, doi: str | None, pmid: str | None, pmcid: str | None, openalex_id: str | None,
                     url: str | None) -> list[tuple[str, str, str]]:
    """(label, identifier, URL) for each identifier that checks out; anything malformed gets no link."""
    links: list[tuple[str, str, str]] = []
    if (u := doi_url(doi)) and doi:
        links.append(("DOI", doi, u))
    if (u := pubmed_url(pmid)) and pmid:
        links.append(("PubMed", pmid, u))
        links.append(("Europe PMC", f"MED/{pmid}", f"https://europepmc.org/article/MED/{pmid}"))
    if pmcid and _PMCID_RE.match(pmcid):
        links.append(("Europe PMC", pmcid, f"https://europepmc.org/article/PMC/{pmcid}"))
    if openalex_id and _OPENALEX_RE.match(openalex_id):
        links.append(("OpenAlex", openalex_id, f"https://openalex.org/{openalex_id}"))
    if (u := safe_url(url)) and url:
        links.append(("Publisher", url if len(url) < 80 else url[:77] + "…", u))
    return links
