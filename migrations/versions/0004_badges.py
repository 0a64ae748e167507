"""badges: awards and their audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('pass_id', sa.Integer(), nullable=True),
    sa.Column('domain', sa.String(length=60), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('self_declared', 'validated', name='levelstatus', native_enum=False, length=32), nullable=False),
    sa.Column('aidant_organisation', sa.String(length=160), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient_type', sa.String(length=10), nullable=False),
    sa.Column('recipient_identity', sa.String(length=80), nullable=False),
    sa.Column('recipient_salt', sa.String(length=64), nullable=False),
    sa.Column('assertion_json', sa.JSON(), nullable=False),
    sa.Column('credential_json', sa.JSON(), nullable=False),
    sa.Column('image_png', sa.LargeBinary(), nullable=False),
    sa.Column('image_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.String(length=300), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pass_id'], ['passes.id'], name=op.f('fk_awards_pass_id_passes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['awards.id'], name=op.f('fk_awards_superseded_by_id_awards'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards')),
    sa.UniqueConstraint('uuid', name=op.f('uq_awards_uuid'))
    )
    op.create_index('ix_awards_pass_domain_level', 'awards', ['pass_id', 'domain', 'level'], unique=False)
    op.create_table('award_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('issued', 'revoked', name='awardeventkind', native_enum=False, length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_award_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_events_award_id_awards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_events'))
    )
    op.create_index(op.f('ix_award_events_award_id'), 'award_events', ['award_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_award_events_award_id'), table_name='award_events')
    op.drop_table('award_events')
    op.drop_index('ix_awards_pass_domain_level', table_name='awards')
    op.drop_table('awards')
