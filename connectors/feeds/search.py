"""FeedConnector: one GET of a journal's feed, conditional on what the last run saw.

The "query" is the feed URL itself (feeds have no search). Conditional requests keep weekly polling
cheap and polite: the ETag / Last-Modified of the last 200 go back as ``If-None-Match`` /
``If-Modified-Since``; a 304 means nothing new and leaves the stored state as it was. The state is
keyed by feed URL, so one stored dict serves every feed of a review.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from livereview.connectors.base import SearchResult, Window
from livereview.connectors.feeds.parse import NAME, dated_before, parse_feed
from livereview.connectors.http import SourceClient, client_from_settings, redact_url
from livereview.settings import Settings

#: Feeds are fetched one at a time and rarely; one request a second is plenty and polite to any host.
DEFAULT_PER_SECOND = 1.0
_OK = frozenset({200, 304})


def make_client(settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                per_second: float = DEFAULT_PER_SECOND) -> SourceClient:
    """A client without a base URL: every request names the absolute feed URL."""
    return client_from_settings(NAME, "", settings, per_second=per_second, sleep=sleep)


class FeedConnector:
    """``search(feed_url, window, state=…)``: the feed's entries posted in or after ``window.start``."""

    name = NAME
    filters_types = False

    def __init__(self, settings: Settings, *, client: SourceClient | None = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings)

    def search(self, query: str, window: Window, *, state: dict[str, Any] | None = None) -> SearchResult:
        """Fetch the feed at ``query`` (an absolute URL); entries dated before the window are dropped."""
        url = query.strip()
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"feeds: the query must be an absolute http(s) feed URL, got {query!r}")
        new_state: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v
                                     for k, v in (state or {}).items()}
        seen = new_state.get(url) if isinstance(new_state.get(url), dict) else {}
        headers = {}
        if seen.get("etag"):
            headers["If-None-Match"] = str(seen["etag"])
        if seen.get("last_modified"):
            headers["If-Modified-Since"] = str(seen["last_modified"])

        resp = self.client.get(url, headers=headers or None, ok_statuses=_OK)
        result = SearchResult(source=self.name, queries=[redact_url(resp.url or url)],
                              stats=self.client.stats, state=new_state)
        if resp.status_code == 304:
            return result

        parsed = parse_feed(resp.content, source=self.name, url=url, headers=dict(resp.headers))
        dropped = set(dated_before(parsed, window.start))
        result.records = [r for i, r in enumerate(parsed.records) if i not in dropped]
        result.total_reported = len(parsed.records)
        result.dropped = parsed.skipped
        result.warnings.extend(parsed.warnings)
        validators = {"etag": resp.headers.get("ETag"), "last_modified": resp.headers.get("Last-Modified")}
        validators = {k: v for k, v in validators.items() if v}
        if validators:
            new_state[url] = validators
        else:
            new_state.pop(url, None)
        return result
