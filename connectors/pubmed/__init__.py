"""PubMed (NCBI E-utilities): ``parse`` for efetch XML and :class:`PubMedConnector` for windowed searches.

See README.md in this folder for the endpoint, limits and quirks.
"""

from livereview.connectors.pubmed.parse import NAME, RAW_FORMAT, item_to_record, parse
from livereview.connectors.pubmed.search import PubMedConnector, build_query, make_client

Connector = PubMedConnector

__all__ = ["NAME", "RAW_FORMAT", "Connector", "PubMedConnector", "build_query", "item_to_record",
           "make_client", "parse"]
