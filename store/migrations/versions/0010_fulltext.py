"""full texts: the open-access link found per work (with the date checked) and the PDFs people attached

Revision ID: 0010_fulltext
Revises: 0015_dedup_review
Create Date: 2026-12-08 03:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_fulltext"
down_revision = "0015_dedup_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fulltext_links",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("pdf_url", sa.Text(), nullable=True),
        sa.Column("license", sa.String(length=100), nullable=True),
        sa.Column("version", sa.String(length=20), nullable=True),
        sa.Column("host_type", sa.String(length=20), nullable=True),
        sa.Column("oa_status", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("work_id"),
    )
    with op.batch_alter_table("fulltext_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fulltext_links_checked_at"), ["checked_at"], unique=False)
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("attached_by", sa.String(length=200), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_work_id"), ["work_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_sha256"))
        batch_op.drop_index(batch_op.f("ix_attachments_work_id"))
    op.drop_table("attachments")
    with op.batch_alter_table("fulltext_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulltext_links_checked_at"))
    op.drop_table("fulltext_links")
