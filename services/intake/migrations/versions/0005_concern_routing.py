"""reconciliation with routing: routing's acknowledgement per concern (ConcernRouted) and when intake last
asked again for one that had none; concerns by time of recording

No backfill: concerns accepted before this revision have no acknowledgement yet, so the first rounds ask
routing again about those inside the look-back window, and routing acknowledges them (it changes nothing).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("concern_routing",
    sa.Column("concern_id", sa.String(length=36), nullable=False),
    sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("asked_again_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("times_asked_again", sa.Integer(), server_default="0", nullable=False),
    sa.Column("next_ask_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("concern_id")
    )
    op.create_index("ix_concerns_recorded_at", "concerns", ["recorded_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_concerns_recorded_at", table_name="concerns")
    op.drop_table("concern_routing")
