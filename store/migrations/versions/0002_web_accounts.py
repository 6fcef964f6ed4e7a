"""web accounts: users, login sessions, full-text retrieval flag on decisions, screening indexes

Revision ID: 0002_web_accounts
Revises: 0001
Create Date: 2026-11-29 18:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_web_accounts'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('address', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_retrieved', sa.Boolean(), nullable=True))
        # "needs my decision" and per-stage vote lookups
        batch_op.create_index('ix_decisions_reviewer_stage_work', ['reviewer', 'stage', 'work_id'], unique=False)
    with op.batch_alter_table('works', schema=None) as batch_op:
        # the queue: open statuses, newest first
        batch_op.create_index('ix_works_status_created', ['status', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.create_index('ix_source_records_source_work', ['source', 'work_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.drop_index('ix_source_records_source_work')
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index('ix_works_status_created')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_reviewer_stage_work')
        batch_op.drop_column('report_retrieved')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))
    op.drop_table('web_sessions')
    op.drop_table('users')
