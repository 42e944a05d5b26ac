"""one person, one infohus case: the concerns that joined a case another concern opened, and the keyed hash of
each subject's name and date of birth

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_concerns',
        sa.Column('link_id', sa.String(length=36), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('concern_id', sa.String(length=36), nullable=False),
        sa.Column('subject_index', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.String(length=36), nullable=False),
        sa.Column('match', sa.String(length=16), nullable=False),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('linked_by', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('unlinked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('unlinked_by', sa.String(length=200), nullable=True),
        sa.Column('unlink_reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('link_id'),
    )
    op.create_index('ix_case_concerns_case_id', 'case_concerns', ['case_id'], unique=False)
    op.create_index('ix_case_concerns_concern_id', 'case_concerns', ['concern_id'], unique=False)
    op.create_index('ix_case_concerns_person_id', 'case_concerns', ['person_id'], unique=False)
    op.create_table(
        'person_name_keys',
        sa.Column('person_id', sa.String(length=36), nullable=False),
        sa.Column('concern_id', sa.String(length=36), nullable=False),
        sa.Column('name_dob_hmac', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('person_id'),
    )
    op.create_index('ix_person_name_keys_concern_id', 'person_name_keys', ['concern_id'], unique=False)
    op.create_index('ix_person_name_keys_name_dob_hmac', 'person_name_keys', ['name_dob_hmac'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_person_name_keys_name_dob_hmac', table_name='person_name_keys')
    op.drop_index('ix_person_name_keys_concern_id', table_name='person_name_keys')
    op.drop_table('person_name_keys')
    op.drop_index('ix_case_concerns_person_id', table_name='case_concerns')
    op.drop_index('ix_case_concerns_concern_id', table_name='case_concerns')
    op.drop_index('ix_case_concerns_case_id', table_name='case_concerns')
    op.drop_table('case_concerns')
