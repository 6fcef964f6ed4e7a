"""One way in: every command and flow opens its settings, protocol and store through :func:`open_store`.

Before this there were ten copies of "load the settings, load the protocol, make an engine, check the schema,
dispose", each a little different (one forgot the schema check, one the disposal, only one remembered which
store a database error should name). Here it is once: the protocol is read before the store is touched (a bad
protocol file is refused before any work), the schema is checked unless the caller migrates (``init``, the demo),
a database error escaping the block becomes one :class:`~livereview.errors.StoreError` naming the store, and the
engine is disposed of however the block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from livereview.protocols.model import Protocol, load_protocol
from livereview.settings import Settings, load_settings
from livereview.store.db import describe, make_engine, require_current_schema, store_problem

#: the store this process opened last: what a one-line database error names when it escapes every ``with``
_LAST_OPENED = {"name": "(not opened)"}


def opened_store_name() -> str:
    """The store (SQLite path or URL without password) this process opened last, for a last-resort error line."""
    return _LAST_OPENED["name"]


@dataclass
class Opened:
    """What a command or flow works with. The protocol is read on first use when the caller did not ask for it
    up front (``status`` reads the store even when the protocol file is unreadable)."""

    settings: Settings
    engine: Engine
    protocol_path: Path
    _protocol: Protocol | None = field(default=None, repr=False)

    @property
    def protocol(self) -> Protocol:
        if self._protocol is None:
            self._protocol = load_protocol(self.protocol_path)
        return self._protocol

    @property
    def name(self) -> str:
        """The store as a user names it (the SQLite file's path, or the URL without its password)."""
        return describe(self.engine)


@contextmanager
def open_store(protocol: Protocol | Path | str | None = None, *, settings: Settings | None = None,
               read_protocol: bool = True, require_schema: bool = True) -> Iterator[Opened]:
    """Settings (from the environment unless given), the protocol (``protocol``: a file, or one already read; by
    default ``LIVEREVIEW_PROTOCOL``), an engine on the configured store, its schema checked; the engine is disposed
    of when the block ends.

    ``read_protocol=False`` defers reading the protocol to its first use; ``require_schema=False`` is for the
    callers that create or migrate the schema themselves.
    """
    settings = settings if settings is not None else load_settings()
    if isinstance(protocol, Protocol):
        path, proto = Path(protocol.path or settings.protocol), protocol
    else:
        path = Path(protocol) if protocol is not None else Path(settings.protocol)
        proto = load_protocol(path) if read_protocol else None
    engine = make_engine(settings.resolved_database_url)
    _LAST_OPENED["name"] = describe(engine)
    try:
        if require_schema:
            require_current_schema(engine)
        yield Opened(settings, engine, path, proto)
    except DBAPIError as exc:  # the store failed mid-work (a damaged page, the server gone): one line naming it
        raise store_problem(engine, exc, "the database failed") from exc
    finally:
        engine.dispose()
