"""passes: keep anonymous results when a Pass is deleted, resume token, observation outcome

- assessments.pass_id: ON DELETE SET NULL (was CASCADE), so deleting a Pass leaves its level
  results as anonymous counts; indexed for the Pass page.
- assessments.token_hash: hash of the resident's resume cookie while in progress.
- observations.outcome: what the aidant saw ("alone", "with_help", "not_yet").

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_assessments_token_hash"), ["token_hash"])
        batch_op.create_index("ix_assessments_pass_id", ["pass_id"], unique=False)
        batch_op.drop_constraint("fk_assessments_pass_id_passes", type_="foreignkey")
        batch_op.create_foreign_key(
            op.f("fk_assessments_pass_id_passes"),
            "passes",
            ["pass_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome", sa.String(length=16), nullable=False, server_default="alone")
        )
    # The model gives the default; the server default only filled existing rows.
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.alter_column("outcome", server_default=None)


def downgrade():
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_column("outcome")

    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_assessments_pass_id_passes", type_="foreignkey")
        batch_op.create_foreign_key(
            op.f("fk_assessments_pass_id_passes"),
            "passes",
            ["pass_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_index("ix_assessments_pass_id")
        batch_op.drop_constraint(op.f("uq_assessments_token_hash"), type_="unique")
        batch_op.drop_column("token_hash")
