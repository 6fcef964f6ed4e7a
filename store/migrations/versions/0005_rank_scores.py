"""ranking: the ranker's trainings and the latest score (and reasons) of each open work

Revision ID: 0005_rank_scores
Revises: 0004_evidence_watch
Create Date: 2026-11-29 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_rank_scores'
down_revision = '0004_evidence_watch'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ranking_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('n_included', sa.Integer(), nullable=False),
    sa.Column('n_excluded', sa.Integer(), nullable=False),
    sa.Column('n_scored', sa.Integer(), nullable=False),
    sa.Column('last_decision_id', sa.Integer(), nullable=True),
    sa.Column('last_work_id', sa.Integer(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ranking_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranking_runs_trained_at'), ['trained_at'], unique=False)

    op.create_table('ranking_scores',
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('ranking_run_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('why', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ranking_run_id'], ['ranking_runs.id'], ),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_id')
    )
    with op.batch_alter_table('ranking_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranking_scores_ranking_run_id'), ['ranking_run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ranking_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranking_scores_ranking_run_id'))
    op.drop_table('ranking_scores')
    with op.batch_alter_table('ranking_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranking_runs_trained_at'))
    op.drop_table('ranking_runs')
