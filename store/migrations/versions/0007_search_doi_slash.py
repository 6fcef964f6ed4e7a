"""DOIs stored with APA's doubled slash (``10.1037//0022-006x…``) take the one spelling the normaliser now gives

PubMed and Crossref resolve ``10.1037//x`` and ``10.1037/x`` to the same work; records.normalise now writes the
single slash, so stored identifiers are rewritten to match what new records carry (data only, no schema change).
A work whose single-slash DOI is already held by another work keeps its spelling (the dedup stage meets both).

Revision ID: 0007_search_doi_slash
Revises: 0006_works_relevance
Create Date: 2026-12-08 00:50:00
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0007_search_doi_slash"
down_revision = "0006_works_relevance"
branch_labels = None
depends_on = None

_DOUBLED = re.compile(r"^(10\.\d{4,9})//+")


def _rewrite(table: str, column: str, key: str = "id", unique: bool = False, where: str = "") -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT {key}, {column} FROM {table} WHERE {column} LIKE '10.%//%' {where}")).all()
    for row_id, value in rows:
        fixed = _DOUBLED.sub(r"\1/", value)
        if fixed == value:
            continue
        if unique and conn.execute(sa.text(f"SELECT 1 FROM {table} WHERE {column} = :v"), {"v": fixed}).first():
            continue
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE {key} = :k"), {"v": fixed, "k": row_id})


def upgrade() -> None:
    _rewrite("works", "doi", unique=True)
    _rewrite("source_records", "doi")


def downgrade() -> None:
    """Nothing to undo: both spellings name the same DOI."""
