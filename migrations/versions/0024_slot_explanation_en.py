"""slots: the planner's reason in English

Revision ID: 0024_h13b_slot_explanation_en
Revises: 0023_h13b_response_deletions
Create Date: 2026-12-02 22:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_h13b_slot_explanation_en'
down_revision = '0023_h13b_response_deletions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanation_en', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_column('explanation_en')
