"""Journal table-of-contents feeds: ``parse`` for saved feed documents and :class:`FeedConnector`.

See ``README.md`` beside this file for the endpoint, limits and quirks.
"""

from connectors.feeds.connector import FeedConnector, make_client
from connectors.feeds.parse import (
           NAME,
           RAW_FORMAT,
           ParsedFeed,
           doi_from_identifier,
           doi_from_url,
           parse,
           parse_feed,
)

__all__ = ["NAME", "RAW_FORMAT", "FeedConnector", "ParsedFeed",
           "doi_from_identifier", "doi_from_url", "make_client", "parse", "parse_feed"]
