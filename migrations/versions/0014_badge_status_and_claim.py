"""badges: status list position of each award, Pass recipient id for claiming badges

Revision ID: 0014_badge_status
Revises: 0005
Create Date: 2026-12-02 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_badge_status'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_index', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_awards_status_index'), ['status_index'])

    with op.batch_alter_table('passes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('badge_recipient', sa.String(length=45), nullable=True))


def downgrade():
    with op.batch_alter_table('passes', schema=None) as batch_op:
        batch_op.drop_column('badge_recipient')

    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_awards_status_index'), type_='unique')
        batch_op.drop_column('status_index')
