"""Duplicates reviewed by people: how each record found its work, the run behind a merge, and pairs to decide

``source_records.match_rule`` keeps the rule that joined a record to a known work (the duplicates page lists them
per run and import); ``work_merges.run_id``/``import_id`` name the run or import behind an identifier bridge;
``duplicate_pairs`` holds the near misses the deduplication left apart and the pairs people said are two works.

Revision ID: 0015_dedup_review
Revises: 0007_search_doi_slash
Create Date: 2026-12-08 03:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_dedup_review"
down_revision = "0007_search_doi_slash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_rule", sa.String(length=100), nullable=True))
    with op.batch_alter_table("work_merges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_work_merges_run_id_runs", "runs", ["run_id"], ["id"])
        batch_op.create_foreign_key("fk_work_merges_import_id_imports", "imports", ["import_id"], ["id"])
        batch_op.create_index("ix_work_merges_run_id", ["run_id"], unique=False)
        batch_op.create_index("ix_work_merges_import_id", ["import_id"], unique=False)
    op.create_table(
        "duplicate_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.ForeignKeyConstraint(["other_id"], ["works.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_id", "other_id", name="uq_duplicate_pair"),
    )
    for column in ("work_id", "other_id", "status", "run_id", "import_id"):
        op.create_index(f"ix_duplicate_pairs_{column}", "duplicate_pairs", [column], unique=False)


def downgrade() -> None:
    op.drop_table("duplicate_pairs")
    with op.batch_alter_table("work_merges", schema=None) as batch_op:
        batch_op.drop_index("ix_work_merges_import_id")
        batch_op.drop_index("ix_work_merges_run_id")
        batch_op.drop_constraint("fk_work_merges_import_id_imports", type_="foreignkey")
        batch_op.drop_constraint("fk_work_merges_run_id_runs", type_="foreignkey")
        batch_op.drop_column("import_id")
        batch_op.drop_column("run_id")
    with op.batch_alter_table("source_records", schema=None) as batch_op:
        batch_op.drop_column("match_rule")
