"""cases and underretninger belong to a municipality (its official code)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 01:00:00.000000

Existing rows belong to the installation's municipality: the code in the municipality config routing is
configured with (``INFOHUS_ROUTING_MUNICIPALITY_CONFIG``, default Ishøj's file).
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_TABLES = ('infohus_cases', 'underretninger')


def _configured_code() -> str:
    """The rules file's code, read from the variable alone: the migration needs no other setting."""
    import os

    from infohus.kit.municipality import load_municipality_config

    return load_municipality_config(os.environ.get("INFOHUS_ROUTING_MUNICIPALITY_CONFIG")).municipality_code


def upgrade() -> None:
    code = _configured_code()
    for table in _TABLES:
        # The server default fills the existing rows; routing names the municipality of every new row.
        op.add_column(table, sa.Column('municipality', sa.String(length=8), nullable=False,
                                       server_default=code))
        if op.get_bind().dialect.name == 'postgresql':
            op.alter_column(table, 'municipality', server_default=None)
        op.create_index(f'ix_{table}_municipality', table, ['municipality'], unique=False)


def downgrade() -> None:
    for table in _TABLES:
        op.drop_index(f'ix_{table}_municipality', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('municipality')
