"""Alembic environment: runs against the engine handed over by store.db.migrate (or the -x url for autogenerate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import livereview.store.accounts  # noqa: F401  (its tables belong to the same metadata)
from livereview.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # command-line use: alembic -x url=sqlite:///... revision --autogenerate
        engine = create_engine(context.get_x_argument(as_dictionary=True)["url"])
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        context.run_migrations()


run_migrations_online()
