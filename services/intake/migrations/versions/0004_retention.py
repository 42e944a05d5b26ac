"""retention: what routing said about each concern (held, erased), and read-access-log rows past the
statutory minimum may be deleted

Revision ID: 0004
Revises: 0003
"""
from alembic import op

from infohus.kit.retention.read_log_ddl import allow_deletion_after_minimum, keep_every_row
from infohus.kit.retention.tables import CONCERN_RETENTION, create_concern_retention

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_concern_retention(op)
    allow_deletion_after_minimum(op)


def downgrade() -> None:
    keep_every_row(op)
    op.drop_index("ix_concern_retention_held", table_name=CONCERN_RETENTION)
    op.drop_table(CONCERN_RETENTION)
