"""Unpaywall (``/v2/{doi}``): where a work can be read legally for free. A lookup by DOI, not a search source.

``parse`` reads a saved answer into :class:`~livereview.records.fulltext.OpenAccessLink` values (pure);
``lookup`` asks the API (``make_client`` sends the contact e-mail from the settings). See ``README.md``.
"""

from livereview.connectors.unpaywall.lookup import DEFAULT_PER_SECOND, lookup, make_client
from livereview.connectors.unpaywall.parse import NAME, RAW_FORMAT, best_location, locations, parse

__all__ = ["DEFAULT_PER_SECOND", "NAME", "RAW_FORMAT", "best_location", "locations", "lookup", "make_client",
           "parse"]
