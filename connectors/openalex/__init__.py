"""OpenAlex (``/works``): ``parse`` for saved responses and :class:`OpenAlexConnector` for windowed searches.

See ``README.md`` in this folder for the endpoint, limits and quirks.
"""

from livereview.connectors.openalex.parse import NAME, RAW_FORMAT, item_to_record, parse, rebuild_abstract
from livereview.connectors.openalex.search import (
    CREATED_FILTER,
    PUBLICATION_FILTER,
    OpenAlexConnector,
    build_query,
    make_client,
)

Connector = OpenAlexConnector

__all__ = ["CREATED_FILTER", "NAME", "PUBLICATION_FILTER", "RAW_FORMAT", "Connector",
           "OpenAlexConnector", "build_query", "item_to_record", "make_client", "parse", "rebuild_abstract"]
