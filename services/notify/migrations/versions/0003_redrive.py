"""re-drive of dead-lettered deliveries

Who re-drove a delivery and how often (on the row, for the watchdog and the alert ids), and every
re-drive with the failure it followed (delivery_redrives).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delivery_redrives',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('notification_id', sa.String(length=36), nullable=False),
    sa.Column('redriven_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('redriven_by', sa.String(length=255), nullable=False),
    sa.Column('via', sa.String(length=8), nullable=False),
    sa.Column('previous_error', sa.String(length=200), nullable=True),
    sa.Column('previous_attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_redrives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_redrives_notification_id'), ['notification_id'], unique=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redrive_count', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('redriven_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('redriven_by', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('redriven_by')
        batch_op.drop_column('redriven_at')
        batch_op.drop_column('redrive_count')

    with op.batch_alter_table('delivery_redrives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_redrives_notification_id'))

    op.drop_table('delivery_redrives')
