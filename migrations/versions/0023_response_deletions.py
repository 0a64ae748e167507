"""response deletions: append-only log of responses deleted by coordinators

Revision ID: 0023_h13b_response_deletions
Revises: 0016_reminders
Create Date: 2026-12-02 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_h13b_response_deletions'
down_revision = '0016_reminders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('response_deletions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_uuid', sa.String(length=36), nullable=False),
    sa.Column('form_id', sa.String(length=100), nullable=False),
    sa.Column('form_version', sa.String(length=100), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('collection_point', sa.String(length=160), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('was_demo', sa.Boolean(), nullable=False),
    sa.Column('answer_count', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_response_deletions_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_deletions'))
    )
    with op.batch_alter_table('response_deletions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_deletions_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_deletions_response_uuid'), ['response_uuid'], unique=False)


def downgrade():
    with op.batch_alter_table('response_deletions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_deletions_response_uuid'))
        batch_op.drop_index(batch_op.f('ix_response_deletions_deleted_at'))
    op.drop_table('response_deletions')
