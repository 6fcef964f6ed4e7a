"""Journal table-of-contents feeds: ``parse`` for saved feed documents and :class:`FeedConnector`.

Feeds have no search: the "query" is the feed URL itself. See ``README.md`` beside this file for
the endpoint, limits and quirks.
"""

from livereview.connectors.feeds.parse import (
    NAME,
    RAW_FORMAT,
    ParsedFeed,
    doi_from_identifier,
    doi_from_url,
    item_to_record,
    parse,
    parse_feed,
)
from livereview.connectors.feeds.search import FeedConnector, make_client

Connector = FeedConnector

__all__ = ["NAME", "RAW_FORMAT", "Connector", "FeedConnector", "ParsedFeed", "doi_from_identifier",
           "doi_from_url", "item_to_record", "make_client", "parse", "parse_feed"]
