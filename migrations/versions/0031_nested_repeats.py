"""answers of nested repeats: which enclosing instance an answer belongs to

Revision ID: 0031_nested_repeats
Revises: 0024_h13b_slot_explanation_en
Create Date: 2026-12-02 22:20:00

Existing rows get "" (not inside a nested repeat), which is what they always were.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031_nested_repeats'
down_revision = '0024_h13b_slot_explanation_en'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('repeat_parent', sa.String(length=64), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('repeat_parent')
