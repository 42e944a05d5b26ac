"""case lifecycle, tasks, clocks, deadline events and concern facts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('infohus_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('triage_signoffs', sa.Text(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('record', sa.Text(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('close_reason', sa.String(length=32), nullable=True))

    with op.batch_alter_table('underretninger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), server_default='ROUTING', nullable=False))
        batch_op.add_column(sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assessed_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('acute_measures_needed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('receipt_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('oriented_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('orientation_outcome', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('forwarded_to', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('concern_facts',
    sa.Column('concern_id', sa.String(length=36), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('effective_received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reporter_category', sa.String(length=32), nullable=False),
    sa.Column('reporter_contactable', sa.Boolean(), nullable=False),
    sa.Column('acute', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('data_categories', sa.Text(), nullable=False),
    sa.Column('persons', sa.Text(), nullable=False),
    sa.Column('config_version', sa.String(length=64), nullable=False),
    sa.Column('duplicate_of', sa.String(length=36), nullable=True),
    sa.Column('description_hash', sa.String(length=64), nullable=False),
    sa.Column('reporter_keys', sa.Text(), nullable=False),
    sa.Column('subject_keys', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('concern_id')
    )
    with op.batch_alter_table('concern_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_facts_description_hash'), ['description_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_concern_facts_duplicate_of'), ['duplicate_of'], unique=False)

    op.create_table('case_timeline',
    sa.Column('entry_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_role', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=False),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['infohus_cases.case_id'], ),
    sa.PrimaryKeyConstraint('entry_id')
    )
    with op.batch_alter_table('case_timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_timeline_case_id'), ['case_id'], unique=False)

    op.create_table('tasks',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('concern_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=True),
    sa.Column('underretning_id', sa.String(length=36), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=200), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('task_id')
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_concern_id'), ['concern_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_state'), ['state'], unique=False)

    op.create_table('clocks',
    sa.Column('clock_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('concern_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=True),
    sa.Column('underretning_id', sa.String(length=36), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stop_reason', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('clock_id')
    )
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clocks_concern_id'), ['concern_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clocks_stopped_at'), ['stopped_at'], unique=False)

    op.create_table('deadline_events',
    sa.Column('clock_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('emitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('clock_id', 'kind')
    )


def downgrade() -> None:
    op.drop_table('deadline_events')
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clocks_stopped_at'))
        batch_op.drop_index(batch_op.f('ix_clocks_concern_id'))
    op.drop_table('clocks')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_state'))
        batch_op.drop_index(batch_op.f('ix_tasks_concern_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_case_id'))
    op.drop_table('tasks')
    with op.batch_alter_table('case_timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_timeline_case_id'))
    op.drop_table('case_timeline')
    with op.batch_alter_table('concern_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_facts_duplicate_of'))
        batch_op.drop_index(batch_op.f('ix_concern_facts_description_hash'))
    op.drop_table('concern_facts')
    with op.batch_alter_table('underretninger', schema=None) as batch_op:
        for column in ('forwarded_at', 'forwarded_to', 'orientation_outcome', 'oriented_at', 'receipt_confirmed_at',
                       'acute_measures_needed', 'assessed_by', 'assessed_at', 'origin'):
            batch_op.drop_column(column)
    with op.batch_alter_table('infohus_cases', schema=None) as batch_op:
        for column in ('close_reason', 'closed_at', 'record', 'triage_signoffs', 'version'):
            batch_op.drop_column(column)
