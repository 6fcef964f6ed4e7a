"""PRISMA-S search log: the query the team recorded with a file import (``import --query``); an index on
works.updated_at for the dashboard's store fingerprint

("report retrieved" on full-text decisions, which PRISMA's "reports not retrieved" box reads, comes with
0002_web_accounts.)

Revision ID: 0003_dash_prisma
Revises: 0002_web_accounts
Create Date: 2026-11-29 18:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_dash_prisma'
down_revision = '0002_web_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('query', sa.Text(), nullable=True))
    with op.batch_alter_table('works', schema=None) as batch_op:   # the dashboard's store fingerprint reads max()
        batch_op.create_index(batch_op.f('ix_works_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_updated_at'))
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_column('query')
