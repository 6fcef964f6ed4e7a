"""Every record findable: the back-end's own full-text index over works, and each user's list page size

* SQLite: ``works_fts``, an FTS5 table with ``works`` as its external content (title, abstract, authors,
  journal, DOI, PMID; Porter stemming over unicode61 without diacritics), kept right by triggers on ``works``
  (insert, delete, and an update of any indexed column), so every write path — the ORM, the bulk writer's
  ``executemany``, merges and their undoing, raw SQL — keeps it without a line of its own. Authors are stored
  as JSON (non-ASCII escaped), so the triggers index the decoded names (``json_each``), the same expression on
  insert and on delete (FTS5's external-content delete must be given the values it indexed).
* PostgreSQL: ``works.search_vector``, a generated ``tsvector`` column (``english`` configuration) over the
  same fields with a GIN index: the server computes it on every INSERT, UPDATE and ``COPY``.
* indexes for the lists: decisions by decision and by reviewer (the "maybe" and "my decisions" lists), and on
  PostgreSQL works by year, latest first (SQLite's ``ix_works_year`` already ends in the row id).
* ``user_preferences``: one row per account holding its list page size (25 / 50 / 100), remembered across
  sessions and browsers.

Existing works are indexed here (backfill).

Revision ID: 0011_search_index
Revises: 0012_workbench_people
Create Date: 2026-12-08 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_search_index"
down_revision = "0012_workbench_people"
branch_labels = None
depends_on = None

_FTS_COLUMNS = "title, abstract, authors, journal, doi, pmid"


def _values(row: str) -> str:
    """The indexed values of ``row`` (``new`` or ``old``): authors decoded from their JSON list."""
    authors = (f"CASE WHEN json_valid({row}.authors) THEN (SELECT group_concat(value, ' ') "
               f"FROM json_each({row}.authors)) END")
    return f"{row}.id, {row}.title, {row}.abstract, {authors}, {row}.journal, {row}.doi, {row}.pmid"


#: PostgreSQL's parser reads a DOI as one file-path token: its parts are indexed as words (as FTS5 splits them)
_PG_VECTOR = ("to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(abstract, '') || ' ' || "
              "coalesce(authors::jsonb::text, '') || ' ' || coalesce(journal, '') || ' ' || "
              "regexp_replace(coalesce(doi, ''), '[^[:alnum:]]+', ' ', 'g') || ' ' || coalesce(pmid, ''))")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE works_fts USING fts5({_FTS_COLUMNS}, content='works', "
                   "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')")
        op.execute(f"CREATE TRIGGER works_fts_insert AFTER INSERT ON works BEGIN "
                   f"INSERT INTO works_fts(rowid, {_FTS_COLUMNS}) VALUES ({_values('new')}); END")
        op.execute(f"CREATE TRIGGER works_fts_delete AFTER DELETE ON works BEGIN "
                   f"INSERT INTO works_fts(works_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', {_values('old')}); "
                   "END")
        op.execute(f"CREATE TRIGGER works_fts_update AFTER UPDATE OF {_FTS_COLUMNS} ON works BEGIN "
                   f"INSERT INTO works_fts(works_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', {_values('old')}); "
                   f"INSERT INTO works_fts(rowid, {_FTS_COLUMNS}) VALUES ({_values('new')}); END")
        op.execute(f"INSERT INTO works_fts(rowid, {_FTS_COLUMNS}) SELECT {_values('works')} FROM works")
    else:
        op.execute(f"ALTER TABLE works ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_PG_VECTOR}) STORED")
        op.execute("CREATE INDEX ix_works_search_vector ON works USING gin (search_vector)")
    # "maybe" and "my decisions" start from the decisions they are about, not from every decision
    op.create_index("ix_decisions_decision_work", "decisions", ["decision", "work_id"])
    op.create_index("ix_decisions_reviewer_work", "decisions", ["reviewer", "work_id"])
    if conn.dialect.name == "postgresql":  # "publication year, latest first" read from an index (SQLite: ix_works_year)
        op.execute("CREATE INDEX ix_works_year_desc ON works (year DESC NULLS LAST, id DESC)")
    op.create_table(
        "user_preferences",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("page_size", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_preferences")
    conn = op.get_bind()
    op.drop_index("ix_decisions_decision_work", table_name="decisions")
    op.drop_index("ix_decisions_reviewer_work", table_name="decisions")
    if conn.dialect.name == "postgresql":
        op.execute("DROP INDEX ix_works_year_desc")
    if conn.dialect.name == "sqlite":
        for name in ("works_fts_insert", "works_fts_delete", "works_fts_update"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE works_fts")
    else:
        op.execute("DROP INDEX ix_works_search_vector")
        op.execute("ALTER TABLE works DROP COLUMN search_vector")
