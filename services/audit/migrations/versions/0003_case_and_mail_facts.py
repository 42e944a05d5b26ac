# ruff: noqa: S608  (DDL built from the constant names of this file, no input)
"""case, underretning and mail facts for Q9, Q12 and Q17; review_at as a query column

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:00:00

- ``disclosure_payloads.review_at`` (Q14): copied from the hashed content like the other query
  columns. Records written before the field existed have none (their content has no ``review_at``).
- ``case_facts``, ``underretning_facts``, ``mail_gateway_log``: projections of routing's and notify's
  events. They are not part of the append-only log (not hashed, not covered by its triggers): they are
  upserted as events arrive. On PostgreSQL the app role gets SELECT, INSERT and UPDATE on them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APP_ROLE = "infohus_audit_app"
INSTANT = 27


def upgrade() -> None:
    op.add_column("disclosure_payloads", sa.Column("review_at", sa.String(10), nullable=True))
    op.create_table(
        "case_facts",
        sa.Column("infohus_case_id", sa.String(36), primary_key=True),
        sa.Column("concern_id", sa.String(36), nullable=True),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("subject_index", sa.Integer(), nullable=True),
        sa.Column("age_bands", sa.String(200), nullable=True),
        sa.Column("minor_possible", sa.Boolean(), nullable=True),
        sa.Column("underretning_ids", sa.Text(), nullable=True),
        sa.Column("underretning_count", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.String(INSTANT), nullable=True),
        sa.Column("triage_outcome", sa.String(20), nullable=True),
        sa.Column("triage_completed_at", sa.String(INSTANT), nullable=True),
        sa.Column("closed_at", sa.String(INSTANT), nullable=True),
    )
    op.create_index("ix_case_facts_concern", "case_facts", ["concern_id"])
    op.create_table(
        "underretning_facts",
        sa.Column("underretning_id", sa.String(36), primary_key=True),
        sa.Column("concern_id", sa.String(36), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("infohus_case_id", sa.String(36), nullable=True),
        sa.Column("legal_type", sa.String(40), nullable=False),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("received_at", sa.String(INSTANT), nullable=False),
        sa.Column("assessment_due_at", sa.String(INSTANT), nullable=False),
        sa.Column("receipt_confirmation_due_date", sa.String(10), nullable=True),
        sa.Column("receipt_confirmation_due_end", sa.String(INSTANT), nullable=True),
        sa.Column("professional_orientation_required", sa.Boolean(), nullable=False),
        sa.Column("assessed_at", sa.String(INSTANT), nullable=True),
        sa.Column("receipt_confirmed_at", sa.String(INSTANT), nullable=True),
        sa.Column("oriented_at", sa.String(INSTANT), nullable=True),
        sa.Column("forwarded_at", sa.String(INSTANT), nullable=True),
        sa.Column("updated_at", sa.String(INSTANT), nullable=False),
    )
    op.create_index("ix_underretning_facts_case", "underretning_facts", ["infohus_case_id"])
    op.create_table(
        "mail_gateway_log",
        sa.Column("notification_id", sa.String(36), primary_key=True),
        sa.Column("outcome", sa.String(16), primary_key=True),
        sa.Column("concern_id", sa.String(36), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("destination", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=True),
        sa.Column("recipient_domain", sa.String(255), nullable=True),
        sa.Column("message_id", sa.String(500), nullable=True),
        sa.Column("at", sa.String(INSTANT), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("smtp_code", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=True),
        sa.Column("infohus_case_id", sa.String(36), nullable=True),
        sa.Column("underretning_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_mail_gateway_log_at", "mail_gateway_log", ["outcome", "at"])
    op.create_index("ix_mail_gateway_log_message", "mail_gateway_log", ["message_id"])
    op.create_index("ix_mail_gateway_log_concern", "mail_gateway_log", ["concern_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    EXECUTE 'GRANT SELECT, INSERT, UPDATE ON case_facts, underretning_facts, mail_gateway_log '
                            'TO {APP_ROLE}';
                ELSE
                    RAISE NOTICE 'role {APP_ROLE} missing: grant it SELECT, INSERT, UPDATE on the fact tables';
                END IF;
            END $$""")


def downgrade() -> None:
    for table in ("mail_gateway_log", "underretning_facts", "case_facts"):
        op.drop_table(table)
    op.drop_column("disclosure_payloads", "review_at")
