"""imports.manual_query: which protocol query (manual database) an imported export answers

Revision ID: 0002_evidence_watch
Revises: 0001
Create Date: 2026-11-29 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_evidence_watch"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manual_query", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("manual_query")
