"""the staff inbox: when triage completed, a person's CPR HMAC, and the indexes the lists need

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00.000000
"""
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_OPEN = sa.text("state <> 'CLOSED'")
_UNASSESSED = sa.text("assessed_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('infohus_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('triage_completed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_infohus_cases_inbox_open', 'infohus_cases',
                    ['priority', 'triage_due_at', 'opened_at', 'case_id'], unique=False,
                    postgresql_where=_OPEN, sqlite_where=_OPEN)
    op.create_index('ix_infohus_cases_inbox_all', 'infohus_cases',
                    ['priority', 'triage_due_at', 'opened_at', 'case_id'], unique=False)
    op.create_index('ix_underretninger_unassessed', 'underretninger', ['assessment_due_at', 'underretning_id'],
                    unique=False, postgresql_where=_UNASSESSED, sqlite_where=_UNASSESSED)
    op.create_index('ix_underretninger_receipt_due', 'underretninger',
                    ['receipt_confirmation_due_date', 'assessment_due_at', 'underretning_id'], unique=False)
    op.create_index('ix_case_timeline_actor', 'case_timeline', ['actor', 'case_id'], unique=False)
    op.create_index('ix_tasks_underretning_id', 'tasks', ['underretning_id'], unique=False)
    op.create_table('person_cpr',
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('concern_id', sa.String(length=36), nullable=False),
    sa.Column('cpr_hmac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('person_id')
    )
    op.create_index('ix_person_cpr_concern_id', 'person_cpr', ['concern_id'], unique=False)
    op.create_index('ix_person_cpr_cpr_hmac', 'person_cpr', ['cpr_hmac'], unique=False)
    _backfill()


def _backfill() -> None:
    """Existing rows: the triage time from each case's record, the CPR HMACs from each concern's facts."""
    bind = op.get_bind()
    cases = sa.table('infohus_cases', sa.column('case_id', sa.String), sa.column('record', sa.Text),
                     sa.column('triage_completed_at', sa.DateTime(timezone=True)))
    for case_id, record in bind.execute(sa.select(cases.c.case_id, cases.c.record)).all():
        decided_at = json.loads(record or '{}').get('triage', {}).get('decided_at')
        if decided_at:
            moment = datetime.fromisoformat(decided_at).astimezone(UTC)
            if bind.dialect.name != 'postgresql':
                moment = moment.replace(tzinfo=None)  # SQLite keeps UTC without an offset (UtcDateTime)
            bind.execute(cases.update().where(cases.c.case_id == case_id).values(triage_completed_at=moment))
    facts = sa.table('concern_facts', sa.column('concern_id', sa.String), sa.column('persons', sa.Text))
    people = sa.table('person_cpr', sa.column('person_id', sa.String), sa.column('concern_id', sa.String),
                      sa.column('cpr_hmac', sa.String))
    rows = [{'person_id': p['person_id'], 'concern_id': concern_id, 'cpr_hmac': p['cpr_hmac']}
            for concern_id, persons in bind.execute(sa.select(facts.c.concern_id, facts.c.persons)).all()
            for p in json.loads(persons) if p.get('cpr_hmac')]
    if rows:
        bind.execute(people.insert(), rows)


def downgrade() -> None:
    op.drop_table('person_cpr')
    op.drop_index('ix_tasks_underretning_id', table_name='tasks')
    op.drop_index('ix_case_timeline_actor', table_name='case_timeline')
    op.drop_index('ix_underretninger_receipt_due', table_name='underretninger')
    op.drop_index('ix_underretninger_unassessed', table_name='underretninger')
    op.drop_index('ix_infohus_cases_inbox_all', table_name='infohus_cases')
    op.drop_index('ix_infohus_cases_inbox_open', table_name='infohus_cases')
    with op.batch_alter_table('infohus_cases', schema=None) as batch_op:
        batch_op.drop_column('triage_completed_at')
