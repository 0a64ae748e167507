"""where the bus stops: a neighbourhood's stop name and address, a collection point's address

Revision ID: 0013_bus_stops
Revises: 0012_session_version
Create Date: 2026-12-02 21:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_bus_stops"
down_revision = "0012_session_version"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("neighbourhoods", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stop_name", sa.String(length=160), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("stop_address", sa.String(length=200), server_default="", nullable=False)
        )
    with op.batch_alter_table("collection_points", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address", sa.String(length=200), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("collection_points", schema=None) as batch_op:
        batch_op.drop_column("address")
    with op.batch_alter_table("neighbourhoods", schema=None) as batch_op:
        batch_op.drop_column("stop_address")
        batch_op.drop_column("stop_name")
