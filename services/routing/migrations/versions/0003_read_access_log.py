"""read-access log: every read of a case's personal data, append-only

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:00:00.000000
"""
from alembic import op

from infohus.kit.auth.read_log import TABLE_NAME
from infohus.kit.auth.read_log_migration import create_read_access_log

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_read_access_log(op)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        schema = op.get_context().version_table_schema
        prefix = f'{schema}.' if schema else ''
        op.drop_table(TABLE_NAME)
        op.execute(f'DROP FUNCTION IF EXISTS {prefix}{TABLE_NAME}_refuse_change()')
    else:
        op.drop_table(TABLE_NAME)
