"""people in the loop: tags (admin-defined, palette colours), comments with @mentions, per-user highlight words,
assignments of records to reviewers

Revision ID: 0012_workbench_people
Revises: 0014_releases
Create Date: 2026-12-08 03:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_workbench_people"
down_revision = "0014_releases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("colour", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "work_tags",
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"]),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("work_id", "tag_id"),
    )
    op.create_index("ix_work_tags_tag_id", "work_tags", ["tag_id"], unique=False)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comments_work_id", "comments", ["work_id"], unique=False)
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"]),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mentions_comment_id", "mentions", ["comment_id"], unique=False)
    op.create_index("ix_mentions_work_id", "mentions", ["work_id"], unique=False)
    op.create_index("ix_mentions_user_unread", "mentions", ["user_name", "read_at"], unique=False)
    op.create_table(
        "highlight_words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_name", "word", name="uq_highlight_user_word"),
    )
    op.create_index("ix_highlight_words_user_name", "highlight_words", ["user_name"], unique=False)
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_id", "reviewer", name="uq_assignment_work_reviewer"),
    )
    op.create_index("ix_assignments_work_id", "assignments", ["work_id"], unique=False)
    op.create_index("ix_assignments_reviewer", "assignments", ["reviewer", "work_id"], unique=False)


def downgrade() -> None:
    op.drop_table("assignments")
    op.drop_table("highlight_words")
    op.drop_table("mentions")
    op.drop_table("comments")
    op.drop_table("work_tags")
    op.drop_table("tags")
