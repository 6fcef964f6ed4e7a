"""Links in digests: only http(s), built from identifiers we can check, never taken on trust.

Everything here comes from records the sources delivered (or from settings), so it is untrusted:
a ``javascript:`` or ``data:`` URL, a DOI that is not a DOI or a PMID with letters in it never
becomes a link. The HTML template escapes whatever these functions return once more for the
attribute context, so a quote in a URL cannot close the ``href``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

DOI_RESOLVER = "https://doi.org/"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"

_DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
_PMID_RE = re.compile(r"^\d{1,9}$")
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f<>\"'`\\]")


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host and nothing that could break out; else None."""
    if not url:
        return None
    url = url.strip()
    if _UNSAFE_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def doi_url(doi: str | None) -> str | None:
    """The doi.org link for a well-formed DOI (``10.<registrant>/<suffix>``); None for anything else."""
    if not doi or not _DOI_RE.match(doi):
        return None
    return DOI_RESOLVER + quote(doi, safe="/:;()._-")


def pubmed_url(pmid: str | None) -> str | None:
    """The PubMed page of a PMID (digits only)."""
    if not pmid or not _PMID_RE.match(pmid):
        return None
    return f"{PUBMED}{pmid}/"


def work_url(work_id: int, *, base_url: str | None, doi: str | None, pmid: str | None,
             url: str | None = None) -> str | None:
    """Where the team opens a record: the web app when it has a public URL, else DOI, PubMed or the record's URL."""
    if base_url:
        app = safe_url(f"{base_url.rstrip('/')}/works/{int(work_id)}")
        if app:
            return app
    return doi_url(doi) or pubmed_url(pmid) or safe_url(url)
