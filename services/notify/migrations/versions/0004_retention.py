"""retention: what routing said about each concern (held, erased), and sent deliveries by their send time

Revision ID: 0004
Revises: 0003
"""
from alembic import op

from infohus.kit.retention.tables import CONCERN_RETENTION, create_concern_retention

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_concern_retention(op)
    op.create_index("ix_deliveries_state_sent", "deliveries", ["state", "sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_state_sent", table_name="deliveries")
    op.drop_index("ix_concern_retention_held", table_name=CONCERN_RETENTION)
    op.drop_table(CONCERN_RETENTION)
