"""Source name -> connector class: the one place the flows look connectors up."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module

from connectors.base import Connector
from livereview.settings import Settings

CONNECTORS: dict[str, str] = {
    "pubmed": "connectors.pubmed:PubMedConnector",
    "europepmc": "connectors.europepmc:EuropePMCConnector",
    "crossref": "connectors.crossref:CrossrefConnector",
    "openalex": "connectors.openalex:OpenAlexConnector",
    "feeds": "connectors.feeds:FeedConnector",
}


def connector_for(name: str, settings: Settings, *, types: Sequence[str] = ()) -> Connector:
    """A fresh connector (with its own client and request counters) for one source.

    ``types`` restricts sources that filter by record type (Crossref ``type:`` filters), from the protocol.
    """
    try:
        module, cls = CONNECTORS[name].split(":")
    except KeyError as exc:
        raise ValueError(f"unknown source {name!r} (known: {', '.join(CONNECTORS)})") from exc
    kwargs = {"types": tuple(types)} if types and name == "crossref" else {}
    return getattr(import_module(module), cls)(settings, **kwargs)
