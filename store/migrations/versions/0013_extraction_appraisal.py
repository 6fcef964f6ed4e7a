"""extraction and QATSDD appraisal of the included studies (issue 21)

Revision ID: 0013_extraction_appraisal
Revises: 0010_fulltext
Create Date: 2026-12-08 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_extraction_appraisal"
down_revision = "0010_fulltext"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extractions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("provenance", sa.String(length=200), nullable=False),
        sa.Column("review_version", sa.String(length=50), nullable=True),
        sa.Column("protocol_version", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extractions") as batch_op:
        batch_op.create_index("ix_extractions_work_id", ["work_id"], unique=False)
        batch_op.create_index("ix_extractions_work_kind", ["work_id", "kind"], unique=False)
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("tool", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("design", sa.String(length=20), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("method", sa.String(length=30), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("provenance", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appraisals") as batch_op:
        batch_op.create_index("ix_appraisals_work_id", ["work_id"], unique=False)
        batch_op.create_index("ix_appraisals_work_kind", ["work_id", "kind"], unique=False)


def downgrade() -> None:
    op.drop_table("appraisals")
    op.drop_table("extractions")
