"""Versions of the review (issue 21): releases frozen as a JSON snapshot plus rows, and synthesis theme tags

``releases`` and ``release_works`` are write-once: the database refuses UPDATE and DELETE on them (as on the
audit log), so a released version cannot change, whatever later decisions say.

Revision ID: 0014_releases
Revises: 0013_extraction_appraisal
Create Date: 2026-12-08 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_releases"
down_revision = "0013_extraction_appraisal"
branch_labels = None
depends_on = None

FROZEN = ("releases", "release_works")


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=30), nullable=False),
        sa.Column("previous_version", sa.String(length=30), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=200), nullable=False),
        sa.Column("included_total", sa.Integer(), nullable=False),
        sa.Column("included_new", sa.Integer(), nullable=False),
        sa.Column("open_items", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version", name="uq_release_version"),
    )
    op.create_table(
        "release_works",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.Column("domain", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"]),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("release_id", "work_id"),
    )
    op.create_index("ix_release_works_work_id", "release_works", ["work_id"])
    op.create_table(
        "theme_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=60), nullable=False),
        sa.Column("changes_conclusion", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("tagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_id", "theme", name="uq_theme_tag"),
    )
    op.create_index("ix_theme_tags_work_id", "theme_tags", ["work_id"])
    _write_once()


def downgrade() -> None:
    _drop_write_once()
    op.drop_index("ix_theme_tags_work_id", table_name="theme_tags")
    op.drop_table("theme_tags")
    op.drop_index("ix_release_works_work_id", table_name="release_works")
    op.drop_table("release_works")
    op.drop_table("releases")


def _write_once() -> None:
    """A released version is immutable: the database itself refuses UPDATE and DELETE on its rows."""
    if op.get_bind().dialect.name == "sqlite":
        for table in FROZEN:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table}: a released version is immutable'); END")
        return
    op.execute("CREATE FUNCTION release_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN RAISE EXCEPTION '%: a released version is immutable', TG_TABLE_NAME; END $$")
    for table in FROZEN:
        op.execute(f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION release_immutable()")


def _drop_write_once() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in FROZEN:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        return
    for table in FROZEN:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
    op.execute("DROP FUNCTION IF EXISTS release_immutable()")
