"""rules you can replay: each decision records the fingerprint of the rules code and configuration that made
it and the rules' input (no concern text, names or CPR numbers); every configuration that decided something
is kept, once per distinct version

Revision ID: 0009
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rules_configs',
        sa.Column('config_fingerprint', sa.String(length=64), nullable=False),
        sa.Column('config_version', sa.String(length=64), nullable=False),
        sa.Column('config', sa.Text(), nullable=False),
        sa.Column('first_decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('config_fingerprint'),
    )
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('rules_fingerprint', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('code_fingerprint', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('config_fingerprint', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('rules_input', sa.Text(), nullable=True))
    op.create_index('ix_decisions_config_fingerprint', 'decisions', ['config_fingerprint'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_decisions_config_fingerprint', table_name='decisions')
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('rules_input')
        batch.drop_column('config_fingerprint')
        batch.drop_column('code_fingerprint')
        batch.drop_column('rules_fingerprint')
    op.drop_table('rules_configs')
