"""read-access log: every read of a case's personal data, append-only

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from infohus.kit.auth.read_log import TABLE_NAME, append_only_ddl

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(TABLE_NAME,
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('service', sa.String(length=50), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('roles', sa.String(length=255), nullable=False),
    sa.Column('case_kind', sa.String(length=30), nullable=False),
    sa.Column('case_id', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=50), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('trace_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(f'ix_{TABLE_NAME}_case', TABLE_NAME, ['case_id', 'read_at'], unique=False)
    op.create_index(f'ix_{TABLE_NAME}_user', TABLE_NAME, ['user_id', 'read_at'], unique=False)
    op.create_index(f'ix_{TABLE_NAME}_read_at', TABLE_NAME, ['read_at'], unique=False)
    # UPDATE and DELETE (and on PostgreSQL TRUNCATE) are refused: the log is append-only.
    dialect = op.get_bind().dialect.name
    schema = op.get_context().version_table_schema if dialect == 'postgresql' else None
    for statement in append_only_ddl(dialect, TABLE_NAME, schema):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        schema = op.get_context().version_table_schema
        prefix = f'{schema}.' if schema else ''
        op.drop_table(TABLE_NAME)
        op.execute(f'DROP FUNCTION IF EXISTS {prefix}{TABLE_NAME}_refuse_change()')
    else:
        op.drop_table(TABLE_NAME)
