"""The one page cache: values the web pages compute from the store (PRISMA counts, the dashboard, their charts),
kept in this process under a key that carries the store's fingerprint (:func:`store.prisma.store_version` and
what else the value reads), so a changed store misses instead of serving stale figures. Small and bounded: the
oldest entry goes when it is full."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

CACHE_SIZE = 64
_cache: dict[Hashable, object] = {}
_lock = threading.Lock()


def cached(key: Hashable, make: Callable[[], T]) -> T:
    """The value stored under ``key``, made (outside the lock: two threads may both make it) when missing."""
    with _lock:
        if key in _cache:
            return _cache[key]  # type: ignore[return-value]
    value = make()
    with _lock:
        if len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = value
    return value
