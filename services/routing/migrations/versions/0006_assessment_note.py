"""StraXen's note on the 24-hour assessment of an underretning (barnets lov § 136, stk. 2)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('underretninger', sa.Column('assessment_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('underretninger') as batch:
        batch.drop_column('assessment_note')
