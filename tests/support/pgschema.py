"""A private PostgreSQL schema for one benchmark or test store: created on entry, dropped (CASCADE) on exit.
The one helper for it: the tests' ``database_url`` fixture, their second stores and the benchmarks use it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


def driver_url(url: str) -> str:
    """``postgresql://`` names no driver; the store uses psycopg 3."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@contextmanager
def private_schema(server_url: str, *, prefix: str = "bench") -> Iterator[str]:
    """Yield a store URL on ``server_url`` whose search_path is a fresh schema of its own."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(driver_url(server_url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
