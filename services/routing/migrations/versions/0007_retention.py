"""retention: legal holds, what routing told the other services about each concern, closed cases by their
close, and read-access-log rows past the statutory minimum may be deleted

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from infohus.kit.retention.read_log_ddl import allow_deletion_after_minimum, keep_every_row

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'legal_holds',
        sa.Column('hold_id', sa.String(length=36), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('set_by', sa.String(length=200), nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lifted_by', sa.String(length=200), nullable=True),
        sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lift_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('hold_id'),
    )
    op.create_index('ix_legal_holds_lifted_at', 'legal_holds', ['lifted_at'], unique=False)
    op.create_table(
        'retention_notices',
        sa.Column('concern_id', sa.String(length=36), nullable=False),
        sa.Column('held', sa.Boolean(), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('concern_id'),
    )
    op.create_index('ix_retention_notices_held', 'retention_notices', ['held'], unique=False)
    op.create_index('ix_infohus_cases_closed_at', 'infohus_cases', ['closed_at'], unique=False)
    allow_deletion_after_minimum(op)


def downgrade() -> None:
    keep_every_row(op)
    op.drop_index('ix_infohus_cases_closed_at', table_name='infohus_cases')
    op.drop_index('ix_retention_notices_held', table_name='retention_notices')
    op.drop_table('retention_notices')
    op.drop_index('ix_legal_holds_lifted_at', table_name='legal_holds')
    op.drop_table('legal_holds')
