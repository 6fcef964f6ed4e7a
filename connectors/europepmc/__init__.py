"""Europe PMC (REST ``/search``): ``parse`` for saved responses and :class:`EuropePMCConnector` for windowed searches.

See ``README.md`` in this folder for the endpoint, limits and quirks.
"""

from livereview.connectors.europepmc.parse import NAME, RAW_FORMAT, Page, item_to_record, parse, parse_page
from livereview.connectors.europepmc.search import EuropePMCConnector, build_query, make_client

Connector = EuropePMCConnector

__all__ = ["NAME", "RAW_FORMAT", "Connector", "EuropePMCConnector", "Page", "build_query",
           "item_to_record", "make_client", "parse", "parse_page"]
