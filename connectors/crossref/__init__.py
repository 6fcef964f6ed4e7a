"""Crossref (REST ``/works``): ``parse`` for saved responses and :class:`CrossrefConnector` for windowed searches.

See ``README.md`` in this folder for the endpoint, limits and quirks.
"""

from livereview.connectors.crossref.parse import NAME, RAW_FORMAT, item_to_record, jats_to_text, parse
from livereview.connectors.crossref.search import (
           DATE_FILTER,
           CrossrefConnector,
           advertised_rate,
           build_query,
           make_client,
)

Connector = CrossrefConnector

__all__ = ["DATE_FILTER", "NAME", "RAW_FORMAT", "Connector", "CrossrefConnector", "advertised_rate",
           "build_query", "item_to_record", "jats_to_text", "make_client", "parse"]
