"""PRISMA and the search log: the query recorded with a file import, and "report retrieved" on full-text decisions

Revision ID: 0002_dash_prisma
Revises: 0001
Create Date: 2026-11-29 18:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_dash_prisma'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('query', sa.Text(), nullable=True))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_retrieved', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('report_retrieved')
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_column('query')
