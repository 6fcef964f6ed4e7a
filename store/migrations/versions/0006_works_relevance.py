"""works.relevance: the latest relevance score as the queue's sort key (indexed; -1 = not scored yet)

The queue ordered by a LEFT JOIN on ranking_scores sorted every open work on each page view (about 170 ms on
PostgreSQL with 100,000 works); a column with an index in the queue's order is read backwards instead.

Revision ID: 0006_works_relevance
Revises: 0005_rank_scores
Create Date: 2026-11-29 20:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_works_relevance"
down_revision = "0005_rank_scores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relevance", sa.Float(), nullable=False, server_default=sa.text("-1")))
        batch_op.create_index("ix_works_relevance_created", ["relevance", "created_at", "id"], unique=False)
    op.execute("UPDATE works SET relevance = (SELECT score FROM ranking_scores WHERE ranking_scores.work_id = works.id)"
               " WHERE id IN (SELECT work_id FROM ranking_scores)")


def downgrade() -> None:
    with op.batch_alter_table("works", schema=None) as batch_op:
        batch_op.drop_index("ix_works_relevance_created")
        batch_op.drop_column("relevance")
