"""Source name -> connector package: the flows look connectors up here (the names come from records.vocabulary).

Each source is a package ``connectors/<name>/`` of the same shape (``parse.py`` pure, ``search.py``
HTTP, ``README.md`` of quirks) exporting ``NAME``, ``RAW_FORMAT``, ``parse``, ``item_to_record``,
``make_client``, ``build_query`` (feeds: none, the feed URL is the query) and ``Connector``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

from livereview.errors import ConfigError
from livereview.records.vocabulary import SOURCES

if TYPE_CHECKING:
    from livereview.connectors.base import Connector
    from livereview.settings import Settings

#: source name -> its package
CONNECTORS: dict[str, str] = {name: f"livereview.connectors.{name}" for name in SOURCES}
#: saved-response format -> the package whose ``parse`` reads it
IMPORT_FORMATS: dict[str, str] = {fmt: CONNECTORS[name] for name, fmt in SOURCES.items()}


def source_module(name: str) -> ModuleType:
    """The package of one source (imported on first use: sources load only when used)."""
    if name not in CONNECTORS:
        raise ValueError(f"unknown source {name!r} (known: {', '.join(SOURCES)})")
    return import_module(CONNECTORS[name])



def connector_for(name: str, settings: Settings, *, types: Sequence[str] = (),
                  languages: Sequence[str] = ()) -> Connector:
    """A fresh connector (with its own client and request counters) for one source.

    ``types`` (the protocol's ``sources.<name>.types``) is applied at the source where the API can filter
    by record type; asking it of a source that cannot is a configuration error, not a silent no-op.
    ``languages`` (OpenAlex codes) go to connectors with ``filters_languages``; others ignore them (their
    queries carry the language, or the flow filters client-side).
    """
    cls = source_module(name).Connector
    kwargs: dict[str, tuple[str, ...]] = {}
    if types:
        if not cls.filters_types:
            raise ConfigError(f"sources.{name}.types: {name} cannot filter by record type; remove the setting")
        kwargs["types"] = tuple(types)
    if languages and getattr(cls, "filters_languages", False):
        kwargs["languages"] = tuple(languages)
    return cls(settings, **kwargs)
