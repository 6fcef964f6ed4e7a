"""PubMed (NCBI E-utilities): ``parse`` for efetch XML and :class:`PubMedConnector` for windowed searches.

See README.md in this folder for the endpoint, limits and quirks.
"""

from connectors.pubmed.parse import RAW_FORMAT, parse, relation_kind
from connectors.pubmed.search import PubMedConnector, build_term

__all__ = ["RAW_FORMAT", "PubMedConnector", "build_term", "parse", "relation_kind"]
